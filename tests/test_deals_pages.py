"""The MOU and supply-contract pages: recording from a meeting, a participant or typed
names, value and volume parsing, documents checked by content, editing with the version
check, status changes with reasons, contracts converting and reopening their MOU,
notifications, the lists and their filters, both languages, and races under real
concurrent requests."""

import html as html_module
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.auth.models import LoginSession
from matchmaker.deals import services
from matchmaker.deals.forms import parse_volume
from matchmaker.deals.models import Mou, SupplyContract
from matchmaker.deals.notify import DEAL_MESSAGES
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Organisation, Side
from tests import factories
from tests.access_deals import (
    PDF,
    ident,
    record_contract,
    record_mou,
    setup,
)
from tests.access_products import image_bytes, make_product
from tests.conftest import client_for, csrf_token
from tests.test_registration_concurrency import (  # noqa: F401  (server: a fixture)
    post,
    run_all,
    server,
)


@pytest.fixture
def deal(users):
    """The deal world of ``tests/access_deals.py`` (A–C MOU with a contract, an agency MOU,
    an event with a held A–C meeting), plus a member of C."""
    world = dict(users)
    world["org_a"] = users["member_a"].organisation
    world["org_b"] = users["member_b"].organisation
    setup(world)
    world["member_c"] = factories.make_user(organisation=world["deal_org_c"],
                                            email="c@example.vn", full_name="Lê Văn Cường")
    return world


def page_of(response) -> str:
    """The page's HTML with entities decoded (``&#39;`` reads ``'``)."""
    return html_module.unescape(response.get_data(as_text=True))


def load(model, ident_):
    db.session.rollback()
    return db.session.get(model, ident_)


def notes_of(user) -> list[Notification]:
    """The user's notifications about MOUs and contracts, oldest first."""
    db.session.rollback()
    return [n for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == ident(user)).order_by(Notification.id))
        if n.kind.startswith(("mou.", "contract."))]


def history_of(subject: Subject, subject_id: int) -> list[tuple]:
    db.session.rollback()
    return [(c.from_status, c.to_status, c.note) for c in db.session.scalars(
        sa.select(StatusChange).where(StatusChange.subject_type == subject.value,
                                      StatusChange.subject_id == subject_id)
        .order_by(StatusChange.id))]


def mous_between(producer_id: int, distributor_id: int) -> list[Mou]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Mou).where(
        Mou.producer_id == producer_id, Mou.distributor_id == distributor_id)
        .order_by(Mou.id)))


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="invalid-feedback[^"]*">([^<]*)<', html)


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else None


def with_csrf(client, path: str, data: dict) -> dict:
    return {"csrf_token": csrf_token(client, path), **data}


MOU_FORM = {"signed_on": "12/06/2025", "valid_until": "2026-06-12",
            "estimated_value": "1.500.000.000", "volume": "2.000", "unit": "chai",
            "reference": "07/2025/BBGN", "notes": "Giao hàng theo quý"}


# -- recording from a held meeting ------------------------------------------------------

def test_a_distributor_records_an_mou_from_a_held_meeting(app, deal, uploads):
    client = client_for(app, deal["member_c"], lang="vi")
    path = f"/mous/new?meeting={deal['deal_held_meeting']}"
    form = page_of(client.get(path))
    # Parties and event are filled in and fixed; A's products are offered.
    assert "Công ty CP Thực phẩm Nghệ An" in form and "Công ty TNHH Thương mại Hoàng Mai" in form
    assert "Hội nghị kết nối cung cầu Nghệ An 2025" in form
    assert "Nước mắm Vạn Phần" in form and 'name="other_name"' not in form
    assert "Ghi nhận biên bản ghi nhớ" in form and "Giá trị ước tính (đồng)" in form

    data = with_csrf(client, path, {**MOU_FORM, "products": [str(deal["deal_product_id"])],
                                    "document": (BytesIO(PDF), "bien-ban.pdf")})
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    mou_id = int(response.headers["Location"].rsplit("/", 1)[1])
    mou = load(Mou, mou_id)
    assert (mou.producer_id, mou.distributor_id) == (ident(deal["org_a"]),
                                                      deal["deal_org_c_id"])
    assert mou.event_id == deal["deal_event"] and mou.meeting_id == deal["deal_held_meeting"]
    assert mou.estimated_value_vnd == 1_500_000_000 and mou.volume == Decimal("2000")
    assert mou.unit == "chai" and mou.signed_on == date(2025, 6, 12)
    assert mou.valid_until == date(2026, 6, 12) and mou.reference == "07/2025/BBGN"
    assert [p.id for p in mou.products] == [deal["deal_product_id"]]
    assert mou.status == "signed" and mou.document_path.startswith("deals/")
    assert mou.created_by_id == ident(deal["member_c"])
    assert history_of(Subject.MOU, mou_id) == [(None, "signed", None)]

    detail = page_of(client.get(f"/mous/{mou_id}"))
    assert "1.500.000.000\xa0₫" in detail and "2.000 chai" in detail and "Đã ký" in detail
    assert "Nước mắm Vạn Phần" in detail and "Ghi nhận từ một cuộc gặp" in detail
    # A's member is told, in Vietnamese; C's member (who acted) is not.
    told = notes_of(deal["member_a"])
    assert [n.kind for n in told] == ["mou.recorded"]
    assert told[0].params["counterpart"] == "Công ty TNHH Thương mại Hoàng Mai"
    assert told[0].link == f"/mous/{mou_id}"
    assert notes_of(deal["member_c"]) == []
    # C's member sees it in the list, B's member (a third organisation) does not.
    assert f"/mous/{mou_id}" in page_of(client.get("/mous/"))
    other = client_for(app, deal["member_b"])
    assert f"/mous/{mou_id}" not in page_of(other.get("/mous/"))
    assert other.get(f"/mous/{mou_id}").status_code == 404


