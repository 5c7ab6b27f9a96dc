"""Events: the organisers' form (Vietnam time in, UTC stored, Vietnam time shown), every
refused input with its message next to its field, status changes with history, visibility,
the public list, and capacity changes against the registrations already taken."""

import html
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (first: it imports every access_* module, ours included)
from matchmaker.db import write_transaction
from matchmaker.events import registration as reg
from matchmaker.events import services
from matchmaker.events.models import Event, EventStatus, Registration
from matchmaker.extensions import db
from matchmaker.history import Subject, history
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Side
from matchmaker.timeutil import to_local, utcnow
from tests import factories
from tests.access_events import make_event
from tests.conftest import client_for

ONE = [reg.Delegate("Nguyễn Văn An", "Giám đốc", "+84912345678")]


def _id(obj) -> int:
    return sa.inspect(obj).identity[0]


def form_data(**overrides) -> dict:
    """A valid event form, times in Vietnam wall time (15-16 March 2030)."""
    data = {
        "title": "Hội nghị kết nối cung cầu OCOP Nghệ An 2030",
        "description": "Gặp gỡ nhà phân phối.",
        "venue": "Trung tâm Hội nghị tỉnh, Vinh",
        "province": "40",
        "starts_at": "2030-03-15T08:00",
        "ends_at": "2030-03-16T17:00",
        "registration_opens_at": "2030-02-01T08:00",
        "registration_closes_at": "2030-03-10T17:00",
        "producer_capacity": "50",
        "distributor_capacity": "30",
        "requires_approval": "y",
        "meeting_minutes": "20",
        "break_minutes": "5",
        "table_count": "20",
        "sessions-0-day": "2030-03-15",
        "sessions-0-starts": "08:30",
        "sessions-0-ends": "11:30",
        "sessions-1-day": "2030-03-15",
        "sessions-1-starts": "13:30",
        "sessions-1-ends": "17:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def data_for(event: Event, **overrides) -> dict:
    """The edit form as it would be sent back unchanged for ``event``."""
    def local(dt):
        return to_local(dt).strftime("%Y-%m-%dT%H:%M")

    data = {
        "title": event.title, "description": event.description or "",
        "venue": event.venue or "", "province": str(event.province_code),
        "starts_at": local(event.starts_at), "ends_at": local(event.ends_at),
        "registration_opens_at": local(event.registration_opens_at),
        "registration_closes_at": local(event.registration_closes_at),
        "producer_capacity": str(event.producer_capacity),
        "distributor_capacity": str(event.distributor_capacity),
        "meeting_minutes": str(event.meeting_minutes),
        "break_minutes": str(event.break_minutes), "table_count": str(event.table_count),
        "categories": [str(c.id) for c in event.categories],
    }
    if event.requires_approval:
        data["requires_approval"] = "y"
    for i, s in enumerate(event.sessions):
        start, end = to_local(s.starts_at), to_local(s.ends_at)
        data[f"sessions-{i}-day"] = start.strftime("%Y-%m-%d")
        data[f"sessions-{i}-starts"] = start.strftime("%H:%M")
        data[f"sessions-{i}-ends"] = end.strftime("%H:%M")
    data.update(overrides)
    return data


def near(page: str, element_id: str, message: str, span: int = 900) -> bool:
    """True when ``message`` is shown within ``span`` characters after ``element_id``."""
    start = page.index(f'id="{element_id}"')
    return message in html.unescape(page[start:start + span])


def _event_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Event.id)))


def _fresh(event_id: int) -> Event:
    db.session.rollback()
    return db.session.get(Event, event_id)


# --- creating and editing --------------------------------------------------------------

