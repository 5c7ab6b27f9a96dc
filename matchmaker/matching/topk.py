"""Top-k queries: a distributor's best producers, a producer's best distributors.

Both work the same way, in two steps:

1. **Bounds.** For every counterpart one of the viewer's categories covers, an upper bound of
   the pair score, computed in numpy from the per-path tables of :mod:`.layout` (one row per
   category path × producer, not per product). Per need and covering path: the best key
   under the path + the province points if the producer is (or may be) in a delivery
   province + the capacity and price points of its largest capacity and lowest price in
   the need's unit (the need's points for other units when higher) — and 0 when none of its
   products under the path holds the required OCOP stars or certification kinds. A need's
   bound is the largest over its paths; a pair's, the sum over the distributor's needs.
   Each term is at least the best score of any of the producer's products it stands for,
   so the bound is at least the pair score.
2. **Exact scores in bound order.** Counterparts are scored exactly (per need, the
   producer's best product by random access, :meth:`MatchIndex._best`) in (bound desc,
   id asc) order, keeping the k best by (score desc, id asc). Reading stops when the next
   bound ranks below the k-th best: every counterpart not yet scored totals at most its
   bound, and at an equal total has a larger id, so none could enter.

Cost: one vectorised pass over the covering table rows (at 100,000 products a few thousand
per need), then exact scores for about k + a few counterparts — the bounds are close, being
made of the counterpart's own best figures. Nothing is materialised per producer ×
distributor.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from matchmaker.matching.scoring import CAPACITY, PRICE, PRICE_STRADDLE, PROVINCE

if TYPE_CHECKING:
    from matchmaker.matching.index import Match, MatchIndex

#: The bound of a same-unit product when the figures are out of the safe int64 range
#: (``Layout.figures_ok`` false): large enough that such pairs are all scored exactly.
UNBOUNDED = 1 << 30


def unit_points(cap, pmin, vol, vol_known, target, target_known, figures_ok: bool):
    """Upper bound of the same-unit capacity + price points, elementwise (numpy arrays or
    scalars): exact capacity points, price points from the lowest price alone (as
    :func:`matchmaker.matching.scoring.price_bound`). Capacity −1 and price ``INF`` mean
    "not stated"; ``*_known`` false means the need leaves the criterion open."""
    if not figures_ok:
        return np.full(np.broadcast(cap, pmin, vol, target).shape, UNBOUNDED, dtype=np.int64)
    cap_pts = np.where(cap >= vol, CAPACITY, CAPACITY * np.maximum(cap, 0) // np.maximum(vol, 1))
    cap_pts = np.where(vol_known, cap_pts, CAPACITY)
    t = np.maximum(target, 1)  # (a target of 0 is handled below; no division by zero)
    above = np.maximum(0, PRICE_STRADDLE - (30 * (np.minimum(pmin, 2 * t) - t) + t - 1) // t)
    price = np.where(pmin <= target, PRICE, np.where(target > 0, above, 0))
    return cap_pts + np.where(target_known, price, PRICE)


def _in_bound_order(bound: np.ndarray, chunk: int) -> Iterator[tuple[int, int]]:
    """(bound, ordinal) of the non-zero entries in (bound desc, ordinal asc) order, sorting
    a chunk at a time (the caller usually stops within the first)."""
    cand = np.flatnonzero(bound)
    vals = bound[cand]
    while len(cand):
        if len(cand) > chunk:
            cut = np.partition(vals, len(vals) - chunk)[len(vals) - chunk]
            take = vals >= cut  # every tie of the cut: the rest are all below it
        else:
            take = np.ones(len(cand), dtype=bool)
        sel_c, sel_v = cand[take], vals[take]
        order = np.lexsort((sel_c, -sel_v))
        yield from zip(sel_v[order].tolist(), sel_c[order].tolist(), strict=True)
        cand, vals = cand[~take], vals[~take]


def _ordinals(ids: Iterable[int], ord_of: dict[int, int]) -> list[int]:
    return [o for i in ids if (o := ord_of.get(i)) is not None]


def _keep(bound: np.ndarray, ord_of: dict[int, int], exclude: Iterable[int],
          only: Iterable[int] | None) -> None:
    """Zero the bounds of excluded counterparts and of those not in ``only``."""
    if exclude:
        bound[_ordinals(exclude, ord_of)] = 0
    if only is not None:
        mask = np.zeros(len(bound), dtype=bool)
        mask[_ordinals(only, ord_of)] = True
        bound[~mask] = 0


def _best_k(ix: MatchIndex, bound: np.ndarray, ids: list[int], k: int,
            exact) -> list[tuple[int, int, list]]:
    """Step 2: the k best (total, id, per-need results) by exact scores read in bound
    order; ``exact(id, ordinal)`` returns (total, [(need rank, (score, rank) | None), …])."""
    top: list[tuple[int, int]] = []  # min-heap of (total, −id)
    found: dict[int, list] = {}
    for b, o in _in_bound_order(bound, 4 * k + 16):
        cid = ids[o]
        if len(top) >= k and (b, -cid) < top[0]:
            break
        total, per_need = exact(cid, o)
        found[cid] = per_need
        if total > 0:
            entry = (total, -cid)
            if len(top) < k:
                heapq.heappush(top, entry)
            elif entry > top[0]:
                heapq.heapreplace(top, entry)
    return [(total, -negid, found[-negid]) for total, negid in sorted(top, reverse=True)]


# ------------------------------------------------------------------ distributor side

def _producer_bounds(ix: MatchIndex, ni: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """(producer ordinals, bounds) of need ``ni`` over the producer table of path id ``c``."""
    lay = ix.layout
    a, b = lay.tab_off[c], lay.tab_off[c + 1]
    ords = lay.tab_ord[a:b]
    bound = lay.tab_key[a:b] + PROVINCE * lay.n_prov_ok[ni][lay.prod_prov[ords]]
    mm = ix.n_mm[ni]
    unit = lay.n_unit_l[ni]
    pos, cap, pmin = lay.unit_rows(c, unit) if unit >= 0 else (None, None, None)
    if pos is None or not len(pos):
        bound += mm
    else:
        vol, target = ix.n_vol[ni], ix.n_target[ni]
        pts = unit_points(cap, pmin, vol or 0, vol is not None, target or 0,
                          target is not None, lay.figures_ok)
        extra = np.full(b - a, mm, dtype=np.int64)
        extra[pos] = np.maximum(pts, mm)
        bound += extra
    rs, rbits = ix.n_rstars[ni], lay.n_rbits_l[ni]
    if rs:
        bound[lay.tab_stars[a:b] < rs] = 0
    if rbits:
        bound[(lay.tab_certs[a:b] & rbits) != rbits] = 0
    return ords, bound


def producer_bounds(ix: MatchIndex, distributor_id: int
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """Per producer ordinal, an upper bound of its pair score with the distributor (0: none
    of its needs covers a product that could qualify); and which of the needs may cover
    each producer (bit i: need rank lo + i), or None when it has more needs than bits."""
    lo, hi = ix.distributor_range.get(distributor_id, (0, 0))
    lay = ix.layout
    bound = np.zeros(len(lay.producer_ids), dtype=np.int64)
    cover = np.zeros(len(bound), dtype=np.int64) if hi - lo <= 62 else None
    for ni in range(lo, hi):
        paths = lay.n_paths[ni]
        if lay.n_never_l[ni] or not paths:
            continue
        if len(paths) == 1:
            ords, b = _producer_bounds(ix, ni, paths[0])
        else:  # a product's score comes through its closest path: the largest bound
            b = np.zeros(len(bound), dtype=np.int64)
            for c in paths:
                got, bc = _producer_bounds(ix, ni, c)
                b[got] = np.maximum(b[got], bc)
            ords = np.flatnonzero(b)
            b = b[ords]
        bound[ords] += b
        if cover is not None:
            cover[ords[b > 0]] |= 1 << (ni - lo)
    return bound, cover


def top_producers(ix: MatchIndex, distributor_id: int, k: int = 10,
                  exclude: Iterable[int] = frozenset(),
                  only: Iterable[int] | None = None) -> list[Match]:
    """See :meth:`MatchIndex.top_producers_for`."""
    lo, hi = ix.distributor_range.get(distributor_id, (0, 0))
    if k <= 0 or lo == hi or not ix.products:
        return []
    lay = ix.layout
    bound, cover = producer_bounds(ix, distributor_id)
    _keep(bound, lay.producer_ord, exclude, only)
    all_needs = range(lo, hi)

    def exact(prod: int, o: int) -> tuple[int, list]:
        if cover is None:
            per_need = [(ni, ix._best(prod, ni)) for ni in all_needs]
        else:  # random access only for the needs that may cover the producer
            bits = int(cover[o])
            per_need = [(ni, ix._best(prod, ni) if bits >> (ni - lo) & 1 else None)
                        for ni in all_needs]
        return sum(res[0] for _ni, res in per_need if res is not None), per_need

    return [ix._match(prod, distributor_id, total, per_need)
            for total, prod, per_need in _best_k(ix, bound, lay.producer_ids, k, exact)]


# --------------------------------------------------------------------- producer side

def _need_bounds(ix: MatchIndex, producer_id: int) -> np.ndarray:
    """Per need rank, a bound of the producer's best score for it (0: not covered): the
    producer's table rows (one per path it has products under) against the needs listing
    each row's path, all at once."""
    lay = ix.layout
    o = lay.producer_ord[producer_id]
    best = np.zeros(len(ix.needs), dtype=np.int64)
    rows = lay.prod_row[lay.prod_row_off[o]:lay.prod_row_off[o + 1]]
    paths = lay.tab_path[rows]
    counts = lay.needs_off[paths + 1] - lay.needs_off[paths]
    if not counts.sum():
        return best
    local = np.repeat(np.arange(len(rows)), counts)  # entry -> index into rows
    needs = lay.needs_rank[np.repeat(lay.needs_off[paths] - np.r_[0, np.cumsum(counts)[:-1]],
                                     counts) + np.arange(int(counts.sum()))]
    row = rows[local]
    bound = lay.tab_key[row] + PROVINCE * lay.n_prov_ok[needs, lay.prod_prov[o]]
    mm = lay.n_mm[needs]
    extra = mm.copy()
    # the largest capacity and lowest price per (row, unit), looked up by the needs' units
    n_units = max(1, len(lay.unit_codes))
    caps = np.full((len(rows), n_units), -2, dtype=np.int64)  # −2: no product in the unit
    prices = np.zeros((len(rows), n_units), dtype=np.int64)
    u_counts = lay.ru_off[rows + 1] - lay.ru_off[rows]
    if u_counts.sum():
        u_local = np.repeat(np.arange(len(rows)), u_counts)
        at = np.repeat(lay.ru_off[rows] - np.r_[0, np.cumsum(u_counts)[:-1]], u_counts) \
            + np.arange(int(u_counts.sum()))
        caps[u_local, lay.ru_unit[at]] = lay.ru_cap[at]
        prices[u_local, lay.ru_unit[at]] = lay.ru_pmin[at]
    n_unit = lay.n_unit[needs]
    same = n_unit >= 0
    same[same] = caps[local[same], n_unit[same]] != -2
    if same.any():
        sel = needs[same]
        pts = unit_points(caps[local[same], n_unit[same]], prices[local[same], n_unit[same]],
                          lay.n_vol[sel], lay.n_vol_known[sel], lay.n_target[sel],
                          lay.n_target_known[sel], lay.figures_ok)
        extra[same] = np.maximum(pts, mm[same])
    bound += extra
    rbits = lay.n_rbits[needs]
    fail = (lay.n_rstars[needs] > lay.tab_stars[row]) | lay.n_never[needs]
    fail |= (lay.tab_certs[row] & rbits) != rbits
    bound[fail] = 0
    np.maximum.at(best, needs, bound)
    return best