def test_a_meeting_that_is_not_held_or_not_yours_gives_no_mou(app, deal, no_csrf):
    c = client_for(app, deal["member_c"])
    # C is not a party of the accepted A–B meeting; A is, but it was not held.
    assert c.get(f"/mous/new?meeting={deal['deal_accepted_meeting']}").status_code == 404
    a = client_for(app, deal["member_a"])
    assert a.get(f"/mous/new?meeting={deal['deal_accepted_meeting']}").status_code == 403
    assert a.post(f"/mous/new?meeting={deal['deal_accepted_meeting']}",
                  data=MOU_FORM).status_code == 403
    assert a.get("/mous/new?meeting=abc").status_code == 404
    assert a.get("/mous/new?meeting=99999999").status_code == 404


def test_record_mou_button_only_for_held_meetings(app, deal):
    from flask import render_template_string

    from matchmaker.meetings.models import Meeting

    template = '{% include "deals/_record_mou_button.html" %}'
    with app.test_request_context():
        held = db.session.get(Meeting, deal["deal_held_meeting"])
        accepted = db.session.get(Meeting, deal["deal_accepted_meeting"])
        html = render_template_string(template, meeting=held)
        assert f'href="/mous/new?meeting={held.id}"' in html
        assert render_template_string(template, meeting=accepted).strip() == ""


def test_from_the_participant_list(app, deal, no_csrf):
    a = client_for(app, deal["member_a"])
    path = f"/mous/new?event={deal['deal_event']}&registration={deal['deal_reg_c']}"
    form = page_of(a.get(path))
    assert "Công ty TNHH Thương mại Hoàng Mai" in form and 'name="other_name"' not in form
    response = a.post(path, data={**MOU_FORM, "hs_codes": "2103"})
    assert response.status_code == 302
    (_first, mou) = mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])
    assert mou.event_id == deal["deal_event"] and mou.meeting_id is None
    assert [c.code for c in mou.categories] == ["2103"]
    # Its own registration, or a registration of another event: not found.
    own = f"/mous/new?event={deal['deal_event']}&registration={deal['deal_reg_a']}"
    assert a.get(own).status_code == 404
    assert a.get(f"/mous/new?event=99999&registration={deal['deal_reg_c']}").status_code == 404
    assert a.get(f"/mous/new?registration={deal['deal_reg_c']}").status_code == 404


# -- standalone ---------------------------------------------------------------------------

def test_a_member_types_the_other_organisation_without_accents(app, deal, no_csrf):
    a = client_for(app, deal["member_a"])
    form = page_of(a.get("/mous/new"))
    assert 'name="other_name"' in form and "Nước mắm Vạn Phần" in form  # A is the producer
    data = {**MOU_FORM, "other_name": "thuong mai hoang mai",
            "products": [str(deal["deal_product_id"])]}
    # A mistake elsewhere: the name found is kept (with its id) for the next try.
    html = page_of(a.post("/mous/new", data={**data, "signed_on": ""}))
    assert "Enter the date it was signed." in html
    assert input_value(html, "other_name") == "Công ty TNHH Thương mại Hoàng Mai"
    assert input_value(html, "other_id") == str(deal["deal_org_c_id"])
    response = a.post("/mous/new", data={**data, "other_name": input_value(html, "other_name"),
                                         "other_id": input_value(html, "other_id")})
    assert response.status_code == 302
    assert len(mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])) == 2
    # Its own organisation is never the other party.
    html = page_of(a.post("/mous/new", data={**data, "other_name": "Thực phẩm Nghệ An"}))
    assert "No distributor has this name." in html


