"""Every participant's top-k at once (an event's suggestion lists), vectorised with numpy.

Why a batch. An event's lists ask each producer × distributor pair twice (once from each
side), and per-participant queries (:meth:`MatchIndex.top_producers_for`) score covering
products one at a time in Python: for 2,000 participants that is seconds. Here every covering
product × need pair is scored once, as arrays, and aggregated:

1. needs are grouped by their categories and unit; a group's covering products
   (participants only; none of the dominated ones :mod:`.layout` leaves out) are one
   array, sorted by rank, so one producer's products are contiguous;
2. for a group of m needs and L products, the scores are an m × L matrix (the need-side
   figures broadcast against the product-side ones, the same integer rules as
   :func:`matchmaker.matching.scoring.explain`; capacity and price only for the columns in
   the group's unit), encoded as ``score × M − rank`` so that
   ``np.maximum.reduceat`` over a producer's columns gives its best product for each need
   (highest score, lowest rank on ties, as :meth:`MatchIndex._best`);
3. the (need, producer) bests are summed per (distributor, producer) pair, exclusions
   dropped, and each participant's k best kept by sorting (score desc, counterpart id asc);
4. only the pairs kept become :class:`Match` objects, with reasons from ``explain``, each
   pair explained once for both sides' lists.

The work grows with the covering product × need pairs among the participants (never with
producers × distributors), in C rather than Python. Results equal the per-participant
queries; the tests check it against the all-pairs reference.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from matchmaker.matching.layout import Layout
from matchmaker.matching.scoring import CAPACITY, PRICE, PRICE_STRADDLE, PROVINCE

if TYPE_CHECKING:
    from matchmaker.matching.index import Match, MatchIndex


class EventTopLists(NamedTuple):
    """``top_producers[distributor id]`` = what :meth:`MatchIndex.top_producers_for` returns
    for it; ``top_distributors[producer id]`` likewise. Every participant asked for has an
    entry (an empty list when nothing matches)."""

    top_producers: dict[int, list[Match]]
    top_distributors: dict[int, list[Match]]


def _group_products(lay: Layout, cats: tuple[str, ...],
                    member: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, keys) of the participating products under any of ``cats``, in rank order;
    a product under several keeps its best key (its closest category)."""
    parts = [lay.under(c) for c in cats]
    if len(parts) == 1:
        ranks, keys = parts[0]
    else:
        ranks = np.concatenate([p[0] for p in parts])
        keys = np.concatenate([p[1] for p in parts])
        order = np.lexsort((-keys, ranks))
        ranks, keys = ranks[order], keys[order]
        first = np.ones(len(ranks), dtype=bool)
        first[1:] = ranks[1:] != ranks[:-1]
        ranks, keys = ranks[first], keys[first]
    if member is not None and len(ranks):
        keep = member[ranks]
        ranks, keys = ranks[keep], keys[keep]
    return ranks, keys


