"""Edge cases of events, registrations and the organiser tools: odd input that must be refused
with a message (never a server error), state-machine holes, Vietnamese order of names, and
pages past the end within the query budget. Pages in Vietnamese unless said otherwise."""

import csv
import html
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.db import write_transaction
from matchmaker.events import registration as reg
from matchmaker.events.models import (
    Event,
    EventStatus,
    Registration,
    RegistrationDelegate,
    RegistrationStatus,
)
from matchmaker.extensions import db
from matchmaker.history import Subject, history
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import Role
from matchmaker.timeutil import utcnow
from tests import factories
from tests.access_events import make_event
from tests.access_registrations import register_org
from tests.conftest import client_for, csrf_token
from tests.test_events import data_for, form_data
from tests.test_registration_concurrency import make_members, run_all
from tests.test_registration_concurrency import post as raw_post
from tests.test_registration_concurrency import server as _server

server = _server  # the threaded server fixture, for the race below

S = RegistrationStatus


def ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def event_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Event.id)))


def fresh(model, object_id: int):
    db.session.rollback()  # see what the requests committed
    return db.session.get(model, object_id)


def delegates(*names, **extra) -> dict:
    data = {f"delegates-{i}-full_name": name for i, name in enumerate(names)}
    data.update(extra)
    return data


# --- odd input: refused with a message, never a server error ----------------------------

@pytest.mark.parametrize("changes", [
    {"starts_at": "0001-01-01T00:00"},
    {"registration_opens_at": "0001-01-01T03:00"},
    {"ends_at": "9999-12-31T23:59"},
    {"sessions-0-day": "0001-01-01", "sessions-0-starts": "00:00"},
    {"sessions-1-day": "9999-12-31"},
])
def test_dates_out_of_any_sensible_range_are_refused(app, users, changes):
    """Year 1 overflowed the UTC conversion (a 500); year 9999 was saved."""
    client = client_for(app, users["organiser"], "vi")
    response = post(client, "/events/new", form_data(**changes))
    assert response.status_code == 200
    assert "Nhập một ngày từ năm 2000 đến năm 2099." in text(response)
    assert event_count() == 0