def distributor_bounds(ix: MatchIndex, producer_id: int) -> np.ndarray:
    """Per distributor ordinal, an upper bound of its pair score with the producer (0: none
    of its needs covers a product of the producer that could qualify)."""
    lay = ix.layout
    if producer_id not in lay.producer_ord:
        return np.zeros(len(lay.distributor_ids), dtype=np.int64)
    # (float weights: exact, the bounds being far below 2**53)
    return np.bincount(lay.n_dord, weights=_need_bounds(ix, producer_id),
                       minlength=len(lay.distributor_ids)).astype(np.int64)


def top_distributors(ix: MatchIndex, producer_id: int, k: int = 10,
                     exclude: Iterable[int] = frozenset(),
                     only: Iterable[int] | None = None) -> list[Match]:
    """See :meth:`MatchIndex.top_distributors_for`."""
    if k <= 0 or producer_id not in ix.producer_range or not ix.needs:
        return []
    lay = ix.layout
    bound = distributor_bounds(ix, producer_id)
    _keep(bound, lay.distributor_ord, exclude, only)

    def exact(dist: int, _o: int) -> tuple[int, list]:
        lo, hi = ix.distributor_range[dist]
        found = [(ni, ix._best(producer_id, ni)) for ni in range(lo, hi)]
        return sum(res[0] for _ni, res in found if res is not None), found

    return [ix._match(producer_id, dist, total, found)
            for total, dist, found in _best_k(ix, bound, lay.distributor_ids, k, exact)]
