"""The search service: folding, ranking, filters, facets, sort, pages, and query safety.

Products are built directly (tests/access_search.py helpers); the browse page and the API have
their own test files.
"""

import unicodedata
from datetime import date, timedelta

import pytest

import tests.access  # noqa: F401  (loads every access_* module, ours included, in order)
from matchmaker.catalogue import search as search_module
from matchmaker.catalogue.search import UnknownCategory, search
from matchmaker.catalogue.search_index import search_tokens
from matchmaker.catalogue.search_params import MAX_PER_PAGE, SearchParams, parse_params
from matchmaker.extensions import db
from matchmaker.organisations.models import Certification
from matchmaker.text import sort_key
from tests.access_search import HA_TINH, NGHE_AN, make_org, make_product


def find(**args) -> list[str]:
    """Names found, in order, for query-string ``args`` (which must be valid)."""
    params, errors = parse_params({k: str(v) for k, v in args.items()})
    assert errors == {}
    return [hit.product.name for hit in search(params).hits]


def total(**args) -> int:
    params, errors = parse_params({k: str(v) for k, v in args.items()})
    assert errors == {}
    return search(params).total


@pytest.fixture
def catalogue(app_ctx):
    """Real Nghệ An products (as in the demo file) and a few neighbours."""
    thuy_san = make_org("Công ty CP Thủy sản Nghệ An")
    van_phan = make_org("Công ty CP Thủy sản Vạn Phần")
    pu_mat = make_org("Công ty CP Dược liệu Pù Mát")
    thanh_duc = make_org("HTX nông nghiệp và chế biến chè xanh Thanh Đức")
    bay_luong = make_org("Công ty TNHH hương trầm Bảy Lương")
    ha_tinh = make_org("HTX Mật ong Hương Sơn", province=HA_TINH)
    products = {
        "cl28": make_product(thuy_san, "Nước mắm Cửa Lò CL28", "I.4.a", "2103", ocop_stars=4,
                             unit="chai", price_min_vnd=60_000, price_max_vnd=90_000),
        "ha_tho": make_product(van_phan, "Nước mắm hạ thổ", "I.4.a", ocop_stars=4, unit="chai",
                               price_min_vnd=120_000),
        "tuong": make_product(thuy_san, "Tương Sa Nam", "I.4.a", ocop_stars=3),
        "tra_tui": make_product(pu_mat, "Trà túi lọc cà gai leo", "III.1", ocop_stars=4,
                                price_max_vnd=45_000),
        "tra_tan": make_product(pu_mat, "Trà hòa tan dây thìa canh", "III.1", ocop_stars=5),
        "tam_sen": make_product(pu_mat, "Trà tâm sen", "I.5.b", ocop_stars=4),
        "che_xanh": make_product(thanh_duc, "Chè xanh Thanh Chương", "I.5.a", ocop_stars=4,
                                 price_min_vnd=200_000, price_max_vnd=400_000),
        "huong": make_product(bay_luong, "Hương trầm Liên Đức", "IV.1", ocop_stars=4),
        "mat_ong": make_product(ha_tinh, "Mật ong rừng", hs="0409", ocop_stars=3,
                                description="Mật ong nguyên chất, dùng pha trà."),
        "old": make_product(thuy_san, "Nước mắm cũ (ngừng bán)", "I.4.a", active=False),
    }
    db.session.commit()
    return products


FISH_SAUCE = {"Nước mắm Cửa Lò CL28", "Nước mắm hạ thổ"}
# Soy sauce is in the OCOP set "Tương, nước mắm, gia vị dạng lỏng khác", so it is found too,
# after the products that say "nước mắm" in their name.


def found_fish_sauce(names: list[str]) -> bool:
    return set(names[:2]) == FISH_SAUCE and names[2:] == ["Tương Sa Nam"]


def test_folded_search_ignores_case_diacritics_and_normal_form(catalogue):
    assert found_fish_sauce(find(q="nuoc mam"))
    assert found_fish_sauce(find(q="NƯỚC MẮM"))
    assert found_fish_sauce(find(q=unicodedata.normalize("NFD", "NƯỚC MẮM")))
    assert found_fish_sauce(find(q="  Nuoc   MAM  "))
    assert find(q="cl28") == ["Nước mắm Cửa Lò CL28"]


