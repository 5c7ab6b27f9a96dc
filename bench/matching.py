"""Matching at platform scale: top-10 suggestions from the index, against all-pairs scoring.

Builds a synthetic catalogue on the real category trees (OCOP sets of Decision 148 and HS 2022
subheadings, read from ``data/``): N products (default 100,000) from N/20 producers who each
make one to three kinds of product, and 20,000 sourcing needs from 5,000 distributors — most
on a product set or HS heading/subheading, some on a whole OCOP group or HS chapter/section
(a quarter of all products or more). Then, in the same process:

* index build time;
* top-10 producers for one distributor (median, p95, max over many distributors), and
  top-10 distributors for one producer;
* an event of 2,000 participants (1,000 producers, 1,000 distributors): every participant's
  top-10 list at once with ``MatchIndex.event_top_lists`` — the event's own index built
  first, as the app's loader does, and that build counted (median of 5 runs), plus the
  parts alone and on the platform index — and one query per participant (checked equal);
* at 10,000 products (500 producers, 2,000 needs from 500 distributors), the same top-10
  queries against a straightforward baseline that scores every producer × distributor
  (every product × need, with the same scoring code), and the ratio.

Times are wall-clock; the machine's load average is printed at the start and the end (other
processes on a small machine stretch the tail of the distribution most).

    .venv/bin/python bench/matching.py             # 100,000 products
    .venv/bin/python bench/matching.py --quick     # fewer queries, smaller event
    .venv/bin/python bench/matching.py --million   # 1,000,000 products as well
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaker.catalogue.taxonomy import hs_nodes, ocop_nodes  # noqa: E402
from matchmaker.matching.engine import MatchIndex, NeedRecord, ProductRecord  # noqa: E402

# (OCOP set code, HS heading or None, unit, price range in đồng, weight): the kinds of
# bench/search.py, from Nghệ An's real OCOP products.
KINDS = [
    ('I.4.a', '2103', 'chai', (35000, 180000), 5),
    ('I.5.b', '0902', 'hộp', (30000, 250000), 5),
    ('I.5.a', '0902', 'kg', (120000, 600000), 4),
    ('I.2.b', '0409', 'lít', (200000, 600000), 4),
    ('I.2.a', '1006', 'kg', (18_000, 70000), 5),
    ('I.1.a', '0805', 'kg', (25000, 80000), 3),
    ('II.1.a', '2208', 'chai', (80000, 500000), 3),
    ('I.4.a', '2103', 'chai', (25000, 60000), 2),
    ('IV.1', '3307', 'hộp', (50000, 900000), 2),
    ('IV.1', '4602', 'chiếc', (60000, 1500000), 2),
    ('I.3.c', '2008', 'hộp', (60000, 150000), 2),
    ('I.1.a', '1212', 'kg', (150000, 400000), 2),
    ('I.3.d', '1602', 'kg', (250000, 400000), 1),
    ('III.1', '1302', 'hũ', (150000, 900000), 2),
    ('I.1.a', '0709', 'kg', (80000, 1200000), 2),
    ('III.3', '3301', 'chai', (60000, 300000), 2),
    ('I.3.b', '1905', 'hộp', (30000, 120000), 3),
    ('IV.2', '5806', 'chiếc', (150000, 2000000), 1),
    ('I.1.b', '0307', 'kg', (300000, 900000), 2),
    ('I.4.b', '2501', 'hũ', (20000, 60000), 1),
    ('I.3.b', '1902', 'kg', (50000, 120000), 1),
    ('I.3.b', '1704', 'hộp', (40000, 90000), 1),
    ('I.6', '0901', 'kg', (150000, 400000), 2),
    ('I.1.a', '0714', 'kg', (15000, 40000), 2),
    ('I.1.a', '0805', 'quả', (30000, 90000), 2),
    ('I.1.a', '0810', 'kg', (30000, 150000), 1),
    ('I.1.a', '0803', 'kg', (15000, 60000), 1),
    ('I.1.b', '0306', 'kg', (200000, 900000), 2),
    ('I.1.b', '0305', 'kg', (100000, 500000), 2),
    ('I.3.d', '1605', 'hũ', (150000, 400000), 1),
    ('I.3.d', '1604', 'kg', (150000, 350000), 1),
    ('I.1.b', '0407', 'chục', (30000, 60000), 1),
    ('I.1.b', '0401', 'lít', (25000, 60000), 2),
    ('I.2.a', '0713', 'kg', (30000, 80000), 1),
    ('I.2.a', '1207', 'kg', (60000, 120000), 1),
    ('I.3.b', '1106', 'kg', (60000, 250000), 1),
    ('I.3.c', '2007', 'hộp', (50000, 150000), 1),
    ('I.4.b', '0904', 'kg', (120000, 300000), 1),
    ('I.4.b', '0910', 'kg', (20000, 150000), 1),
    ('II.2.a', '2201', 'thùng', (60000, 150000), 1),
    ('II.2.b', '2009', 'chai', (20000, 60000), 1),
    ('III.1', '1211', 'hộp', (200000, 5000000), 1),
    ('III.2', '3401', 'bánh', (20000, 80000), 1),
    ('IV.1', '4601', 'chiếc', (100000, 600000), 1),
    ('IV.1', '6912', 'bộ', (100000, 2000000), 1),
    ('IV.1', '4419', 'bộ', (50000, 500000), 1),
    ('V.1', '0603', 'chậu', (200000, 3000000), 1),
    ('V.2', '0602', 'cây', (300000, 10000000), 1),
    ('VI.1', None, 'đêm', (300000, 1200000), 1),
]
PROVINCES = [40] * 8 + [42, 38, 1, 79, 31, 48, 46, 22]
CERTS = ["vietgap", "haccp", "iso22000", "organic", "food_safety", "globalgap"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


class Taxonomy:
    def __init__(self):
        ocop = ocop_nodes()
        hs = hs_nodes()
        self.ocop = {n.code: n.path for n in ocop}
        self.hs = {n.code: n.path for n in hs}
        self.subheadings: dict[str, list[str]] = defaultdict(list)
        for n in hs:
            if n.level == 4:
                self.subheadings[n.parent_code].append(n.path)

    def product_paths(self, kind, rng):
        ocop, heading = kind[0], kind[1]
        paths = [self.ocop[ocop]]
        if heading and rng.random() < 0.6:
            subs = self.subheadings.get(heading)
            paths.append(rng.choice(subs) if subs else self.hs[heading])
        return tuple(paths)


def make_catalogue(tax, n_products, n_producers, n_needs, n_distributors, seed):
    rng = random.Random(seed)
    weights = [k[-1] for k in KINDS]
    products, pid = [], 0
    per_producer = n_products // n_producers
    for prod in range(1, n_producers + 1):
        province = rng.choice(PROVINCES)
        kinds = rng.choices(KINDS, weights, k=rng.choice([1, 2, 2, 3]))
        certs = frozenset(rng.sample(CERTS, rng.choice([0, 0, 0, 1, 1, 2, 3])))
        for _ in range(per_producer):
            kind = rng.choice(kinds)
            low, high = kind[3]
            pmin = rng.randrange(low, high, 1000)
            pid += 1
            products.append(ProductRecord(
                id=pid, producer_id=prod, category_paths=tax.product_paths(kind, rng),
                name=f"product {pid}", ocop_stars=rng.choice([None, None, 3, 3, 4, 4, 5]),
                certifications=certs if rng.random() < 0.7 else frozenset(),
                monthly_capacity=rng.choice([None, 200, 500, 1000, 2000, 5000, 10000]),
                unit=kind[2], price_min_vnd=pmin,
                price_max_vnd=pmin + rng.randrange(0, high - low + 1, 1000)
                if rng.random() < 0.7 else None,
                province_code=province))
    broad_ocop = [p for c, p in tax.ocop.items() if c.count(".") == 1 and c.startswith("I.")]
    broad_hs = [tax.hs[c] for c in ("21", "09", "04", "03", "22", "IV", "II")]
    needs, nid = [], 0
    dist_of = [1 + i % n_distributors for i in range(n_needs)]
    rng.shuffle(dist_of)
    for dist in dist_of:
        kind = rng.choices(KINDS, weights)[0]
        roll = rng.random()
        if roll < 0.08:  # broad: an OCOP group or an HS chapter/section
            cats = (rng.choice(broad_ocop + broad_hs),)
        elif roll < 0.45:
            cats = (tax.ocop[kind[0]],)
        elif roll < 0.75 and kind[1]:
            cats = (tax.hs[kind[1]],)
        elif kind[1]:
            cats = (tax.ocop[kind[0]], tax.hs[kind[1]])
        else:
            cats = (tax.ocop[kind[0]],)
        low, high = kind[3]
        nid += 1
        needs.append(NeedRecord(
            id=nid, distributor_id=dist, category_paths=cats, title=f"need {nid}",
            required_certifications=frozenset(rng.sample(CERTS[:3], 1))
            if rng.random() < 0.1 else frozenset(),
            min_ocop_stars=rng.choice([None] * 8 + [3, 4]),
            monthly_volume=rng.choice([None, 500, 1000, 2000, 5000, 20000]),
            unit=kind[2] if rng.random() < 0.85 else None,
            target_price_vnd=rng.choice([None, rng.randrange(low, high, 1000)]),
            delivery_provinces=frozenset(rng.sample(PROVINCES[7:], rng.choice([0, 0, 1, 2, 3])))))
    return products, needs


def timed_ms(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def _baseline_total(ix, product_rows, need_rows) -> int:
    """All-pairs: the sum over the needs of the best product score (0 if none covers)."""
    total = 0
    for ni in need_rows:
        best = None
        for r in product_rows:
            s = ix.score(r, ni)
            if s is not None and (best is None or s > best):
                best = s
        if best is not None:
            total += best
    return total


def baseline_top_producers(ix, distributor_id, k=10):
    """All-pairs: every producer against this distributor, every product × need scored."""
    lo, hi = ix.distributor_range[distributor_id]
    out = [(-total, prod) for prod, (plo, phi) in ix.producer_range.items()
           if (total := _baseline_total(ix, range(plo, phi), range(lo, hi)))]
    out.sort()
    return [(p, -t) for t, p in out[:k]]


def baseline_top_distributors(ix, producer_id, k=10):
    plo, phi = ix.producer_range[producer_id]
    out = [(-total, dist) for dist, (lo, hi) in ix.distributor_range.items()
           if (total := _baseline_total(ix, range(plo, phi), range(lo, hi)))]
    out.sort()
    return [(d, -t) for t, d in out[:k]]


def run_scale(tax, n_products, n_needs, n_distributors, queries, event_size, seed):
    n_producers = n_products // 20
    print(f"\n== {n_products:,} products from {n_producers:,} producers; {n_needs:,} needs "
          f"from {n_distributors:,} distributors ==")
    t, (products, needs) = timed_ms(lambda: make_catalogue(
        tax, n_products, n_producers, n_needs, n_distributors, seed))
    print(f"catalogue generated in {t / 1000:.1f} s")
    t, ix = timed_ms(lambda: MatchIndex.build(products, needs))
    lay = ix.layout
    entries = sum(len(anc) for anc in ix.p_anc)
    print(f"index build: {t / 1000:.2f} s ({len(lay.paths):,} category paths, "
          f"{len(lay.tab_ord):,} path × producer rows; {len(lay.under_rank):,} of {entries:,} "
          f"product × path entries kept, the others dominated)")
    cover = sorted(len(lay.under(c)[0]) for n in needs for c in n.category_paths[:1]
                   if c in lay.path_id)
    print(f"products covered by one need's first category: median {cover[len(cover) // 2]:,}, "
          f"p95 {percentile(cover, 0.95):,}, max {cover[-1]:,} "
          f"({cover[-1] / n_products:.0%} of all products)")
    rng = random.Random(seed + 1)
    dists = rng.sample(sorted(ix.distributor_range), min(queries, len(ix.distributor_range)))
    prods = rng.sample(sorted(ix.producer_range), min(queries, len(ix.producer_range)))
    for d in dists[:5]:
        ix.top_producers_for(d)
    d_times = [timed_ms(lambda d=d: ix.top_producers_for(d, k=10))[0] for d in dists]
    p_times = [timed_ms(lambda p=p: ix.top_distributors_for(p, k=10))[0] for p in prods]
    broad = [d for d in dists if any(
        len(lay.under(c)[0]) > n_products // 8
        for ni in range(*ix.distributor_range[d]) for c in ix.n_cats[ni])]
    b_times = [t for d, t in zip(dists, d_times, strict=True) if d in broad]

    def line(label, times):
        print(f"{label:<52} median {statistics.median(times):7.3f} ms   p95 "
              f"{percentile(times, 0.95):7.3f} ms   max {max(times):7.3f} ms   (n={len(times)})")

    line("top-10 producers for one distributor", d_times)
    if b_times:
        line("  ... distributors with a need over >1/8 of products", b_times)
    line("top-10 distributors for one producer", p_times)
    results = {"d_median": statistics.median(d_times), "d_p95": percentile(d_times, 0.95),
               "p_median": statistics.median(p_times), "p_p95": percentile(p_times, 0.95)}

    if event_size:
        half = event_size // 2
        ev_prods = rng.sample(sorted(ix.producer_range), min(half, len(ix.producer_range)))
        ev_dists = rng.sample(sorted(ix.distributor_range), min(half, len(ix.distributor_range)))

        def built_and_listed():
            ev = ix.restricted(ev_prods, ev_dists)
            return ev, ev.event_top_lists()

        # The headline: the event's index built (as the app's loader does for an event,
        # once per catalogue version and participants) and every list computed, 5 runs.
        runs = [timed_ms(built_and_listed) for _ in range(5)]
        t_both = statistics.median(t for t, _ in runs)
        ev, batch = runs[0][1]
        t_build = statistics.median(timed_ms(lambda: ix.restricted(ev_prods, ev_dists))[0]
                                    for _ in range(3))
        t_lists = statistics.median(timed_ms(ev.event_top_lists)[0] for _ in range(3))
        ix.event_top_lists(ev_prods[:2], ev_dists[:2])  # warm the platform index once
        t_platform = statistics.median(timed_ms(
            lambda: ix.event_top_lists(ev_prods, ev_dists))[0] for _ in range(3))

        def one_by_one():
            out = {}
            for d in ev_dists:
                out[("d", d)] = ev.top_producers_for(d, k=10)
            for p in ev_prods:
                out[("p", p)] = ev.top_distributors_for(p, k=10)
            return out

        t_each, lists = timed_ms(one_by_one)
        for d in ev_dists:
            assert batch.top_producers[d] == lists[("d", d)], d
        for p in ev_prods:
            assert batch.top_distributors[p] == lists[("p", p)], p
        n_sugg = sum(len(v) for v in lists.values())
        print(f"event of {len(ev_prods) + len(ev_dists):,} participants "
              f"({len(ev.products):,} products, {len(ev.needs):,} needs), {n_sugg:,} "
              f"suggestions with their reasons:")
        print(f"  event index build + every top-10 list (batch): median {t_both:,.0f} ms "
              f"(runs {', '.join(f'{t:,.0f}' for t, _ in runs)})")
        print(f"  ... the build alone {t_build:,.0f} ms, the lists alone {t_lists:,.0f} ms; "
              f"the lists on the platform index (participants given) {t_platform:,.0f} ms")
        print(f"  ... one query per participant on the event index: {t_each:,.0f} ms "
              f"(same lists, checked)")
        results["event_ms"] = t_each
        results["batch_ms"] = t_lists
        results["batch_build_ms"] = t_both
    return ix, dists, prods, d_times, p_times, results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 products")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    queries = 100 if args.quick else 500
    tax = Taxonomy()
    print("load average (1, 5, 15 min) at the start: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs")

    # Baseline comparison at 10,000 products.
    ix, dists, prods, d_times, p_times, _ = run_scale(
        tax, 10_000, 2_000, 500, queries=40 if args.quick else 100, event_size=0,
        seed=args.seed)
    sample = dists[:10 if args.quick else 25]
    base_d = []
    for d in sample:
        t, ref = timed_ms(lambda d=d: baseline_top_producers(ix, d))
        got = [(m.producer_id, m.score) for m in ix.top_producers_for(d)]
        assert got == ref, (d, got, ref)
        base_d.append(t)
    base_p = []
    for p in prods[:len(sample)]:
        t, ref = timed_ms(lambda p=p: baseline_top_distributors(ix, p))
        got = [(m.distributor_id, m.score) for m in ix.top_distributors_for(p)]
        assert got == ref, (p, got, ref)
        base_p.append(t)
    bd, bp = statistics.median(base_d), statistics.median(base_p)
    print(f"all-pairs baseline, top-10 for one distributor: median {bd:.1f} ms -> index is "
          f"{bd / statistics.median(d_times):,.0f} x faster (same results, checked)")
    print(f"all-pairs baseline, top-10 for one producer:    median {bp:.1f} ms -> index is "
          f"{bp / statistics.median(p_times):,.0f} x faster (same results, checked)")

    ratios = (f"index against the all-pairs baseline at 10,000 products: "
              f"{bd / statistics.median(d_times):,.0f} x faster for a distributor, "
              f"{bp / statistics.median(p_times):,.0f} x for a producer")
    _, _, _, _, _, r = run_scale(tax, 100_000, 20_000, 5_000, queries, 2_000, args.seed)
    verdicts = [ratios, f"top-10 for one distributor at 100,000 products: median "
                f"{r['d_median']:.2f} ms, p95 {r['d_p95']:.2f} ms (target < 2 ms: "
                f"{'meets' if r['d_p95'] < 2 else 'MISSES'})",
                f"event of 2,000 participants, the event index built and every top-10 list: "
                f"{r['batch_build_ms']:.0f} ms (target < 1 s: "
                f"{'meets' if r['batch_build_ms'] < 1000 else 'MISSES'}; the lists alone "
                f"{r['batch_ms']:.0f} ms; one query per participant {r['event_ms']:.0f} ms)"]
    if args.million:
        _, _, _, _, _, r = run_scale(tax, 1_000_000, 20_000, 5_000, queries, 2_000, args.seed)
        verdicts.append(f"top-10 for one distributor at 1,000,000 products: median "
                        f"{r['d_median']:.2f} ms, p95 {r['d_p95']:.2f} ms (target < 15 ms: "
                        f"{'meets' if r['d_p95'] < 15 else 'MISSES'})")
    print()
    for v in verdicts:
        print(v)
    print("load average at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
