"""The top-k machinery (:mod:`matchmaker.matching.topk`, :mod:`matchmaker.matching.layout`)
against the all-pairs reference, where the random catalogues of test_matching_engine.py
rarely go: the bounds themselves, products left out as dominated, many producers tied at
the same bound, distributors with more needs than a bit mask holds, many required
certification kinds, figures too large for the vectorised arithmetic. No app, no
database."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.matching import layout as layout_module
from matchmaker.matching.engine import (
    MatchIndex,
    NeedRecord,
    ProductRecord,
    all_pairs,
    brute_top_distributors,
    brute_top_producers,
    explain,
)
from matchmaker.matching.topk import distributor_bounds, producer_bounds
from tests.test_matching_engine import catalogues, need, product

FISH = ("ocop/I/I.4/I.4.a", "hs/IV/21/2103/210390")
UNITS = st.sampled_from([None, "chai", "kg"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues())
def test_bounds_are_upper_bounds_and_cover_every_match(catalogue):
    products, needs = catalogue
    ix = MatchIndex.build(products, needs)
    ref = all_pairs(products, needs)
    lay = ix.layout
    for dist in ix.distributor_range:
        bound, _cover = producer_bounds(ix, dist)
        for prod, o in lay.producer_ord.items():
            match = ref.get((prod, dist))
            assert bound[o] >= (match.score if match else 0)
    for prod in ix.producer_range:
        bound = distributor_bounds(ix, prod)
        for dist, o in lay.distributor_ord.items():
            match = ref.get((prod, dist))
            assert bound[o] >= (match.score if match else 0)


@st.composite
def one_producer(draw):
    """Many products of a few producers in one category, differing in every figure (with
    ties): the case where the layout leaves dominated products out."""
    products = []
    for i in range(draw(st.integers(1, 30))):
        pmin = draw(st.one_of(st.none(), st.sampled_from([80_000, 100_000, 120_000])))
        products.append(ProductRecord(
            id=i + 1, producer_id=draw(st.integers(1, 2)),
            category_paths=draw(st.sampled_from([FISH, FISH[:1], FISH[1:]])),
            ocop_stars=draw(st.sampled_from([None, 3, 4, 5])),
            certifications=frozenset(draw(st.lists(st.sampled_from(["haccp", "vietgap"]),
                                                   max_size=2))),
            monthly_capacity=draw(st.sampled_from([None, 500, 2_000])), unit=draw(UNITS),
            price_min_vnd=pmin,
            price_max_vnd=None if pmin is None else pmin + draw(st.sampled_from([0, 30_000])),
            province_code=draw(st.sampled_from([40, 42]))))
    needs = [NeedRecord(
        id=i + 1, distributor_id=100 + i,
        category_paths=draw(st.sampled_from([("ocop/I/I.4",), ("hs/IV/21/2103",),
                                             ("ocop/I", "hs/IV")])),
        required_certifications=frozenset(draw(st.lists(st.sampled_from(["haccp"]),
                                                        max_size=1))),
        min_ocop_stars=draw(st.sampled_from([None, 4])),
        monthly_volume=draw(st.sampled_from([None, 1_000])), unit=draw(UNITS),
        target_price_vnd=draw(st.sampled_from([None, 90_000, 110_000])),
        delivery_provinces=frozenset(draw(st.lists(st.sampled_from([40, 42]), max_size=1))))
        for i in range(draw(st.integers(1, 6)))]
    return products, needs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_producer())
def test_dominated_products_never_were_the_best(catalogue):
    products, needs = catalogue
    ix = MatchIndex.build(products, needs)
    for ni, n in enumerate(ix.needs):
        for prod, (lo, hi) in ix.producer_range.items():
            found = [(res[0], -r) for r in range(lo, hi)
                     if (res := explain(ix.products[r], n)) is not None]
            want = max(found, default=None)  # best score, then lowest rank
            got = ix._best(prod, ni)
            assert got == (None if want is None else (want[0], -want[1]))
    for dist in ix.distributor_range:
        assert ix.top_producers_for(dist, 2) == brute_top_producers(
            all_pairs(products, needs), dist, 2)


def test_dominated_products_are_left_out():
    # Same producer, category and unit: #2 is worse than #1 on everything, #3 has no unit.
    products = [product(1, 1, FISH, ocop_stars=5, monthly_capacity=5_000, unit="chai",
                        price_min_vnd=50_000),
                product(2, 1, FISH, ocop_stars=3, monthly_capacity=1_000, unit="chai",
                        price_min_vnd=60_000),
                product(3, 1, FISH, ocop_stars=4),
                product(4, 1, FISH, ocop_stars=3, monthly_capacity=9_000, unit="chai",
                        price_min_vnd=60_000)]  # more capacity than #1: kept
    ix = MatchIndex.build(products, [need(1, 100, ("ocop/I/I.4",), unit="chai",
                                         monthly_volume=8_000, target_price_vnd=55_000)])
    ranks, _keys = ix.layout.under("ocop/I/I.4")
    assert sorted(ix.products[r].id for r in ranks.tolist()) == [1, 4]
    [match] = ix.top_producers_for(100)
    assert [p.product_id for p in match.pairs] == [1]
    assert match == brute_top_producers(all_pairs(products, ix.needs), 100)[0]


def test_many_producers_tied_at_one_bound_come_by_id():
    # 200 identical producers (ids in a scrambled order) and 3 better ones: every bound is
    # tied, far beyond the first chunk the bound order sorts.
    ids = [(i * 37) % 401 + 1 for i in range(200)]
    products = [product(i + 1, prod, FISH, ocop_stars=3) for i, prod in enumerate(ids)]
    products += [product(1000 + i, 500 + i, FISH, ocop_stars=5) for i in range(3)]
    needs = [need(1, 100), need(2, 101, unit="chai", monthly_volume=10)]
    ix = MatchIndex.build(products, needs)
    ref = all_pairs(products, needs)
    for k in (1, 3, 4, 25, 60, 250):
        for dist in (100, 101):
            assert ix.top_producers_for(dist, k) == brute_top_producers(ref, dist, k)
    assert [m.producer_id for m in ix.top_producers_for(100, 5)] == [500, 501, 502,
                                                                     *sorted(ids)[:2]]


def test_a_distributor_with_more_needs_than_bits():
    products = [product(i, i, FISH if i % 2 else ("hs/II/09/0902/090210",),
                        ocop_stars=3 + i % 3) for i in range(1, 30)]
    needs = [need(i, 100, (FISH[0],) if i % 3 else ("hs/II/09",), min_ocop_stars=3 + i % 2)
             for i in range(1, 71)]  # 70 needs > 62 bits
    ix = MatchIndex.build(products, needs)
    ref = all_pairs(products, needs)
    _bound, cover = producer_bounds(ix, 100)
    assert cover is None
    assert ix.top_producers_for(100, 7) == brute_top_producers(ref, 100, 7)
    assert ix.top_distributors_for(3) == brute_top_distributors(ref, 3)


def test_more_required_kinds_than_bits():
    kinds = [f"kind_{i}" for i in range(70)]
    products = [product(i, i, FISH, certifications=frozenset(kinds[i:i + 40]))
                for i in range(1, 31)]
    needs = [need(i, 100 + i % 5, required_certifications=frozenset(kinds[i * 2:i * 2 + 2]))
             for i in range(35)]
    ix = MatchIndex.build(products, needs)
    assert not ix.layout.exact_kinds
    ref = all_pairs(products, needs)
    for dist in range(100, 105):
        assert ix.top_producers_for(dist, 4) == brute_top_producers(ref, dist, 4)
    for prod in range(1, 31):
        assert ix.top_distributors_for(prod, 2) == brute_top_distributors(ref, prod, 2)
    lists = ix.event_top_lists(k=3)
    assert lists.top_producers[101] == brute_top_producers(ref, 101, 3)


def test_figures_beyond_the_vectorised_range():
    products = [product(1, 1, unit="chai", price_min_vnd=10**17, monthly_capacity=10**18),
                product(2, 2, unit="chai", price_min_vnd=90_000, monthly_capacity=10),
                product(3, 3, unit="chai", price_min_vnd=2**62, price_max_vnd=2**63 - 1)]
    needs = [need(1, 100, unit="chai", target_price_vnd=10**18, monthly_volume=10),
             need(2, 101, unit="chai", target_price_vnd=100_000, monthly_volume=2**62)]
    ix = MatchIndex.build(products, needs)
    assert not ix.layout.figures_ok
    ref = all_pairs(products, needs)
    for dist in (100, 101):
        assert ix.top_producers_for(dist) == brute_top_producers(ref, dist)
    for prod in (1, 2, 3):
        assert ix.top_distributors_for(prod) == brute_top_distributors(ref, prod)


def test_the_dominance_window_only_changes_what_is_kept(monkeypatch):
    # Without pruning the same answers come back, from longer lists.
    products = [product(i, 1 + i % 3, FISH, ocop_stars=3 + i % 3,
                        monthly_capacity=1_000 * (1 + i % 2), unit="chai",
                        price_min_vnd=50_000 + 1_000 * (i % 5)) for i in range(1, 40)]
    needs = [need(1, 100, unit="chai", monthly_volume=2_000, target_price_vnd=52_000),
             need(2, 101)]
    pruned = MatchIndex.build(products, needs)
    monkeypatch.setattr(layout_module, "DOMINANCE_WINDOW", 0)
    full = MatchIndex.build(products, needs)
    assert len(pruned.layout.under_rank) < len(full.layout.under_rank)
    for dist in (100, 101):
        assert pruned.top_producers_for(dist) == full.top_producers_for(dist)
    assert pruned.event_top_lists() == full.event_top_lists()
    assert np.array_equal(pruned.layout.tab_key, full.layout.tab_key)