def test_d_finds_d_with_stroke_and_tone_placement_does_not_matter(catalogue):
    # "Đức" in the producer and the product name; "hòa"/"hoà" both ways.
    assert find(q="lien duc") == ["Hương trầm Liên Đức"]
    assert find(q="LIÊN ĐỨC") == ["Hương trầm Liên Đức"]
    assert find(q="trà hoà tan") == ["Trà hòa tan dây thìa canh"]
    assert find(q="trà hòa tan") == ["Trà hòa tan dây thìa canh"]


def test_every_word_must_match(catalogue):
    assert find(q="nuoc mam ha tho") == ["Nước mắm hạ thổ"]
    assert find(q="nuoc mam tra") == []


def test_producer_and_category_names_in_both_languages_are_searched(catalogue):
    assert set(find(q="van phan")) == {"Nước mắm hạ thổ"}
    # "Food products" is the English name of OCOP major group I, an ancestor of I.4.a.
    assert set(find(q="food products nuoc")) == FISH_SAUCE | {"Tương Sa Nam"}
    # HS 0409 "Natural honey" (English only in the HS source).
    assert find(q="natural honey") == ["Mật ong rừng"]


def test_tra_finds_teas_whole_words_first(catalogue):
    found = find(q="tra")
    teas = {"Trà túi lọc cà gai leo", "Trà hòa tan dây thìa canh", "Trà tâm sen"}
    # Whole word in the name first; "trầm" is only a prefix match; "Chè xanh" is found through
    # its OCOP group "Chè" (trà); the honey only mentions tea in its description.
    assert set(found[:3]) == teas
    assert "Chè xanh Thanh Chương" in found
    assert "Mật ong rừng" in found
    assert found.index("Hương trầm Liên Đức") > found.index("Chè xanh Thanh Chương")
    assert found.index("Mật ong rừng") > 2


def test_name_match_ranks_above_description_match(app_ctx):
    org = make_org("HTX Quỳnh Lưu")
    make_product(org, "Bánh đa vừng", description="Ăn kèm nước mắm Cửa Lò.")
    make_product(org, "Nước mắm nhỉ Quỳnh Lưu")
    db.session.commit()
    assert find(q="nuoc mam") == ["Nước mắm nhỉ Quỳnh Lưu", "Bánh đa vừng"]


def test_whole_word_ranks_above_prefix(app_ctx):
    org = make_org("HTX Kỳ Sơn")
    make_product(org, "Trầm hương Kỳ Sơn")  # newer, and "tram" starts with "tra"
    make_product(org, "Gạo trắng")
    make_product(org, "Trà gừng")
    db.session.commit()
    assert find(q="tra")[0] == "Trà gừng"
    assert find(q="tra", sort="newest")[0] == "Trà gừng"  # newest: the last one made


def test_inactive_products_are_never_found(catalogue):
    assert "Nước mắm cũ (ngừng bán)" not in find(q="nuoc mam")
    assert "Nước mắm cũ (ngừng bán)" not in find(per_page=100)
    assert total() == 9


def test_query_syntax_characters_cannot_break_the_search(catalogue):
    for q in ['"', '""', "'", "*", "nuoc*", "-mam", "mam -nuoc", "nuoc OR mam", "NOT nuoc",
              "nuoc AND", "NEAR(nuoc mam)", "name_key:nuoc", "search_key : tra", "(", ")",
              "^nuoc", "nuoc + mam", "a:*", "nuoc & mam | tra", "!tra", "tra:*A", "\\", "%",
              "_", "{}", "[tra]", "nước\u0000mắm"]:
        params, errors = parse_params({"q": q})
        assert errors == {}
        search(params)  # must not raise
    # Operators are plain words here: every word must match.
    assert find(q="nuoc OR mam") == []
    assert found_fish_sauce(find(q='"nuoc" mam*'))
    assert find(q="***") != []  # no letters: browse everything


