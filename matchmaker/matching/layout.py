"""The index's arrays: records → numpy, built once per index (see :mod:`.index`).

Ranks. Products are ranked by (producer id, product id) and needs by (distributor id, need
id): a rank order is the tie-break order, and one producer's products (one distributor's
needs) are a contiguous range. Producers and distributors get *ordinals* (0, 1, … in id
order), so dense arrays can be indexed by them.

Entries. One per (product, ancestor-or-self path ``C`` of one of its paths), with the
product's *key* under ``C``: specificity of its closest path below ``C`` + quality, the
need-independent part of any score through ``C``. Entries no need could ever prefer are
dropped (:meth:`Layout._dominated`). Per path the layout keeps:

* the products under ``C`` in rank order with their keys (:meth:`Layout.under`: the batch,
  the organiser's pair list);
* a *producer table*: one row per producer with products under ``C`` (ordinal order): best
  key, best OCOP stars, the certification kinds held, and per unit the largest capacity and
  lowest price — what an upper bound of a producer's score needs (:mod:`.topk`);
* per row, its products in (−key, rank) order: what random access to one producer's best
  product reads (:meth:`~matchmaker.matching.index.MatchIndex._best`);
* the needs listing ``C`` among their categories (:meth:`Layout.needs_at`).

Certification kinds are bits; only the kinds some need requires matter. Figures (capacity,
volume, prices) outside [0, :data:`FIGURE_MAX`] make ``figures_ok`` false: the vectorised
arithmetic could overflow, so the batch falls back to per-participant queries and bounds
become "unbounded" (every such pair is scored exactly: slow, still right).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from matchmaker.matching.scoring import SPECIFICITY, ancestors, depth

INF = 1 << 62
#: Figures (đồng, units per month) the int64 arithmetic handles exactly (30 × excess fits).
FIGURE_MAX = 1 << 50
#: Required certification kinds a bit mask holds (the schema has a dozen kinds); beyond
#: this the bounds ignore the extra kinds (still upper bounds) and the batch falls back.
KIND_BITS = 62
#: How many entries before it an entry is compared with when looking for one that makes
#: it useless (:meth:`Layout._dominated`): a bounded cost; missing one only keeps it.
DOMINANCE_WINDOW = 16
SPEC = np.array(SPECIFICITY + (SPECIFICITY[-1],) * 64, dtype=np.int64)


@lru_cache(maxsize=1 << 14)
def ancestry(paths: tuple[str, ...]) -> dict[str, int]:
    """Ancestor-or-self path → smallest depth gap to one of ``paths`` (shared, read-only)."""
    anc: dict[str, int] = {}
    for x in paths:
        dx = depth(x)
        for c in ancestors(x):
            gap = dx - depth(c)
            if anc.get(c, INF) > gap:
                anc[c] = gap
    return anc


def _ints(values: list, none: int = 0) -> np.ndarray:
    return np.array([none if v is None else v for v in values], dtype=np.int64)


def _codes(values, keep_none: bool = False) -> dict:
    """Distinct values → 0, 1, … in order of appearance (None left out unless kept)."""
    distinct = dict.fromkeys(values)
    if not keep_none:
        distinct.pop(None, None)
    return {v: i for i, v in enumerate(distinct)}


def _lookup(table: dict, values) -> list:
    """``table[v]`` for each value (None for a value not in the table)."""
    get = table.get
    return [get(v) for v in values]


def _figures(values: list, none: int) -> tuple[np.ndarray, bool]:
    """int64 array of figures (``none`` for None) and whether all lie in [0, FIGURE_MAX]."""
    known = np.array([v is not None for v in values], dtype=bool)
    try:
        arr = _ints(values, none)
    except OverflowError:  # beyond int64: clipped, and flagged
        return _ints([None if v is None else max(-INF, min(INF, v)) for v in values],
                     none), False
    figures = arr[known]
    return arr, bool(((figures >= 0) & (figures <= FIGURE_MAX)).all())


def _groups(sorted_keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _offsets(sorted_keys: np.ndarray, n: int) -> np.ndarray:
    """``off[i]:off[i + 1]`` is the run of value ``i`` in a sorted array of values < n."""
    return np.searchsorted(sorted_keys, np.arange(n + 1))


class Layout:
    """Arrays of one :class:`~matchmaker.matching.index.MatchIndex`; read by :mod:`.topk`,
    :mod:`.batch` and the index's random access, never changed after ``__init__``."""

    def __init__(self, ix) -> None:
        self.producer_ids = sorted(ix.producer_range)
        self.distributor_ids = sorted(ix.distributor_range)
        self.producer_ord = {p: i for i, p in enumerate(self.producer_ids)}
        self.distributor_ord = {d: i for i, d in enumerate(self.distributor_ids)}
        self.producer_id_arr = np.array(self.producer_ids, dtype=np.int64)
        self.distributor_id_arr = np.array(self.distributor_ids, dtype=np.int64)
        self._products(ix)
        self._needs(ix)
        self._paths(ix)
        self._needs_at(ix)

    # --------------------------------------------------------------- records
    def _products(self, ix) -> None:
        """Per product rank: producer ordinal, quality, stars, unit code, capacity (−1: not
        stated), lowest and highest price (INF: not stated), province index; per producer
        its province index, or ``n_prov`` when its products are in several."""
        sizes = [ix.producer_range[p][1] - ix.producer_range[p][0] for p in self.producer_ids]
        self.p_ord = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        self.p_quality = _ints(ix.p_quality)
        self.p_stars = _ints(ix.p_stars)
        self.unit_codes = _codes(ix.p_unit)
        self.p_unit = _ints(_lookup(self.unit_codes, ix.p_unit), -1)
        self.p_cap, cap_ok = _figures(ix.p_cap, -1)
        self.p_pmin, pmin_ok = _figures(ix.p_pmin, INF)
        self.p_high, high_ok = _figures([hi if hi is not None else lo for lo, hi
                                         in zip(ix.p_pmin, ix.p_pmax, strict=True)], INF)
        self.figures_ok = cap_ok and pmin_ok and high_ok
        self.province_index = _codes(ix.p_prov, keep_none=True)
        self.p_prov = _ints(_lookup(self.province_index, ix.p_prov))
        self.n_prov = len(self.province_index)
        self.prod_prov = np.zeros(len(sizes), dtype=np.int64)
        if len(sizes):
            starts = np.r_[0, np.cumsum(sizes)[:-1]]
            low = np.minimum.reduceat(self.p_prov, starts)
            high = np.maximum.reduceat(self.p_prov, starts)
            self.prod_prov = np.where(low == high, low, self.n_prov)
        # Certification kinds some need requires, as bits.
        required = sorted(set().union(*ix.n_rother))
        self.kind_bit = {kind: 1 << i for i, kind in enumerate(required[:KIND_BITS])}
        self.exact_kinds = len(required) <= KIND_BITS
        self.p_certs = _ints(_lookup({s: self._bits(s) for s in set(ix.p_other)},
                                     ix.p_other))

    def _bits(self, kinds: frozenset[str]) -> int:
        bits = 0
        for kind in kinds:
            bits |= self.kind_bit.get(kind, 0)
        return bits

    def _needs(self, ix) -> None:
        """Per need rank: distributor ordinal, hard rules (stars, kinds as bits, ``never``:
        requires a kind no product holds), unit code (−1: none counts, −2: a unit no
        product is in), volume and target (with ``*_known``), the points for other units,
        and ``n_prov_ok[need, province index]`` (the last column, "several", is true)."""
        sizes = [ix.distributor_range[d][1] - ix.distributor_range[d][0]
                 for d in self.distributor_ids]
        self.n_dord = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        self.n_rstars = _ints(ix.n_rstars)
        self.n_rbits = _ints(_lookup({s: self._bits(s) for s in set(ix.n_rother)},
                                     ix.n_rother))
        held = set().union(*ix.p_other)
        self.n_never = np.array([not s <= held for s in ix.n_rother], dtype=bool)
        self.n_unit = _ints([None if u is None else self.unit_codes.get(u, -2)
                             for u in ix.n_unit], -1)
        self.n_vol, vol_ok = _figures(ix.n_vol, -1)
        self.n_vol_known = np.array([v is not None for v in ix.n_vol], dtype=bool)
        self.n_target, target_ok = _figures(ix.n_target, -1)
        self.n_target_known = np.array([v is not None for v in ix.n_target], dtype=bool)
        self.figures_ok = self.figures_ok and vol_ok and target_ok
        self.n_mm = _ints(ix.n_mm)
        self.n_prov_ok = np.zeros((len(ix.needs), self.n_prov + 1), dtype=bool)
        self.n_prov_ok[:, self.n_prov] = True
        for ni, provs in enumerate(ix.n_provs):
            if not provs:
                self.n_prov_ok[ni, :] = True
            else:
                for q in provs:
                    qi = self.province_index.get(q)
                    if qi is not None:
                        self.n_prov_ok[ni, qi] = True
        # the same as Python tuples (cheap to read one at a time; see _paths on tuples)
        self.n_unit_l = tuple(self.n_unit.tolist())
        self.n_rbits_l = tuple(self.n_rbits.tolist())
        self.n_never_l = tuple(self.n_never.tolist())

    # ----------------------------------------------------------------- paths
    def _entries(self, ix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(path id, rank, key) of every (product, ancestor path); fills ``path_id``."""
        self.path_id: dict[str, int] = {}
        tuple_id: dict[tuple[str, ...], int] = {}
        t_paths: list[int] = []  # the distinct tuples' ancestor paths, concatenated …
        t_gaps: list[int] = []
        t_len: list[int] = []  # … and how many each has
        tids = []
        for p in ix.products:
            t = tuple_id.get(p.category_paths)
            if t is None:
                t = tuple_id[p.category_paths] = len(tuple_id)
                anc = ancestry(p.category_paths)
                t_paths += [self.path_id.setdefault(c, len(self.path_id)) for c in anc]
                t_gaps += anc.values()
                t_len.append(len(anc))
            tids.append(t)
        self.paths = list(self.path_id)
        tid = np.array(tids, dtype=np.int64)
        lens = np.array(t_len, dtype=np.int64)
        counts = lens[tid]
        e_rank = np.repeat(np.arange(len(tid), dtype=np.int64), counts)
        # position of each entry in the concatenated tuples: its tuple's start + its index
        within = np.arange(len(e_rank), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                    counts)
        src = np.repeat((np.cumsum(lens) - lens)[tid], counts) + within
        e_path = np.array(t_paths, dtype=np.int64)[src]
        e_key = SPEC[np.array(t_gaps, dtype=np.int64)[src]] + self.p_quality[e_rank]
        return e_path, e_rank, e_key

    def _paths(self, ix) -> None:
        """Entries, products under each path, producer tables and their unit summaries."""
        e_path, e_rank, e_key = self._entries(ix)
        n_paths, n_prod = len(self.paths), max(1, len(self.producer_ids))
        n_units = max(1, len(self.unit_codes))
        # Entries by (path, rank) — and so by (path, producer) — without useless ones.
        order = np.argsort(e_path * max(1, len(ix.products)) + e_rank, kind="stable")
        e_path, e_rank, e_key = e_path[order], e_rank[order], e_key[order]
        keep = ~self._dominated(e_path, e_rank, e_key)
        e_path, e_rank, e_key = e_path[keep], e_rank[keep], e_key[keep]
        self.under_rank, self.under_key = e_rank, e_key
        self.under_off = _offsets(e_path, n_paths)

        # Producer tables: one row per (path, producer), rows in (path, ordinal) order.
        e_ord = self.p_ord[e_rank]
        starts = _groups(e_path * n_prod + e_ord)
        self.tab_ord, self.tab_path = e_ord[starts], e_path[starts]
        self.tab_off = _offsets(self.tab_path, n_paths)
        if len(starts):
            self.tab_key = np.maximum.reduceat(e_key, starts)
            self.tab_stars = np.maximum.reduceat(self.p_stars[e_rank], starts)
            self.tab_certs = np.bitwise_or.reduceat(self.p_certs[e_rank], starts)
        else:
            self.tab_key = self.tab_stars = self.tab_certs = e_key
        e_row = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(e_rank)]))
        # A producer's rows, in (ordinal, path) order.
        self.prod_row = np.argsort(self.tab_ord, kind="stable")
        self.prod_row_off = _offsets(self.tab_ord[self.prod_row], n_prod)

        # Each row's products in (−key, rank) order, for _best: Python sequences (read one
        # item at a time), and tuples, not lists: the cyclic garbage collector untracks a
        # tuple of ints after one pass but walks every item of a list at every full
        # collection (millions of items with a platform index).
        best = np.lexsort((e_rank, -e_key, e_row))
        self.row_ranks_l = tuple(e_rank[best].tolist())
        self.row_keys_l = tuple(e_key[best].tolist())
        self.row_start_l = tuple(np.r_[starts, len(e_rank)].tolist())
        self.tab_ord_l = tuple(self.tab_ord.tolist())
        self.tab_off_l = tuple(self.tab_off.tolist())
        self.tab_stars_l = tuple(self.tab_stars.tolist())
        self.tab_certs_l = tuple(self.tab_certs.tolist())

        # Unit summaries: per (row, unit) the largest capacity and the lowest price, in
        # (row, unit) order (producer side) and in (path, unit, row) order (distributor
        # side, :meth:`unit_rows`).
        has = self.p_unit[e_rank] >= 0
        u_row, ranks = e_row[has], e_rank[has]
        u_unit = self.p_unit[ranks]
        order = np.argsort(u_row * n_units + u_unit, kind="stable")
        u_row, u_unit, ranks = u_row[order], u_unit[order], ranks[order]
        runs = _groups(u_row * n_units + u_unit)
        if len(runs):
            self.ru_cap = np.maximum.reduceat(self.p_cap[ranks], runs)
            self.ru_pmin = np.minimum.reduceat(self.p_pmin[ranks], runs)
        else:
            self.ru_cap = self.ru_pmin = ranks
        self.ru_row, self.ru_unit = u_row[runs], u_unit[runs]
        self.ru_off = _offsets(self.ru_row, len(starts))
        by_path = np.lexsort((self.ru_row, self.ru_unit, self.tab_path[self.ru_row]))
        self.pu_row = self.ru_row[by_path]
        self.pu_key = (self.tab_path[self.pu_row] * n_units + self.ru_unit[by_path])
        self.pu_cap, self.pu_pmin = self.ru_cap[by_path], self.ru_pmin[by_path]

    def _dominated(self, e_path: np.ndarray, e_rank: np.ndarray,
                   e_key: np.ndarray) -> np.ndarray:
        """Entries that can never be their producer's best product for a need listing the
        path: another product of the same producer under the path comes before it in
        (−key, rank) order (the order random access reads and ties are broken in) and is
        at least as good on everything else a score reads — OCOP stars and required kinds
        (so it qualifies whenever this one does), province, and either this one has no
        unit (it only ever earns a need's points for other units, which any product earns
        at least) or both are in the same unit with at least the capacity and at most the
        lowest and the highest price. Its score is then at least this one's for every need
        and ties go to it, so dropping this one changes no best product (nor any maximum
        the producer tables keep). Each entry is compared with the
        :data:`DOMINANCE_WINDOW` entries before it."""
        if not len(e_rank):
            return np.zeros(0, dtype=bool)
        row = e_path * max(1, len(self.producer_ids)) + self.p_ord[e_rank]
        order = np.lexsort((e_rank, -e_key, row))
        rank, row = e_rank[order], row[order]
        stars, certs, prov = self.p_stars[rank], self.p_certs[rank], self.p_prov[rank]
        unit, cap = self.p_unit[rank], self.p_cap[rank]
        pmin, high = self.p_pmin[rank], self.p_high[rank]
        dom = np.zeros(len(rank), dtype=bool)
        for d in range(1, min(DOMINANCE_WINDOW, len(rank) - 1) + 1):
            a, b = slice(0, -d), slice(d, None)  # a comes d entries before b
            better = (row[a] == row[b]) & (stars[a] >= stars[b]) & (prov[a] == prov[b])
            better &= (certs[a] & certs[b]) == certs[b]
            better &= (unit[b] < 0) | ((unit[a] == unit[b]) & (cap[a] >= cap[b])
                                       & (pmin[a] <= pmin[b]) & (high[a] <= high[b]))
            dom[b] |= better
        out = np.zeros(len(rank), dtype=bool)
        out[order] = dom
        return out

    def _needs_at(self, ix) -> None:
        """Need ranks listing each path among their categories, and per need the ids of
        its paths that some product is under (``n_paths``)."""
        path_id = self.path_id
        self.n_paths = tuple([tuple(c for p in cats if (c := path_id.get(p)) is not None)
                              for cats in ix.n_cats])
        e_need = np.repeat(np.arange(len(self.n_paths), dtype=np.int64),
                           [len(x) for x in self.n_paths])
        e_path = np.array([c for x in self.n_paths for c in x], dtype=np.int64)
        order = np.argsort(e_path * max(1, len(ix.needs)) + e_need, kind="stable")
        self.needs_rank = e_need[order]
        self.needs_off = _offsets(e_path[order], len(self.paths))

    # --------------------------------------------------------------- readers
    def under(self, path: str) -> tuple[np.ndarray, np.ndarray]:
        """(ranks, keys) of the products under ``path``, in rank order (views)."""
        c = self.path_id.get(path)
        if c is None:
            return self.under_rank[:0], self.under_key[:0]
        a, b = self.under_off[c], self.under_off[c + 1]
        return self.under_rank[a:b], self.under_key[a:b]

    def unit_rows(self, c: int, unit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Of path id ``c``'s table, the positions of the rows with products in ``unit``,
        and their largest capacity and lowest price there."""
        key = c * max(1, len(self.unit_codes)) + unit
        a, b = np.searchsorted(self.pu_key, (key, key + 1))
        return self.pu_row[a:b] - self.tab_off[c], self.pu_cap[a:b], self.pu_pmin[a:b]

    def row_range(self, row: int) -> range:
        """Indexes into ``row_ranks_l`` / ``row_keys_l`` of one table row's products."""
        return range(self.row_start_l[row], self.row_start_l[row + 1])