def test_create_event_vietnam_time_in_utc_stored_vietnam_time_shown(app, users, no_csrf):
    client = client_for(app, users["organiser"])
    response = client.post("/events/new", data=form_data(categories=["1"]))
    assert response.status_code == 302, response.get_data(as_text=True)
    event_id = int(response.headers["Location"].rsplit("/", 1)[1])
    event = _fresh(event_id)
    assert event.status == EventStatus.DRAFT and event.published_at is None
    assert event.starts_at == datetime(2030, 3, 15, 1, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2030, 3, 16, 10, 0, tzinfo=UTC)
    assert event.registration_closes_at == datetime(2030, 3, 10, 10, 0, tzinfo=UTC)
    assert [(s.starts_at.hour, s.ends_at.hour) for s in event.sessions] == [(1, 4), (6, 10)]
    assert event.province_code == 40 and event.requires_approval
    assert event.created_by_id == _id(users["organiser"])
    [created] = history(Subject.EVENT, event_id)
    assert (created.from_status, created.to_status) == (None, "draft")
    assert created.changed_by_id == _id(users["organiser"])

    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "08:00" in page and "17:00" in page and "08:30–11:30" in page
    assert "13:30–17:00" in page and "Nghệ An" in page
    form = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert 'value="2030-03-15T08:00"' in form and 'value="13:30"' in form