def test_title_that_grows_when_normalised_or_folded_is_stored_or_refused(app, users):
    """NFC can lengthen text (U+0958 → 2 code points) and folding can too ("ﬃ" → "ffi"):
    PostgreSQL refused the row (a 500) although the typed title had 255 characters."""
    client = client_for(app, users["organiser"], "vi")
    response = post(client, "/events/new", form_data(title="\u0958" * 200))
    assert response.status_code == 200
    assert "Không được dài quá 255 ký tự." in text(response)
    assert event_count() == 0

    response = post(client, "/events/new", form_data(title="\ufb03" * 255))
    assert response.status_code == 302
    event = fresh(Event, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert event.title == "\ufb03" * 255 and len(event.title_key) <= 255
    assert event.title_key == "ffi" * 85


def test_delegate_names_that_grow_when_normalised_or_folded(app, users):
    client = client_for(app, users["member_a"], "vi")
    event_id = ident(make_event())
    url = f"/events/{event_id}/register"
    for too_long in ({"delegates-0-full_name": "\u0958" * 100},
                     {"delegates-0-full_name": "An", "delegates-0-job_title": "\u0958" * 100}):
        response = post(client, url, too_long)
        assert response.status_code == 200
        assert "Không được dài quá 120 ký tự." in text(response)
    response = post(client, url, delegates("ß" * 120))
    assert response.status_code == 302
    db.session.rollback()
    delegate = db.session.scalar(sa.select(RegistrationDelegate))
    assert delegate.full_name == "ß" * 120 and delegate.name_key == "s" * 120


@pytest.mark.parametrize("field", ["products", "needs"])
def test_ids_beyond_the_database_integer_are_refused(app, users, field):
    """An id over 2**63 overflowed SQLite (and over 2**31 PostgreSQL's integer): a 500."""
    both = factories.make_organisation("HTX Nông sản Quỳnh Lưu", Side.BOTH)
    member = factories.make_user(organisation=both, email="both@example.vn")
    client = client_for(app, member, "vi")
    event_id = ident(make_event())
    side = "producer" if field == "products" else "distributor"
    for huge in ("9" * 25, str(2**31), str(2**63)):
        response = post(client, f"/events/{event_id}/register",
                        delegates("Nguyễn Văn An", side=side, **{field: huge}))
        assert response.status_code == 200
        assert "Chỉ chọn" in text(response)
    assert fresh(Event, event_id) is not None
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_service_refuses_ids_out_of_range(app_ctx, users):
    event_id = ident(make_event())
    org = users["member_a"].organisation
    for bad in (0, -1, 2**31, 10**30):
        db.session.rollback()
        with write_transaction(), pytest.raises(reg.RegistrationError) as refused:
            reg.register(event_id, org, "producer", [reg.Delegate("An")], product_ids=[bad])
        assert refused.value.code == "product"


# --- state-machine holes ----------------------------------------------------------------

def test_reopening_registration_after_its_window_is_refused(app, users):
    """The event said "Registration is open again" while nobody could register."""
    event = make_event(status=EventStatus.REGISTRATION_CLOSED, registration_open=False)
    event_id = ident(event)
    client = client_for(app, users["organiser"], "vi")
    response = post(client, f"/events/{event_id}/reopen-registration", {})
    assert response.status_code == 302
    assert fresh(Event, event_id).status == EventStatus.REGISTRATION_CLOSED
    assert history(Subject.EVENT, event_id) == []
    page = text(client.get(response.headers["Location"]))
    assert "Thời hạn đăng ký đã hết" in page
    assert "Đã mở lại đăng ký." not in page


def test_reopening_within_the_window_still_works(app, users):
    event_id = ident(make_event(status=EventStatus.REGISTRATION_CLOSED))
    client = client_for(app, users["organiser"], "vi")
    assert post(client, f"/events/{event_id}/reopen-registration", {}).status_code == 302
    assert fresh(Event, event_id).status == EventStatus.PUBLISHED


@pytest.mark.parametrize("status", [EventStatus.CANCELLED, EventStatus.FINISHED])
def test_cancelled_or_finished_events_cannot_be_edited(app, users, status):
    event = make_event(status=status, producer_capacity=1)
    event_id = ident(event)
    client = client_for(app, users["organiser"], "vi")
    response = client.get(f"/events/{event_id}/edit")
    assert response.status_code == 302
    assert "không thể sửa" in text(client.get(response.headers["Location"]))
    response = post(client, f"/events/{event_id}/edit",
                    data_for(fresh(Event, event_id), title="Đổi tên", producer_capacity="99"))
    assert response.status_code == 302
    event = fresh(Event, event_id)
    assert event.title != "Đổi tên" and event.producer_capacity == 1


def test_undo_check_in_refused_once_the_event_is_cancelled(app, users):
    event = make_event(requires_approval=False)
    registration_id = register_org(event, users["member_a"].organisation)
    client = client_for(app, users["organiser"], "vi")
    assert post(client, f"/registrations/{registration_id}/check-in", {}).status_code == 302
    assert fresh(Registration, registration_id).status == S.CHECKED_IN
    assert post(client, f"/events/{ident(event)}/cancel",
                {"reason": "Bão số 3"}).status_code == 302
    response = post(client, f"/registrations/{registration_id}/undo-check-in", {})
    assert response.status_code == 302
    assert fresh(Registration, registration_id).status == S.CHECKED_IN
    assert "Sự kiện đã kết thúc hoặc đã bị hủy" in text(client.get(response.headers["Location"]))


def test_registration_page_says_the_event_was_cancelled(app, users):
    """An approved registration of a cancelled event showed only "Approved"."""
    event = make_event(requires_approval=False)
    registration_id = register_org(event, users["member_a"].organisation)
    staff = client_for(app, users["organiser"], "vi")
    assert post(staff, f"/events/{ident(event)}/cancel",
                {"reason": "Bão số 3 đổ bộ"}).status_code == 302
    member = client_for(app, users["member_a"], "vi")
    page = text(member.get(f"/registrations/{registration_id}"))
    notice = page[page.index('data-testid="event-cancelled"'):]
    assert "Sự kiện này đã bị" in notice and "Bão số 3 đổ bộ" in notice
    assert 'data-testid="cancel-form"' not in page


def test_registering_after_the_closing_time_of_a_published_event(app, users):
    event = make_event(registration_open=False)  # still "published"
    client = client_for(app, users["member_a"], "vi")
    response = post(client, f"/events/{ident(event)}/register", delegates("Nguyễn Văn An"))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


# --- Vietnamese order of names ------------------------------------------------------------

@pytest.fixture
def d_names(users):
    """Three approved producers whose folded names sort differently from Vietnamese order
    (d < đ: "Dương" comes before "Đô" in a dictionary, but "do" < "duong" once folded)."""
    event = make_event(requires_approval=False, producer_capacity=10)
    names = ["Đô Lương Food", "Dương Xá Farm", "Ăn Ngon"]
    for name in names:
        org = factories.make_organisation(name, Side.PRODUCER)
        register_org(event, org, delegates=[reg.Delegate(f"Người của {name}")])
    return ident(event)


VIETNAMESE_ORDER = ["Ăn Ngon", "Dương Xá Farm", "Đô Lương Food"]


def _order(page: str) -> list[str]:
    positions = {name: page.find(name) for name in VIETNAMESE_ORDER}
    assert all(p >= 0 for p in positions.values()), positions
    return sorted(positions, key=positions.get)


def test_check_in_badges_and_export_in_vietnamese_order(app, users, d_names):
    client = client_for(app, users["organiser"], "vi")
    assert _order(text(client.get(f"/events/{d_names}/check-in"))) == VIETNAMESE_ORDER
    assert _order(text(client.get(f"/events/{d_names}/badges"))) == VIETNAMESE_ORDER
    body = client.get(f"/events/{d_names}/participants.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert [row[0] for row in rows] == VIETNAMESE_ORDER


# --- pages past the end -------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/events/?page=9999", "/events/?when=past&page=9999", "/notifications/?page=9999",
    "/events/{event}/registrations?page=9999&q=zzz&status=approved",
    "/events/{event}/check-in?q=" + "x" * 500,
])
def test_pages_past_the_end_within_the_budget(app, users, count_queries, path):
    event = make_event()
    register_org(event, users["member_a"].organisation)
    user = users["organiser"] if "{event}" in path else users["member_a"]
    client = client_for(app, user, "vi")
    url = path.format(event=ident(event))
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    assert counter.count <= 5, counter.statements


