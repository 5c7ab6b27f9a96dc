"""The inverted index (see :mod:`matchmaker.matching.engine` for what it answers and why the
answers are exact).

:class:`MatchIndex` keeps the records by rank (products by (producer id, id), needs by
(distributor id, id)) with the figures scoring reads, scores one product for one need
(:meth:`MatchIndex.score`), finds a producer's best product for a need by random access
(:meth:`MatchIndex._best`) and builds :class:`Match` objects with their reasons. Its arrays —
products under each category path, per-path producer tables, needs per path — are in
:mod:`.layout`; the top-k queries in :mod:`.topk`; every participant's list at once in
:mod:`.batch`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from matchmaker.matching import topk
from matchmaker.matching.batch import EventTopLists, event_top_lists
from matchmaker.matching.layout import INF, Layout, ancestry
from matchmaker.matching.scoring import (
    CAPACITY,
    PRICE,
    PROVINCE,
    SPECIFICITY,
    NeedRecord,
    ProductRecord,
    Reason,
    capacity_points,
    explain,
    normalise_unit,
    price_points,
)

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


class MatchIndex:
    """Built once from plain records with :meth:`build`; queried many times."""

    def __init__(self):
        self.trace: Trace | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, products: Iterable[ProductRecord], needs: Iterable[NeedRecord]) -> MatchIndex:
        self = cls()
        prods = sorted(products, key=lambda p: (p.producer_id, p.id))
        nds = sorted(needs, key=lambda n: (n.distributor_id, n.id))
        self.products, self.needs = prods, nds

        # Products, by rank (tuples: read one item at a time by the scalar scoring).
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
        # path -> depth gap, one shared dict per distinct tuple of product paths
        self.p_anc = tuple([ancestry(p.category_paths) for p in prods])
        self.producer_range: dict[int, tuple[int, int]] = {}
        for r, prod in enumerate(self.p_prod):
            lo, _hi = self.producer_range.get(prod, (r, r))
            self.producer_range[prod] = (lo, r + 1)

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
        for r, dist in enumerate(self.n_dist):
            lo, _hi = self.distributor_range.get(dist, (r, r))
            self.distributor_range[dist] = (lo, r + 1)

        self.layout = Layout(self)  # arrays, per-path producer tables
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

    def _best(self, prod: int, ni: int) -> tuple[int, int] | None:
        """(score, rank) of the producer's best product for need ``ni`` (lowest rank on
        ties): for each of the need's paths, the producer's row of the path's table (found
        by bisection), its products best key first, stopping once no further one can reach
        the best found (key + the most the rest of a score can add)."""
        if self.trace is not None:
            self.trace.examined.add((prod, self.n_dist[ni]))
        lay = self.layout
        paths = lay.n_paths[ni]
        if lay.n_never_l[ni] or not paths:
            return None
        o = lay.producer_ord[prod]
        rs, ro, rbits = self.n_rstars[ni], self.n_rother[ni], lay.n_rbits_l[ni]
        provs, unit, mm = self.n_provs[ni], self.n_unit[ni], self.n_mm[ni]
        vol, target = self.n_vol[ni], self.n_target[ni]
        slack = PROVINCE + (CAPACITY + PRICE if unit is not None else mm)
        tab_ord, tab_off, start = lay.tab_ord_l, lay.tab_off_l, lay.row_start_l
        ranks, keys = lay.row_ranks_l, lay.row_keys_l
        p_stars, p_other, p_prov, p_unit = self.p_stars, self.p_other, self.p_prov, self.p_unit
        trace, several = self.trace, len(paths) > 1
        best_s, best_r = -1, -1
        for c in paths:
            lo, hi = tab_off[c], tab_off[c + 1]
            row = bisect_left(tab_ord, o, lo, hi)
            if row == hi or tab_ord[row] != o:
                continue  # no product of the producer under this path
            if rs and lay.tab_stars_l[row] < rs or rbits & lay.tab_certs_l[row] != rbits:
                continue  # none there meets the hard rules
            for i in range(start[row], start[row + 1]):
                s = keys[i]
                if s + slack < best_s:
                    break
                r = ranks[i]
                if several:  # the product's closest path may be another of the need's
                    s = self.score(r, ni)
                    if s is None:
                        continue
                else:  # self.score(r, ni) inlined (the hot loop of every query)
                    if rs and p_stars[r] < rs or ro and not ro <= p_other[r]:
                        continue
                    if trace is not None:
                        trace.scored.add((self.p_id[r], self.n_id[ni]))
                    if not provs or p_prov[r] in provs:
                        s += PROVINCE
                    if unit is None or p_unit[r] != unit:
                        s += mm
                    else:
                        s += CAPACITY if vol is None else capacity_points(self.p_cap[r], vol)
                        s += PRICE if target is None else price_points(
                            self.p_pmin[r], self.p_pmax[r], target)
                if s > best_s or (s == best_s and r < best_r):
                    best_s, best_r = s, r
        return None if best_r < 0 else (best_s, best_r)

    # ---------------------------------------------------------------- queries
    def top_producers_for(self, distributor_id: int, k: int = 10,
                          exclude: Iterable[int] = frozenset(),
                          only_producers: Iterable[int] | None = None) -> list[Match]:
        """The ``k`` best producers for a distributor (score desc, producer id asc).

        ``exclude``: producer ids never to suggest (organiser exclusions, "not interested");
        ``only_producers``: restrict to these producers (an event's approved ones; for many
        queries over one event, :meth:`restricted` is cheaper). See :mod:`.topk`.
        """
        return topk.top_producers(self, distributor_id, k, exclude, only_producers)

    def top_distributors_for(self, producer_id: int, k: int = 10,
                             exclude: Iterable[int] = frozenset(),
                             only_distributors: Iterable[int] | None = None) -> list[Match]:
        """The ``k`` best distributors for a producer (score desc, distributor id asc);
        ``exclude`` and ``only_distributors`` as in :meth:`top_producers_for`."""
        return topk.top_distributors(self, producer_id, k, exclude, only_distributors)

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
        p_prod, under = self.p_prod, self.layout.under
        for ni, dist in enumerate(self.n_dist):
            best: dict[int, tuple[int, int]] = {}
            seen: set[int] = set()
            for c in self.n_cats[ni]:
                for r in under(c)[0].tolist():
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