def test_edit_event_changes_fields_and_sessions(app, users, no_csrf):
    event = make_event(sessions=True)
    event_id = _id(event)
    client = client_for(app, users["organiser"])
    data = data_for(event, title="Hội chợ OCOP Vinh", venue="Quảng trường Hồ Chí Minh",
                    table_count="12")
    data["sessions-1-day"] = data["sessions-1-starts"] = data["sessions-1-ends"] = ""
    response = client.post(f"/events/{event_id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = _fresh(event_id)
    assert (event.title, event.venue, event.table_count) == (
        "Hội chợ OCOP Vinh", "Quảng trường Hồ Chí Minh", 12)
    assert len(event.sessions) == 1


REFUSALS = [
    ({"ends_at": "2030-03-15T08:00"}, "ends_at", "The end must be after the start."),
    ({"ends_at": "2030-03-14T17:00"}, "ends_at", "The end must be after the start."),
    ({"registration_opens_at": "2030-03-11T08:00"}, "registration_closes_at",
     "Registration must close after it opens."),
    ({"registration_closes_at": "2030-03-17T08:00"}, "registration_closes_at",
     "Registration must close by the end of the event."),
    ({"table_count": "0"}, "table_count", "Enter a number of tables between 1 and 1000."),
    ({"table_count": "-3"}, "table_count", "Enter a number of tables between 1 and 1000."),
    ({"producer_capacity": "0"}, "producer_capacity",
     "Enter a number of places between 1 and 100000."),
    ({"distributor_capacity": "-1"}, "distributor_capacity",
     "Enter a number of places between 1 and 100000."),
    ({"meeting_minutes": "4"}, "meeting_minutes", "A meeting lasts between 5 and 240 minutes."),
    ({"meeting_minutes": "241"}, "meeting_minutes",
     "A meeting lasts between 5 and 240 minutes."),
    ({"table_count": "mười"}, "table_count", "Enter a whole number, e.g. 20."),
    ({"starts_at": "tomorrow"}, "starts_at", "Enter a date and time, e.g. 31/12/2026 08:30."),
    ({"title": ""}, "title", "Enter the event's title."),
    ({"sessions-0-day": "2030-03-17"}, "sessions-0-day",
     "A session must lie within the event's start and end."),
    ({"sessions-0-starts": "07:00"}, "sessions-0-day",
     "A session must lie within the event's start and end."),
    ({"sessions-1-starts": "11:00"}, "sessions-1-day", "This session overlaps another session."),
    ({"sessions-0-ends": "08:40"}, "sessions-0-day", "This session is shorter than one meeting."),
    ({"sessions-0-ends": "08:00"}, "sessions-0-day", "A session must end after it starts."),
    ({"sessions-0-ends": ""}, "sessions-0-day",
     "Give the day, the start and the end, or leave the row empty."),
    ({"sessions-0-day": "", "sessions-0-starts": "", "sessions-0-ends": "",
      "sessions-1-day": "", "sessions-1-starts": "", "sessions-1-ends": ""},
     "sessions-0-day", "Add at least one meeting session."),
]


@pytest.mark.parametrize(("changes", "element", "message"), REFUSALS,
                         ids=[f"{e}:{m[:30]}" for _c, e, m in REFUSALS])
def test_refused_input_is_explained_next_to_its_field(app, users, no_csrf, changes, element,
                                                      message):
    client = client_for(app, users["organiser"])
    response = client.post("/events/new", data=form_data(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert near(page, element, message), message
    # What was typed is kept.
    assert "Hội nghị kết nối cung cầu OCOP Nghệ An 2030" in page or changes.get("title") == ""
    assert _event_count() == 0


def test_refusal_in_vietnamese(app, users, no_csrf):
    client = client_for(app, users["organiser"], lang="vi")
    page = client.post("/events/new", data=form_data(
        ends_at="2030-03-14T08:00", table_count="0")).get_data(as_text=True)
    assert near(page, "ends_at", "Thời điểm kết thúc phải sau thời điểm bắt đầu.")
    assert near(page, "table_count", "Nhập số bàn từ 1 đến 1000.")
    assert _event_count() == 0


def test_service_refuses_what_the_form_would(app_ctx, users):
    fields = services.EventFields(
        title="Hội nghị", starts_at=utcnow(), ends_at=utcnow() - timedelta(hours=1),
        registration_opens_at=utcnow() - timedelta(days=2),
        registration_closes_at=utcnow() - timedelta(days=1), producer_capacity=1,
        distributor_capacity=1, table_count=1, sessions=[])
    with pytest.raises(services.EventError) as error:
        services.create_event(fields, None)
    assert error.value.code == "ends_before_start"
    assert [p.code for p in services.event_problems(fields)] == [
        "ends_before_start", "no_sessions"]


def test_database_refuses_zero_tables_as_last_line(app_ctx):
    with pytest.raises(sa.exc.IntegrityError):
        make_event(table_count=0)
    db.session.rollback()


# --- status changes --------------------------------------------------------------------

def _post(client, event_id, action, **data):
    return client.post(f"/events/{event_id}/{action}", data=data)


def test_status_walk_with_history_and_who(app, users, no_csrf):
    event_id = _id(make_event(status=EventStatus.DRAFT))
    organiser, admin = client_for(app, users["organiser"]), client_for(app, users["admin"])
    assert _post(organiser, event_id, "publish").status_code == 302
    event = _fresh(event_id)
    assert event.status == "published" and event.published_at is not None
    first_published = event.published_at
    assert _post(admin, event_id, "close-registration").status_code == 302
    assert _post(organiser, event_id, "reopen-registration").status_code == 302
    assert _post(organiser, event_id, "close-registration").status_code == 302
    assert _post(admin, event_id, "finish").status_code == 302
    event = _fresh(event_id)
    assert event.status == "finished" and event.published_at == first_published
    changes = history(Subject.EVENT, event_id)
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("draft", "published"), ("published", "registration_closed"),
        ("registration_closed", "published"), ("published", "registration_closed"),
        ("registration_closed", "finished")]
    assert [c.changed_by_id for c in changes] == [
        _id(users[r]) for r in ("organiser", "admin", "organiser", "organiser", "admin")]
    page = organiser.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Status history" in page and users["admin"].full_name in page


@pytest.mark.parametrize(("status", "action"), [
    ("draft", "finish"), ("draft", "close-registration"), ("published", "publish"),
    ("published", "reopen-registration"), ("finished", "cancel"), ("cancelled", "publish"),
    ("finished", "reopen-registration"),
])
def test_invalid_transitions_are_refused(app, users, no_csrf, status, action):
    event_id = _id(make_event(status=status))
    client = client_for(app, users["organiser"])
    response = _post(client, event_id, action, reason="Mưa bão")
    assert response.status_code == 302
    assert _post(client, event_id, action).status_code == 302  # no reason: same answer
    assert _fresh(event_id).status == status
    assert history(Subject.EVENT, event_id) == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This change is not possible now" in html.unescape(page)


def test_cancel_needs_a_reason_and_notifies_registered(app, users, no_csrf):
    event_id = _id(make_event())
    with write_transaction():
        reg.register(event_id, users["member_a"].organisation, "producer", ONE)
        db.session.commit()
    client = client_for(app, users["organiser"])
    response = _post(client, event_id, "cancel", reason="   ")
    assert response.status_code == 200
    assert near(response.get_data(as_text=True), "reason", "Say why the event is cancelled.")
    assert _fresh(event_id).status == "published"

    assert _post(client, event_id, "cancel", reason="Bão số 3 đổ bộ.").status_code == 302
    event = _fresh(event_id)
    assert (event.status, event.cancel_reason) == ("cancelled", "Bão số 3 đổ bộ.")
    [change] = history(Subject.EVENT, event_id)
    assert (change.to_status, change.note) == ("cancelled", "Bão số 3 đổ bộ.")
    kinds = db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == _id(users["member_a"]))).all()
    assert "event.cancelled" in kinds
    # Still visible to everyone, with the reason.
    page = client_for(app, users["member_b"]).get(f"/events/{event_id}").get_data(as_text=True)
    assert "This event is cancelled." in page and "Bão số 3 đổ bộ." in page


