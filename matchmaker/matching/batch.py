"""Every participant's top-k at once (an event's suggestion lists), vectorised with numpy.

Why a batch. An event's lists ask each producer × distributor pair twice (once from each
side), and per-participant queries (:meth:`MatchIndex.top_producers_for`) score covering
products one at a time in Python: for 2,000 participants that is seconds. Here every covering
product × need pair is scored once, as arrays, and aggregated:

1. needs are grouped by their category tuple; a group's covering products (participants
   only) are one array, sorted by rank, so one producer's products are contiguous;
2. for a group of m needs and L products, the scores are an m × L matrix (the need-side
   figures broadcast against the product-side ones, the same integer rules as
   :func:`matchmaker.matching.scoring.explain`), encoded as ``score × M − rank`` so that
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

from matchmaker.matching.scoring import CAPACITY, PRICE, PRICE_STRADDLE, PROVINCE

if TYPE_CHECKING:
    from matchmaker.matching.index import Match, MatchIndex

# Figures beyond this (đồng, units per month) could overflow the int64 price arithmetic
# (30 × excess): such an index falls back to per-participant queries.
FIGURE_MAX = 1 << 50


class EventTopLists(NamedTuple):
    """``top_producers[distributor id]`` = what :meth:`MatchIndex.top_producers_for` returns
    for it; ``top_distributors[producer id]`` likewise. Every participant asked for has an
    entry (an empty list when nothing matches)."""

    top_producers: dict[int, list[Match]]
    top_distributors: dict[int, list[Match]]


class _Arrays:
    """Per-rank figures of an index as numpy arrays (built once per index, on first use)."""

    def __init__(self, ix: MatchIndex):
        def ints(values, none=0):
            return np.array([none if v is None else v for v in values], dtype=np.int64)

        def known(values):
            return np.array([v is not None for v in values], dtype=bool)

        figures = [v for v in (*ix.p_cap, *ix.p_pmin, *ix.p_pmax, *ix.n_vol, *ix.n_target)
                   if v is not None]
        self.ok = all(-FIGURE_MAX < v < FIGURE_MAX for v in figures)
        # products
        self.p_prod = ints(ix.p_prod)
        self.p_first = ints([ix.producer_range[p][0] for p in ix.p_prod])
        self.p_quality = ints(ix.p_quality)
        self.p_stars = ints(ix.p_stars)
        self.p_cap, self.p_cap_known = ints(ix.p_cap), known(ix.p_cap)
        self.p_pmin, self.p_price_known = ints(ix.p_pmin), known(ix.p_pmin)
        self.p_high = ints([hi if hi is not None else lo
                            for lo, hi in zip(ix.p_pmin, ix.p_pmax, strict=True)])
        units: dict[str, int] = {}
        self.p_unit = ints([None if u is None else units.setdefault(u, len(units))
                            for u in ix.p_unit], none=-1)
        provinces: dict[object, int] = {}
        self.p_prov = ints([provinces.setdefault(q, len(provinces)) for q in ix.p_prov])
        # certifications: only the kinds some need requires matter, as sets ids
        required = sorted(set().union(*ix.n_rother)) if ix.n_rother else []
        kinds = frozenset(required)
        p_sets: dict[frozenset, int] = {}
        self.p_certs = ints([p_sets.setdefault(s & kinds, len(p_sets)) for s in ix.p_other])
        n_sets: dict[frozenset, int] = {}
        self.n_certs = ints([n_sets.setdefault(s, len(n_sets)) for s in ix.n_rother])
        # cert_ok[need set, product set]: the need's required kinds are all held
        self.cert_ok = np.array([[ns <= ps for ps in p_sets] for ns in n_sets], dtype=bool)
        # needs
        self.n_dist = ints(ix.n_dist)
        self.n_first = ints([ix.distributor_range[d][0] for d in ix.n_dist])
        self.n_rstars = ints(ix.n_rstars)
        self.n_unit = ints([None if u is None else units.get(u, -2) for u in ix.n_unit],
                           none=-1)
        self.n_vol, self.n_vol_known = ints(ix.n_vol), known(ix.n_vol)
        self.n_target, self.n_target_known = ints(ix.n_target), known(ix.n_target)
        self.n_mm = ints(ix.n_mm)
        # n_prov_ok[need, province index]: the product earns the province points
        self.n_prov_ok = np.zeros((len(ix.n_provs), max(1, len(provinces))), dtype=bool)
        for ni, provs in enumerate(ix.n_provs):
            if not provs:
                self.n_prov_ok[ni, :] = True
            else:
                for q in provs:
                    qi = provinces.get(q)
                    if qi is not None:
                        self.n_prov_ok[ni, qi] = True
        self.paths: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def under(self, ix: MatchIndex, path: str) -> tuple[np.ndarray, np.ndarray]:
        """(ranks, keys) of the products under ``path``, in rank order (cached)."""
        got = self.paths.get(path)
        if got is None:
            lst = ix.plists.get((path, None, None))
            if lst is None:
                got = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
            else:
                ranks = np.array(lst.items, dtype=np.int64)
                keys = np.array(lst.keys, dtype=np.int64)
                order = np.argsort(ranks, kind="stable")
                got = (ranks[order], keys[order])
            self.paths[path] = got
        return got


def arrays(ix: MatchIndex) -> _Arrays:
    """The index's arrays, built on first use (an index is immutable once built)."""
    if ix._arrays is None:
        ix._arrays = _Arrays(ix)
    return ix._arrays


