"""Organiser tools: registration list (search, filters, approve, reject), check-in, badges
and participant exports (XLSX, CSV)."""

import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads the access modules in order; see access_events)
from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db
from matchmaker.organisations.identifiers import format_phone
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from tests import factories
from tests.access_events import make_event
from tests.access_organiser import register
from tests.access_products import make_product
from tests.conftest import client_for, log_in

PRODUCER, DISTRIBUTOR = "producer", "distributor"


def _id(obj) -> int:
    return sa.inspect(obj).identity[0]


def _status(registration_id: int) -> str:
    db.session.rollback()  # end the test's read snapshot: requests wrote since
    return db.session.get(Registration, registration_id).status


@pytest.fixture
def fair(users):
    """An event with 2 producer places: A (pending), the fish-sauce maker (pending), the tea
    cooperative (waitlisted); B the supermarket (approved, 2 delegates)."""
    event = make_event("Hội nghị kết nối cung cầu OCOP Nghệ An 2026", producer_capacity=2)
    fish = factories.make_organisation("Cơ sở Nước mắm Vạn Phần", Side.PRODUCER)
    tea = factories.make_organisation("HTX Chè Thanh Chương", Side.PRODUCER)
    sauce = make_product(fish, "Nước mắm cá cơm Vạn Phần")
    a = register(event, users["member_a"].organisation, PRODUCER,
                 [("Trần Thị Đào", "Giám đốc", "+84912345678")])
    f = register(event, fish, PRODUCER, [("Nguyễn Văn An", "Chủ cơ sở", None)],
                 product_ids=[_id(sauce)])
    t = register(event, tea, PRODUCER, [("Hồ Thị Mai", None, None)])
    b = register(event, users["member_b"].organisation, DISTRIBUTOR,
                 [("Lê Văn Hùng", "Trưởng phòng thu mua", "+842383844555"),
                  ("Phan Thị Hoa", "Nhân viên", None)], approve_by=users["organiser"])
    return {"event": _id(event), "a": _id(a), "fish": _id(f), "tea": _id(t), "b": _id(b),
            "fish_org": _id(fish)}


@pytest.fixture
def staff(app, users):
    return client_for(app, users["organiser"])


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="registration"[^>]*>(.*?)</tr>', html, re.S)