# --- visibility and the list ------------------------------------------------------------

def test_drafts_only_for_staff(app, users):
    draft_id = _id(make_event("Hội chợ bí mật", status=EventStatus.DRAFT))
    public_id = _id(make_event("Hội chợ công khai"))
    anon = app.test_client()
    assert anon.get(f"/events/{draft_id}").status_code == 404
    assert anon.get(f"/events/{public_id}").status_code == 200
    member = client_for(app, users["member_a"])
    assert member.get(f"/events/{draft_id}").status_code == 404
    assert "Hội chợ bí mật" not in anon.get("/events/").get_data(as_text=True)
    assert "Hội chợ bí mật" not in member.get("/events/").get_data(as_text=True)
    staff_list = client_for(app, users["organiser"]).get("/events/").get_data(as_text=True)
    assert "Hội chợ bí mật" in staff_list and "event-card-draft" in staff_list
    assert "Draft" in staff_list


def test_list_upcoming_and_past_in_order(app, users):
    make_event("Sự kiện tháng sau", starts_in=timedelta(days=40))
    make_event("Sự kiện tuần sau", starts_in=timedelta(days=7))
    make_event("Sự kiện năm ngoái", starts_in=timedelta(days=-300), registration_open=False)
    make_event("Sự kiện tháng trước", starts_in=timedelta(days=-30), registration_open=False)
    make_event("Sự kiện đã huỷ", starts_in=timedelta(days=10), status=EventStatus.CANCELLED)
    client = app.test_client()
    upcoming = client.get("/events/").get_data(as_text=True)
    assert upcoming.index("Sự kiện tuần sau") < upcoming.index("Sự kiện đã huỷ") \
        < upcoming.index("Sự kiện tháng sau")
    assert "Sự kiện tháng trước" not in upcoming
    assert "Places left: 50 for producers, 30 for distributors" in \
        client_for(app, users["member_a"]).get("/events/").get_data(as_text=True)
    past = client.get("/events/?when=past").get_data(as_text=True)
    assert past.index("Sự kiện tháng trước") < past.index("Sự kiện năm ngoái")
    assert "Sự kiện tuần sau" not in past


def test_list_is_paginated(app, users):
    for i in range(services.EVENTS_PER_PAGE + 1):
        make_event(f"Sự kiện số {i:02d}", starts_in=timedelta(days=5 + i), categories=(),
                   sessions=False)
    client = app.test_client()
    first = client.get("/events/").get_data(as_text=True)
    assert "Sự kiện số 00" in first and "Sự kiện số 20" not in first
    assert "Sự kiện số 20" in client.get("/events/?page=2").get_data(as_text=True)