def test_a_member_of_an_organisation_that_both_sells_and_buys_says_which(app, deal, no_csrf):
    db.session.rollback()
    both = factories.make_organisation("HTX Nông sản Thanh Chương", Side.BOTH)
    member = factories.make_user(organisation=both, email="both@example.vn")
    client = client_for(app, member)
    assert 'name="my_side"' in page_of(client.get("/mous/new"))
    data = {**MOU_FORM, "other_name": "Thực phẩm Nghệ An", "hs_codes": "2103"}
    html = page_of(client.post("/mous/new", data=data))
    assert "Choose whether your organisation sells or buys here." in html
    assert client.post("/mous/new", data={**data, "my_side": "distributor"}).status_code == 302
    (mou,) = mous_between(ident(deal["org_a"]), ident(both))
    assert mou.created_by_id == ident(member)


def test_staff_from_the_participant_list_type_the_other_party(app, deal, no_csrf):
    staff = client_for(app, deal["organiser"])
    path = f"/mous/new?event={deal['deal_event']}&registration={deal['deal_reg_c']}"
    form = page_of(staff.get(path))
    assert 'name="producer_name"' in form and 'name="distributor_name"' not in form
    response = staff.post(path, data={**MOU_FORM, "producer_name": "thuc pham",
                                      "hs_codes": "2103"})
    assert response.status_code == 302
    mou = mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])[-1]
    assert mou.event_id == deal["deal_event"]


def test_several_matches_are_offered_and_one_is_picked(app, deal, no_csrf):
    db.session.rollback()
    twin = factories.make_organisation("Siêu thị Hoàng Mai Xanh", Side.DISTRIBUTOR)
    twin_id = ident(twin)
    a = client_for(app, deal["member_a"])
    data = {**MOU_FORM, "other_name": "hoang mai", "hs_codes": "2103"}
    html = page_of(a.post("/mous/new", data=data))
    assert "Có nhiều" not in html  # English page
    assert "Several organisations match: choose one." in html
    assert f'value="{twin_id}"' in html and f'value="{deal["deal_org_c_id"]}"' in html
    assert len(mous_between(ident(deal["org_a"]), twin_id)) == 0
    response = a.post("/mous/new", data={**data, "other_id": str(twin_id)})
    assert response.status_code == 302
    assert len(mous_between(ident(deal["org_a"]), twin_id)) == 1
    # A name nobody has, and a producer where a distributor is wanted: refused on the field.
    html = page_of(a.post("/mous/new", data={**data, "other_name": "Không Có Ai"}))
    assert "No distributor has this name." in html


def test_staff_record_an_mou_between_two_typed_organisations(app, deal, no_csrf):
    staff = client_for(app, deal["organiser"])
    html = page_of(staff.post("/mous/new", data={**MOU_FORM, "producer_name": "",
                                                 "distributor_name": "hoang mai"}))
    assert "Enter the producer's name." in html and "Nothing was saved" in html
    response = staff.post("/mous/new", data={
        **MOU_FORM, "producer_name": "thuc pham nghe an", "distributor_name": "do luong",
        "products": [str(deal["deal_product_id"])]})
    assert response.status_code == 302
    (mou,) = mous_between(ident(deal["org_a"]), ident(deal["org_b"]))
    assert mou.created_by_id == ident(deal["organiser"])
    # The organisers acted: both parties are told.
    assert [n.kind for n in notes_of(deal["member_a"])] == ["mou.recorded_by_organiser"]
    assert [n.kind for n in notes_of(deal["member_b"])] == ["mou.recorded_by_organiser"]
    assert notes_of(deal["member_a"])[0].params["counterpart"] == "Siêu thị Đô Lương"


def test_staff_record_an_agency_mou_that_only_staff_see(app, deal, no_csrf):
    staff = client_for(app, deal["organiser"])
    html = page_of(staff.post("/mous/new", data={**MOU_FORM, "kind": "agency",
                                                 "agency_a": "Sở Công Thương Nghệ An"}))
    assert "Enter the agency&#39;s name." in html or "Enter the agency's name." in html
    response = staff.post("/mous/new", data={**MOU_FORM, "kind": "agency",
                                             "agency_a": "Sở Công Thương Nghệ An",
                                             "agency_b": "Sở Công Thương Quảng Trị"})
    assert response.status_code == 302
    mou = load(Mou, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert mou.kind == "agency" and mou.agency_b == "Sở Công Thương Quảng Trị"
    assert client_for(app, deal["member_a"]).get(f"/mous/{mou.id}").status_code == 404
    listed = page_of(staff.get("/mous/?kind=agency&q=quang tri"))
    assert "Sở Công Thương Quảng Trị" in listed and "Hoàng Mai" not in listed
    # An agency MOU takes no contract.
    assert staff.get(f"/mous/{mou.id}/contracts/new").status_code == 302


# -- values, volumes, documents -----------------------------------------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    ("1.500.000.000", 1_500_000_000), ("1500000000", 1_500_000_000),
    ("1.500.000.000 ₫", 1_500_000_000), ("", None)])