def test_category_filter_includes_descendants(catalogue):
    food = set(find(category="ocop/I", per_page=100))
    assert {"Nước mắm Cửa Lò CL28", "Tương Sa Nam", "Trà tâm sen",
            "Chè xanh Thanh Chương"} <= food
    assert "Trà túi lọc cà gai leo" not in food  # group III (herbal), not I
    assert "Nước mắm cũ (ngừng bán)" not in food
    assert set(find(category="ocop/I/I.4")) == FISH_SAUCE | {"Tương Sa Nam"}
    assert set(find(category="ocop/I/I.4/I.4.a")) == FISH_SAUCE | {"Tương Sa Nam"}
    assert find(category="hs/IV/21/2103") == ["Nước mắm Cửa Lò CL28"]
    assert find(category="hs/I") == ["Mật ong rừng"]  # HS section I holds 0409
    assert found_fish_sauce(find(q="nuoc mam", category="ocop/I"))
    assert find(q="nuoc mam", category="ocop/III") == []


def test_unknown_category_is_reported(catalogue):
    params, errors = parse_params({"category": "ocop/IX"})
    assert errors == {}
    result = search(params)
    assert result.unknown_category and result.total == 9  # left out, the rest still works
    with pytest.raises(UnknownCategory):
        search(params, strict=True)
    _params, errors = parse_params({"category": "ocop/I/../II"})
    assert set(errors) == {"category"}


def test_province_stars_and_price_filters(catalogue):
    assert find(province=HA_TINH) == ["Mật ong rừng"]
    assert total(province=NGHE_AN) == 8
    assert set(find(stars=5)) == {"Trà hòa tan dây thìa canh"}
    assert total(stars=4) == 7
    # Overlap: 60-90k and 120k (min only) and 200-400k; max-only 45k.
    assert set(find(price_min="100.000")) == {"Nước mắm hạ thổ", "Chè xanh Thanh Chương"}
    assert set(find(price_max="70000")) == {"Nước mắm Cửa Lò CL28", "Trà túi lọc cà gai leo"}
    assert set(find(price_min="80.000 ₫", price_max="150,000")) == {
        "Nước mắm Cửa Lò CL28", "Nước mắm hạ thổ"}
    assert find(price_min="500.000") == []


def test_certification_filter_uses_valid_certificates_and_ocop_stars(catalogue):
    org = catalogue["cl28"].organisation
    today = date(2026, 6, 1)
    valid = Certification(organisation=org, kind="haccp", expires_on=today)
    expired = Certification(organisation=org, kind="vietgap",
                            expires_on=today - timedelta(days=1))
    catalogue["cl28"].certifications = [valid, expired]
    db.session.commit()

    def with_cert(kind):
        params, _errors = parse_params({"cert": kind})
        return [hit.product.name for hit in search(params, today=today).hits]

    assert with_cert("haccp") == ["Nước mắm Cửa Lò CL28"]
    assert with_cert("vietgap") == []  # expired the day before
    assert set(with_cert("ocop_5")) == {"Trà hòa tan dây thìa canh"}  # from Product.ocop_stars
    assert len(with_cert("ocop_3")) == 2


def test_facet_counts_include_descendants_and_ignore_their_own_filter(catalogue):
    params, _errors = parse_params({"q": "nuoc mam", "province": str(HA_TINH)})
    result = search(params, with_facets=True)
    assert result.total == 0
    # Province counts ignore the province filter: choosing Nghệ An would give 3.
    assert result.facets.provinces == [(NGHE_AN, "Nghệ An", 3)]

    params, _errors = parse_params({"category": "ocop/I/I.5"})
    facets = search(params, with_facets=True).facets
    majors = {node.category.code: node.count for node in facets.categories}
    assert majors == {"I": 5, "III": 2, "IV": 1}  # every OCOP product, whatever the category
    groups = {child.category.code: child.count
              for node in facets.categories for child in node.children}
    assert groups == {"I.4": 3, "I.5": 2, "III.1": 2, "IV.1": 1}
    # The other facets do apply the category filter: two teas in I.5, both 4 stars.
    assert facets.stars == {3: 2, 4: 2, 5: 0}
    assert facets.provinces == [(NGHE_AN, "Nghệ An", 2)]
    assert facets.certs == [("ocop_4", 2)]


def test_certification_facet_counts_products_once_per_kind(catalogue):
    org = catalogue["cl28"].organisation
    catalogue["cl28"].certifications = [
        Certification(organisation=org, kind="haccp", number="1"),
        Certification(organisation=org, kind="haccp", number="2"),
        Certification(organisation=org, kind="ocop_4", number="3"),
    ]
    db.session.commit()
    facets = search(SearchParams(q="nuoc mam"), with_facets=True).facets
    assert dict(facets.certs) == {"ocop_3": 1, "ocop_4": 2, "haccp": 1}
    assert [kind for kind, _n in facets.certs] == ["ocop_3", "ocop_4", "haccp"]