def _group_products(ix: MatchIndex, a: _Arrays, cats: tuple[str, ...],
                    member: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, keys) of the participating products under any of ``cats``, in rank order;
    a product under several keeps its best key (its closest category)."""
    parts = [a.under(ix, c) for c in cats]
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


def _best_codes(a: _Arrays, needs: np.ndarray, ranks: np.ndarray, keys: np.ndarray,
                big: int) -> np.ndarray:
    """m × L matrix of ``score × big − rank`` (−1: the product fails a hard rule)."""
    col = (slice(None), None)
    stars = a.p_stars[ranks]
    ok = stars[None, :] >= a.n_rstars[needs][col]
    ok &= a.cert_ok[a.n_certs[needs]][:, a.p_certs[ranks]]
    s = keys[None, :] + PROVINCE * a.n_prov_ok[needs][:, a.p_prov[ranks]]
    n_unit = a.n_unit[needs]
    mm = a.n_mm[needs][col]
    sensitive = n_unit >= 0
    if sensitive.any():
        same = a.p_unit[ranks][None, :] == n_unit[col]
        same &= sensitive[col]
        vol, vol_known = a.n_vol[needs][col], a.n_vol_known[needs][col]
        cap, cap_known = a.p_cap[ranks][None, :], a.p_cap_known[ranks][None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            cap_pts = np.where(cap >= vol, CAPACITY,
                               CAPACITY * cap // np.where(vol == 0, 1, vol))
        cap_pts = np.where(vol_known, np.where(cap_known, cap_pts, 0), CAPACITY)
        target, t_known = a.n_target[needs][col], a.n_target_known[needs][col]
        pmin, high = a.p_pmin[ranks][None, :], a.p_high[ranks][None, :]
        t_safe = np.where(target <= 0, 1, target)
        above = np.maximum(0, PRICE_STRADDLE - (30 * (pmin - target) + t_safe - 1) // t_safe)
        above = np.where(target <= 0, 0, above)
        price_pts = np.where(high <= target, PRICE,
                             np.where(pmin <= target, PRICE_STRADDLE, above))
        price_pts = np.where(a.p_price_known[ranks][None, :], price_pts, 0)
        price_pts = np.where(t_known, price_pts, PRICE)
        s += np.where(same, cap_pts + price_pts, mm)
    else:
        s += mm
    return np.where(ok, s * big - ranks[None, :], -1)


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
    a = arrays(ix)
    exclude = frozenset(exclude)
    hide_d = exclude | frozenset(hidden_from_distributors)  # (p, d) not in d's list
    hide_p = exclude | frozenset(hidden_from_producers)  # (p, d) not in p's list
    if not a.ok:  # figures too large for int64 arithmetic: the per-participant queries
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
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for d in dist_ids:
        for ni in range(*ix.distributor_range.get(d, (0, 0))):
            groups[ix.n_cats[ni]].append(ni)

    # 1–2. Best product per (need, producer): need ranks, producer ids, codes.
    big = n_products + 1
    got_need, got_prod, got_code = [], [], []
    for cats, nis in groups.items():
        ranks, keys = _group_products(ix, a, cats, member)
        if not len(ranks):
            continue
        prods = a.p_prod[ranks]
        starts = np.flatnonzero(np.r_[True, prods[1:] != prods[:-1]])
        needs = np.array(nis, dtype=np.int64)
        # bounded blocks of needs keep the m × L temporaries small
        step = max(1, (1 << 19) // len(ranks))
        for b in range(0, len(needs), step):
            block = needs[b:b + step]
            best = np.maximum.reduceat(_best_codes(a, block, ranks, keys, big), starts, axis=1)
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
    # are ordered by their first rank (the same order as their ids).
    n_needs = len(ix.needs)
    d_ord, p_ord = a.n_first[need], a.p_first[rank]
    order = _argsort([(d_ord, n_needs), (p_ord, n_products), (need, n_needs)])
    need, prod, score, rank, d_ord, p_ord = (
        x[order] for x in (need, prod, score, rank, d_ord, p_ord))
    dist = a.n_dist[need]
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
    chosen_d = firsts(pair_do, n_needs, pair_po, n_products, kept(hide_d))
    chosen_p = firsts(pair_po, n_products, pair_do, n_needs, kept(hide_p))

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