def test_staff_are_never_shown_a_register_button_and_cannot_register(app, users):
    event_id = ident(make_event())
    for role in ("organiser", "admin"):
        user = users[role]
        assert user.role in (Role.ORGANISER, Role.ADMIN)
        client = client_for(app, user, "vi")
        assert post(client, f"/events/{event_id}/register",
                    delegates("Nguyễn Văn An")).status_code == 403


def test_approving_a_registration_of_a_finished_event_is_refused(app, users):
    event = make_event()
    registration_id = register_org(event, users["member_a"].organisation)
    db.session.rollback()
    with write_transaction():
        db.session.get(Event, ident(event)).status = EventStatus.FINISHED
        db.session.commit()
    client = client_for(app, users["organiser"], "vi")
    response = post(client, f"/registrations/{registration_id}/approve", {})
    assert response.status_code == 302
    assert fresh(Registration, registration_id).status == S.PENDING
    assert "Sự kiện đã kết thúc hoặc đã bị hủy" in text(client.get(response.headers["Location"]))


def test_cancelling_an_event_tells_everyone_still_registered_once(app, users):
    from matchmaker.notifications.models import Notification

    event = make_event(producer_capacity=1, requires_approval=False)
    a = register_org(event, users["member_a"].organisation)
    waiting_org = factories.make_organisation("HTX Chè Thanh Chương", Side.PRODUCER)
    waiting_user = factories.make_user(organisation=waiting_org, email="tea@example.vn")
    waiting = register_org(event, waiting_org)
    b = register_org(event, users["member_b"].organisation, side="distributor")
    with write_transaction():
        reg.cancel(db.session.get(Registration, b), ident(users["member_b"]))
        db.session.commit()
    client = client_for(app, users["organiser"], "vi")
    assert post(client, f"/events/{ident(event)}/cancel", {"reason": "Bão"}).status_code == 302
    db.session.rollback()
    told = db.session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "event.cancelled")).all()
    assert sorted(told) == sorted([ident(users["member_a"]), ident(waiting_user)])
    assert fresh(Registration, a).status == S.APPROVED
    assert fresh(Registration, waiting).status == S.WAITLISTED
    # Nothing moves any more: a freed place is not given to the waitlist.
    assert reg.promote_waitlist(fresh(Event, ident(event)), "producer") == []
    assert utcnow() - timedelta(minutes=5) < history(Subject.EVENT, ident(event))[-1].changed_at


