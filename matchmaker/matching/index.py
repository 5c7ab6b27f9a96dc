"""The inverted index and the exact early-stopping top-k (see :mod:`matchmaker.matching.engine`).

Layout. Products are ranked by (producer id, product id) and needs by (distributor id, need
id), so a rank order is the tie-break order and one producer's products (one distributor's
needs) are a contiguous range. For every category path ``C`` (every ancestor prefix of every
product path) the index keeps lists of the product ranks under ``C``:

* ``(C, None, None)`` all of them, ``(C, q, None)`` those of province ``q``,
* ``(C, None, u)`` and ``(C, q, u)`` those in unit ``u``,

each sorted by (−key, rank), where key = specificity under ``C`` + quality (the need-independent
part of the score). Unit lists also keep suffix maxima of capacity and suffix minima of price.
Needs are listed the same way per category, by delivery province (``"*"`` for "anywhere") and
unit, for the producer-side query.

Query. For one need, a *stream* yields producers in exact order (best score desc, producer id
asc): it merges the lists that cover the need, each with an upper bound at its head (key +
province points the list earns + the capacity/price points its suffix can still earn), scores
items exactly as they are taken, and releases a scored item only once it ranks before every
list head (so before every item not yet taken). The top-k over the sum of the needs' best
scores is Fagin's threshold algorithm over these streams with random access (the producer's
few products). See the engine docstring for why it is exact.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from matchmaker.matching.batch import EventTopLists, event_top_lists
from matchmaker.matching.scoring import (
    CAPACITY,
    PRICE,
    PROVINCE,
    SPECIFICITY,
    NeedRecord,
    ProductRecord,
    Reason,
    ancestors,
    capacity_points,
    depth,
    explain,
    normalise_unit,
    price_bound,
    price_points,
)

INF = 1 << 62
GROUP_HEAP_MAX = 1 << 30
ANYWHERE = "*"
_SPEC = SPECIFICITY + (SPECIFICITY[-1],) * 64


@dataclass(frozen=True, slots=True)  # slots: no per-instance dict (see scoring._r)
class PairMatch:
    """The best product of the producer for one need of the distributor, and why."""

    product_id: int
    need_id: int
    score: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """A suggested producer × distributor pair; ``score`` is the sum of ``pairs`` scores."""

    producer_id: int
    distributor_id: int
    score: int
    pairs: tuple[PairMatch, ...]


@dataclass
class Trace:
    """Debug hook: what a query looked at. ``scored`` holds (product id, need id) pairs scored,
    ``examined`` the (producer id, distributor id) pairs whose products × needs were compared
    by random access."""

    scored: set = field(default_factory=set)
    examined: set = field(default_factory=set)


class _List:
    __slots__ = ("items", "keys", "suf_a", "suf_b")

    def __init__(self, items, keys, suf_a=None, suf_b=None):
        self.items, self.keys, self.suf_a, self.suf_b = items, keys, suf_a, suf_b


def _sorted_list(entries: list[tuple[int, int]], n: int, max_key: int) -> tuple[tuple, tuple]:
    """(key, rank) entries → ranks and keys in (−key, rank) order.

    The index keeps its long per-rank sequences as tuples, not lists: a tuple of ints is
    untracked by the cyclic garbage collector after its first pass, whereas every full
    collection walks every element of every list — with a platform index (millions of
    entries) that made each full collection, which any burst of allocations can trigger
    (an event's lists), several times slower."""
    codes = sorted((max_key - key) * n + rank for key, rank in entries)
    return tuple([c % n for c in codes]), tuple([max_key - c // n for c in codes])


class MatchIndex:
    """Built once from plain records with :meth:`build`; queried many times."""

    def __init__(self):
        self.trace: Trace | None = None
        # A group of producers covered by several of a distributor's needs is ordered by
        # per-producer upper bounds up to this size, else read through the needs' streams.
        self.group_heap_max = GROUP_HEAP_MAX
        self._arrays = None  # numpy figures for event_top_lists, built on first use


    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, products: Iterable[ProductRecord], needs: Iterable[NeedRecord]) -> MatchIndex:
        self = cls()
        prods = sorted(products, key=lambda p: (p.producer_id, p.id))
        nds = sorted(needs, key=lambda n: (n.distributor_id, n.id))
        self.products, self.needs = prods, nds
        np_, nn = max(1, len(prods)), max(1, len(nds))

        # Products, by rank.
        self.p_id = tuple([p.id for p in prods])
        self.p_prod = tuple([p.producer_id for p in prods])
        self.p_quality = tuple([p.quality_points for p in prods])
        self.p_stars = tuple([p.stars for p in prods])
        self.p_other = tuple([p.other_certifications for p in prods])
        self.p_unit = tuple([normalise_unit(p.unit) for p in prods])
        self.p_cap = tuple([p.monthly_capacity for p in prods])
        self.p_pmin = tuple([p.price_min_vnd for p in prods])
        self.p_pmax = tuple([p.price_max_vnd for p in prods])
        self.p_prov = tuple([p.province_code for p in prods])
        self.p_anc: list[dict[str, int]] = []
        self.producer_range: dict[int, tuple[int, int]] = {}
        groups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        for r, p in enumerate(prods):
            anc: dict[str, int] = {}
            for x in p.category_paths:
                dx = depth(x)
                for c in ancestors(x):
                    gap = dx - depth(c)
                    if anc.get(c, INF) > gap:
                        anc[c] = gap
            self.p_anc.append(anc)
            lo, _hi = self.producer_range.get(p.producer_id, (r, r))
            self.producer_range[p.producer_id] = (lo, r + 1)
            q, u, qual = self.p_prov[r], self.p_unit[r], self.p_quality[r]
            for c, gap in anc.items():
                entry = (_SPEC[gap] + qual, r)
                groups[(c, None, None)].append(entry)
                if q is not None:
                    groups[(c, q, None)].append(entry)
                if u is not None:
                    groups[(c, None, u)].append(entry)
                    if q is not None:
                        groups[(c, q, u)].append(entry)
        self.p_anc = tuple(self.p_anc)
        self.producers_under: dict[str, frozenset[int]] = {}
        self.best_key: dict[str, dict[int, int]] = {}  # path -> producer -> best key under it
        # producer -> path -> its product ranks under the path, in (−key, rank) order.
        self.by_producer: dict[int, dict[str, tuple[int, ...]]] = {}
        # path -> unit -> producer -> (max capacity, min price) of its products there
        self.unit_info: dict[str, dict[str, dict[int, tuple[int, int]]]] = {}
        for prod, (lo, hi) in self.producer_range.items():
            per: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for r in range(lo, hi):
                for c, gap in self.p_anc[r].items():
                    per[c].append((-_SPEC[gap] - self.p_quality[r], r))
            self.by_producer[prod] = {c: tuple(r for _k, r in sorted(v)) for c, v in per.items()}
            for c, v in per.items():
                units: dict[str, tuple[int, int]] = {}
                for _k, r in v:
                    u = self.p_unit[r]
                    if u is not None:
                        cap0, price0 = units.get(u, (0, INF))
                        cap, price = self.p_cap[r] or 0, self.p_pmin[r]
                        units[u] = (max(cap0, cap), price0 if price is None else min(price0, price))
                per_unit = self.unit_info.setdefault(c, {})
                for u, info in units.items():
                    per_unit.setdefault(u, {})[prod] = info
        # Per producer, over its products: best stars, all certification kinds, provinces.
        self.prod_stars = {prod: max(self.p_stars[lo:hi])
                           for prod, (lo, hi) in self.producer_range.items()}
        self.prod_certs = {prod: frozenset().union(*self.p_other[lo:hi])
                           for prod, (lo, hi) in self.producer_range.items()}
        self.prod_provs = {prod: frozenset(self.p_prov[lo:hi])
                           for prod, (lo, hi) in self.producer_range.items()}
        # the producer's province when all its products share one (the usual case), else -1
        self.prod_prov1 = {prod: next(iter(v)) if len(v) == 1 and None not in v else -1
                           for prod, v in self.prod_provs.items()}
        self.plists: dict[tuple, _List] = {}
        for gkey, entries in groups.items():
            items, keys = _sorted_list(entries, np_, 100)
            lst = _List(items, keys)
            if gkey[1] is None and gkey[2] is None:
                bk: dict[int, int] = {}
                p_prod = self.p_prod
                for r, key in zip(reversed(items), reversed(keys), strict=True):
                    bk[p_prod[r]] = key  # the last write is the producer's best key
                self.best_key[gkey[0]] = bk
                self.producers_under[gkey[0]] = frozenset(bk)
            if gkey[2] is not None:  # suffix max capacity, suffix min price
                cap, price = self.p_cap, self.p_pmin
                sa, sb = [0] * len(items), [INF] * len(items)
                best_a, best_b = 0, INF
                for i in range(len(items) - 1, -1, -1):
                    it = items[i]
                    a = cap[it]
                    if a is not None and a > best_a:
                        best_a = a
                    b = price[it]
                    if b is not None and b < best_b:
                        best_b = b
                    sa[i], sb[i] = best_a, best_b
                lst.suf_a, lst.suf_b = tuple(sa), tuple(sb)
            self.plists[gkey] = lst
        del groups

        # Needs, by rank.
        self.n_id = tuple([n.id for n in nds])
        self.n_dist = tuple([n.distributor_id for n in nds])
        self.n_cats = tuple([tuple(dict.fromkeys(n.category_paths)) for n in nds])
        self.n_provs = tuple([n.delivery_provinces for n in nds])
        self.n_unit = tuple([normalise_unit(n.unit) if n.unit_sensitive else None
                             for n in nds])
        self.n_vol = tuple([n.monthly_volume for n in nds])
        self.n_target = tuple([n.target_price_vnd for n in nds])
        self.n_rstars = tuple([n.required_stars for n in nds])
        self.n_rother = tuple([n.required_other for n in nds])
        self.n_mm = tuple([n.mismatch_points for n in nds])
        self.distributor_range: dict[int, tuple[int, int]] = {}
        needs_at: dict[str, list[int]] = defaultdict(list)
        ngroups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        for r, n in enumerate(nds):
            lo, _hi = self.distributor_range.get(n.distributor_id, (r, r))
            self.distributor_range[n.distributor_id] = (lo, r + 1)
            mm, u = self.n_mm[r], self.n_unit[r]
            provs = n.delivery_provinces or (ANYWHERE,)
            for c in self.n_cats[r]:
                needs_at[c].append(r)
                ngroups[(c, None, None)].append((mm, r))
                for q in provs:
                    ngroups[(c, q, None)].append((mm, r))
                if u is not None:
                    ngroups[(c, None, u)].append((0, r))
                    for q in provs:
                        ngroups[(c, q, u)].append((0, r))
        self.nlists: dict[tuple, _List] = {}
        for gkey, entries in ngroups.items():
            items, keys = _sorted_list(entries, nn, 100)
            lst = _List(items, keys)
            if gkey[2] is not None:  # suffix min volume (open = 0), suffix max target
                vol, target = self.n_vol, self.n_target
                sa, sb = [0] * len(items), [0] * len(items)
                best_a, best_b = INF, -1
                for i in range(len(items) - 1, -1, -1):
                    it = items[i]
                    a = vol[it]
                    a = 0 if a is None else a
                    if a < best_a:
                        best_a = a
                    b = target[it]
                    b = INF if b is None else b
                    if b > best_b:
                        best_b = b
                    sa[i], sb[i] = best_a, best_b
                lst.suf_a, lst.suf_b = tuple(sa), tuple(sb)
            self.nlists[gkey] = lst
        self.needs_at = {c: tuple(v) for c, v in needs_at.items()}
        return self

    def restricted(self, producers: Iterable[int] | None = None,
                   distributors: Iterable[int] | None = None) -> MatchIndex:
        """An index over the given participants only (an event's approved registrations);
        costs their records, not the platform's."""
        if producers is None:
            prods = self.products
        else:
            prods = [p for pid in sorted(set(producers))
                     for p in self.products[slice(*self.producer_range.get(pid, (0, 0)))]]
        if distributors is None:
            nds = self.needs
        else:
            nds = [n for did in sorted(set(distributors))
                   for n in self.needs[slice(*self.distributor_range.get(did, (0, 0)))]]
        return MatchIndex.build(prods, nds)

    # ---------------------------------------------------------------- scoring
    def score(self, r: int, ni: int) -> int | None:
        """Exact score of product rank ``r`` for need rank ``ni`` (None: no match)."""
        anc = self.p_anc[r]
        gap = INF
        for c in self.n_cats[ni]:
            g = anc.get(c)
            if g is not None and g < gap:
                gap = g
        if gap == INF:
            return None
        rs = self.n_rstars[ni]
        if rs and self.p_stars[r] < rs:
            return None
        ro = self.n_rother[ni]
        if ro and not ro <= self.p_other[r]:
            return None
        if self.trace is not None:
            self.trace.scored.add((self.p_id[r], self.n_id[ni]))
        s = _SPEC[gap] + self.p_quality[r]
        provs = self.n_provs[ni]
        if not provs or self.p_prov[r] in provs:
            s += PROVINCE
        u = self.n_unit[ni]
        if u is None or self.p_unit[r] != u:
            return s + self.n_mm[ni]
        vol, target = self.n_vol[ni], self.n_target[ni]
        s += CAPACITY if vol is None else capacity_points(self.p_cap[r], vol)
        s += PRICE if target is None else price_points(self.p_pmin[r], self.p_pmax[r], target)
        return s

    def _ub(self, prod: int, ni: int) -> int:
        """Cheap upper bound of the producer's best score for need ``ni`` (0: no match)."""
        rs, ro = self.n_rstars[ni], self.n_rother[ni]
        if (rs and self.prod_stars[prod] < rs) or (ro and not ro <= self.prod_certs[prod]):
            return 0
        per, p_anc, p_quality = self.by_producer[prod], self.p_anc, self.p_quality
        key = -1
        for c in self.n_cats[ni]:
            ranks = per.get(c)
            if ranks:
                r = ranks[0]
                k = _SPEC[p_anc[r][c]] + p_quality[r]
                if k > key:
                    key = k
        if key < 0:
            return 0
        provs = self.n_provs[ni]
        if not provs or not provs.isdisjoint(self.prod_provs[prod]):
            key += PROVINCE
        return key + (CAPACITY + PRICE if self.n_unit[ni] is not None else self.n_mm[ni])

    def _group_heap(self, mask: int, members: list[int], streams: list[_ProductStream],
                    found: dict) -> list[tuple[int, int]]:
        """Heap of (−upper bound, producer) of a group's unmet members; the bound is the sum
        over the group's needs of (best key under the need's categories + the points the
        need can still give), 0 for a need whose required stars/certifications the producer
        has on no product."""
        members = [p for p in members if p not in found]
        totals = [0] * len(members)
        prod_stars, prod_certs, prod_provs = self.prod_stars, self.prod_certs, self.prod_provs
        prov1 = self.prod_prov1
        for i, st in enumerate(streams):
            if not mask >> i & 1:
                continue
            ni = st.ni
            cats = self.n_cats[ni]
            rs, ro, provs = self.n_rstars[ni], self.n_rother[ni], self.n_provs[ni]
            u, mm, vol, target = self.n_unit[ni], self.n_mm[ni], self.n_vol[ni], self.n_target[ni]
            part = totals if len(cats) == 1 else [0] * len(members)
            for c in cats:
                bk = self.best_key.get(c)
                if not bk:
                    continue
                units = self.unit_info.get(c, {}).get(u, {}) if u is not None else {}
                for x, prod in enumerate(members):
                    key = bk.get(prod)
                    if key is None:
                        continue
                    if (rs and prod_stars[prod] < rs) or (ro and not ro <= prod_certs[prod]):
                        continue
                    if provs:
                        q = prov1[prod]
                        if (q in provs) if q != -1 else not provs.isdisjoint(prod_provs[prod]):
                            key += PROVINCE
                    else:
                        key += PROVINCE
                    got = units.get(prod)
                    if got is None:
                        key += mm
                    else:
                        unit_pts = ((CAPACITY if vol is None else capacity_points(got[0], vol))
                                    + (PRICE if target is None else price_bound(got[1], target)))
                        key += unit_pts if unit_pts > mm else mm
                    if part is totals:
                        totals[x] += key
                    elif key > part[x]:
                        part[x] = key
            if part is not totals:
                totals = [a + b for a, b in zip(totals, part, strict=True)]
        heap = [(-t, p) for t, p in zip(totals, members, strict=True) if t > 0]
        heapq.heapify(heap)
        return heap

    def _best(self, prod: int, ni: int) -> tuple[int, int] | None:
        """(score, rank) of the producer's best product for need ``ni`` (lowest rank on
        ties): its products under the need's categories, best key first, stopping once no
        further one can reach the best found."""
        if self.trace is not None:
            self.trace.examined.add((prod, self.n_dist[ni]))
        rs, ro = self.n_rstars[ni], self.n_rother[ni]
        if (rs and self.prod_stars[prod] < rs) or (ro and not ro <= self.prod_certs[prod]):
            return None
        per = self.by_producer[prod]
        provs = self.n_provs[ni]
        slack = (PROVINCE if provs else 0) + (
            CAPACITY + PRICE if self.n_unit[ni] is not None else self.n_mm[ni])
        best = None
        p_anc, p_quality, score = self.p_anc, self.p_quality, self.score
        for c in self.n_cats[ni]:
            ranks = per.get(c)
            if not ranks:
                continue
            for r in ranks:
                if best is not None:
                    bound = _SPEC[p_anc[r][c]] + p_quality[r] + slack + (0 if provs else PROVINCE)
                    if bound < best[0]:
                        break
                s = score(r, ni)
                if s is not None and (best is None or (s, -r) > (best[0], -best[1])):
                    best = (s, r)
        return best

    # ------------------------------------------------------ distributor side
    def top_producers_for(self, distributor_id: int, k: int = 10,
                          exclude: Iterable[int] = frozenset(),
                          only_producers: Iterable[int] | None = None) -> list[Match]:
        """The ``k`` best producers for a distributor (score desc, producer id asc).

        ``exclude``: producer ids never to suggest (organiser exclusions, "not interested");
        ``only_producers``: restrict to these producers (an event's approved ones; for many
        queries over one event, :meth:`restricted` is cheaper).
        """
        lo, hi = self.distributor_range.get(distributor_id, (0, 0))
        if k <= 0 or lo == hi:
            return []
        exclude = frozenset(exclude)
        only = None if only_producers is None else frozenset(only_producers)
        found: dict[int, list] = {}
        streams = [_ProductStream(self, ni, exclude, only, found) for ni in range(lo, hi)]
        # Coverage signatures: an unmet producer covered by one need only can total at most
        # that need's stream bound; those covered by several needs (few, usually) are
        # grouped by the set of needs (a bit mask) covering them.
        covs = []
        for st in streams:
            cats = self.n_cats[st.ni]
            cov = self.producers_under.get(cats[0], frozenset())
            for c in cats[1:]:
                cov = cov | self.producers_under.get(c, frozenset())
            covs.append(cov)
        mask_of: dict[int, int] = {}
        for i in range(len(covs)):
            for j in range(i + 1, len(covs)):
                inter = covs[i] & covs[j]
                if not inter:
                    continue
                bits = (1 << i) | (1 << j)
                if mask_of:
                    old = {p: mask_of[p] | bits for p in inter.intersection(mask_of)}
                    mask_of.update(dict.fromkeys(inter, bits))
                    mask_of.update(old)
                else:
                    mask_of = dict.fromkeys(inter, bits)
        if only is not None or exclude:
            mask_of = {p: m for p, m in mask_of.items()
                       if p not in exclude and (only is None or p in only)}
        groups: dict[int, list[int]] = defaultdict(list)  # mask -> producers
        if len(set(mask_of.values())) == 1:
            groups[next(iter(mask_of.values()))] = list(mask_of)
        else:
            for prod, mask in mask_of.items():
                groups[mask].append(prod)
        # mask -> heap of (−upper bound, producer) of its producers not yet met; built when
        # the group first has the best bound (until then: the sum of its streams' bounds).
        unmet: dict[int, list[tuple[int, int]]] = {}
        top: list[tuple[int, int]] = []  # min-heap of (total, -producer)
        m = len(streams)

        def resolve(prod: int, emitted_by: _ProductStream | None, value=None) -> None:
            mask = mask_of.get(prod, 0)
            per_need, total = [], 0
            for i, st in enumerate(streams):
                if st is emitted_by:
                    res = value
                elif mask >> i & 1:
                    res = self._best(prod, st.ni)
                else:
                    res = None  # no category of this need covers the producer
                per_need.append(res)
                if res is not None:
                    total += res[0]
            found[prod] = per_need
            if total > 0:
                entry = (total, -prod)
                if len(top) < k:
                    heapq.heappush(top, entry)
                elif entry > top[0]:
                    heapq.heapreplace(top, entry)

        while True:
            fronts = [st.frontier() for st in streams]
            # The best bound any unmet producer can reach, and where it comes from.
            best_bound, best_src, tie_prod = 0, None, -1
            for i, f in enumerate(fronts):
                if f is not None and (f[0], -f[1]) > (best_bound, -tie_prod):
                    best_bound, best_src, tie_prod = f[0], i, f[1]
            for mask in list(groups):
                fsum, ftp = 0, -1
                for i in range(m):
                    if mask >> i & 1 and fronts[i] is not None:
                        fsum += fronts[i][0]
                        ftp = max(ftp, fronts[i][1])
                bound, tp = fsum, ftp
                heap = unmet.get(mask)
                if heap is not None:
                    while heap and heap[0][1] in found:
                        heapq.heappop(heap)
                    if not heap:
                        del groups[mask]
                        continue
                    if (-heap[0][0], -heap[0][1]) < (bound, -tp):
                        bound, tp = -heap[0][0], heap[0][1]  # members by (−bound, id)
                if bound > 0 and (bound, -tp) > (best_bound, -tie_prod):
                    best_bound, best_src, tie_prod = bound, ~mask, tp
            if best_src is None:
                break
            if len(top) >= k:
                kt, kp = top[0]
                if best_bound < kt or (best_bound == kt and tie_prod > -kp):
                    break
            if best_src < 0:  # the best member of a group covered by several needs
                mask = ~best_src
                if mask in unmet:
                    resolve(heapq.heappop(unmet[mask])[1], None)
                    continue
                if len(groups[mask]) <= self.group_heap_max:
                    unmet[mask] = self._group_heap(mask, groups[mask], streams, found)
                    continue
                # A large group: read its needs' streams in turn (threshold algorithm).
                best_src = min((i for i in range(m) if mask >> i & 1 and fronts[i] is not None),
                               key=lambda i: streams[i].pops)
            st = streams[best_src]
            got = st.pop()
            if got is not None:
                resolve(got[0], st, st.emitted[got[0]])
        ranked = sorted(top, reverse=True)
        return [self._match(-negp, distributor_id, total,
                            [(st.ni, res) for st, res in zip(streams, found[-negp], strict=True)])
                for total, negp in ranked]

    def _match(self, producer_id: int, distributor_id: int, total: int,
               per_need: list[tuple[int, tuple[int, int] | None]]) -> Match:
        pairs = []
        for ni, res in per_need:
            if res is None:
                continue
            s, r = res
            product, need = self.products[r], self.needs[ni]
            explained = explain(product, need)
            assert explained is not None and explained[0] == s, (product, need, s, explained)
            pairs.append(PairMatch(product.id, need.id, s, tuple(explained[1])))
        return Match(producer_id, distributor_id, total, tuple(pairs))

    # -------------------------------------------------------- producer side
    def top_distributors_for(self, producer_id: int, k: int = 10,
                             exclude: Iterable[int] = frozenset(),
                             only_distributors: Iterable[int] | None = None) -> list[Match]:
        """The ``k`` best distributors for a producer (score desc, distributor id asc);
        ``exclude`` and ``only_distributors`` as in :meth:`top_producers_for`."""
        plo, phi = self.producer_range.get(producer_id, (0, 0))
        if k <= 0 or plo == phi:
            return []
        exclude = frozenset(exclude)
        only = None if only_distributors is None else frozenset(only_distributors)
        found: dict[int, tuple[int, list]] = {}
        stream = _NeedStream(self, plo, phi, exclude, only, found)
        # An unmet distributor with one need covering this producer's categories totals at
        # most the stream's bound; those with several are kept in a heap by a cheap upper
        # bound (sum of the needs' upper bounds).
        covering: set[int] = set()
        for c in stream.paths:
            covering.update(self.needs_at.get(c, ()))
        per_dist: dict[int, int] = defaultdict(int)
        n_dist = self.n_dist
        for ni in covering:
            per_dist[n_dist[ni]] += 1
        multi: list[tuple[int, int]] = []
        for dist, c in per_dist.items():
            if c >= 2 and dist not in exclude and (only is None or dist in only):
                ub = sum(self._ub(producer_id, nj)
                         for nj in range(*self.distributor_range[dist]))
                if ub > 0:
                    multi.append((-ub, dist))
        heapq.heapify(multi)
        top: list[tuple[int, int]] = []

        def resolve(dist: int) -> None:
            dlo, dhi = self.distributor_range[dist]
            per_need, total = [], 0
            for nj in range(dlo, dhi):
                res = self._best(producer_id, nj)
                per_need.append((nj, res))
                if res is not None:
                    total += res[0]
            found[dist] = (total, per_need)
            if total > 0:
                entry = (total, -dist)
                if len(top) < k:
                    heapq.heappush(top, entry)
                elif entry > top[0]:
                    heapq.heapreplace(top, entry)

        while True:
            f = stream.frontier()
            while multi and multi[0][1] in found:
                heapq.heappop(multi)
            sources = []
            if f is not None:
                sources.append((f[0], -f[1], False))
            if multi:
                sources.append((-multi[0][0], -multi[0][1], True))
            if not sources:
                break
            bound, neg_tie, from_multi = max(sources)
            if len(top) >= k:
                kt, kd = top[0]
                if (bound, neg_tie) < (kt, kd):
                    break
            if from_multi:
                resolve(heapq.heappop(multi)[1])
                continue
            ni = stream.pop()
            if ni is not None and n_dist[ni] not in found:
                resolve(n_dist[ni])
        return [self._match(producer_id, -negd, total, found[-negd][1])
                for total, negd in sorted(top, reverse=True)]

    # ---------------------------------------------------------------- batch
    def event_top_lists(self, producers: Iterable[int] | None = None,
                        distributors: Iterable[int] | None = None, k: int = 10,
                        exclude: Iterable[tuple[int, int]] = frozenset(),
                        hidden_from_distributors: Iterable[tuple[int, int]] = frozenset(),
                        hidden_from_producers: Iterable[tuple[int, int]] = frozenset(),
                        ) -> EventTopLists:
        """Every participant's top-``k`` at once: ``.top_producers[distributor id]`` equals
        ``top_producers_for(distributor id, k, exclude=the producers paired with it in
        exclude or hidden_from_distributors, only_producers=producers)`` and
        ``.top_distributors[producer id]`` likewise (``None``: every producer / distributor
        of this index; every one asked for has an entry). All three sets hold
        (producer id, distributor id) pairs: ``exclude`` leaves the pair out of both lists
        (organiser exclusions), ``hidden_from_*`` out of one side's list only ("not
        interested"). Scores each covering product × need pair once, vectorised
        (:mod:`matchmaker.matching.batch`): for an event's lists several times faster than
        one query per participant."""
        return event_top_lists(self, producers, distributors, k, exclude,
                               hidden_from_distributors, hidden_from_producers)

    # ------------------------------------------------------------ organiser
    def event_pairs(self, producers: Iterable[int] | None = None,
                    distributors: Iterable[int] | None = None,
                    exclude: Iterable[tuple[int, int]] = frozenset()) -> list[Match]:
        """Every matching producer × distributor pair among the participants, best first
        (score desc, producer id, distributor id). Walks the products under each need's
        categories (of a :meth:`restricted` index when participants are given): cost grows
        with the number of covering product–need pairs, never with producers × distributors.
        ``exclude`` holds (producer id, distributor id) pairs to leave out."""
        if producers is not None or distributors is not None:
            return self.restricted(producers, distributors).event_pairs(exclude=exclude)
        exclude = frozenset(exclude)
        pairs: dict[tuple[int, int], dict[int, tuple[int, int]]] = defaultdict(dict)
        p_prod, plists = self.p_prod, self.plists
        for ni, dist in enumerate(self.n_dist):
            best: dict[int, tuple[int, int]] = {}
            seen: set[int] = set()
            for c in self.n_cats[ni]:
                lst = plists.get((c, None, None))
                if lst is None:
                    continue
                for r in lst.items:
                    if r in seen:
                        continue
                    seen.add(r)
                    prod = p_prod[r]
                    if (prod, dist) in exclude:
                        continue
                    s = self.score(r, ni)
                    if s is None:
                        continue
                    cur = best.get(prod)
                    if cur is None or s > cur[0] or (s == cur[0] and r < cur[1]):
                        best[prod] = (s, r)
            for prod, res in best.items():
                pairs[(prod, dist)][ni] = res
        out = []
        for (prod, dist), per in pairs.items():
            total = sum(s for s, _r in per.values())
            out.append(self._match(prod, dist, total, sorted(per.items())))
        out.sort(key=lambda m: (-m.score, m.producer_id, m.distributor_id))
        return out


class _ProductStream:
    """Producers covered by one need, in exact (best score desc, producer id asc) order."""

    __slots__ = ("ix", "ni", "exclude", "only", "sources", "pos", "heap", "cands", "seen",
                 "emitted", "settled", "vol", "target", "pops")

    def __init__(self, ix: MatchIndex, ni: int, exclude: frozenset, only: frozenset | None,
                 settled: dict):
        self.ix, self.ni, self.exclude, self.only = ix, ni, exclude, only
        self.settled = settled  # producers the caller has resolved: skipped from now on
        self.pops = 0
        self.sources: list[tuple[_List, int]] = []
        self.pos: list[int] = []
        self.heap: list[tuple[int, int, int]] = []
        self.cands: list[tuple[int, int]] = []
        self.seen: set[int] = set()
        self.emitted: dict[int, tuple[int, int]] = {}
        self.vol, self.target = ix.n_vol[ni], ix.n_target[ni]
        provs, unit, mm = ix.n_provs[ni], ix.n_unit[ni], ix.n_mm[ni]
        plists = ix.plists
        for c in ix.n_cats[ni]:
            specs = []  # (list key, constant points, unit list?)
            if provs:
                for q in sorted(provs):
                    specs.append(((c, q, None), PROVINCE + mm, False))
                    if unit is not None:
                        specs.append(((c, q, unit), PROVINCE, True))
                specs.append(((c, None, None), mm, False))
                if unit is not None:
                    specs.append(((c, None, unit), 0, True))
            else:
                specs.append(((c, None, None), PROVINCE + mm, False))
                if unit is not None:
                    specs.append(((c, None, unit), PROVINCE, True))
            for lkey, const, is_unit in specs:
                lst = plists.get(lkey)
                if lst is None:
                    continue
                sid = len(self.sources)
                self.sources.append((lst, const if not is_unit else -1 - const))
                self.pos.append(0)
                self.heap.append((-self._bound(sid, 0), lst.items[0], sid))
        heapq.heapify(self.heap)

    def _bound(self, sid: int, i: int) -> int:
        lst, const = self.sources[sid]
        if const >= 0:
            return const + lst.keys[i]
        b = -1 - const + lst.keys[i]
        vol, target = self.vol, self.target
        b += CAPACITY if vol is None else capacity_points(lst.suf_a[i], vol)
        b += PRICE if target is None else price_bound(lst.suf_b[i], target)
        return b

    def _advance(self) -> None:
        """Take the head of the best source; score it unless its producer is settled."""
        heap = self.heap
        _negb, r, sid = heap[0]
        lst = self.sources[sid][0]
        i = self.pos[sid] + 1
        self.pos[sid] = i
        if i < len(lst.items):
            heapq.heapreplace(heap, (-self._bound(sid, i), lst.items[i], sid))
        else:
            heapq.heappop(heap)
        if r in self.seen:
            return
        self.seen.add(r)
        ix = self.ix
        prod = ix.p_prod[r]
        if prod in self.settled or prod in self.exclude or (
                self.only is not None and prod not in self.only):
            return
        s = ix.score(r, self.ni)
        if s is not None:
            heapq.heappush(self.cands, (-s, r))

    def _settle(self) -> None:
        """Advance until the best candidate ranks before every source head, or none is left."""
        cands, heap, settled, p_prod = self.cands, self.heap, self.settled, self.ix.p_prod
        while True:
            while cands and p_prod[cands[0][1]] in settled:
                heapq.heappop(cands)
            if not heap:
                return
            if cands and (cands[0][0], cands[0][1]) < (heap[0][0], heap[0][1]):
                return
            self._advance()

    def frontier(self) -> tuple[int, int] | None:
        """(score, producer id) of the next producer, exact (the stream is settled first),
        or None when exhausted."""
        self._settle()
        if self.cands:
            return -self.cands[0][0], self.ix.p_prod[self.cands[0][1]]
        return None

    def pop(self) -> tuple[int, int] | None:
        """(producer id, best score) of the next producer, or None when exhausted."""
        self._settle()
        if not self.cands:
            return None
        negs, r = heapq.heappop(self.cands)
        self.pops += 1
        prod = self.ix.p_prod[r]
        self.emitted[prod] = (-negs, r)
        return prod, -negs


class _NeedStream:
    """Needs covering any product of one producer, in exact order of (best score over the
    producer's products desc, need rank asc)."""

    def __init__(self, ix: MatchIndex, plo: int, phi: int, exclude: frozenset,
                 only: frozenset | None, settled: dict):
        self.ix, self.exclude, self.only = ix, exclude, only
        self.settled = settled  # distributors the caller has resolved: skipped from now on
        self.sources: list[tuple[_List, int, int]] = []  # (list, const, product rank or -1-r)
        self.pos: list[int] = []
        self.heap: list[tuple[int, int, int]] = []
        self.cands: list[tuple[int, int, int]] = []
        self.seen: set[int] = set()
        self.emitted: set[int] = set()
        self.paths: set[str] = set()
        self.nn = max(1, len(ix.n_id))
        nlists = ix.nlists
        for r in range(plo, phi):
            q, u, qual = ix.p_prov[r], ix.p_unit[r], ix.p_quality[r]
            for c, gap in ix.p_anc[r].items():
                self.paths.add(c)
                key = _SPEC[gap] + qual
                specs = [((c, None, None), key, False),
                         ((c, ANYWHERE, None), key + PROVINCE, False)]
                if q is not None:
                    specs.append(((c, q, None), key + PROVINCE, False))
                if u is not None:
                    specs += [((c, None, u), key, True), ((c, ANYWHERE, u), key + PROVINCE, True)]
                    if q is not None:
                        specs.append(((c, q, u), key + PROVINCE, True))
                for lkey, const, is_unit in specs:
                    lst = nlists.get(lkey)
                    if lst is None:
                        continue
                    sid = len(self.sources)
                    self.sources.append((lst, const, -1 - r if is_unit else r))
                    self.pos.append(0)
                    self.heap.append((-self._bound(sid, 0), lst.items[0], sid))
        heapq.heapify(self.heap)

    def _bound(self, sid: int, i: int) -> int:
        lst, const, r = self.sources[sid]
        if r >= 0:
            return const + lst.keys[i]
        r = -1 - r
        ix = self.ix
        vol, target = lst.suf_a[i], lst.suf_b[i]
        b = const
        b += CAPACITY if vol == 0 else capacity_points(ix.p_cap[r], vol)
        b += PRICE if target == INF else price_bound(ix.p_pmin[r], target)
        return b

    def _advance(self) -> None:
        heap = self.heap
        _negb, ni, sid = heap[0]
        lst, _const, r = self.sources[sid]
        if r < 0:
            r = -1 - r
        i = self.pos[sid] + 1
        self.pos[sid] = i
        if i < len(lst.items):
            heapq.heapreplace(heap, (-self._bound(sid, i), lst.items[i], sid))
        else:
            heapq.heappop(heap)
        ix = self.ix
        if ni in self.emitted or ix.n_dist[ni] in self.settled:
            return
        code = r * self.nn + ni
        if code in self.seen:
            return
        self.seen.add(code)
        dist = ix.n_dist[ni]
        if dist in self.exclude or (self.only is not None and dist not in self.only):
            return
        s = ix.score(r, ni)
        if s is not None:
            heapq.heappush(self.cands, (-s, ni, r))

    def _settle(self) -> None:
        cands, heap, emitted = self.cands, self.heap, self.emitted
        settled, n_dist = self.settled, self.ix.n_dist
        while True:
            while cands and (cands[0][1] in emitted or n_dist[cands[0][1]] in settled):
                heapq.heappop(cands)
            if not heap or (cands and (cands[0][0], cands[0][1]) < (heap[0][0], heap[0][1])):
                return
            self._advance()

    def frontier(self) -> tuple[int, int] | None:
        """(score, distributor id) of the next need, exact, or None when exhausted."""
        self._settle()
        if self.cands:
            return -self.cands[0][0], self.ix.n_dist[self.cands[0][1]]
        return None

    def pop(self) -> int | None:
        self._settle()
        if not self.cands:
            return None
        _negs, ni, _r = heapq.heappop(self.cands)
        self.emitted.add(ni)
        return ni