def test_event_page_places_and_member_registration(app, users, count_queries):
    event_id = _id(make_event(producer_capacity=1))
    other = factories.make_organisation("Hợp tác xã Chè Thanh Chương", Side.PRODUCER)
    with write_transaction():
        reg.register(event_id, other, "producer", ONE)
        reg.register(event_id, users["member_a"].organisation, "producer", ONE)
        db.session.commit()
    member_a = client_for(app, users["member_a"])
    with count_queries() as counter:
        page = member_a.get(f"/events/{event_id}").get_data(as_text=True)
    assert counter.count <= 5, counter.statements
    assert "On the waiting list" in page and "/registrations/" in page
    assert 'data-testid="places-producer"><th scope="row">Producers</th><td>1</td><td>1</td>' \
           '<td>0</td><td>1</td>' in page
    member_b = client_for(app, users["member_b"]).get(f"/events/{event_id}")
    assert f"/events/{event_id}/register" in member_b.get_data(as_text=True)
    closed_id = _id(make_event(registration_open=False))
    page = client_for(app, users["member_b"]).get(f"/events/{closed_id}").get_data(as_text=True)
    assert f"/events/{closed_id}/register" not in page
    staff = client_for(app, users["organiser"]).get(f"/events/{event_id}").get_data(as_text=True)
    for path in ("/registrations", "/check-in", "/badges", "/participants.xlsx",
                 "/participants.csv", "/edit"):
        assert f"/events/{event_id}{path}" in staff


# --- capacity --------------------------------------------------------------------------

def _register_producers(event_id: int, n: int) -> None:
    orgs = [factories.make_organisation(f"Hợp tác xã số {i}", Side.PRODUCER) for i in range(n)]
    for org in orgs:
        with write_transaction():
            reg.register(event_id, org, "producer", ONE)
            db.session.commit()


def _statuses(event_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Registration.status).where(
        Registration.event_id == event_id).order_by(Registration.id)))


def test_raising_capacity_promotes_the_waitlist(app, users, no_csrf):
    event = make_event(producer_capacity=1, requires_approval=False)
    event_id = _id(event)
    _register_producers(event_id, 3)
    assert _statuses(event_id) == ["approved", "waitlisted", "waitlisted"]
    client = client_for(app, users["organiser"])
    response = client.post(f"/events/{event_id}/edit",
                           data=data_for(_fresh(event_id), producer_capacity="2"))
    assert response.status_code == 302
    assert _statuses(event_id) == ["approved", "approved", "waitlisted"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 waitlisted organisation got a place." in page


def test_lowering_capacity_below_taken_is_refused(app, users, no_csrf):
    event_id = _id(make_event(producer_capacity=3))
    _register_producers(event_id, 2)
    client = client_for(app, users["organiser"])
    response = client.post(f"/events/{event_id}/edit",
                           data=data_for(_fresh(event_id), producer_capacity="1"))
    assert response.status_code == 200
    assert near(response.get_data(as_text=True), "producer_capacity",
                "2 producers already hold a place: the capacity cannot be lower.")
    assert _fresh(event_id).producer_capacity == 3
    assert _statuses(event_id) == ["pending", "pending"]
    # Down to exactly the places taken is fine.
    response = client.post(f"/events/{event_id}/edit",
                           data=data_for(_fresh(event_id), producer_capacity="2"))
    assert response.status_code == 302
    assert _fresh(event_id).producer_capacity == 2


def test_members_cannot_edit_or_change_status(app, users, no_csrf):
    event_id = _id(make_event())
    member = client_for(app, users["member_a"])
    assert member.post(f"/events/{event_id}/edit", data=form_data()).status_code == 403
    assert _post(member, event_id, "cancel", reason="x").status_code == 403
    assert _fresh(event_id).status == "published"
