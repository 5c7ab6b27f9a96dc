"""The browse page /products/: results, facets, filters kept in every link, messages for bad
input, and a fixed number of SQL statements however many products there are.

Checked in English (the visitor switches language first); Vietnamese text comes from the
catalogue."""

import html
import re

import pytest

import tests.access  # noqa: F401  (loads every access_* module, ours included, in order)
from matchmaker.extensions import db
from matchmaker.organisations.models import Certification
from tests import factories
from tests.access_search import HA_TINH, NGHE_AN, make_org, make_product
from tests.conftest import csrf_token, log_in


def english(client):
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def names(text: str) -> list[str]:
    """Product names on a results page, in order."""
    found = re.findall(r'class="stretched-link[^"]*" href="[^"]+">([^<]+)</a>', text)
    return [html.unescape(name) for name in found]


def links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/products/\?[^"]*)"', text)]


@pytest.fixture
def shop(app_ctx):
    org = make_org("Công ty CP Thủy sản Nghệ An")
    cert = Certification(organisation=org, kind="vietgap")
    items = {
        "cl28": make_product(org, "Nước mắm Cửa Lò CL28", "I.4.a", ocop_stars=4, cover=True,
                             unit="chai", price_min_vnd=60_000, price_max_vnd=90_000),
        "tra": make_product(org, "Trà xanh Anh Sơn", "I.5.a", ocop_stars=3, unit="kg",
                            certifications=[cert]),
        "mat_ong": make_product(make_org("HTX Mật ong Hương Sơn", HA_TINH), "Mật ong rừng",
                                hs="0409", price_min_vnd=300_000),
        "hidden": make_product(org, "Nước mắm thử nghiệm", "I.4.a", active=False),
    }
    db.session.commit()
    return items


def test_results_with_price_stars_producer_and_links(client, shop):
    text = page(english(client), "/products/?q=nuoc+mam")
    assert names(text) == ["Nước mắm Cửa Lò CL28"]
    assert "1 product found" in text
    assert "Công ty CP Thủy sản Nghệ An · Nghệ An" in text
    assert "₫60,000 – ₫90,000 / " in text
    assert 'aria-hidden="true">★★★★</span>' in text
    product = shop["cl28"]
    assert f'href="/products/{product.id}"' in text
    cover = product.images[0]
    assert f'src="/products/{product.id}/images/{cover.id}/thumb"' in text
    assert "Nước mắm thử nghiệm" not in text  # inactive


def test_browse_without_query_lists_every_active_product_newest_first(client, shop):
    text = page(english(client), "/products/")
    assert names(text) == ["Mật ong rừng", "Trà xanh Anh Sơn", "Nước mắm Cửa Lò CL28"]
    assert "3 products found" in text
    assert '<option value="relevance"' not in text  # nothing to rank by
    assert '<option value="newest" selected>' in text


def test_the_form_is_a_plain_get_form_that_keeps_link_filters(client, shop):
    text = page(english(client), f"/products/?q=tra&province={NGHE_AN}&stars=3")
    assert re.search(r'<form method="get" action="/products/" id="browse-form"', text)
    assert f'<input type="hidden" name="province" value="{NGHE_AN}">' in text
    assert '<input type="hidden" name="stars" value="3">' in text
    assert 'name="csrf_token"' not in text.split('id="browse-form"')[1].split("</form>")[0]


def test_facet_links_keep_the_other_filters(client, shop):
    text = page(english(client), "/products/?q=a&sort=name&cert=vietgap")
    facet_links = links(text)
    assert "/products/?q=a&category=ocop/I&cert=vietgap&sort=name" in facet_links
    assert f"/products/?q=a&province={NGHE_AN}&cert=vietgap&sort=name" in facet_links
    assert "/products/?q=a&cert=vietgap&stars=3&sort=name" in facet_links
    # The chip removes the certification and keeps the rest.
    assert "/products/?q=a&sort=name" in facet_links


def test_category_facet_counts_include_subgroups(client, shop):
    text = page(english(client), "/products/?category=ocop/I")
    assert names(text) == ["Trà xanh Anh Sơn", "Nước mắm Cửa Lò CL28"]
    facet = text.split('data-testid="facet-category"')[1].split("</ul>\n</div>")[0]
    food = re.search(r'href="/products/\?category=ocop/I"[^>]*>\s*<span>([^<]+)</span>'
                     r'<span class="text-body-secondary">(\d+)</span>', facet)
    assert food.groups() == ("Food products", "2")
    # The chosen group is opened to show its sub-groups with their own counts.
    assert re.search(r'category=ocop/I/I.4"[^>]*>\s*<span>Gia vị</span>'
                     r'<span class="text-body-secondary">1</span>', facet)


def test_province_certification_and_stars_facets(client, shop):
    text = page(english(client), "/products/")
    province = text.split('data-testid="facet-province"')[1].split("</ul>")[0]
    assert re.search(r"<span>Nghệ An</span><span[^>]*>2</span>", province)
    assert re.search(r"<span>Hà Tĩnh</span><span[^>]*>1</span>", province)
    certs = text.split('data-testid="facet-cert"')[1].split("</ul>")[0]
    assert re.search(r"<span>VietGAP</span><span[^>]*>1</span>", certs)
    assert re.search(r"<span>OCOP 4 stars</span><span[^>]*>1</span>", certs)
    stars = text.split('data-testid="facet-stars"')[1].split("</ul>")[0]
    assert re.search(r"3 stars or more</span>\s*<span[^>]*>2</span>", stars)


def test_filters_apply_and_show_as_removable_chips(client, shop):
    text = page(english(client), "/products/?price_min=100.000")
    assert names(text) == ["Mật ong rừng"]
    chips = text.split('data-testid="browse-chips"')[1].split("</ul>")[0]
    assert "from ₫100,000" in chips
    assert names(page(client, f"/products/?province={HA_TINH}")) == ["Mật ong rừng"]
    assert names(page(client, "/products/?cert=vietgap")) == ["Trà xanh Anh Sơn"]
    assert names(page(client, "/products/?stars=4")) == ["Nước mắm Cửa Lò CL28"]
    assert names(page(client, "/products/?category=hs/I")) == ["Mật ong rừng"]


def test_bad_input_gets_messages_and_the_rest_still_applies(client, shop):
    text = page(english(client), "/products/?q=nuoc+mam&price_min=abc&province=99&stars=9")
    assert names(text) == ["Nước mắm Cửa Lò CL28"]
    assert "Enter a whole amount in đồng, for example 1.500.000." in text
    assert 'value="abc"' in text  # the user's text is kept for correction
    assert "Choose a province from the list." in text
    assert "OCOP stars must be 3, 4 or 5." in text
    text = page(client, "/products/?category=ocop/IX")
    assert "This category does not exist. Choose one from the list." in text
    text = page(client, "/products/?price_min=500000&price_max=100000")
    assert "The lowest price is above the highest price." in text
    assert page(client, "/products/?page=abc").count("The page must be a whole number") == 1


def test_syntax_characters_in_the_query_are_harmless(client, shop):
    for q in ['"', "*", "nuoc OR mam", "-", "NEAR(", "a:b", "%22%2A"]:
        assert client.get("/products/", query_string={"q": q}).status_code == 200


def test_empty_results_and_pages_past_the_end(client, shop):
    text = page(english(client), "/products/?q=khong+co+gi")
    assert "No product matches." in text and "0 products found" in text
    text = page(client, "/products/?page=5")
    assert "There are no more results." in text


def test_pagination_links_keep_the_filters(client, app_ctx):
    org = make_org("HTX Diễn Châu")
    for i in range(45):
        make_product(org, f"Lạc sen Diễn Châu {i:02d}", "I.1.a")
    db.session.commit()
    text = page(english(client), "/products/?q=lac+sen&category=ocop/I&sort=name&page=2")
    assert names(text)[0] == "Lạc sen Diễn Châu 20"
    pages = [link for link in links(text) if "page=" in link]
    assert "/products/?q=lac+sen&category=ocop/I&sort=name&page=3" in pages
    assert "/products/?q=lac+sen&category=ocop/I&sort=name" in links(text)  # page 1
    assert 'aria-current="page"><span class="page-link">2</span>' in text


def test_vietnamese_is_the_default_language(client, shop):
    text = page(client, "/products/?q=nuoc+mam")
    assert '<html lang="vi">' in text
    assert "60.000\u00a0₫ – 90.000\u00a0₫" in text


@pytest.mark.parametrize("role", ["anon", "member"])
def test_statement_count_does_not_grow_with_products(app, app_ctx, count_queries, role):
    client = app.test_client()
    if role == "member":
        log_in(client, factories.make_user())
    org = make_org("HTX Nghi Lộc")
    cert = Certification(organisation=org, kind="haccp")
    for i in range(3):
        make_product(org, f"Nước mắm Nghi Lộc {i}", "I.4.a", cover=True, ocop_stars=4)
    db.session.commit()
    urls = ["/products/", "/products/?q=nuoc+mam&category=ocop/I&cert=haccp&stars=3",
            "/products/?category=hs/IV&sort=name"]
    with count_queries() as few:
        for url in urls:
            client.get(url)
    for i in range(60):
        make_product(org, f"Nước mắm Nghi Lộc số {i}", "I.4.a", "2103", cover=True,
                     ocop_stars=5, certifications=[cert])
    db.session.commit()
    with count_queries() as many:
        for url in urls:
            assert client.get(url).status_code == 200
    assert many.count == few.count
    per_page = {"anon": 2, "member": 4}[role]  # a member's login loader takes two
    assert many.count <= 3 * per_page + 1  # the HS filter looks its category up once


def test_cold_category_cache_and_an_hs_filter_stay_within_budget(app, app_ctx, count_queries):
    from matchmaker.catalogue.search import clear_category_cache

    client = app.test_client()
    log_in(client, factories.make_user())  # a member: the login loader runs two statements
    make_product(make_org("HTX Hương Sơn", HA_TINH), "Mật ong rừng", "I.2.b", "0409")
    db.session.commit()
    clear_category_cache()
    with count_queries() as counter:
        text = page(client, "/products/?category=hs/I/04&q=mat+ong")
    assert names(text) == ["Mật ong rừng"]
    assert counter.count <= 5, counter.statements
