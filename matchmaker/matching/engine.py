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

Why the fast top-k is exact (:mod:`matchmaker.matching.topk`). A distributor's query first
bounds, for every producer one of its needs' paths covers, the pair score from above, in
numpy over the per-path producer tables of :mod:`matchmaker.matching.layout` (one row per
path × producer): per need, the best key under the path (specificity + quality) + the
province points if the producer is or may be in a delivery province + the capacity and
price points of its largest capacity and lowest price in the need's unit (or the points the
need gives other units, when higher), 0 when no product there holds the required stars or
certification kinds; the largest over the need's paths; summed over the needs. Each term
is at least the score of any of the producer's products it stands for, since a score only
grows with the key, capacity and a lower price. Producers are then scored exactly (per need,
its best product by random access to its few products under the need's paths) in (bound
desc, producer id asc) order, keeping the k best by (score desc, producer id asc), until the
next bound ranks below the k-th: a producer not scored has score ≤ bound, and at an equal
score a larger id, so it cannot enter. The producer side is the same with distributors
(its products' paths against the needs listing them). The bounds are tight (a producer's
own best figures), so usually only a few more than k pairs are scored exactly.

Products that can never be their producer's best for a need under a path — another product
of the producer comes first in (−key, rank) order and is at least as good on every other
figure a score reads — are left out of the per-path lists (:meth:`Layout._dominated`); ties
still go to the lowest rank.

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