def _list(client, fair, **args) -> str:
    response = client.get(f"/events/{fair['event']}/registrations", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# ---- the registration list -----------------------------------------------------------

def test_list_shows_every_registration_with_counts_and_delegates(staff, fair):
    html = _list(staff, fair)
    rows = _rows(html)
    assert len(rows) == 4
    assert "Cơ sở Nước mắm Vạn Phần" in html and "Siêu thị Đô Lương" in html
    assert "Lê Văn Hùng" in html and "Phan Thị Hoa" in html
    assert "4 registrations" in html
    assert "2 of 2 places taken" in html  # producers: two pending, one waitlisted
    assert "Waitlisted: 1" in html


@pytest.mark.parametrize(("q", "found", "absent"), [
    ("nuoc mam", ["Nước mắm Vạn Phần"], ["Chè Thanh Chương", "Đô Lương", "Thực phẩm Nghệ An"]),
    ("NƯỚC MẮM", ["Nước mắm Vạn Phần"], ["Chè Thanh Chương"]),
    # "d" finds "đ": Đô Lương (organisation) and Trần Thị Đào (delegate of A); nothing else
    # in the fair has a d.
    ("d", ["Đô Lương", "Thực phẩm Nghệ An"], ["Nước mắm Vạn Phần", "Chè Thanh Chương"]),
    ("dao", ["Thực phẩm Nghệ An"], ["Đô Lương"]),           # a delegate's name
    ("phan thi hoa", ["Đô Lương"], ["Thực phẩm Nghệ An"]),  # the second delegate
    ("100%_", [], ["Đô Lương", "Nước mắm"]),                 # LIKE wildcards are literal
])
def test_search_is_accent_insensitive_over_organisations_and_delegates(
        staff, fair, q, found, absent):
    rows = "".join(_rows(_list(staff, fair, q=q)))
    for name in found:
        assert name in rows, (q, name)
    for name in absent:
        assert name not in rows, (q, name)


def test_filters_by_side_and_status(staff, fair):
    rows = _rows(_list(staff, fair, side=DISTRIBUTOR))
    assert len(rows) == 1 and "Đô Lương" in rows[0]
    rows = _rows(_list(staff, fair, status="pending"))
    assert len(rows) == 2 and all("Pending" in r for r in rows)
    rows = _rows(_list(staff, fair, side=PRODUCER, status="waitlisted"))
    assert len(rows) == 1 and "Chè Thanh Chương" in rows[0]
    # Unknown values are ignored, not an error.
    assert len(_rows(_list(staff, fair, side="both", status="nonsense"))) == 4


def test_pages_keep_the_filters(staff, fair, monkeypatch):
    monkeypatch.setattr("matchmaker.events.routes_organiser.PER_PAGE", 2)
    html = _list(staff, fair, side=PRODUCER)
    assert len(_rows(html)) == 2
    assert "Page 1 of 2" in html
    assert f"/events/{fair['event']}/registrations?side=producer&amp;page=2" in html
    html = _list(staff, fair, side=PRODUCER, page=2)
    assert len(_rows(html)) == 1
    assert "No registration matches." in _list(staff, fair, side=PRODUCER, page=9)


def test_bulk_approve_counts_skipped_and_waitlisted_need_a_free_place(staff, fair):
    url = f"/events/{fair['event']}/registrations/approve"
    ids = [fair["a"], fair["fish"], fair["tea"], fair["b"], 999_999]
    response = staff.post(url, data={"ids": [str(i) for i in ids], "side": PRODUCER,
                                     "q": "nước", "csrf_token": _token(staff, fair)})
    assert response.status_code == 302
    # Back to the list with the filters the form was sent from.
    assert response.headers["Location"].endswith(
        f"/events/{fair['event']}/registrations?q=n%C6%B0%E1%BB%9Bc&side=producer")
    html = staff.get(response.headers["Location"]).get_data(as_text=True)
    # A and the fish-sauce maker approved; tea waitlisted without a place, B already
    # approved and an unknown id: skipped.
    assert "2 approved, 3 skipped." in html
    assert [_status(fair[k]) for k in ("a", "fish", "tea", "b")] == \
        ["approved", "approved", "waitlisted", "approved"]

    # A place frees when the capacity is raised (without filling it): now the waitlisted
    # one can be approved.
    event = db.session.get(Event, fair["event"])
    event.producer_capacity = 3
    db.session.commit()
    response = staff.post(url, data={"ids": [str(fair["tea"])],
                                     "csrf_token": _token(staff, fair)}, follow_redirects=True)
    assert "1 approved, 0 skipped." in response.get_data(as_text=True)
    assert _status(fair["tea"]) == "approved"


def test_bulk_approve_with_nothing_ticked(staff, fair):
    response = staff.post(f"/events/{fair['event']}/registrations/approve",
                          data={"csrf_token": _token(staff, fair)}, follow_redirects=True)
    assert "Tick the registrations to approve first." in response.get_data(as_text=True)


def test_approve_one_and_a_waitlisted_one_without_a_place(staff, fair):
    token = _token(staff, fair)
    response = staff.post(f"/registrations/{fair['a']}/approve",
                          data={"csrf_token": token, "status": "pending"})
    assert response.headers["Location"].endswith(
        f"/events/{fair['event']}/registrations?status=pending")
    assert _status(fair["a"]) == "approved"
    html = staff.post(f"/registrations/{fair['tea']}/approve", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "No place is free on this side." in html
    assert _status(fair["tea"]) == "waitlisted"


def test_reject_needs_a_reason_and_frees_a_place(staff, fair):
    token = _token(staff, fair)
    url = f"/registrations/{fair['fish']}/reject"
    response = staff.post(url, data={"csrf_token": token, "reason": "   "})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Give a reason for the rejection." in html
    assert re.search(rf'<details class="reject-details" open>\s*<summary[^>]*>[^<]*</summary>\s*'
                     rf'<form method="post" action="/registrations/{fair["fish"]}/reject"', html)
    assert _status(fair["fish"]) == "pending"

    response = staff.post(url, data={"csrf_token": token, "reason": "Sản phẩm chưa có OCOP."})
    assert response.status_code == 302
    db.session.rollback()
    fish = db.session.get(Registration, fair["fish"])
    assert (fish.status, fish.status_note) == ("rejected", "Sản phẩm chưa có OCOP.")
    # The freed place went to the waitlisted tea cooperative (pending: approval required).
    assert _status(fair["tea"]) == "pending"
    # Rejecting again is refused with a message.
    html = staff.post(url, data={"csrf_token": token, "reason": "Lần nữa"},
                      follow_redirects=True).get_data(as_text=True)
    assert "cannot be changed from its current status" in html


# ---- check-in ------------------------------------------------------------------------

def _check_in_page(client, fair, q=None) -> str:
    response = client.get(f"/events/{fair['event']}/check-in",
                          query_string={"q": q} if q else None)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_check_in_page_searches_and_counts(staff, fair):
    html = _check_in_page(staff, fair)
    assert "Checked in 0 of 1 approved" in html
    assert 'autofocus' in html
    cards = re.findall(r'data-testid="checkin-card">(.*?)</div>\s*</div>', html, re.S)
    assert len(cards) == 4
    assert "Check in</button>" in cards[0] and "Đô Lương" in cards[0]  # approved first
    html = _check_in_page(staff, fair, "hung")
    assert "Đô Lương" in html and "Nước mắm" not in html
    html = _check_in_page(staff, fair, "nuoc mam")
    assert "Nước mắm Vạn Phần" in html and "Not approved: cannot be checked in." in html
    assert f'action="/registrations/{fair["fish"]}/check-in"' not in html


def test_check_in_undo_and_double_check_in(staff, fair):
    token = _token(staff, fair)
    url = f"/registrations/{fair['b']}/check-in"
    response = staff.post(url, data={"csrf_token": token, "q": "đô lương"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith(f"/events/{fair['event']}/check-in?q=%C4%91%C3%B4+l%C6%B0%C6%A1ng"
                             f"#registration-{fair['b']}")
    html = staff.get(location).get_data(as_text=True)
    assert "Siêu thị Đô Lương checked in." in html
    assert "Checked in 1 of 1 approved" in html
    assert "Checked in at" in html and "Undo</button>" in html
    db.session.rollback()
    assert db.session.get(Registration, fair["b"]).checked_in_at is not None
    assert _status(fair["b"]) == "checked_in"

    html = staff.post(url, data={"csrf_token": token}, follow_redirects=True).get_data(
        as_text=True)
    assert "was already checked in at" in html
    assert _status(fair["b"]) == "checked_in"

    html = staff.post(f"/registrations/{fair['b']}/undo-check-in", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "Check-in of Siêu thị Đô Lương undone." in html
    assert _status(fair["b"]) == "approved"
    html = staff.post(f"/registrations/{fair['b']}/undo-check-in", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "is not checked in" in html


def test_check_in_of_a_pending_registration_is_refused(staff, fair):
    html = staff.post(f"/registrations/{fair['a']}/check-in",
                      data={"csrf_token": _token(staff, fair)},
                      follow_redirects=True).get_data(as_text=True)
    assert "Only an approved registration can be checked in. This one is: Pending approval." in html
    assert _status(fair["a"]) == "pending"


def test_check_in_message_in_vietnamese(app, users, fair):
    client = client_for(app, users["organiser"], lang="vi")
    html = client.post(f"/registrations/{fair['a']}/check-in",
                       data={"csrf_token": _token(client, fair)},
                       follow_redirects=True).get_data(as_text=True)
    assert "Chỉ đăng ký đã được duyệt mới check-in được" in html


# ---- badges --------------------------------------------------------------------------

def test_badges_for_approved_and_checked_in_delegates(staff, fair):
    response = staff.get(f"/events/{fair['event']}/badges")
    html = response.get_data(as_text=True)
    badges = re.findall(r'data-testid="badge">(.*?)</article>', html, re.S)
    assert len(badges) == 2  # B's two delegates; A, fish and tea are not approved
    assert "Lê Văn Hùng" in badges[0] and "Trưởng phòng thu mua" in badges[0]
    assert "Siêu thị Đô Lương" in badges[0] and "Distributor" in badges[0]
    assert "Hội nghị kết nối cung cầu OCOP Nghệ An 2026" in badges[0]
    assert "Phan Thị Hoa" in badges[1]
    assert "Trần Thị Đào" not in html
    assert 'data-testid="table-card"' not in html
    assert "css/badges.css" in html and "<script>" not in html
    html = staff.get(f"/events/{fair['event']}/badges?cards=1").get_data(as_text=True)
    assert html.count('data-testid="table-card"') == 1


def test_badges_side_label_in_vietnamese(app, users, fair):
    client = client_for(app, users["organiser"], lang="vi")
    html = client.get(f"/events/{fair['event']}/badges").get_data(as_text=True)
    assert "Nhà phân phối" in html


# ---- exports -------------------------------------------------------------------------

def _xlsx(client, fair, **args):
    response = client.get(f"/events/{fair['event']}/participants.xlsx", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response, openpyxl.load_workbook(io.BytesIO(response.data)).active


def test_xlsx_has_vietnamese_names_and_one_row_per_delegate(staff, fair):
    response, sheet = _xlsx(staff, fair)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(
        'attachment; filename="participants-hoi-nghi-ket-noi-cung-cau-ocop-nghe-an-2026.xlsx"')
    assert "filename*=UTF-8''participants-H%E1%BB%99i" in disposition
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Organisation", "Tax code (MST)", "Side", "Status", "Delegate")
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 40
    assert [r[4] for r in rows[1:]] == ["Lê Văn Hùng", "Phan Thị Hoa"]
    first = rows[1]
    assert first[0] == "Siêu thị Đô Lương"
    assert first[2:4] == ("Distributor", "Approved")
    assert first[5:8] == ("Trưởng phòng thu mua", format_phone("+842383844555"), None)
    assert first[9] is not None and first[10] is None  # registered, not checked in


def test_xlsx_everyone_with_products_and_checked_in_time(staff, fair):
    staff.post(f"/registrations/{fair['b']}/check-in", data={"csrf_token": _token(staff, fair)})
    _response, sheet = _xlsx(staff, fair, status="all")
    rows = {r[4]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"Trần Thị Đào", "Nguyễn Văn An", "Hồ Thị Mai", "Lê Văn Hùng",
                         "Phan Thị Hoa"}
    assert rows["Nguyễn Văn An"][8] == "Nước mắm cá cơm Vạn Phần"
    assert rows["Hồ Thị Mai"][3] == "Waitlisted"
    assert rows["Lê Văn Hùng"][3] == "Checked in"
    checked_in = rows["Lê Văn Hùng"][10]
    db.session.rollback()
    stored = db.session.get(Registration, fair["b"]).checked_in_at
    # Vietnam wall-clock time (UTC+7), to the second.
    assert abs((checked_in - stored.replace(tzinfo=None)).total_seconds() - 7 * 3600) < 1


def test_csv_is_utf8_with_bom_and_vietnamese_headers(app, users, fair):
    client = client_for(app, users["organiser"], lang="vi")
    response = client.get(f"/events/{fair['event']}/participants.csv?status=all")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="registrations-hoi-nghi' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Doanh nghiệp/tổ chức" and "Mã số thuế (MST)" in rows[0]
    names = [r[4] for r in rows[1:]]
    assert "Trần Thị Đào" in names and "Nguyễn Văn An" in names
    org = {r[4]: r[0] for r in rows[1:]}
    assert org["Nguyễn Văn An"] == "Cơ sở Nước mắm Vạn Phần"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows[1][9])


def test_formula_injection_is_neutralised(staff, fair):
    event = db.session.get(Event, fair["event"])
    evil = factories.make_organisation("=HYPERLINK(\"http://x.example\",\"Bấm\")",
                                       Side.DISTRIBUTOR)
    register(event, evil, DISTRIBUTOR,
             [("+84 gọi ngay", "@SUM(1+1)", None), ("-2+3", "cmd|' /C calc'!A0", None)],
             approve_by=factories.make_user(Role.ORGANISER))
    body = staff.get(f"/events/{fair['event']}/participants.csv").data.decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(body)) if "HYPERLINK" in r[0]]
    assert len(rows) == 2
    assert rows[0][0].startswith("'=HYPERLINK")
    assert rows[0][4] == "'+84 gọi ngay" and rows[0][5] == "'@SUM(1+1)"
    assert rows[1][4] == "'-2+3"
    assert rows[1][5] == "cmd|' /C calc'!A0"  # not at the start: harmless, unchanged

    _response, sheet = _xlsx(staff, fair)
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    values = [c.value for c in cells]
    # Typed as text, shown exactly as entered (no apostrophe to see in Excel).
    assert "=HYPERLINK(\"http://x.example\",\"Bấm\")" in values
    assert "@SUM(1+1)" in values


def test_export_of_an_event_without_participants(staff, users):
    event = make_event("Hội chợ trống")
    response = staff.get(f"/events/{_id(event)}/participants.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert staff.get("/events/999999/participants.xlsx").status_code == 404


# ---- who may ---------------------------------------------------------------------------

def _routes(fair):
    e, a = fair["event"], fair["a"]
    return [("GET", f"/events/{e}/registrations"), ("GET", f"/events/{e}/check-in"),
            ("GET", f"/events/{e}/badges"), ("GET", f"/events/{e}/participants.xlsx"),
            ("GET", f"/events/{e}/participants.csv?status=all"),
            ("POST", f"/events/{e}/registrations/approve"),
            ("POST", f"/registrations/{a}/approve"), ("POST", f"/registrations/{a}/reject"),
            ("POST", f"/registrations/{fair['b']}/check-in"),
            ("POST", f"/registrations/{fair['b']}/undo-check-in")]


@pytest.mark.parametrize("who", ["member_a", "member_b", "other"])
def test_members_of_any_organisation_get_403(app, users, fair, no_csrf, who):
    user = users.get(who) or factories.make_user(
        organisation=factories.make_organisation("HTX Dược liệu Con Cuông", Side.BOTH))
    client = app.test_client()
    log_in(client, user)
    for method, url in _routes(fair):
        response = client.open(url, method=method,
                               data={"ids": [str(fair["a"])], "reason": "x"})
        assert response.status_code == 403, (method, url)
    assert _status(fair["a"]) == "pending" and _status(fair["b"]) == "approved"


def test_anonymous_visitors_are_sent_to_log_in(app, fair, no_csrf):
    client = app.test_client()
    for method, url in _routes(fair):
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_ids_are_404(staff, fair):
    token = _token(staff, fair)
    assert staff.get("/events/999999/registrations").status_code == 404
    assert staff.get("/events/999999/check-in").status_code == 404
    assert staff.get("/events/999999/badges").status_code == 404
    for action in ("approve", "reject", "check-in", "undo-check-in"):
        response = staff.post(f"/registrations/999999/{action}", data={"csrf_token": token})
        assert response.status_code == 404


def _token(client, fair) -> str:
    html = client.get(f"/events/{fair['event']}/check-in").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