def test_values_are_typed_either_way(app, deal, no_csrf, typed, expected):
    a = client_for(app, deal["member_a"])
    response = a.post(f"/mous/new?event={deal['deal_event']}&registration={deal['deal_reg_c']}",
                      data={**MOU_FORM, "estimated_value": typed, "hs_codes": "2103"})
    assert response.status_code == 302
    assert mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])[-1] \
        .estimated_value_vnd == expected


@pytest.mark.parametrize("typed", ["1.500,5", "1,5 tỷ", "-1.000", "12.34"])
def test_bad_values_are_refused_on_the_field(app, deal, no_csrf, typed):
    a = client_for(app, deal["member_a"])
    html = page_of(a.post("/mous/new", data={**MOU_FORM, "other_name": "hoang mai",
                                             "estimated_value": typed, "hs_codes": "2103"}))
    errors = field_errors(html)
    assert any("đồng" in e or "negative" in e for e in errors), errors
    assert input_value(html, "estimated_value") == typed  # the input is kept
    assert len(mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])) == 1


def test_volumes_follow_the_language(app):
    assert parse_volume("2.000", "vi") == Decimal("2000")
    assert parse_volume("2,5", "vi") == Decimal("2.5")
    assert parse_volume("2,000", "en") == Decimal("2000")
    assert parse_volume("2.5", "en") == Decimal("2.5")
    assert parse_volume(" 1 500 ", "vi") == Decimal("1500")
    assert parse_volume("", "vi") is None
    for bad in ("2.5", "0", "-3", "1,2345", "abc", "1" * 14):
        with pytest.raises(ValueError):
            parse_volume(bad, "vi")


def test_a_volume_needs_its_unit(app, deal, no_csrf):
    a = client_for(app, deal["member_a"])
    html = page_of(a.post("/mous/new", data={**MOU_FORM, "other_name": "hoang mai",
                                             "unit": "", "hs_codes": "2103"}))
    assert "Choose the unit the volume is counted in." in html


def test_documents_are_checked_by_content(app, deal, no_csrf, uploads):
    a = client_for(app, deal["member_a"])
    base = {**MOU_FORM, "other_name": "hoang mai", "hs_codes": "2103"}
    # A text file named .pdf is refused; nothing is saved and no file is left behind.
    html = page_of(a.post("/mous/new", content_type="multipart/form-data", data={
        **base, "document": (BytesIO(b"not a pdf at all"), "bien-ban.pdf")}))
    assert "The document must be a PDF, JPEG or PNG file." in html
    assert len(mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])) == 1
    assert not list(uploads.rglob("*.*"))
    # A PNG named .pdf is a PNG: accepted, stored and sent back as one to the parties.
    png = image_bytes(kind="PNG")
    response = a.post("/mous/new", content_type="multipart/form-data", data={
        **base, "document": (BytesIO(png), "scan.pdf")})
    assert response.status_code == 302
    mou = mous_between(ident(deal["org_a"]), deal["deal_org_c_id"])[-1]
    assert mou.document_path.endswith(".png")
    download = a.get(f"/mous/{mou.id}/document")
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert download.data == png
    assert client_for(app, deal["member_c"]).get(f"/mous/{mou.id}/document").status_code == 200
    assert client_for(app, deal["member_b"]).get(f"/mous/{mou.id}/document").status_code == 404
    # Without a document there is nothing to download.
    bare = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    assert a.get(f"/mous/{bare}/document").status_code == 404


def test_replacing_a_document_removes_the_old_file(app, deal, no_csrf, uploads):
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"], document=PDF)
    old = load(Mou, mou_id).document_path
    assert (uploads / old).is_file()
    a = client_for(app, deal["member_a"])
    response = a.post(f"/mous/{mou_id}/edit", content_type="multipart/form-data", data={
        **MOU_FORM, "version": "1", "hs_codes": "2103",
        "document": (BytesIO(image_bytes()), "scan.jpg")})
    assert response.status_code == 302
    new = load(Mou, mou_id).document_path
    assert new != old and new.endswith(".jpg") and (uploads / new).is_file()
    assert not (uploads / old).exists()


# -- editing and the version check -------------------------------------------------------

