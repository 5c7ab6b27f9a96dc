"""Suggestion pages, decisions (not interested, excluded, pinned), the event restriction,
the organisers' pairs, reasons in both languages, ``flask match`` and the demo data."""

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.auth.models import User
from matchmaker.events.models import Registration
from matchmaker.extensions import db
from matchmaker.matching import loader, services
from matchmaker.matching.cli import match as match_command
from matchmaker.matching.engine import qualifies
from matchmaker.matching.models import MatchDecision
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from tests import factories
from tests.access_events import make_event
from tests.access_matching import D, P, take_part
from tests.access_needs import category, make_need
from tests.access_products import make_product
from tests.access_registrations import register_org
from tests.conftest import client_for, csrf_token
from tests.test_demo import seed


def _ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def _org(name, side, province=40):
    org = factories.make_organisation(name, side)
    org.province_code = province
    db.session.commit()
    return org


@pytest.fixture
def market(app_ctx):
    """Two fish-sauce producers (Cửa Lò 4★ with capacity, Vạn Phần 3★), a honey producer,
    a supermarket wanting "Gia vị" (≥ 3★, 2,000 bottles a month) and an exporter wanting
    HS 2103; an event where Cửa Lò and the supermarket take part, Vạn Phần only pending."""
    cua_lo = _org("Công ty CP Thủy sản Cửa Lò", Side.PRODUCER)
    van_phan = _org("HTX Thủy sản Vạn Phần", Side.PRODUCER)
    bees = _org("HTX Ong mật Quỳ Hợp", Side.PRODUCER)
    mart = _org("Chuỗi siêu thị Sông Lam", Side.DISTRIBUTOR)
    exporter = _org("Công ty Xuất khẩu Á Đông", Side.DISTRIBUTOR, province=79)
    fish = make_product(cua_lo, "Nước mắm Cửa Lò", ocop_stars=4, monthly_capacity=5_000,
                        price_min_vnd=60_000, price_max_vnd=80_000)
    make_product(van_phan, "Nước mắm hạ thổ", ocop_stars=3, hs_category_id=None)
    make_product(bees, "Mật ong rừng", ocop_stars=4, hs_category_id=None,
                 ocop_category_id=category("ocop", "I.2.b").id)
    spice = make_need(mart, "Gia vị", ocop=("I.4",), hs=(), provinces=(40,),
                      min_ocop_stars=3, monthly_volume=2_000, unit="chai",
                      target_price_vnd=90_000)
    make_need(exporter, "Nước chấm xuất khẩu", ocop=(), hs=("2103",), provinces=(79,))
    event = make_event("Hội nghị kết nối cung cầu Cửa Lò")
    take_part(event, cua_lo, P, product_ids=[_ident(fish)])
    take_part(event, mart, D, need_ids=[_ident(spice)])
    register_org(event, van_phan, side=P)
    ids = {name: _ident(obj) for name, obj in dict(
        cua_lo=cua_lo, van_phan=van_phan, bees=bees, mart=mart, exporter=exporter,
        event=event).items()}
    users = dict(
        mart=factories.make_user(organisation=mart, email="mart@example.vn"),
        cua_lo=factories.make_user(organisation=cua_lo, email="cualo@example.vn"),
        exporter=factories.make_user(organisation=exporter, email="adong@example.vn"),
        organiser=factories.make_user(Role.ORGANISER, email="btc@example.vn"))
    return SimpleNamespace(**ids, users=users)


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-testid="suggestion" data-organisation="(\d+)"',
                                       html)]


