"""Matching engine (issue 5, DESIGN §3): pure functions over plain records.

A loader turns the database rows into :class:`ProductRecord` (active products, with the
producer's province) and :class:`NeedRecord` (active needs), builds a :class:`MatchIndex`
once, and asks it::

    index = MatchIndex.build(products, needs)
    index.top_producers_for(distributor_id, k=10, exclude=..., only_producers=...)
    index.top_distributors_for(producer_id, k=10, exclude=..., only_distributors=...)
    event = index.restricted(approved_producers, approved_distributors)
    event.event_pairs(exclude={(producer_id, distributor_id), ...})   # organiser's list
    lists = index.event_top_lists(producers, distributors, k=10, exclude=pairs)
    lists.top_producers[distributor_id], lists.top_distributors[producer_id]  # all at once

Each :class:`Match` carries, per need, the producer's best product, its score and its
:class:`Reason` list (codes + params, for the UI to translate; :func:`describe` gives
English for the CLI). Scoring rules: :mod:`matchmaker.matching.scoring`.

Covering. A need covers a product when one of the need's category paths is an
ancestor-or-self of one of the product's: a prefix ending at a ``/`` (``hs/IV/21/210`` does
not cover ``hs/IV/21/2103``). The index lists every product under every ancestor prefix of its
paths, so a query only ever reaches covering products.

Why the fast top-k is exact. Write s(p, n) = key_C(p) + d(p, n), with key_C the
need-independent part (specificity under the need's category C + quality) and d the
province/capacity/price part. Each list the stream of need n merges is sorted by
(−key_C, rank) and has, at its head, a bound β = key_head + (province points every product
of the list earns or not) + (capacity and price points the list's suffix can at best earn:
suffix max capacity, suffix min price). Every product not yet taken from a list it belongs to
scores at most that list's β, and at least one list containing it is "valid" for it (its
category gives the product's best specificity; its province and unit split gives the right
province and unit points). Ties: if such a product scored exactly β its key equals the head's,
so it comes after the head in rank order. Hence once a scored candidate's (−score, rank) is
below every head's (−β, head rank), no untaken product can precede it, and the stream is in
exact (score desc, rank asc) order; the first product of each producer gives that producer's
best score for the need, in (best desc, producer id asc) order.

The distributor's top-k is then Fagin's threshold algorithm with one refinement. Every
producer not met yet is bounded by its *coverage signature*, which of the distributor's needs
have a category it has products under (per-category producer sets, intersected). A producer
covered by one need n totals at most stream n's next value b_n (exact: streams are settled
before they are read). Producers covered by several needs (a mask M) total at most
Σ_{n∈M} b_n, or, once the group is the most promising, at most a per-producer bound (best key
under each need's categories + province points + the capacity/price points of its best
capacity and lowest price in the need's unit; 0 for a need whose required stars or
certifications none of its products hold); the group is then read in that bound's order. The
best source is read next: a stream pops its next producer (whose total is exact at once when
it is covered by that need alone; otherwise the other needs of its mask are computed by random
access over its own products under their categories), a group resolves its best member.
Reading stops when the k-th best (total, −producer) ranks above every source's (bound,
−frontier producer): a producer not met yet that equals a source's bound sits at that source's
frontier, so its id is at least the frontier's. The producer side is the same with one merged
stream of the needs covering the producer's products, and distributors with several covering
needs kept in a heap by the sum of their needs' upper bounds.

:meth:`MatchIndex.event_top_lists` computes every participant's top-k at once (an event's
lists): each covering product × need pair is scored once, vectorised with numpy, instead of
twice (once from each side) one product at a time; see :mod:`matchmaker.matching.batch`.

:func:`all_pairs` and :func:`brute_top_producers` / :func:`brute_top_distributors` are the
straightforward reference (every producer × distributor, every product × need), used by the
tests and as the benchmark's baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from matchmaker.matching.batch import EventTopLists
from matchmaker.matching.index import Match, MatchIndex, PairMatch, Trace
from matchmaker.matching.scoring import (
    NeedRecord,
    ProductRecord,
    Reason,
    covers,
    describe,
    explain,
    qualifies,
    score,
)

__all__ = [
    "EventTopLists", "Match", "MatchIndex", "NeedRecord", "PairMatch", "ProductRecord",
    "Reason", "Trace", "all_pairs", "brute_top_distributors", "brute_top_producers", "covers",
    "describe", "explain", "qualifies", "score",
]


def all_pairs(products: Iterable[ProductRecord], needs: Iterable[NeedRecord],
              exclude: Iterable[tuple[int, int]] = frozenset()) -> dict[tuple[int, int], Match]:
    """Reference: every producer × distributor, scoring every product × need."""
    by_producer: dict[int, list[ProductRecord]] = defaultdict(list)
    for p in sorted(products, key=lambda p: (p.producer_id, p.id)):
        by_producer[p.producer_id].append(p)
    by_distributor: dict[int, list[NeedRecord]] = defaultdict(list)
    for n in sorted(needs, key=lambda n: (n.distributor_id, n.id)):
        by_distributor[n.distributor_id].append(n)
    exclude = frozenset(exclude)
    out = {}
    for prod, plist in by_producer.items():
        for dist, nlist in by_distributor.items():
            if (prod, dist) in exclude:
                continue
            pairs = []
            for n in nlist:
                best = None
                for p in plist:
                    res = explain(p, n)
                    if res is not None and (best is None or res[0] > best[0]):
                        best = (res[0], p, res[1])
                if best is not None:
                    pairs.append(PairMatch(best[1].id, n.id, best[0], tuple(best[2])))
            if pairs:
                out[(prod, dist)] = Match(prod, dist, sum(x.score for x in pairs), tuple(pairs))
    return out


def brute_top_producers(pairs: dict[tuple[int, int], Match], distributor_id: int, k: int = 10,
                        exclude: Iterable[int] = frozenset(),
                        only_producers: Iterable[int] | None = None) -> list[Match]:
    exclude = frozenset(exclude)
    only = None if only_producers is None else frozenset(only_producers)
    found = [m for (p, d), m in pairs.items() if d == distributor_id and p not in exclude
             and (only is None or p in only)]
    return sorted(found, key=lambda m: (-m.score, m.producer_id))[:k]


def brute_top_distributors(pairs: dict[tuple[int, int], Match], producer_id: int,
                           k: int = 10, exclude: Iterable[int] = frozenset(),
                           only_distributors: Iterable[int] | None = None) -> list[Match]:
    exclude = frozenset(exclude)
    only = None if only_distributors is None else frozenset(only_distributors)
    found = [m for (p, d), m in pairs.items() if p == producer_id and d not in exclude
             and (only is None or d in only)]
    return sorted(found, key=lambda m: (-m.score, m.distributor_id))[:k]
