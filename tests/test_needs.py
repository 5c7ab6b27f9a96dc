"""Sourcing needs: publish, show, edit, delete; who may see and change them; bad input.

Through the real forms (CSRF on unless a test says ``no_csrf``); messages in English after
switching the language, values checked in the database.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (first: it imports every access_* module, ours included)
from matchmaker.auth.models import User
from matchmaker.catalogue import services
from matchmaker.catalogue.models import NeedCertification, SourcingNeed
from matchmaker.extensions import db
from matchmaker.organisations.divisions import provinces
from matchmaker.organisations.models import Side
from tests import factories
from tests.access_needs import category, make_need
from tests.conftest import csrf_token, log_in

HA_NOI, NGHE_AN = 1, 40


def browser(app, user, lang="en"):
    client = app.test_client()
    log_in(client, user)
    if lang == "en":
        db.session.rollback()  # a stale read snapshot may not write on SQLite
        db.session.get(User, sa.inspect(user).identity[0]).locale = "en"
        db.session.commit()
    return client


def need_form(**changes) -> dict:
    """A complete, valid need form with ``changes`` applied."""
    data = {
        "title": " Nước mắm  cho 20 siêu thị ",
        "description": "Giao hàng hai tuần một lần.",
        "ocop_categories": [str(category("ocop", "I.4").id), str(category("ocop", "I.4.a").id)],
        "hs_codes": "0901, 2103",
        "monthly_volume": "5.000",
        "unit": "chai",
        "target_price": "100.000",
        "required_kinds": ["vietgap", "haccp"],
        "min_ocop_stars": "3",
        "provinces": [str(NGHE_AN), str(HA_NOI)],
        "active_until": (services.local_today() + timedelta(days=30)).isoformat(),
        "active": "y",
    }
    data.update(changes)
    return data


def post(client, url, **changes):
    data = need_form(**changes)
    data["csrf_token"] = csrf_token(client, url if not url.endswith("delete") else "/")
    return client.post(url, data=data)


def needs() -> list[SourcingNeed]:
    db.session.rollback()  # end the test's read snapshot: the request committed since
    return list(db.session.scalars(sa.select(SourcingNeed).order_by(SourcingNeed.id)))


def errors(page: str) -> list[str]:
    return [e.strip() for e in re.findall(r'class="invalid-feedback[^"]*">([^<]+)<', page)]


@pytest.fixture
def distributor(users):
    return users["member_b"]  # a member of Siêu thị Đô Lương, a distributor


@pytest.fixture
def rival(app_ctx):
    """A member of another distributor."""
    org = factories.make_organisation("Công ty TNHH Phân phối Vinh", Side.DISTRIBUTOR)
    return factories.make_user(organisation=org)


# --- publish and show ----------------------------------------------------------------------

def test_distributor_publishes_a_need_and_others_see_it(app, users, distributor):
    client = browser(app, distributor)
    response = post(client, "/needs/new")
    assert response.status_code == 302
    (need,) = needs()
    assert response.headers["Location"] == f"/needs/{need.id}"
    assert need.organisation_id == distributor.organisation_id
    assert need.title == "Nước mắm cho 20 siêu thị"
    assert sorted((c.scheme, c.code) for c in need.categories) == [
        ("hs", "0901"), ("hs", "2103"), ("ocop", "I.4"), ("ocop", "I.4.a")]
    assert (need.monthly_volume, need.unit, need.target_price_vnd) == (5_000, "chai", 100_000)
    assert sorted(r.kind for r in need.required_certifications) == ["haccp", "vietgap"]
    assert sorted(p.province_code for p in need.delivery_provinces) == [HA_NOI, NGHE_AN]
    assert need.min_ocop_stars == 3 and need.active is True

    # A producer (any logged-in user) sees the open need, in English here.
    page = browser(app, users["member_a"]).get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Nước mắm cho 20 siêu thị" in page and "Siêu thị Đô Lương" in page
    assert "5,000 bottle" in page and "₫100,000 / bottle" in page
    assert "VietGAP" in page and "HACCP" in page
    assert "Thành phố Hà Nội, Nghệ An" in page  # Vietnamese order of the proper names
    assert re.search(r"Food products</li>\s*<li[^>]*>Gia vị</li>", page)  # a group, at any level
    assert re.search(r">09 [^<]+</li>\s*<li[^>]*>0901 Coffee", page)  # HS, leading zero kept
    assert f'/needs/{need.id}/edit' not in page  # not theirs


def test_need_page_in_vietnamese_shows_the_chosen_categories(app, users, distributor,
                                                             no_csrf):
    browser(app, distributor).post("/needs/new", data=need_form(hs_codes="", unit="kg"))
    (need,) = needs()
    page = browser(app, users["member_a"], lang="vi").get(f"/needs/{need.id}").get_data(
        as_text=True)
    assert "5.000 kg" in page and "100.000\u00a0₫ / kg" in page
    assert "Sản phẩm thực phẩm" in page


def test_hs_codes_alone_are_enough(app, distributor, no_csrf):
    response = browser(app, distributor).post("/needs/new", data=need_form(
        ocop_categories=[], hs_codes="09 0902;090121"))
    assert response.status_code == 302
    (need,) = needs()
    assert sorted(c.code for c in need.categories) == ["09", "090121", "0902"]


def test_the_form_offers_the_ocop_tree_indented_and_34_provinces(app, distributor):
    page = browser(app, distributor, lang="vi").get("/needs/new").get_data(as_text=True)
    assert page.count('name="ocop_categories"') == 39
    assert page.count('name="provinces"') == 34
    assert re.search(r'class="form-check ms-5">\s*<input[^>]*name="ocop_categories"[^>]*>\s*'
                     r'<label[^>]*>9\. Tương, nước mắm', page)  # a product set, two steps in
    assert re.search(r'value="40">\s*<label[^>]*>Nghệ An</label>', page)


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "message"), [
    ({"title": "  "}, "Enter a title, e.g. Nước mắm for 20 supermarkets."),
    ({"ocop_categories": [], "hs_codes": ""},
     "Choose at least one OCOP category or give an HS code."),
    ({"hs_codes": "0901, 9999"}, "These HS codes do not exist in HS 2022: 9999."),
    ({"hs_codes": "0901 123"}, "“123” is not an HS code: use 2, 4 or 6 digits, e.g. 0901."),
    ({"monthly_volume": "0"}, "Enter a whole number greater than 0, e.g. 500."),
    ({"monthly_volume": "1,5"}, "Enter a whole number greater than 0, e.g. 500."),
    ({"unit": ""}, "Choose the unit the volume is counted in."),
    ({"target_price": "-5"}, "A price cannot be negative."),
    ({"target_price": "1.500,5"}, "Enter a whole number of đồng, e.g. 1.500.000 (no decimals)."),
    ({"provinces": ["999"]}, "Choose from the list."),
    ({"required_kinds": ["iso9001"]}, "Choose from the list."),
    ({"ocop_categories": ["987654"]}, "Choose from the list."),
    ({"min_ocop_stars": "6"}, "Choose from the list."),
    ({"active_until": "31/02/2027"}, "Enter a valid date, e.g. 31/12/2026."),
])
def test_bad_input_is_explained_and_saves_nothing(app, distributor, changes, message):
    response = post(browser(app, distributor), "/needs/new", **changes)
    assert response.status_code == 200
    assert message in errors(response.get_data(as_text=True))
    assert needs() == []


def test_open_until_cannot_be_in_the_past_for_a_new_need(app, distributor):
    yesterday = services.local_today() - timedelta(days=1)
    response = post(browser(app, distributor), "/needs/new", active_until=yesterday.isoformat())
    assert "This date has passed. Choose today or a later day." in errors(
        response.get_data(as_text=True))
    assert needs() == []
    today = services.local_today().isoformat()
    assert post(browser(app, distributor), "/needs/new", active_until=today).status_code == 302


def test_an_expired_date_may_stay_but_not_be_moved_into_the_past(app, distributor, no_csrf):
    expired = services.local_today() - timedelta(days=10)
    need = make_need(distributor.organisation, active_until=expired)
    client = browser(app, distributor)
    url = f"/needs/{need.id}/edit"
    assert client.post(url, data=need_form(active_until=expired.isoformat(),
                                           title="Vẫn hết hạn")).status_code == 302
    other_past = (expired - timedelta(days=1)).isoformat()
    page = client.post(url, data=need_form(active_until=other_past)).get_data(as_text=True)
    assert "This date has passed. Choose today or a later day." in errors(page)
    (need,) = needs()
    assert need.title == "Vẫn hết hạn" and need.active_until == expired


def test_the_service_refuses_what_the_form_would(app_ctx, users):
    org = users["member_b"].organisation
    fields = services.NeedFields(title="X", category_ids=[category("ocop", "I").id])
    with pytest.raises(services.CatalogueError, match="not_distributor"):
        services.create_need(users["member_a"].organisation, fields)
    for bad, code in [({"category_ids": []}, "no_category"),
                      ({"province_codes": [999]}, "province"),
                      ({"required_kinds": ["iso9001"]}, "kind"),
                      ({"active_until": services.local_today() - timedelta(days=1)},
                       "past_date")]:
        with pytest.raises(services.CatalogueError, match=code):
            services.create_need(org, services.NeedFields(**{**fields.__dict__, **bad}))
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SourcingNeed)) == 0


# --- edit and delete -----------------------------------------------------------------------

def test_edit_form_is_filled_and_saves_changes(app, distributor):
    need = make_need(distributor.organisation, ocop=("I.4",), hs=("0901",),
                     monthly_volume=2_000, unit="kg", target_price_vnd=95_000)
    client = browser(app, distributor)
    url = f"/needs/{need.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="0901"' in form and 'value="2.000"' in form and 'value="95.000"' in form
    assert re.search(rf'value="{category("ocop", "I.4").id}" checked', form)
    response = post(client, url, title="Chè xanh Thanh Chương", hs_codes="0902",
                    ocop_categories=[], provinces=[], required_kinds=[], active="")
    assert response.status_code == 302 and response.headers["Location"] == f"/needs/{need.id}"
    (need,) = needs()
    assert need.title == "Chè xanh Thanh Chương" and need.active is False
    assert [c.code for c in need.categories] == ["0902"]
    assert need.delivery_provinces == [] and need.required_certifications == []


def test_owner_deletes_a_need(app, distributor):
    need = make_need(distributor.organisation)
    client = browser(app, distributor)
    response = client.post(f"/needs/{need.id}/delete",
                           data={"csrf_token": csrf_token(client, f"/needs/{need.id}")})
    assert response.status_code == 302 and response.headers["Location"] == "/needs/"
    assert needs() == []


def test_staff_may_edit_and_delete(app, users, distributor, no_csrf):
    need = make_need(distributor.organisation)
    staff = browser(app, users["organiser"])
    assert staff.post(f"/needs/{need.id}/edit", data=need_form(title="Sửa")).status_code == 302
    response = staff.post(f"/needs/{need.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert needs() == []


# --- who may ---------------------------------------------------------------------------

def test_another_distributor_cannot_change_or_delete(app, distributor, rival, no_csrf):
    need = make_need(distributor.organisation)
    other = browser(app, rival)
    assert other.get(f"/needs/{need.id}/edit").status_code == 403
    assert other.post(f"/needs/{need.id}/edit", data=need_form(title="X")).status_code == 403
    assert other.post(f"/needs/{need.id}/delete").status_code == 403
    (need,) = needs()
    assert need.title == "Nước mắm cho 20 siêu thị"


def test_closed_needs_are_seen_only_by_their_organisation_and_staff(app, users, distributor,
                                                                    rival, client):
    today = services.local_today()
    open_today = make_need(distributor.organisation, "Hôm nay", active_until=today)
    expired = make_need(distributor.organisation, "Hết hạn",
                        active_until=today - timedelta(days=1))
    inactive = make_need(distributor.organisation, "Tạm dừng", active=False)
    other, owner = browser(app, rival), browser(app, distributor)
    staff = browser(app, users["organiser"])
    assert other.get(f"/needs/{open_today.id}").status_code == 200  # open through today
    for need in (expired, inactive):
        assert other.get(f"/needs/{need.id}").status_code == 404
        assert owner.get(f"/needs/{need.id}").status_code == 200
        assert staff.get(f"/needs/{need.id}").status_code == 200
    assert "Closed" in owner.get(f"/needs/{expired.id}").get_data(as_text=True)
    # Anonymous visitors log in first, even for an open need.
    response = client.get(f"/needs/{open_today.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_producer_only_member_cannot_publish(app, users, no_csrf):
    producer = browser(app, users["member_a"])
    assert producer.get("/needs/new").status_code == 403
    assert producer.post("/needs/new", data=need_form()).status_code == 403
    assert needs() == []
    page = producer.get("/needs/").get_data(as_text=True)
    assert "is registered as a producer" in page and 'href="/needs/new"' not in page


def test_anonymous_is_sent_to_log_in_and_nothing_changes(client, distributor, no_csrf):
    need = make_need(distributor.organisation)
    for url in ("/needs/new", f"/needs/{need.id}/edit", f"/needs/{need.id}/delete"):
        response = client.post(url, data=need_form(title="X"))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    (need,) = needs()
    assert need.title == "Nước mắm cho 20 siêu thị"


def test_member_of_a_both_sides_organisation_publishes(app, app_ctx, no_csrf):
    both = factories.make_user(organisation=factories.make_organisation(side=Side.BOTH))
    assert browser(app, both).post("/needs/new", data=need_form()).status_code == 302
    assert len(needs()) == 1


# --- lists and budgets ---------------------------------------------------------------------

def test_my_needs_lists_only_my_organisations(app, distributor, rival):
    mine = make_need(distributor.organisation, "Của tôi")
    make_need(rival.organisation, "Của đối thủ")
    page = browser(app, distributor).get("/needs/").get_data(as_text=True)
    assert "Của tôi" in page and "Của đối thủ" not in page
    assert f'href="/needs/{mine.id}/edit"' in page


def test_pages_stay_within_the_query_budget_whatever_the_rows(app, distributor,
                                                              count_queries):
    need = make_need(distributor.organisation, ocop=("I", "I.1", "I.4.a", "II.1.a"),
                     hs=("09", "0901", "090121", "2103"),
                     provinces=[code for code, _name in provinces()],
                     required_certifications=[NeedCertification(kind=kind) for kind in (
                         "vietgap", "haccp", "organic", "ocop_4")])
    for i in range(20):
        make_need(distributor.organisation, f"Nhu cầu {i}")
    client = browser(app, distributor)
    for url in (f"/needs/{need.id}", f"/needs/{need.id}/edit", "/needs/", "/needs/new"):
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        assert counter.count <= 5, (url, counter.statements)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "090121" in page and "Nhu cầu 19" in client.get("/needs/").get_data(as_text=True)