def _post(client, url, data, page="/suggestions/"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def test_distributor_sees_producers_with_reasons_in_english(app, market):
    client = client_for(app, market.users["mart"])
    html = client.get("/suggestions/").get_data(as_text=True)
    assert _ids(html) == [market.cua_lo, market.van_phan]  # 4★ with capacity first
    assert "Nước mắm Cửa Lò → your need “Gia vị”" in html
    assert "OCOP “Gia vị” includes OCOP “Tương, nước mắm, gia vị dạng lỏng khác”" in html
    assert "OCOP 4★ ≥ 3★ required" in html
    assert "capacity 5,000 bottles/month ≥ 2,000" in html
    assert "price ₫60,000–₫80,000 ≤ target ₫90,000 per bottle" in html
    assert "based in Nghệ An, a delivery province" in html
    assert f'href="/organisations/{market.cua_lo}"' in html
    assert "HTX Ong mật Quỳ Hợp" not in html


def test_reasons_are_in_vietnamese_by_default(app, market):
    client = client_for(app, market.users["mart"], lang="vi")
    html = client.get("/suggestions/").get_data(as_text=True)
    assert "Nước mắm Cửa Lò → nhu cầu “Gia vị” của bạn" in html
    assert "OCOP 4★ ≥ 3★ theo yêu cầu" in html
    assert "năng lực 5.000 chai/tháng ≥ 2.000" in html
    assert "60.000\u00a0₫–80.000\u00a0₫" in html


def test_producer_sees_distributors_whose_needs_its_products_meet(app, market):
    client = client_for(app, market.users["cua_lo"])
    html = client.get("/suggestions/").get_data(as_text=True)
    assert _ids(html) == [market.mart, market.exporter]
    assert "your Nước mắm Cửa Lò → their need “Nước chấm xuất khẩu”" in html
    assert "HS 2103: same category" in html
    assert "based in Nghệ An, outside the delivery provinces (Thành phố Hồ Chí Minh)" in html


def test_an_organisation_on_both_sides_has_two_tabs(app, market):
    both = _org("Công ty Thương mại Hai Chiều", Side.BOTH)
    make_product(both, "Nước mắm Hai Chiều", ocop_stars=3, hs_category_id=None)
    make_need(both, "Mật ong", ocop=("I.2.b",), hs=())
    client = client_for(app, factories.make_user(organisation=both, email="both@example.vn"))
    producers = client.get("/suggestions/?tab=producers").get_data(as_text=True)
    assert _ids(producers) == [market.bees]
    distributors = client.get("/suggestions/?tab=distributors").get_data(as_text=True)
    assert _ids(distributors) == [market.mart]
    assert "Suggested distributors" in producers


def test_not_interested_hides_the_pair_from_that_side_only_until_undone(app, market):
    mart = client_for(app, market.users["mart"])
    pair = {"producer_id": market.cua_lo, "distributor_id": market.mart}
    response = _post(mart, "/suggestions/not-interested", {**pair, "next": "/suggestions/"})
    assert response.status_code == 302 and response.headers["Location"] == "/suggestions/"
    html = mart.get("/suggestions/").get_data(as_text=True)
    assert _ids(html) == [market.van_phan]
    assert "Hidden suggestions (1)" in html
    # The producer still sees the supermarket.
    producer = client_for(app, market.users["cua_lo"])
    assert market.mart in _ids(producer.get("/suggestions/").get_data(as_text=True))
    # Someone outside the pair cannot decide for it.
    assert _post(producer, "/suggestions/not-interested",
                 {"producer_id": market.van_phan, "distributor_id": market.mart}
                 ).status_code == 403
    _post(mart, "/suggestions/undo-not-interested", pair)
    assert _ids(mart.get("/suggestions/").get_data(as_text=True)) == [market.cua_lo,
                                                                      market.van_phan]


def test_event_suggestions_only_show_approved_participants_with_a_meeting_link(app, market):
    mart = client_for(app, market.users["mart"])
    html = mart.get(f"/events/{market.event}/suggestions").get_data(as_text=True)
    assert _ids(html) == [market.cua_lo]  # Vạn Phần is only pending
    registration = loader.event_participants(market.event)
    reg_id = next(p.registration_id for p in registration if p.organisation_id == market.cua_lo)
    if "meetings.request_form" in app.view_functions:
        assert f"registration_id={reg_id}" in html or f"/{reg_id}" in html
        assert 'data-testid="request-meeting"' in html
    # The exporter does not take part.
    exporter = client_for(app, market.users["exporter"])
    assert exporter.get(f"/events/{market.event}/suggestions").status_code == 403


def test_exclusion_hides_the_pair_from_both_sides_at_its_event_only(app, market):
    organiser = client_for(app, market.users["organiser"])
    page = f"/events/{market.event}/pairs"
    response = _post(organiser, f"{page}/exclude",
                     {"producer_id": market.cua_lo, "distributor_id": market.mart,
                      "reason": "existing_partner"}, page)
    assert response.status_code == 302
    mart, producer = client_for(app, market.users["mart"]), client_for(
        app, market.users["cua_lo"])
    assert _ids(mart.get(f"/events/{market.event}/suggestions").get_data(as_text=True)) == []
    assert _ids(producer.get(f"/events/{market.event}/suggestions").get_data(
        as_text=True)) == []
    assert market.cua_lo in _ids(mart.get("/suggestions/").get_data(as_text=True))
    html = organiser.get(f"{page}?show=excluded").get_data(as_text=True)
    assert "Excluded: Already partners" in html
    _post(organiser, f"{page}/unexclude",
          {"producer_id": market.cua_lo, "distributor_id": market.mart}, page)
    assert _ids(mart.get(f"/events/{market.event}/suggestions").get_data(
        as_text=True)) == [market.cua_lo]


def test_other_reason_needs_a_note_shown_next_to_the_field(app, market):
    organiser = client_for(app, market.users["organiser"])
    page = f"/events/{market.event}/pairs"
    response = _post(organiser, f"{page}/exclude",
                     {"producer_id": market.cua_lo, "distributor_id": market.mart,
                      "reason": "other", "note": "  "}, page)
    assert response.status_code == 422
    assert "Say why in a few words." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision)) == 0