# --- organisers and members racing on the same registrations -------------------------------

def _staff_cookies(app, count: int) -> list[str]:
    from matchmaker.auth.models import LoginSession

    cookies = []
    serializer = app.session_interface.get_signing_serializer(app)
    for i in range(count):
        user = factories.make_user(Role.ORGANISER, email=f"racer{i}@example.vn")
        login = LoginSession(user_id=ident(user))
        db.session.add(login)
        db.session.flush()
        cookies.append(serializer.dumps({"_user_id": f"{ident(user)}:{login.id}",
                                         "_fresh": True}))
    db.session.commit()
    return cookies


def test_approve_reject_cancel_and_event_cancel_racing(app, app_ctx, server):
    """Two organisers approve and reject the same registrations while their members cancel
    them and a third organiser cancels the event: every answer is a redirect, each history
    is one unbroken chain ending in the current status, no side is overbooked, and nothing
    changes after the event's cancellation."""
    capacity = 6
    event = make_event(producer_capacity=capacity)
    event_id = ident(event)
    members = make_members(app, 16, "HTX Đua")
    with write_transaction():
        ids = [reg.register(event_id, db.session.get(Organisation, org_id), "producer",
                            [reg.Delegate("Đại biểu")]).id for org_id, _c in members]
        db.session.commit()
    first, second, third = _staff_cookies(app, 3)
    jobs = []
    for (_org, cookie), rid in zip(members, ids, strict=True):
        jobs += [lambda rid=rid: raw_post(server, f"/registrations/{rid}/approve", first, {}),
                 lambda rid=rid: raw_post(server, f"/registrations/{rid}/reject", second,
                                          {"reason": "Hồ sơ chưa đủ"}),
                 lambda rid=rid, c=cookie: raw_post(server, f"/registrations/{rid}/cancel", c,
                                                    {"confirm": "y"})]
    jobs.insert(len(jobs) // 2, lambda: raw_post(server, f"/events/{event_id}/cancel", third,
                                                 {"reason": "Bão"}))
    jobs += [lambda: raw_post(server, f"/events/{event_id}/registrations/approve", first,
                              {"ids": [str(i) for i in ids]})]

    results, _seconds = run_all(jobs)

    assert {status for status, _location in results} == {302}
    db.session.rollback()
    rows = {r.id: r for r in db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event_id))}
    assert sum(r.status in (S.PENDING, S.APPROVED, S.CHECKED_IN) for r in rows.values()) \
        <= capacity
    [cancelled] = history(Subject.EVENT, event_id)
    for rid, row in rows.items():
        chain = history(Subject.REGISTRATION, rid)
        assert [c.from_status for c in chain[1:]] == [c.to_status for c in chain[:-1]]
        assert chain[-1].to_status == row.status
        assert all(c.changed_at <= cancelled.changed_at for c in chain)