def test_names_sort_in_vietnamese_alphabetical_order(app_ctx):
    org = make_org("HTX Thanh Chương")
    names = ["Đào tiên", "Dừa sáp", "Ăn liền", "Âm trà", "An toàn", "Bánh", "Ô mai", "Ổi",
             "Ơ", "Oản", "Ướp", "Ưu", "Uống", "Ê", "Em", "Hòa", "Hoà bình", "Hỏa"]
    for name in names:
        make_product(org, name)
    db.session.commit()
    assert find(sort="name", per_page=100) == [
        "An toàn", "Ăn liền", "Âm trà", "Bánh", "Dừa sáp", "Đào tiên", "Em", "Ê",
        "Hòa", "Hỏa", "Hoà bình", "Oản", "Ô mai", "Ổi", "Ơ", "Uống", "Ướp", "Ưu"]
    # Exactly text.sort_key's order (CLDR vi: letters first, then tones, then case).
    assert find(sort="name", per_page=100) == sorted(names, key=sort_key)


def test_default_order_is_newest_without_words_and_relevance_with_them(app_ctx):
    org = make_org("HTX Nghi Lộc")
    for name in ("Nước mắm A", "Trà B", "Nước mắm nước mắm C"):
        make_product(org, name)
        db.session.flush()
    db.session.commit()
    assert find() == ["Nước mắm nước mắm C", "Trà B", "Nước mắm A"]
    assert SearchParams(sort="relevance").order == "newest"  # nothing to rank by
    assert SearchParams(q="x").order == "relevance"


def test_pagination(app_ctx):
    org = make_org("HTX Diễn Châu")
    for i in range(25):
        make_product(org, f"Lạc sen {i:02d}")
    db.session.commit()
    first = search(SearchParams(sort="name", per_page=10))
    assert first.total == 25 and first.pages == 3
    assert [h.product.name for h in first.hits][:2] == ["Lạc sen 00", "Lạc sen 01"]
    third = search(SearchParams(sort="name", per_page=10, page=3))
    assert [h.product.name for h in third.hits] == [f"Lạc sen {i}" for i in range(20, 25)]
    beyond = search(SearchParams(page=9))
    assert beyond.hits == [] and beyond.total == 25
    params, errors = parse_params({"per_page": "1000"})
    assert errors == {} and params.per_page == MAX_PER_PAGE
    assert search(SearchParams(page=2, per_page=10)).page_window() == [1, 2, 3]
    assert search(SearchParams(page=6, per_page=1)).page_window() == [
        1, None, 4, 5, 6, 7, 8, None, 25]


def test_bad_parameters_get_a_message_each(app_ctx):
    params, errors = parse_params({
        "q": "x" * 201, "category": "drop table", "province": "99", "cert": "iso9001",
        "stars": "6", "price_min": "-5", "price_max": "1.500,5", "sort": "price",
        "page": "0", "per_page": "abc"})
    assert set(errors) == {"q", "category", "province", "cert", "stars", "price_min",
                           "price_max", "sort", "page", "per_page"}
    assert params == SearchParams()
    _params, errors = parse_params({"price_min": "200.000", "price_max": "100.000"})
    assert set(errors) == {"price_max"}
    params, errors = parse_params({"q": "", "province": "", "page": "", "sort": ""})
    assert errors == {} and params == SearchParams()


def test_to_args_keeps_filters_and_resets_the_page(app_ctx):
    params = SearchParams(q="trà", province=NGHE_AN, page=3, per_page=50)
    assert params.to_args(stars=4) == {"q": "trà", "province": NGHE_AN, "stars": 4,
                                       "per_page": 50}
    assert params.to_args(page=4) == {"q": "trà", "province": NGHE_AN, "page": 4,
                                      "per_page": 50}
    assert params.to_args(province=None) == {"q": "trà", "per_page": 50}