def test_pinned_pairs_come_first_with_a_badge(app, market):
    # Both fish-sauce producers approved; Vạn Phần (lower score) pinned for the supermarket.
    from tests.access_matching import approve
    approve(db.session.scalar(sa.select(Registration.id).where(
        Registration.organisation_id == market.van_phan)))
    organiser = client_for(app, market.users["organiser"])
    page = f"/events/{market.event}/pairs"
    assert _post(organiser, f"{page}/pin", {"producer_id": market.van_phan,
                                             "distributor_id": market.mart},
                 page).status_code == 302
    mart = client_for(app, market.users["mart"])
    html = mart.get(f"/events/{market.event}/suggestions").get_data(as_text=True)
    assert _ids(html) == [market.van_phan, market.cua_lo]
    assert html.count('data-testid="pinned"') == 1
    pairs = organiser.get(page).get_data(as_text=True)
    assert pairs.index(f'data-producer="{market.van_phan}"') < pairs.index(
        f'data-producer="{market.cua_lo}"')
    _post(organiser, f"{page}/unpin", {"producer_id": market.van_phan,
                                        "distributor_id": market.mart}, page)
    html = mart.get(f"/events/{market.event}/suggestions").get_data(as_text=True)
    assert _ids(html) == [market.cua_lo, market.van_phan]


def test_pairs_page_filters_by_name_without_accents(app, market):
    organiser = client_for(app, market.users["organiser"])
    page = f"/events/{market.event}/pairs"
    html = organiser.get(f"{page}?producer=cua lo").get_data(as_text=True)
    assert "1 pair" in html and f'data-producer="{market.cua_lo}"' in html
    html = organiser.get(f"{page}?distributor=a dong").get_data(as_text=True)
    assert "0 pairs" in html


def test_pin_refuses_organisations_not_taking_part(app, market):
    organiser = client_for(app, market.users["organiser"])
    page = f"/events/{market.event}/pairs"
    _post(organiser, f"{page}/pin", {"producer_id": market.bees,
                                      "distributor_id": market.mart}, page)
    html = organiser.get(page).get_data(as_text=True)
    assert "must be approved participants" in html
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision)) == 0


