"""The pure matching engine (issue 5): covering, scoring rules, reasons, and the fast top-k
against the all-pairs reference on random catalogues. No app, no database."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.matching.engine import (
    MatchIndex,
    NeedRecord,
    ProductRecord,
    Trace,
    all_pairs,
    brute_top_distributors,
    brute_top_producers,
    covers,
    describe,
    explain,
    score,
)
from matchmaker.matching.scoring import MAX_SCORE

FISH_SAUCE_HS = "hs/IV/21/2103/210390"
GIA_VI = "ocop/I/I.4"  # OCOP group "Gia vị"
NUOC_MAM_SET = "ocop/I/I.4/I.4.a"  # "Tương, nước mắm, gia vị dạng lỏng khác"
NGHE_AN, HA_TINH = 40, 42


def product(pid=1, producer=1, paths=(NUOC_MAM_SET, FISH_SAUCE_HS), **kw):
    kw.setdefault("name", "Nước mắm Cửa Lò")
    return ProductRecord(id=pid, producer_id=producer, category_paths=tuple(paths), **kw)


def need(nid=1, distributor=100, paths=(GIA_VI,), **kw):
    kw.setdefault("title", "Gia vị")
    return NeedRecord(id=nid, distributor_id=distributor, category_paths=tuple(paths), **kw)


def codes(result):
    return [r.code for r in result[1]]


# ---------------------------------------------------------------- covering


def test_covering_is_a_prefix_at_a_slash_boundary():
    assert covers("hs/IV/21/2103", "hs/IV/21/2103/210390")
    assert covers("hs/IV/21/2103/210390", "hs/IV/21/2103/210390")
    assert covers("hs/IV", "hs/IV/21/2103/210390")
    assert not covers("hs/IV/21/210", "hs/IV/21/2103")
    assert not covers("hs/IV/21/2103", "hs/IV/21/2106/210690")
    assert not covers("hs/IV/21/2103/210390", "hs/IV/21/2103")  # child does not cover parent
    assert not covers("ocop/I/I.1", "ocop/I/I.10/I.10.a")
    assert not covers("ocop/I", "hs/I/03/0305")


def test_index_respects_the_slash_boundary():
    products = [product(1, 1, ("hs/IV/21/2103/210390",)),
                product(2, 2, ("hs/IV/21/2106/210690",))]
    needs = [need(1, 100, ("hs/IV/21/210",)), need(2, 101, ("hs/IV/21/2103",))]
    ix = MatchIndex.build(products, needs)
    assert ix.top_producers_for(100) == []
    assert [m.producer_id for m in ix.top_producers_for(101)] == [1]
    assert [m.distributor_id for m in ix.top_distributors_for(1)] == [101]
    assert ix.top_distributors_for(2) == []


def test_specificity_exact_beats_parent_beats_grandparent():
    p = product(paths=(FISH_SAUCE_HS,))
    scores = [score(p, need(paths=(path,))) for path in
              (FISH_SAUCE_HS, "hs/IV/21/2103", "hs/IV/21", "hs/IV")]
    assert scores[0] > scores[1] > scores[2] > scores[3]
    relations = [explain(p, need(paths=(path,)))[1][0].param("relation")
                 for path in (FISH_SAUCE_HS, "hs/IV/21/2103", "hs/IV/21", "hs/IV")]
    assert relations == ["exact", "parent", "grandparent", "ancestor"]


def test_the_closest_of_several_categories_counts():
    p = product(paths=(NUOC_MAM_SET, FISH_SAUCE_HS))
    both = explain(p, need(paths=("ocop/I", "hs/IV/21/2103")))
    assert both[1][0].param("need_path") == "hs/IV/21/2103"
    assert both[1][0].param("gap") == 1


# ------------------------------------------------------------------- rules


def test_required_certification_missing_is_no_match():
    p = product(certifications=frozenset({"vietgap"}))
    assert score(p, need(required_certifications=frozenset({"haccp"}))) is None
    assert score(p, need(required_certifications=frozenset({"vietgap"}))) is not None
    met = explain(p, need(required_certifications=frozenset({"vietgap"})))
    assert "certifications_met" in codes(met)


def test_ocop_stars_minimum_and_ocop_certifications():
    assert score(product(ocop_stars=3), need(min_ocop_stars=4)) is None
    assert score(product(ocop_stars=4), need(min_ocop_stars=4)) is not None
    # an ocop_N certification counts as N stars; a required ocop_N means at least N stars
    assert score(product(certifications=frozenset({"ocop_4"})), need(min_ocop_stars=3))
    assert score(product(ocop_stars=5),
                 need(required_certifications=frozenset({"ocop_4"}))) is not None
    assert score(product(ocop_stars=3),
                 need(required_certifications=frozenset({"ocop_4"}))) is None
    reason = next(r for r in explain(product(ocop_stars=4), need(min_ocop_stars=3))[1]
                  if r.code == "stars_met")
    assert describe(reason) == "OCOP 4★ ≥ 3★ required"


def test_more_stars_and_certifications_score_higher():
    n = need()
    assert score(product(ocop_stars=5), n) > score(product(ocop_stars=4), n) \
        > score(product(ocop_stars=3), n) > score(product(), n)
    assert score(product(certifications=frozenset({"haccp", "vietgap"})), n) \
        > score(product(certifications=frozenset({"haccp"})), n)


def test_capacity_and_price_only_in_the_same_unit():
    n = need(monthly_volume=2000, unit="chai", target_price_vnd=100_000)
    same = explain(product(monthly_capacity=5000, unit="Chai", price_min_vnd=95_000), n)
    other = explain(product(monthly_capacity=5000, unit="kg", price_min_vnd=95_000), n)
    assert "capacity_meets" in codes(same) and "price_within" in codes(same)
    assert "unit_mismatch" in codes(other)
    assert "capacity_meets" not in codes(other) and "price_within" not in codes(other)
    assert same[0] - other[0] == 40


def test_capacity_and_price_grades():
    n = need(monthly_volume=2000, unit="chai", target_price_vnd=100_000)

    def s(**kw):
        return score(product(unit="chai", **kw), n)

    assert s(monthly_capacity=2000, price_min_vnd=100_000) \
        > s(monthly_capacity=1000, price_min_vnd=100_000) \
        > s(price_min_vnd=100_000)  # capacity not stated
    assert s(monthly_capacity=2000, price_min_vnd=90_000, price_max_vnd=100_000) \
        > s(monthly_capacity=2000, price_min_vnd=90_000, price_max_vnd=120_000) \
        > s(monthly_capacity=2000, price_min_vnd=110_000) \
        > s(monthly_capacity=2000, price_min_vnd=160_000) \
        == s(monthly_capacity=2000)  # 60 % above target is worth what no price is


def test_open_criteria_earn_full_points():
    open_need = need()
    assert score(product(), open_need) == score(product(unit="kg", monthly_capacity=1,
                                                        price_min_vnd=10**9), open_need)
    assert {"volume_open", "price_open", "delivers_anywhere"} <= set(
        codes(explain(product(), open_need)))


def test_delivery_province():
    n = need(delivery_provinces=frozenset({NGHE_AN}))
    inside = explain(product(province_code=NGHE_AN), n)
    outside = explain(product(province_code=HA_TINH), n)
    assert "delivers_to" in codes(inside) and "outside_delivery" in codes(outside)
    assert inside[0] - outside[0] == 15
    assert describe(next(r for r in inside[1] if r.code == "delivers_to"),
                    {NGHE_AN: "Nghệ An"}) == "delivers to Nghệ An"


def test_fish_sauce_is_matched_with_gia_vi_by_ocop_or_hs_with_reasons():
    fish = [product(1, 1, (NUOC_MAM_SET, FISH_SAUCE_HS), name="Nước mắm Cửa Lò CL28",
                    ocop_stars=4, monthly_capacity=5000, unit="chai", price_min_vnd=95_000,
                    province_code=NGHE_AN),
            product(2, 2, (NUOC_MAM_SET,), name="Nước mắm Cửa Hội", ocop_stars=3,
                    unit="chai", province_code=NGHE_AN),
            product(3, 3, ("hs/II/09/0902/090210",), name="Chè xanh", unit="kg")]
    needs = [need(1, 100, (GIA_VI,), min_ocop_stars=3, monthly_volume=2000, unit="chai",
                  target_price_vnd=100_000, delivery_provinces=frozenset({NGHE_AN})),
             need(2, 101, ("hs/IV/21/2103",), title="Nước chấm")]
    ix = MatchIndex.build(fish, needs)
    assert [m.producer_id for m in ix.top_producers_for(100)] == [1, 2]
    assert [m.producer_id for m in ix.top_producers_for(101)] == [1]  # only 1 has HS 210390
    best = ix.top_producers_for(100)[0].pairs[0]
    assert (best.product_id, best.need_id) == (1, 1)
    text = [describe(r, {NGHE_AN: "Nghệ An"}) for r in best.reasons]
    assert text[0].startswith("category OCOP I.4 (parent of ocop/I/I.4/I.4.a")
    assert "OCOP 4★ ≥ 3★ required" in text
    assert "capacity 5,000 ≥ 2,000 chai/month" in text
    assert "price 95,000 ≤ target 100,000 ₫/chai" in text
    assert "delivers to Nghệ An" in text
    assert sum(r.points for r in best.reasons) == best.score <= MAX_SCORE
    as_dict = best.reasons[0].as_dict()
    assert as_dict["code"] == "category" and as_dict["need_path"] == GIA_VI


def test_pair_score_sums_the_best_product_per_need():
    products = [product(1, 1, (NUOC_MAM_SET,), ocop_stars=3),
                product(2, 1, (NUOC_MAM_SET,), ocop_stars=5),
                product(3, 1, ("hs/II/09/0902/090210",))]
    needs = [need(1, 100, (GIA_VI,)), need(2, 100, ("hs/II/09",), title="Chè")]
    [m] = MatchIndex.build(products, needs).top_producers_for(100)
    assert [(p.need_id, p.product_id) for p in m.pairs] == [(1, 2), (2, 3)]
    assert m.score == score(products[1], needs[0]) + score(products[2], needs[1])


def test_ties_are_broken_by_id_and_exclusions_respected():
    products = [product(i, producer, (NUOC_MAM_SET,)) for i, producer in
                enumerate([7, 3, 5, 9], start=1)]
    needs = [need(1, 100), need(2, 50), need(3, 70)]
    ix = MatchIndex.build(products, needs)
    assert [m.producer_id for m in ix.top_producers_for(100, k=3)] == [3, 5, 7]
    assert [m.producer_id for m in ix.top_producers_for(100, exclude={3, 7})] == [5, 9]
    assert [m.producer_id for m in ix.top_producers_for(100, only_producers={9, 7})] == [7, 9]
    assert [m.distributor_id for m in ix.top_distributors_for(3)] == [50, 70, 100]
    assert [m.distributor_id for m in ix.top_distributors_for(3, exclude={50})] == [70, 100]
    pairs = ix.event_pairs(exclude={(3, 50)})
    assert (3, 50) not in {(m.producer_id, m.distributor_id) for m in pairs}
    assert len(pairs) == 4 * 3 - 1
    event = ix.event_pairs(producers={3, 5}, distributors={100})
    assert [(m.producer_id, m.distributor_id) for m in event] == [(3, 100), (5, 100)]


def test_describe_covers_every_reason():
    n = need(monthly_volume=2000, unit="chai", target_price_vnd=100_000,
             delivery_provinces=frozenset({HA_TINH}),
             required_certifications=frozenset({"haccp"}), min_ocop_stars=3)
    for p in [product(ocop_stars=4, certifications=frozenset({"haccp"}), unit="chai",
                      monthly_capacity=500, price_min_vnd=120_000, province_code=NGHE_AN),
              product(ocop_stars=4, certifications=frozenset({"haccp"}), unit="kg"),
              product(ocop_stars=4, certifications=frozenset({"haccp"}), unit="chai",
                      price_min_vnd=90_000, price_max_vnd=110_000)]:
        for r in explain(p, n)[1]:
            text = describe(r)
            assert text and not text.startswith(r.code + " {"), r


# ------------------------------------------------------------------ random

OCOP_LEAVES = [NUOC_MAM_SET, "ocop/I/I.4/I.4.b", "ocop/I/I.1/I.1.a", "ocop/I/I.6",
               "ocop/II/II.1/II.1.a"]
HS_LEAVES = [FISH_SAUCE_HS, "hs/IV/21/2103/210310", "hs/IV/21/2106/210690",
             "hs/II/09/0902/090210", "hs/II/09/0901/090121"]
NEED_PATHS = OCOP_LEAVES + HS_LEAVES + [
    "ocop/I", "ocop/I/I.4", "ocop/I/I.1", "hs/IV", "hs/IV/21", "hs/IV/21/2103",
    "hs/II/09", "hs/IV/21/210"]
UNITS = st.sampled_from([None, "kg", "chai", "Chai", "hộp"])
CERTS = ["vietgap", "haccp", "organic", "ocop_3", "ocop_4"]


@st.composite
def catalogues(draw):
    n_products = draw(st.integers(0, 40))
    products = []
    for i in range(n_products):
        paths = draw(st.lists(st.sampled_from(OCOP_LEAVES + HS_LEAVES), min_size=1,
                              max_size=2, unique=True))
        pmin = draw(st.one_of(st.none(), st.integers(0, 200_000)))
        products.append(ProductRecord(
            id=i + 1, producer_id=draw(st.integers(1, 8)), category_paths=tuple(paths),
            ocop_stars=draw(st.sampled_from([None, 3, 4, 5])),
            certifications=frozenset(draw(st.lists(st.sampled_from(CERTS), max_size=3))),
            monthly_capacity=draw(st.one_of(st.none(), st.integers(1, 6000))),
            unit=draw(UNITS), price_min_vnd=pmin,
            price_max_vnd=None if pmin is None else pmin + draw(st.integers(0, 50_000)),
            province_code=draw(st.sampled_from([None, NGHE_AN, HA_TINH, 1]))))
    needs = []
    for i in range(draw(st.integers(0, 16))):
        paths = draw(st.lists(st.sampled_from(NEED_PATHS), min_size=1, max_size=2,
                              unique=True))
        needs.append(NeedRecord(
            id=i + 1, distributor_id=draw(st.integers(100, 105)), category_paths=tuple(paths),
            required_certifications=frozenset(
                draw(st.lists(st.sampled_from(CERTS), max_size=1))),
            min_ocop_stars=draw(st.sampled_from([None, None, 3, 4])),
            monthly_volume=draw(st.one_of(st.none(), st.integers(1, 5000))),
            unit=draw(UNITS),
            target_price_vnd=draw(st.one_of(st.none(), st.integers(0, 200_000))),
            delivery_provinces=frozenset(draw(st.lists(
                st.sampled_from([NGHE_AN, HA_TINH, 1]), max_size=2)))))
    return products, needs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.integers(1, 6), st.data())
def test_fast_top_k_equals_the_all_pairs_reference(catalogue, k, data):
    products, needs = catalogue
    ix = MatchIndex.build(products, needs)
    ref = all_pairs(products, needs)
    for dist in range(100, 106):
        exclude = data.draw(st.frozensets(st.integers(1, 8), max_size=3))
        only = data.draw(st.one_of(st.none(), st.frozensets(st.integers(1, 8))))
        assert ix.top_producers_for(dist, k, exclude, only) == \
            brute_top_producers(ref, dist, k, exclude, only)
    for prod in range(1, 9):
        exclude = data.draw(st.frozensets(st.integers(100, 105), max_size=2))
        only = data.draw(st.one_of(st.none(), st.frozensets(st.integers(100, 105))))
        assert ix.top_distributors_for(prod, k, exclude, only) == \
            brute_top_distributors(ref, prod, k, exclude, only)
    assert ix.event_pairs() == sorted(
        ref.values(), key=lambda m: (-m.score, m.producer_id, m.distributor_id))


@settings(max_examples=60, deadline=None)
@given(catalogues(), st.frozensets(st.integers(1, 8)), st.frozensets(st.integers(100, 105)),
       st.frozensets(st.tuples(st.integers(1, 8), st.integers(100, 105)), max_size=4))
def test_event_index_and_exclusions(catalogue, producers, distributors, exclude):
    products, needs = catalogue
    ix = MatchIndex.build(products, needs)
    sub_p = [p for p in products if p.producer_id in producers]
    sub_n = [n for n in needs if n.distributor_id in distributors]
    ref = all_pairs(sub_p, sub_n, exclude)
    assert ix.event_pairs(producers, distributors, exclude) == sorted(
        ref.values(), key=lambda m: (-m.score, m.producer_id, m.distributor_id))
    event = ix.restricted(producers, distributors)
    ref = all_pairs(sub_p, sub_n)
    for dist in distributors:
        assert event.top_producers_for(dist, 3) == brute_top_producers(ref, dist, 3)


@settings(max_examples=80, deadline=None)
@given(catalogues())
def test_queries_never_look_at_non_matching_pairs(catalogue):
    products, needs = catalogue
    ix = MatchIndex.build(products, needs)
    ix.trace = Trace()
    for dist in range(100, 106):
        ix.top_producers_for(dist, 3)
    for prod in range(1, 9):
        ix.top_distributors_for(prod, 3)
    ix.event_pairs()
    by_id = {p.id: p for p in products}
    need_by_id = {n.id: n for n in needs}
    for pid, nid in ix.trace.scored:  # every product × need scored is a covering one
        assert any(covers(c, x) for c in need_by_id[nid].category_paths
                   for x in by_id[pid].category_paths)
    covering = {(p.producer_id, n.distributor_id) for p in products for n in needs
                if any(covers(c, x) for c in n.category_paths for x in p.category_paths)}
    assert ix.trace.examined <= covering  # random access only within covering pairs


def test_empty_and_unknown_participants():
    ix = MatchIndex.build([], [])
    assert ix.top_producers_for(1) == [] and ix.top_distributors_for(1) == []
    assert ix.event_pairs() == []
    ix = MatchIndex.build([product()], [need()])
    assert ix.top_producers_for(999) == [] and ix.top_producers_for(100, k=0) == []


# ------------------------------------------------------------------- batch


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.integers(1, 6),
       st.one_of(st.none(), st.frozensets(st.integers(1, 9))),
       st.one_of(st.none(), st.frozensets(st.integers(100, 106))),
       st.frozensets(st.tuples(st.integers(1, 8), st.integers(100, 105)), max_size=6),
       st.frozensets(st.tuples(st.integers(1, 8), st.integers(100, 105)), max_size=4),
       st.frozensets(st.tuples(st.integers(1, 8), st.integers(100, 105)), max_size=4))
def test_event_top_lists_equal_the_per_participant_queries(catalogue, k, producers,
                                                           distributors, exclude, hide_d,
                                                           hide_p):
    products, needs = catalogue
    ix = MatchIndex.build(products, needs)
    lists = ix.event_top_lists(producers, distributors, k, exclude, hide_d, hide_p)
    all_p = sorted(ix.producer_range) if producers is None else sorted(producers)
    all_d = sorted(ix.distributor_range) if distributors is None else sorted(distributors)
    assert sorted(lists.top_producers) == all_d and sorted(lists.top_distributors) == all_p
    sub_p = [p for p in products if producers is None or p.producer_id in producers]
    sub_n = [n for n in needs if distributors is None or n.distributor_id in distributors]
    ref = all_pairs(sub_p, sub_n, exclude)
    for d in all_d:
        hidden = {p for p, dd in hide_d if dd == d}
        assert lists.top_producers[d] == brute_top_producers(ref, d, k, hidden)
        assert lists.top_producers[d] == ix.top_producers_for(
            d, k, {p for p, dd in exclude | hide_d if dd == d}, producers)
    for p in all_p:
        hidden = {d for pp, d in hide_p if pp == p}
        assert lists.top_distributors[p] == brute_top_distributors(ref, p, k, hidden)
        assert lists.top_distributors[p] == ix.top_distributors_for(
            p, k, {d for pp, d in exclude | hide_p if pp == p}, distributors)


def test_event_top_lists_fall_back_on_huge_figures_and_empty_cases():
    products = [product(1, 1, unit="chai", price_min_vnd=10**17, monthly_capacity=10**18),
                product(2, 2, unit="chai", price_min_vnd=90_000, monthly_capacity=10)]
    needs = [need(1, 100, unit="chai", target_price_vnd=100_000, monthly_volume=10)]
    ix = MatchIndex.build(products, needs)
    lists = ix.event_top_lists()
    assert lists.top_producers[100] == ix.top_producers_for(100)
    assert [m.producer_id for m in lists.top_producers[100]] == [2, 1]
    assert lists.top_distributors[1] == ix.top_distributors_for(1)
    hidden = ix.event_top_lists(hidden_from_distributors={(2, 100)})
    assert [m.producer_id for m in hidden.top_producers[100]] == [1]
    assert hidden.top_distributors[2] == ix.top_distributors_for(2)
    assert MatchIndex.build([], []).event_top_lists() == ({}, {})
    assert ix.event_top_lists(k=0) == ({100: []}, {1: [], 2: []})
    assert ix.event_top_lists([7], [100]).top_producers == {100: []}