def expected_tier(product, tokens) -> int:
    """The relevance tier of the module docstring, computed in Python."""
    key, name_words = set(product.search_key.split()), search_tokens(product.name)
    whole = all(t in key for t in tokens)
    whole_name = all(t in name_words for t in tokens)
    prefix_name = all(any(w.startswith(t) for w in name_words) for t in tokens)
    return 4 * whole + 2 * whole_name + prefix_name


@pytest.mark.parametrize("recent_factor", [100, 1])
@pytest.mark.parametrize("per_page", [1, 3, 7, 50])
def test_ranking_follows_the_tiers_on_every_page(app_ctx, monkeypatch, per_page,
                                                 recent_factor):
    # PostgreSQL reads the newest RECENT_FACTOR * page products first and older ones through
    # the index: with a factor of 1 both parts are exercised even on a small catalogue.
    monkeypatch.setattr(search_module, "RECENT_FACTOR", recent_factor)
    org = make_org("HTX Thanh Chương")
    # Lower tiers deliberately newer than higher ones, so a page that mixed them up shows.
    rows = [("Trà xanh", None), ("Trà gừng", None), ("Hương trầm", "không phải trà"),
            ("Chè búp", None), ("Trầm hương", None), ("Gạo trắng", None),
            ("Bánh", "ăn với trà"), ("Tràng hạt", "trà"), ("Mật ong", "pha trà chanh"),
            ("Trà túi lọc", None), ("Trắng", None), ("Nến", "hương tràm")]
    made = [make_product(org, name, "I.5.a" if name.startswith("Chè") else None,
                         description=description) for name, description in rows * 2]
    db.session.commit()
    tokens = ("tra",)
    matches = [p for p in made
               if all(any(w.startswith(t) for w in p.search_key.split()) for t in tokens)]
    expected = sorted(matches, key=lambda p: (-expected_tier(p, tokens), -p.id))
    got = []
    for page in range(1, 30):
        hits = search(SearchParams(q="tra", page=page, per_page=per_page)).hits
        if not hits:
            break
        got += [hit.product.id for hit in hits]
    assert got == [p.id for p in expected]
    assert {expected_tier(p, tokens) for p in expected} == {7, 5, 4, 1, 0}
    newest = []
    for page in range(1, 30):
        hits = search(SearchParams(q="tra", sort="newest", page=page, per_page=per_page)).hits
        newest += [hit.product.id for hit in hits]
        if not hits:
            break
    assert newest == sorted((p.id for p in matches), reverse=True)
    with_filter = search(SearchParams(q="tra", stars=None, category="ocop/I",
                                      per_page=per_page)).hits
    assert [h.product.name for h in with_filter] == ["Chè búp", "Chè búp"][:per_page]


def test_only_the_last_word_may_be_unfinished(catalogue):
    assert found_fish_sauce(find(q="nuoc ma"))
    assert found_fish_sauce(find(q="NƯỚC M"))
    assert find(q="nuo mam") == []  # the first word was typed out: it must be whole


@pytest.mark.parametrize("recent_factor", [100, 1])
def test_certification_filter_in_every_part_of_the_search(app_ctx, monkeypatch, recent_factor):
    monkeypatch.setattr(search_module, "RECENT_FACTOR", recent_factor)
    org = make_org("HTX Chè Thanh Chương")
    today = date(2026, 6, 1)
    first = Certification(organisation=org, kind="vietgap", number="1")
    renewed = Certification(organisation=org, kind="vietgap", number="2")
    lapsed = Certification(organisation=org, kind="vietgap", number="3",
                           expires_on=today - timedelta(days=1))
    che, tra = [], []
    for i in range(12):
        certs = [[first, renewed], [lapsed], []][i % 3]
        che.append(make_product(org, f"Chè xanh số {i}", "I.5.a", certifications=certs))
        tra.append(make_product(org, f"Trà xanh số {i}", "I.5.b", certifications=certs))
    db.session.commit()

    def certified(products):
        return sorted((p.id for p in products if first in p.certifications), reverse=True)
    got = []
    for page in range(1, 10):
        params, _errors = parse_params({"q": "che", "cert": "vietgap", "per_page": "2",
                                        "page": str(page)})
        hits = search(params, today=today).hits
        got += [hit.product.id for hit in hits]
        if not hits:
            break
    # "Chè" in the name first, then the teas of the OCOP "Chè" group; each once, newest first
    # within each, none with only a lapsed certificate.
    assert got == certified(che) + certified(tra)