def test_show_more_raises_k_up_to_fifty(app, market):
    for i in range(12):
        org = _org(f"Cơ sở nước mắm số {i}", Side.PRODUCER)
        make_product(org, f"Nước mắm số {i}", ocop_stars=3, hs_category_id=None)
    client = client_for(app, market.users["mart"])
    html = client.get("/suggestions/").get_data(as_text=True)
    assert len(_ids(html)) == 10 and 'href="/suggestions/?k=20"' in html
    html = client.get("/suggestions/?k=20").get_data(as_text=True)
    assert len(_ids(html)) == 14 and 'data-testid="more"' not in html
    assert len(_ids(client.get("/suggestions/?k=999").get_data(as_text=True))) == 14


def test_flask_match_prints_each_participants_suggestions(app, market):
    result = app.test_cli_runner().invoke(match_command, [str(market.event)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "participants: 1 producers, 1 distributors" in out
    assert "distributor Chuỗi siêu thị Sông Lam" in out
    assert "1. Công ty CP Thủy sản Cửa Lò — score" in out
    assert "Nước mắm Cửa Lò → your need “Gia vị”: OCOP “Gia vị” includes" in out
    assert "producer Công ty CP Thủy sản Cửa Lò" in out
    vi = app.test_cli_runner().invoke(match_command, [str(market.event), "--lang", "vi"])
    assert "nhu cầu “Gia vị” của bạn" in vi.output
    missing = app.test_cli_runner().invoke(match_command, ["999999"])
    assert missing.exit_code != 0 and "no event 999999" in missing.output


def _demo_spice_matches(app) -> tuple[set[int], dict[int, tuple[str, set[int], bool]]]:
    """Seed the demo; the fish-sauce producers, and per distributor with a "Gia vị" (OCOP
    I.4 and below) or HS 2103 need: its name, the producers suggested to it, and whether the
    fish-sauce products hold every certification and star level its spice needs require."""
    seed(app)
    db.session.rollback()
    cat = loader.catalogue()
    fish_products = [p for p in cat.products.values() if "nước mắm" in p.name.lower()]
    fish = {p.producer_id for p in fish_products}
    buyers: dict[int, tuple[str, set[int], bool]] = {}
    for need in cat.needs.values():
        if not any(c.startswith(("ocop/I/I.4", "hs/IV/21/2103")) for c in need.category_paths):
            continue
        found = services.suggestions(cat, need.distributor_id, services.DISTRIBUTOR, [], k=50)
        for s in found.suggestions:
            assert all(pair.reasons for pair in s.match.pairs)
        meets = all(qualifies(p, need) for p in fish_products)
        name, matched, ok = buyers.get(need.distributor_id, (
            cat.organisations[need.distributor_id].name,
            {s.organisation_id for s in found.suggestions}, True))
        buyers[need.distributor_id] = (name, matched, ok and meets)
    assert len(fish) >= 3 and len(buyers) >= 5
    return fish, buyers


def test_demo_spice_buyers_whose_requirements_the_producers_meet_get_them(app, app_ctx):
    fish, buyers = _demo_spice_matches(app)
    qualified = {d: v for d, v in buyers.items() if v[2]}
    assert qualified, "no demo spice need the fish-sauce producers qualify for"
    for name, matched, _ok in qualified.values():
        assert fish <= matched, name
    # The demo distributor's page says why, in Vietnamese.
    user = db.session.scalar(sa.select(User).where(User.email == "distributor@example.com"))
    html = client_for(app, user, lang="vi").get("/suggestions/").get_data(as_text=True)
    assert _ids(html) and "→ nhu cầu" in html and "theo yêu cầu" in html


def test_demo_every_spice_buyer_is_matched_with_the_fish_sauce_producers(app, app_ctx):
    """Issue 5, done when: every distributor whose need is "Gia vị" or HS 2103 is matched
    with the fish-sauce producers, with reasons."""
    fish, buyers = _demo_spice_matches(app)
    missing = {name: len(fish - matched) for name, matched, _ok in buyers.values()
               if not fish <= matched}
    assert not missing


def test_the_page_budget_holds_with_many_suggestions(app, market, count_queries):
    for i in range(30):
        org = _org(f"Cơ sở nước mắm thứ {i}", Side.PRODUCER)
        make_product(org, f"Nước mắm thứ {i}", ocop_stars=4, hs_category_id=None)
    client = client_for(app, market.users["mart"])
    client.get("/suggestions/?k=50")  # builds the cached catalogue
    with count_queries() as counter:
        html = client.get("/suggestions/?k=50").get_data(as_text=True)
    assert len(_ids(html)) == 32 and counter.count <= 3, counter.statements


# -- the meeting state instead of "Request a meeting" (a new user's trial) --------------------

def _state(html: str, organisation_id: int) -> str:
    """The request state shown on the suggestion of ``organisation_id``."""
    item = html.split(f'data-testid="suggestion" data-organisation="{organisation_id}"')[1]
    item = item.split('data-testid="suggestion"')[0]
    return item.split('data-testid="request-state" data-state="')[1].split('"')[0]


def _registration_of(event_id: int, organisation_id: int) -> int:
    return next(p.registration_id for p in loader.event_participants(event_id)
                if p.organisation_id == organisation_id)


def _ask(event_id: int, requester_id: int, counterpart_registration_id: int) -> int:
    from matchmaker.db import write_transaction
    from matchmaker.meetings import requests as meeting_requests

    db.session.rollback()
    with write_transaction():
        meeting = meeting_requests.request_meeting(event_id, requester_id,
                                                   counterpart_registration_id, None)
        meeting_id = meeting.id
        db.session.commit()
    return meeting_id


def _set_cap(event_id: int, cap: int | None) -> None:
    from matchmaker.events.models import Event

    db.session.rollback()
    db.session.get(Event, event_id).meeting_cap = cap
    db.session.commit()


def test_event_suggestions_show_the_meeting_instead_of_a_second_request(app, market,
                                                                         count_queries):
    from matchmaker.db import write_transaction
    from matchmaker.meetings import requests as meeting_requests

    mart = client_for(app, market.users["mart"])
    cua_lo = client_for(app, market.users["cua_lo"])
    url = f"/events/{market.event}/suggestions"
    html = mart.get(url).get_data(as_text=True)
    assert _state(html, market.cua_lo) == "can_request"
    meeting_id = _ask(market.event, market.mart, _registration_of(market.event, market.cua_lo))
    with count_queries() as counter:
        html = mart.get(url).get_data(as_text=True)
    assert counter.count <= 5, counter.statements
    assert _state(html, market.cua_lo) == "requested_by_us"
    assert "Meeting requested" in html and 'data-testid="request-meeting"' not in html
    html = cua_lo.get(url).get_data(as_text=True)
    assert _state(html, market.mart) == "requested_by_them"
    assert f"/meetings/#meeting-{meeting_id}" in html
    db.session.rollback()
    with write_transaction():
        meeting_requests.accept(meeting_id, market.cua_lo, None)
        db.session.commit()
    for client, other in ((mart, market.cua_lo), (cua_lo, market.mart)):
        html = client.get(url).get_data(as_text=True)
        assert _state(html, other) == "accepted" and "Meeting accepted" in html


def test_event_suggestions_say_whose_cap_is_reached(app, market):
    from matchmaker.events.models import Event

    db.session.rollback()
    event = db.session.get(Event, market.event)
    other_producer = _org("Cơ sở nước mắm Nghi Thiết", Side.PRODUCER)
    other_buyer = _org("Siêu thị Hưng Dũng", Side.DISTRIBUTOR)
    take_part(event, other_producer, P)
    take_part(event, other_buyer, D)
    _set_cap(market.event, 1)
    mart = client_for(app, market.users["mart"])
    url = f"/events/{market.event}/suggestions"
    assert _state(mart.get(url).get_data(as_text=True), market.cua_lo) == "can_request"
    # Cửa Lò's one meeting is taken by another buyer: the mart sees their cap reached.
    _ask(market.event, _ident(other_buyer), _registration_of(market.event, market.cua_lo))
    html = mart.get(url).get_data(as_text=True)
    assert _state(html, market.cua_lo) == "cap_other" and "Cap reached" in html
    assert "They already have 1 open meeting or request" in html
    # Cap lifted; the mart asks someone else and reaches its own cap.
    _set_cap(market.event, None)
    assert _state(mart.get(url).get_data(as_text=True), market.cua_lo) == "can_request"
    _ask(market.event, market.mart, _registration_of(market.event, _ident(other_producer)))
    _set_cap(market.event, 1)
    html = mart.get(url).get_data(as_text=True)
    assert _state(html, market.cua_lo) == "cap_self"
    assert "Your organisation already has 1 open meeting or request" in html


def test_event_suggestions_before_approval_explain_why(app, market):
    from matchmaker.organisations.models import Organisation

    url = f"/events/{market.event}/suggestions"
    # Not registered at all: 403, with the way to register.
    exporter = client_for(app, market.users["exporter"])
    response = exporter.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'data-registration="none"' in html
    assert "Your organisation is not registered at this event." in html
    assert f"/events/{market.event}/register" in html
    # Registered, waiting for approval: 403 with the registration's status and link.
    db.session.rollback()
    van_phan_user = factories.make_user(
        organisation=db.session.get(Organisation, market.van_phan), email="vp@example.vn")
    pending = client_for(app, van_phan_user)
    response = pending.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'data-registration="pending"' in html
    assert "Your registration is waiting for the organisers' approval." in html
    assert 'data-testid="registration-link"' in html and "/register" not in html.split(
        'data-testid="not-participant"')[1]
    # An unknown event stays 404.
    assert pending.get("/events/999999/suggestions").status_code == 404


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["capacity 5,000 products/month ≥ 2,500",
            "capacity not stated (1 product/month wanted)",
            "price ₫60,000 ≤ target ₫90,000 per product",
            "units differ (product, box): volume and price not compared",
            "capacity 300 lọ/month < 2,500 wanted"]),
    ("vi", ["năng lực 5.000 sản phẩm/tháng ≥ 2.500",
            "chưa nêu năng lực (cần 1 sản phẩm/tháng)",
            "giá 60.000\u00a0₫ ≤ giá mục tiêu 90.000\u00a0₫ mỗi sản phẩm",
            "khác đơn vị tính (sản phẩm, hộp): chưa so sánh sản lượng và giá",
            "năng lực 300 lọ/tháng < 2.500 cần mua"]),
])
def test_the_importers_default_unit_is_translated_in_reasons(app, lang, expected):
    """Imported products without a unit get "sản phẩm"; English readers see "products"
    (a quantity agrees with its number), not the Vietnamese word."""
    from flask_babel import force_locale

    from matchmaker.matching.engine import Reason
    from matchmaker.matching.reasons import reason_text

    reasons = [
        Reason("capacity_meets", 1, (("capacity", 5000), ("volume", 2500),
                                     ("unit", "sản phẩm"))),
        Reason("capacity_unknown", 1, (("volume", 1), ("unit", "sản phẩm"))),
        Reason("price_within", 1, (("price_min", 60_000), ("price_max", None),
                                   ("target", 90_000), ("unit", "sản phẩm"))),
        Reason("unit_mismatch", 0, (("product_unit", "sản phẩm"), ("need_unit", "hộp"))),
        # A unit typed in an import ("lọ"): shown as stored.
        Reason("capacity_partial", 1, (("capacity", 300), ("volume", 2500), ("unit", "lọ"))),
    ]
    with app.test_request_context(), force_locale(lang):
        assert [reason_text(r) for r in reasons] == expected