def _best_codes(lay: Layout, needs: np.ndarray, unit: int, ranks: np.ndarray,
                keys: np.ndarray, same: np.ndarray, big: int) -> np.ndarray:
    """m × L matrix of ``score × big − rank`` (−1: the product fails a hard rule), by the
    integer rules of :func:`matchmaker.matching.scoring.explain`. The needs share the unit
    ``unit`` (−1: none that counts); ``same`` lists the columns of products in it, the only
    ones whose capacity and price are compared."""
    col = (slice(None), None)
    mm = lay.n_mm[needs][col]
    s = keys[None, :] + PROVINCE * lay.n_prov_ok[needs][:, lay.p_prov[ranks]] + mm
    if unit >= 0 and len(same):
        r = ranks[same]
        vol, vol_known = lay.n_vol[needs][col], lay.n_vol_known[needs][col]
        cap = lay.p_cap[r][None, :]  # −1: not stated (0 points)
        cap_pts = np.where(cap >= vol, CAPACITY,
                           CAPACITY * np.maximum(cap, 0) // np.maximum(vol, 1))
        cap_pts = np.where(vol_known, cap_pts, CAPACITY)
        target, t_known = lay.n_target[needs][col], lay.n_target_known[needs][col]
        pmin, high = lay.p_pmin[r][None, :], lay.p_high[r][None, :]  # INF: no price
        t = np.maximum(target, 1)  # (no division by zero; a 0 target is handled below)
        above = np.maximum(0, PRICE_STRADDLE
                           - (30 * (np.minimum(pmin, 2 * t) - t) + t - 1) // t)
        price_pts = np.where(high <= target, PRICE, np.where(
            pmin <= target, PRICE_STRADDLE, np.where(target > 0, above, 0)))
        price_pts = np.where(t_known, price_pts, PRICE)
        s[:, same] += cap_pts + price_pts - mm
    codes = s * big - ranks[None, :]
    rstars = lay.n_rstars[needs]
    if rstars.any():
        codes[lay.p_stars[ranks][None, :] < rstars[col]] = -1
    rbits = lay.n_rbits[needs]
    if rbits.any():
        codes[(lay.p_certs[ranks][None, :] & rbits[col]) != rbits[col]] = -1
    codes[lay.n_never[needs]] = -1
    return codes


def _argsort(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Indices sorting by ``columns`` (values in [0, bound), most significant first): one
    argsort of a combined int64 key (several times faster than ``np.lexsort``) when the
    bounds' product fits, else ``np.lexsort``."""
    size = 1
    for _values, bound in columns:
        size *= max(1, bound)
    if size >= 1 << 62:
        return np.lexsort([values for values, _bound in reversed(columns)])
    code = np.zeros(len(columns[0][0]), dtype=np.int64)
    for values, bound in columns:
        code = code * max(1, bound) + values
    return np.argsort(code, kind="stable")


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while a burst of small objects is made.

    Building 20,000 matches makes ~150,000 surviving objects (matches, pairs, tuples; reasons
    are shared, see ``scoring._r``), none in reference cycles. With the collector on, the
    burst runs ~100 young collections and, as the survivors pass a quarter of the objects
    the process holds, a full collection over everything (a platform index of 100,000
    products is ~0.3 s of it). Paused, the young collections become one; the full one may
    still follow, once. Reference counting frees everything as usual meanwhile."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def event_top_lists(ix: MatchIndex, producers: Iterable[int] | None = None,
                    distributors: Iterable[int] | None = None, k: int = 10,
                    exclude: Iterable[tuple[int, int]] = frozenset(),
                    hidden_from_distributors: Iterable[tuple[int, int]] = frozenset(),
                    hidden_from_producers: Iterable[tuple[int, int]] = frozenset(),
                    ) -> EventTopLists:
    """See :meth:`MatchIndex.event_top_lists`."""
    prod_ids = sorted(ix.producer_range) if producers is None else sorted(set(producers))
    dist_ids = sorted(ix.distributor_range) if distributors is None \
        else sorted(set(distributors))
    top_p: dict[int, list[Match]] = {d: [] for d in dist_ids}
    top_d: dict[int, list[Match]] = {p: [] for p in prod_ids}
    if k <= 0 or not ix.products or not ix.needs:
        return EventTopLists(top_p, top_d)
    lay = ix.layout
    exclude = frozenset(exclude)
    hide_d = exclude | frozenset(hidden_from_distributors)  # (p, d) not in d's list
    hide_p = exclude | frozenset(hidden_from_producers)  # (p, d) not in p's list
    if not (lay.figures_ok and lay.exact_kinds):  # beyond the int64 arithmetic / bit masks:
        # the per-participant queries
        only_p, only_d = frozenset(prod_ids), frozenset(dist_ids)
        ex_p, ex_d = defaultdict(set), defaultdict(set)
        for p, d in hide_d:
            ex_p[d].add(p)
        for p, d in hide_p:
            ex_d[p].add(d)
        for d in dist_ids:
            top_p[d] = ix.top_producers_for(d, k, ex_p[d], only_p)
        for p in prod_ids:
            top_d[p] = ix.top_distributors_for(p, k, ex_d[p], only_d)
        return EventTopLists(top_p, top_d)

    n_products = len(ix.products)
    member = None
    if producers is not None:
        member = np.zeros(n_products, dtype=bool)
        for p in prod_ids:
            lo, hi = ix.producer_range.get(p, (0, 0))
            member[lo:hi] = True
    # needs with the same categories and unit share their products and unit columns
    groups: dict[tuple[tuple[str, ...], int], list[int]] = defaultdict(list)
    for d in dist_ids:
        for ni in range(*ix.distributor_range.get(d, (0, 0))):
            groups[(ix.n_cats[ni], lay.n_unit_l[ni])].append(ni)

    # 1–2. Best product per (need, producer): need ranks, producer ids, codes.
    big = n_products + 1
    got_need, got_prod, got_code = [], [], []
    for (cats, unit), nis in groups.items():
        ranks, keys = _group_products(lay, cats, member)
        if not len(ranks):
            continue
        same = np.flatnonzero(lay.p_unit[ranks] == unit) if unit >= 0 else ranks[:0]
        prods = lay.p_ord[ranks]  # producer ordinals
        starts = np.flatnonzero(np.r_[True, prods[1:] != prods[:-1]])
        needs = np.array(nis, dtype=np.int64)
        # bounded blocks of needs keep the m × L temporaries small
        step = max(1, (1 << 19) // len(ranks))
        for b in range(0, len(needs), step):
            block = needs[b:b + step]
            best = np.maximum.reduceat(_best_codes(lay, block, unit, ranks, keys, same, big),
                                       starts, axis=1)
            i, j = np.nonzero(best > 0)
            got_need.append(block[i])
            got_prod.append(prods[starts[j]])
            got_code.append(best[i, j])
    need = np.concatenate(got_need) if got_need else np.zeros(0, dtype=np.int64)
    if not len(need):  # nothing matches
        return EventTopLists(top_p, top_d)
    prod = np.concatenate(got_prod)
    code = np.concatenate(got_code)
    score = -((-code) // big)
    rank = score * big - code

    # 3. Totals per (distributor, producer), exclusions dropped. Producers and distributors
    # are ordered by their ordinals (the same order as their ids).
    n_needs, n_prod, n_dist = len(ix.needs), len(lay.producer_ids), len(lay.distributor_ids)
    d_ord, p_ord = lay.n_dord[need], prod
    order = _argsort([(d_ord, n_dist), (p_ord, n_prod), (need, n_needs)])
    need, score, rank, d_ord, p_ord = (x[order] for x in (need, score, rank, d_ord, p_ord))
    prod = lay.producer_id_arr[p_ord]
    dist = lay.distributor_id_arr[d_ord]
    first = np.r_[True, (p_ord[1:] != p_ord[:-1]) | (d_ord[1:] != d_ord[:-1])]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(need)]
    pair_p, pair_d = prod[starts], dist[starts]
    pair_po, pair_do = p_ord[starts], d_ord[starts]
    total = np.add.reduceat(score, starts)
    def kept(hidden: frozenset) -> np.ndarray:
        if not hidden:
            return np.ones(len(starts), dtype=bool)
        return np.array([(p, d) not in hidden
                         for p, d in zip(pair_p.tolist(), pair_d.tolist(), strict=True)],
                        dtype=bool)

    # k best per participant: sort by (participant, −total, counterpart), keep the first k.
    t_max = int(total.max()) + 1

    def firsts(owner: np.ndarray, n_owner: int, other: np.ndarray, n_other: int,
               keep: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(keep)
        idx = idx[_argsort([(owner[idx], n_owner), (t_max - total[idx], t_max + 1),
                            (other[idx], n_other)])]
        own = owner[idx]
        head = np.flatnonzero(np.r_[True, own[1:] != own[:-1]])
        pos = np.arange(len(idx)) - np.repeat(head, np.diff(np.r_[head, len(idx)]))
        return idx[pos < k]

    # distributor lists, then producer lists, each in order
    chosen_d = firsts(pair_do, n_dist, pair_po, n_prod, kept(hide_d))
    chosen_p = firsts(pair_po, n_prod, pair_do, n_dist, kept(hide_p))

    # 4. Match objects, each pair built once, from the chosen pairs' (need, best) entries.
    chosen = np.union1d(chosen_d, chosen_p)
    lengths = ends[chosen] - starts[chosen]
    entry = np.repeat(starts[chosen] - np.r_[0, np.cumsum(lengths)[:-1]], lengths) \
        + np.arange(int(lengths.sum()))
    e_need, e_score, e_rank = need[entry].tolist(), score[entry].tolist(), rank[entry].tolist()
    e_end = np.cumsum(lengths).tolist()
    where = dict(zip(chosen.tolist(), range(len(chosen)), strict=True))
    pp_l, pd_l, total_l = pair_p[chosen].tolist(), pair_d[chosen].tolist(), \
        total[chosen].tolist()
    made: dict[int, Match] = {}

    def match(x: int) -> Match:
        m = made.get(x)
        if m is None:
            c = where[x]
            per_need = [(e_need[y], (e_score[y], e_rank[y]))
                        for y in range(e_end[c - 1] if c else 0, e_end[c])]
            m = made[x] = ix._match(pp_l[c], pd_l[c], total_l[c], per_need)
        return m

    with _gc_paused():
        for x in chosen_d.tolist():
            m = match(x)
            top_p[m.distributor_id].append(m)
        for x in chosen_p.tolist():
            m = match(x)
            top_d[m.producer_id].append(m)
    return EventTopLists(top_p, top_d)
