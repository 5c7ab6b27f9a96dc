"""Meeting scheduling at scale: slots used ÷ lower bound, meetings placed, and time, beside a
greedy first-fit baseline run on the same instances in the same process.

Random events of up to 5,000 participants and 32,000 accepted meetings, with realistic skew:
distributor popularity follows a Zipf-like law (a few buyers are asked by hundreds), producers
ask more evenly, and the organiser's cap on meetings per participant stops the popular ones at
the cap (so many participants sit exactly at Δ -- the hard case for colouring). Tables are
chosen so that ⌈M/T⌉ is close to Δ (both bounds bind), or fewer (tables bind).

For each event: M, Δ, T and the lower bound max(Δ, ⌈M/T⌉); the slots :func:`schedule` and
first-fit need to place everything; the meetings each places when the slots are limited to
the lower bound; and their times (median of --repeat runs). Then the same largest event with
10% of participants unavailable in 20% of the slots, beside the upper bound on what any
schedule can place (:func:`max_placeable`).

    .venv/bin/python bench/scheduling.py            # all sizes, 5 timed runs each
    .venv/bin/python bench/scheduling.py --quick    # fewer sizes, 1 run
"""

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaker.meetings.scheduler import (  # noqa: E402
    DISTRIBUTOR,
    PRODUCER,
    first_fit,
    max_placeable,
    schedule,
    validate,
)

# (participants, meetings, cap per participant, tables or None for ⌈M/cap⌉)
SIZES = [
    (300, 1_500, 20, None),
    (1_000, 6_000, 24, None),
    (2_000, 12_000, 30, None),
    (5_000, 32_000, 40, None),
    (5_000, 32_000, 40, 400),  # fewer tables: ⌈M/T⌉ = 80 binds
    (5_000, 32_000, 60, 1_000),  # uncapped-ish popular buyers: Δ binds
]
QUICK = [SIZES[0], SIZES[3]]


def event(rng: random.Random, participants: int, meetings: int, cap: int):
    """Accepted meetings of a random event: 60% producers, 40% distributors; a distributor's
    weight is 1/rank^0.8 (popular buyers), a producer's 1/rank^0.3; nobody above ``cap``."""
    n_d = participants * 2 // 5
    n_p = participants - n_d
    w_d = [1 / (i + 1) ** 0.8 for i in range(n_d)]
    w_p = [1 / (i + 1) ** 0.3 for i in range(n_p)]
    load_p, load_d = [0] * n_p, [0] * n_d
    out: list[tuple[int, int, int]] = []
    while len(out) < meetings:
        for d, p in zip(rng.choices(range(n_d), w_d, k=meetings),
                        rng.choices(range(n_p), w_p, k=meetings), strict=True):
            if load_p[p] < cap and load_d[d] < cap:
                load_p[p] += 1
                load_d[d] += 1
                out.append((len(out), p, d))
                if len(out) == meetings:
                    break
    rng.shuffle(out)  # accepted in no particular order
    return out


def delta(meetings) -> int:
    degree = Counter()
    for _mid, a, b in meetings:
        degree[PRODUCER, a] += 1
        degree[DISTRIBUTOR, b] += 1
    return max(degree.values())