def test_two_people_editing_one_mou_cannot_overwrite_each_other(app, deal, no_csrf):
    mou_id = deal["deal_mou"]
    version = load(Mou, mou_id).version
    a = client_for(app, deal["member_a"])
    staff = client_for(app, deal["organiser"])
    form_a = page_of(a.get(f"/mous/{mou_id}/edit"))
    form_staff = page_of(staff.get(f"/mous/{mou_id}/edit"))
    assert input_value(form_a, "version") == input_value(form_staff, "version") == str(version)
    assert input_value(form_a, "estimated_value") == "1.500.000.000"

    base = {**MOU_FORM, "products": [str(deal["deal_product_id"])], "version": str(version)}
    assert a.post(f"/mous/{mou_id}/edit",
                  data={**base, "notes": "Bên A: giao hàng tháng 9"}).status_code == 302
    # The organiser saves on the version they loaded: refused, their input kept, the
    # current values shown.
    response = staff.post(f"/mous/{mou_id}/edit",
                          data={**base, "estimated_value": "2.000.000.000",
                                "notes": "Ban tổ chức: đã gọi điện"})
    html = page_of(response)
    assert response.status_code == 200
    assert "Someone changed this record since you opened it." in html
    assert 'data-testid="current-version"' in html and "Bên A: giao hàng tháng 9" in html
    assert input_value(html, "estimated_value") == "2.000.000.000"
    assert "Ban tổ chức: đã gọi điện" in html
    mou = load(Mou, mou_id)
    assert mou.notes == "Bên A: giao hàng tháng 9" and mou.estimated_value_vnd == 1_500_000_000
    # The form now carries the current version: saving again is a deliberate overwrite.
    current = input_value(html, "version")
    assert current == str(mou.version) != str(version)
    assert staff.post(f"/mous/{mou_id}/edit",
                      data={**base, "version": current, "estimated_value": "2.000.000.000",
                            "notes": "Ban tổ chức: đã gọi điện"}).status_code == 302
    mou = load(Mou, mou_id)
    assert mou.estimated_value_vnd == 2_000_000_000 and mou.notes == "Ban tổ chức: đã gọi điện"
    # A version missing from the form is never taken as "any version".
    html = page_of(staff.post(f"/mous/{mou_id}/edit", data={**base, "version": ""}))
    assert "Someone changed this record" in html


def test_a_stale_status_change_changes_nothing(app, deal, no_csrf):
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    a = client_for(app, deal["member_a"])
    assert a.post(f"/mous/{mou_id}/status",
                  data={"status": "negotiating", "version": "1"}).status_code == 302
    response = a.post(f"/mous/{mou_id}/status", data={
        "status": "lapsed", "version": "1", "reason": "price"}, follow_redirects=True)
    assert "Someone changed this record since you opened it" in page_of(response)
    assert load(Mou, mou_id).status == "negotiating"


def test_editing_a_contract_checks_its_version(app, deal, no_csrf):
    contract_id = record_contract(record_mou(ident(deal["org_a"]), deal["deal_org_c_id"]))
    a = client_for(app, deal["member_a"])
    c = client_for(app, deal["member_c"])
    form = {"contract_number": "HĐ-01/2025", "signed_on": "2025-08-01", "value": "600.000.000",
            "version": "1"}
    assert a.post(f"/contracts/{contract_id}/edit",
                  data={**form, "value": "650.000.000"}).status_code == 302
    html = page_of(c.post(f"/contracts/{contract_id}/edit",
                          data={**form, "value": "700.000.000"}))
    assert 'data-testid="stale"' in html and 'data-testid="current-version"' in html
    assert load(SupplyContract, contract_id).value_vnd == 650_000_000


# -- status changes ---------------------------------------------------------------------------

def test_lapsing_needs_a_reason_and_other_needs_text(app, deal, no_csrf):
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    a = client_for(app, deal["member_a"], lang="vi")
    path = f"/mous/{mou_id}/status"
    page = page_of(a.post(path, data={"status": "lapsed", "version": "1"},
                          follow_redirects=True))
    assert "Hãy nêu lý do." in page and load(Mou, mou_id).status == "signed"
    page = page_of(a.post(path, data={"status": "lapsed", "version": "1", "reason": "other"},
                          follow_redirects=True))
    assert "Hãy mô tả lý do." in page and load(Mou, mou_id).status == "signed"
    page = page_of(a.post(path, data={"status": "lapsed", "version": "1", "reason": "bogus"},
                          follow_redirects=True))
    assert load(Mou, mou_id).status == "signed"
    response = a.post(path, data={"status": "lapsed", "version": "1", "reason": "other",
                                  "reason_text": "Bên mua đổi nhà cung cấp"},
                      follow_redirects=True)
    page = page_of(response)
    mou = load(Mou, mou_id)
    assert (mou.status, mou.close_reason, mou.close_reason_text) == (
        "lapsed", "other", "Bên mua đổi nhà cung cấp")
    assert "Hết hiệu lực / không tiến triển" in page
    assert "Khác: Bên mua đổi nhà cung cấp" in page  # the reason and its history row
    # C's member is told, with the reason in their own language.
    (note,) = notes_of(deal["member_c"])
    assert note.kind == "mou.lapsed" and note.params["note"] == "Khác: Bên mua đổi nhà cung cấp"
    # A lapsed MOU can be revived.
    assert "Khôi phục: đã đàm phán lại" in page
    a.post(path, data={"status": "negotiating", "version": str(mou.version),
                       "note": "Đàm phán lại giá"})
    mou = load(Mou, mou_id)
    assert mou.status == "negotiating" and mou.close_reason is None
    assert notes_of(deal["member_c"])[-1].kind == "mou.revived"
    assert [h[1] for h in history_of(Subject.MOU, mou_id)] == ["signed", "lapsed", "negotiating"]


def test_the_close_reason_is_told_in_each_readers_language(app, deal, no_csrf):
    english = factories.make_user(organisation=load(Organisation, deal["deal_org_c_id"]),
                                  email="c-en@example.vn", locale="en")
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    staff = client_for(app, deal["organiser"])
    staff.post(f"/mous/{mou_id}/status", data={"status": "cancelled", "version": "1",
                                               "reason": "logistics"})
    assert load(Mou, mou_id).status == "cancelled"
    notes = {n.user_id: n for n in db.session.scalars(sa.select(Notification))}
    assert notes[ident(english)].params["note"] == "Logistics / cold chain"
    assert notes[ident(deal["member_c"])].params["note"] == "Vận chuyển / chuỗi lạnh"
    assert notes[ident(deal["member_a"])].kind == "mou.cancelled_by_organiser"
    # Cancelled is final: no more actions, no contract.
    detail = page_of(staff.get(f"/mous/{mou_id}"))
    assert 'data-testid="status-actions"' not in detail
    assert f"/mous/{mou_id}/contracts/new" not in detail


def test_converted_only_through_contracts(app, deal, no_csrf):
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    a = client_for(app, deal["member_a"])
    a.post(f"/mous/{mou_id}/status", data={"status": "converted", "version": "1"})
    assert load(Mou, mou_id).status == "signed"


# -- contracts ---------------------------------------------------------------------------

def test_a_contract_from_an_mou_converts_it_and_cancelling_reopens_it(app, deal, no_csrf):
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"],
                        product_ids=[deal["deal_product_id"]])
    c = client_for(app, deal["member_c"], lang="vi")
    path = f"/mous/{mou_id}/contracts/new"
    form = page_of(c.get(path))
    assert "Nước mắm Vạn Phần" in form and 'checked' in form  # products copied
    assert input_value(form, "volume") == "2.000"
    response = c.post(path, data={"contract_number": "HĐ-15/2025", "signed_on": "01/09/2025",
                                  "value": "600.000.000", "volume": "1.000", "unit": "chai",
                                  "delivery_from": "2025-09-01", "delivery_to": "2025-12-31",
                                  "products": [str(deal["deal_product_id"])]})
    assert response.status_code == 302
    contract_id = int(response.headers["Location"].rsplit("/", 1)[1])
    contract = load(SupplyContract, contract_id)
    assert contract.mou_id == mou_id and contract.value_vnd == 600_000_000
    assert contract.delivery_to == date(2025, 12, 31) and contract.volume == Decimal("1000")
    mou_page = page_of(c.get(f"/mous/{mou_id}"))
    assert "Đã ký hợp đồng" in mou_page and "HĐ-15/2025" in mou_page
    assert load(Mou, mou_id).status == "converted"
    assert notes_of(deal["member_a"])[-1].kind == "contract.recorded"
    assert notes_of(deal["member_a"])[-1].params["number"] == "HĐ-15/2025"

    contract_page = page_of(c.get(f"/contracts/{contract_id}"))
    assert "600.000.000\xa0₫" in contract_page and "Đang giao hàng" not in contract_page
    # Cancelling needs a reason; with one, the MOU is open again.
    c.post(f"/contracts/{contract_id}/status", data={"status": "cancelled", "version": "1"})
    assert load(SupplyContract, contract_id).status == "signed"
    page = page_of(c.post(f"/contracts/{contract_id}/status",
                          data={"status": "cancelled", "version": "1",
                                "reason": "Nhập nhầm số hợp đồng"}, follow_redirects=True))
    assert "biên bản được mở lại" in page
    assert load(SupplyContract, contract_id).end_reason == "Nhập nhầm số hợp đồng"
    assert load(Mou, mou_id).status == "signed"
    assert notes_of(deal["member_a"])[-1].params["note"] == "Nhập nhầm số hợp đồng"


def test_contract_status_moves_on_to_completed_or_terminated(app, deal, no_csrf):
    contract_id = record_contract(record_mou(ident(deal["org_a"]), deal["deal_org_c_id"]))
    staff = client_for(app, deal["organiser"])
    path = f"/contracts/{contract_id}/status"
    staff.post(path, data={"status": "delivering", "version": "1"})
    contract = load(SupplyContract, contract_id)
    assert contract.status == "delivering"
    detail = page_of(staff.get(f"/contracts/{contract_id}"))
    assert "Mark as completed" in detail and "Terminate" in detail
    assert "Cancel the contract" not in detail  # it took effect: terminate it instead
    staff.post(path, data={"status": "terminated", "version": str(contract.version),
                           "reason": "Bên mua ngừng nhập"})
    contract = load(SupplyContract, contract_id)
    assert (contract.status, contract.end_reason) == ("terminated", "Bên mua ngừng nhập")
    assert contract.mou.status == "converted"  # a terminated contract still counts
    assert [h[1] for h in history_of(Subject.CONTRACT, contract_id)] == [
        "signed", "delivering", "terminated"]
    kinds = [n.kind for n in notes_of(deal["member_a"])]
    assert kinds == ["contract.delivering_by_organiser", "contract.terminated_by_organiser"]