def timed(fn, repeat: int):
    """(result, median seconds) over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def check(result, meetings, tables, slots, unavailable=None) -> None:
    problems = validate(result, meetings, tables, slots, unavailable)
    if problems:
        sys.exit(f"invalid schedule: {problems[:5]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two sizes, one run each")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    rng = random.Random(args.seed)

    header = (f"{'people':>6} {'M':>7} {'Δ':>4} {'T':>5} {'LB':>5} │ {'slots: ours':>11} "
              f"{'first-fit':>9} │ {'placed in LB slots: ours':>24} {'first-fit':>10} │ "
              f"{'time: ours':>10} {'first-fit':>9} {'ratio':>6}")
    print("Without unavailability (slots: to place every meeting; ratio = time ours ÷ "
          "first-fit)")
    print(header)
    print("─" * len(header))
    largest = None
    verdict = []
    for people, m, cap, tables in (QUICK if args.quick else SIZES):
        meetings = event(rng, people, m, cap)
        d = delta(meetings)
        t = tables or -(-m // d)
        lb = max(d, -(-m // t))
        many = 3 * lb  # plenty: first-fit never needs more than 2Δ-1+⌊(M-1)/T⌋
        ours, t_ours = timed(lambda: schedule(meetings, t, many), repeat)  # noqa: B023
        ff, t_ff = timed(lambda: first_fit(meetings, t, many), repeat)  # noqa: B023
        check(ours, meetings, t, many)
        check(ff, meetings, t, many)
        assert not ours.unplaced and not ff.unplaced
        ours_lb = schedule(meetings, t, lb)
        ff_lb = first_fit(meetings, t, lb)
        check(ours_lb, meetings, t, lb)
        check(ff_lb, meetings, t, lb)
        print(f"{people:>6,} {m:>7,} {d:>4} {t:>5} {lb:>5} │ "
              f"{ours.slots_used:>5} {ours.slots_used / lb:>5.2f} "
              f"{ff.slots_used:>3} {ff.slots_used / lb:>5.2f} │ "
              f"{len(ours_lb.placed):>16,} {len(ours_lb.placed) / m:>7.2%} "
              f"{len(ff_lb.placed):>10,} │ "
              f"{t_ours * 1000:>7.0f} ms {t_ff * 1000:>6.0f} ms {t_ours / t_ff:>6.1f}")
        if m >= 32_000:
            verdict.append((m, ours.slots_used / lb, t_ours, m - len(ff_lb.placed)))
            largest = largest or (people, meetings, t, lb)

    people, meetings, t, lb = largest
    participants = sorted({(PRODUCER, a) for _m, a, _b in meetings}
                          | {(DISTRIBUTOR, b) for _m, _a, b in meetings})
    print(f"\nWith unavailability: the {people:,}-participant event, T = {t}; 10% of "
          "participants each unavailable in a random 20% of the slots")
    header2 = (f"{'slots':>12} │ {'upper bound':>11} │ {'placed: ours':>19} {'first-fit':>17} │ "
               f"{'slots used':>10} │ {'time: ours':>10} {'first-fit':>9} {'ratio':>6}")
    print(header2)
    print("─" * len(header2))
    for slots in (lb, lb + lb // 10, lb + lb // 4):
        sub = random.Random(args.seed + slots)
        unavailable = {who: set(sub.sample(range(slots), slots // 5))
                       for who in sub.sample(participants, len(participants) // 10)}
        ours, t_ours = timed(lambda: schedule(meetings, t, slots, unavailable),  # noqa: B023
                             repeat)
        ff, t_ff = timed(lambda: first_fit(meetings, t, slots, unavailable),  # noqa: B023
                         repeat)
        check(ours, meetings, t, slots, unavailable)
        check(ff, meetings, t, slots, unavailable)
        bound = max_placeable(meetings, t, slots, unavailable)
        reasons = Counter(reason for _m, reason in ours.unplaced)
        label = f"{slots} = LB" if slots == lb else f"{slots} = {slots / lb:.2f} LB"
        print(f"{label:>12} │ {bound:>11,} │ {len(ours.placed):>8,} "
              f"{len(ours.placed) / bound:>9.2%} {len(ff.placed):>7,} "
              f"{len(ff.placed) / bound:>8.2%} │ {ours.slots_used:>10} │ "
              f"{t_ours * 1000:>7.0f} ms {t_ff * 1000:>6.0f} ms {t_ours / t_ff:>6.1f}")
        if reasons:
            print(f"{'':>12}   unplaced by ours: "
                  + ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items())))
    print("\n(upper bound: the most meetings in which nobody has more than the slots they are "
          "free in, at most slots × T; placed % is of it)")
    for m, ratio, seconds, ff_left in verdict:
        ok = ratio == 1 and seconds < 1
        print(f"target: {m:,} meetings at slots ÷ lower bound = 1.00 in under 1 s -> "
              f"{'meets' if ok else 'MISSES'} it ({ratio:.2f} in {seconds:.2f} s); first-fit "
              f"in the lower bound's slots leaves {ff_left:,} unplaced")
    return 0


if __name__ == "__main__":
    sys.exit(main())