def test_a_standalone_contract_with_an_event(app, deal, no_csrf):
    c = client_for(app, deal["member_c"])
    form = page_of(c.get("/contracts/new"))
    assert 'name="other_name"' in form and "Hội nghị kết nối cung cầu Nghệ An 2025" in form
    response = c.post("/contracts/new", data={
        "other_name": "Thực phẩm Nghệ An", "contract_number": "HĐ-88", "signed_on": "2025-10-02",
        "value": "90000000", "event_id": str(deal["deal_event"])})
    assert response.status_code == 302
    contract = load(SupplyContract, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert contract.mou_id is None and contract.event_id == deal["deal_event"]
    assert contract.producer_id == ident(deal["org_a"])
    # The value is required.
    html = page_of(c.post("/contracts/new", data={
        "other_name": "Thực phẩm Nghệ An", "contract_number": "HĐ-89",
        "signed_on": "2025-10-02"}))
    assert "Enter the contract value in đồng." in html


# -- lists ---------------------------------------------------------------------------------

def test_lists_filters_and_accent_insensitive_search(app, deal, no_csrf):
    a_id, b_id = ident(deal["org_a"]), ident(deal["org_b"])
    lapsed = record_mou(a_id, b_id, reference="LAPSE-1")
    db.session.rollback()
    with db.session.begin():
        services.change_mou_status(db.session.get(Mou, lapsed), "lapsed", None,
                                   reason="price")
    staff = client_for(app, deal["organiser"])
    everything = page_of(staff.get("/mous/"))
    assert everything.count('data-testid="mou-row"') == 3
    found = page_of(staff.get("/mous/?q=HOANG MAI"))
    assert found.count('data-testid="mou-row"') == 1 and "12/2025/BBGN" in found
    assert page_of(staff.get("/mous/?q=do luong")).count('data-testid="mou-row"') == 1
    assert page_of(staff.get("/mous/?status=lapsed")).count('data-testid="mou-row"') == 1
    assert page_of(staff.get(f"/mous/?event={deal['deal_event']}")).count(
        'data-testid="mou-row"') == 0
    assert page_of(staff.get("/mous/?kind=business")).count('data-testid="mou-row"') == 2
    contracts = page_of(staff.get("/mous/?tab=contracts&q=hoang"))
    assert contracts.count('data-testid="contract-row"') == 1
    # A member sees their organisation's only, and the other party's name.
    b = client_for(app, deal["member_b"])
    mine = page_of(b.get("/mous/"))
    assert mine.count('data-testid="mou-row"') == 1 and "Công ty CP Thực phẩm Nghệ An" in mine
    assert "Hoàng Mai" not in mine and "Sở Công Thương" not in mine
    assert page_of(b.get("/mous/?tab=contracts")).count('data-testid="contract-row"') == 0
    # Members' filters are status only: a search in the URL is ignored, not an error.
    assert page_of(b.get("/mous/?q=zzz&event=1")).count('data-testid="mou-row"') == 1


def test_the_list_pages_newest_first(app, deal, count_queries, no_csrf):
    a_id, c_id = ident(deal["org_a"]), deal["deal_org_c_id"]
    for day in range(1, 31):
        record_mou(a_id, c_id, signed_on=date(2024, 1, day), reference=f"R-{day:02d}")
    a = client_for(app, deal["member_a"])
    with count_queries() as counter:
        first = page_of(a.get("/mous/"))
    assert counter.count <= 5
    assert first.count('data-testid="mou-row"') == 25
    assert first.index("12/2025/BBGN") < first.index("R-30") < first.index("R-29")
    second = page_of(a.get("/mous/?page=2"))
    assert second.count('data-testid="mou-row"') == 6 and "R-01" in second
    assert page_of(a.get("/mous/?page=9")).count('data-testid="mou-row"') == 0


@pytest.mark.parametrize("path", ["/mous/{mou}", "/mous/{mou}/edit", "/contracts/{contract}",
                                  "/mous/?tab=contracts", "/mous/?q=hoang"])
def test_pages_do_not_grow_with_rows(app, deal, count_queries, path):
    staff = client_for(app, deal["organiser"])
    url = path.format(mou=deal["deal_mou"], contract=deal["deal_contract"])
    with count_queries() as few:
        assert staff.get(url).status_code == 200
    for i in range(4):
        make_product(load(Organisation, ident(deal["org_a"])), f"Sản phẩm số {i}")
    for i in range(6):
        record_contract(deal["deal_mou"], number=f"HĐ-X{i}")
        other = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
        db.session.rollback()
        with db.session.begin():
            services.change_mou_status(db.session.get(Mou, other), "negotiating", None)
    with count_queries() as many:
        assert staff.get(url).status_code == 200
    assert many.count == few.count <= 5, many.statements


# -- languages and texts -------------------------------------------------------------------

def test_labels_in_english_and_vietnamese(app, deal):
    path = f"/mous/{deal['deal_mou']}"
    vi = page_of(client_for(app, deal["member_a"], lang="vi").get(path))
    for text in ("Biên bản ghi nhớ hợp tác", "Đã ký hợp đồng", "Giá trị ước tính", "Ngày ký",
                 "Hợp đồng cung ứng", "Lịch sử", "Tải xuống", "Ghi nhận hợp đồng cung ứng"):
        assert text in vi, text
    en = page_of(client_for(app, deal["member_a"]).get(path))
    for text in ("Memorandum of understanding", "Contract signed", "Estimated value",
                 "Signed on", "Supply contracts", "History", "Download"):
        assert text in en, text
    # Converted MOUs cannot be lapsed by hand (only cancelling contracts reopens them).
    assert "Mark as lapsed" not in en


def test_history_shows_who_and_when_in_vietnam_time(app, deal, no_csrf):
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"],
                        by_user_id=ident(deal["member_a"]))
    db.session.rollback()
    with db.session.begin():
        change = db.session.scalar(sa.select(StatusChange).where(
            StatusChange.subject_type == "mou", StatusChange.subject_id == mou_id))
        change.changed_at = datetime(2025, 6, 12, 17, 30, tzinfo=UTC)  # 00:30 on the 13th VN
    html = page_of(client_for(app, deal["member_a"], lang="vi").get(f"/mous/{mou_id}"))
    assert "00:30 13/06/2025" in html and "Nguyễn Thị Hoà" in html


def test_every_deal_notification_has_a_text(app):
    with app.test_request_context():
        for kind, (plain, with_note) in DEAL_MESSAGES.items():
            values = {"counterpart": "HTX A", "number": "HĐ-1", "note": "lý do"}
            assert "HTX A" in str(plain) % values, kind
            if kind.startswith("contract."):
                assert "HĐ-1" in str(plain) % values, kind
            if with_note is not None:
                assert "lý do" in str(with_note) % values, kind


# -- races -------------------------------------------------------------------------------

def cookie_for(app, user) -> str:
    """A session cookie logged in as ``user`` (a server-side login session)."""
    user_id = ident(user)
    db.session.rollback()
    login = LoginSession(user_id=user_id)
    db.session.add(login)
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": f"{user_id}:{login.id}", "_fresh": True})


def test_two_simultaneous_edits_save_one_and_refuse_the_other(
        app, deal, server):  # noqa: F811
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    cookies = [cookie_for(app, deal[role]) for role in ("member_a", "member_c", "organiser")]
    path = f"/mous/{mou_id}/edit"
    forms = [{**MOU_FORM, "hs_codes": "2103", "version": "1", "notes": f"Bản của người {i}"}
             for i in range(3)]
    jobs = [lambda c=c, f=f: post(server, path, c, f) for c, f in zip(cookies, forms,
                                                                       strict=True)]
    results, _seconds = run_all(jobs)
    statuses = sorted(status for status, _location in results)
    assert statuses == [200, 200, 302]  # one saved, the others shown the stale message
    mou = load(Mou, mou_id)
    winner = [f["notes"] for f, (s, _l) in zip(forms, results, strict=True) if s == 302]
    assert [mou.notes] == winner and mou.version > 1


def test_contracts_recorded_at_once_convert_the_mou_once(app, deal, server):  # noqa: F811
    mou_id = record_mou(ident(deal["org_a"]), deal["deal_org_c_id"])
    cookies = [cookie_for(app, deal[role]) for role in ("member_a", "member_c", "organiser")]
    cookies += [cookie_for(app, factories.make_user(
        organisation=load(Organisation, deal["deal_org_c_id"]), email=f"c{i}@example.vn"))
        for i in range(3)]
    path = f"/mous/{mou_id}/contracts/new"
    jobs = [lambda c=c, i=i: post(server, path, c, {
        "contract_number": f"HĐ-{i:02d}", "signed_on": "2025-09-01", "value": "100.000.000"})
        for i, c in enumerate(cookies)]
    results, _seconds = run_all(jobs)
    assert [status for status, _location in results] == [302] * len(cookies)
    db.session.rollback()
    contracts = db.session.scalar(sa.select(sa.func.count(SupplyContract.id)).where(
        SupplyContract.mou_id == mou_id))
    assert contracts == len(cookies)
    assert load(Mou, mou_id).status == "converted"
    assert [h[1] for h in history_of(Subject.MOU, mou_id)] == ["signed", "converted"]
