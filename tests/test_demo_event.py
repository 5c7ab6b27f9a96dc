"""``flask seed-demo``'s event: published, upcoming, in Nghệ An, most demo organisations
registered through the registration rules; running the seed again adds nothing.

The seed also adds the finished 2025 event (tests/test_demo_deals.py): these tests look at
the upcoming event's rows alone."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from matchmaker.auth.models import User
from matchmaker.demo import (
    DISTRIBUTOR_ORGANISATION,
    EVENT_LEAD_DAYS,
    EVENT_TITLE,
    PRODUCER_ORGANISATION,
    event_dates,
)
from matchmaker.events.models import Event, Registration, RegistrationDelegate
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Organisation
from matchmaker.timeutil import to_local, utcnow
from tests.test_demo import seed
from tests.test_import import table_counts


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def upcoming() -> Event:
    """The one event titled :data:`EVENT_TITLE`, read in a fresh transaction."""
    db.session.rollback()
    return db.session.scalars(sa.select(Event).where(Event.title == EVENT_TITLE)).one()


def event_registrations(event: Event) -> list[Registration]:
    return list(db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event.id).order_by(Registration.id)))


def test_seed_demo_adds_one_published_upcoming_event_in_nghe_an(app, app_ctx):
    before = to_local(utcnow()).date()
    output = seed(app)
    assert f'Demo event "{EVENT_TITLE}"' in output
    event = upcoming()
    after = to_local(utcnow()).date()
    assert event.province_code == 40
    assert event.status == "published" and event.published_at is not None
    # The first weekday at least EVENT_LEAD_DAYS Vietnam calendar days after the seeding
    # (compared as dates: the event starts at 08:00, the seed may run at any hour).
    day = to_local(event.starts_at).date()
    assert before + timedelta(days=EVENT_LEAD_DAYS) <= day
    assert day <= after + timedelta(days=EVENT_LEAD_DAYS + 2)
    now = utcnow()
    assert event.registration_open(now) and event.requires_approval
    assert event.registration_closes_at <= event.starts_at - timedelta(days=2)
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    assert (start.hour, end.hour, start.date()) == (8, 17, end.date())
    assert start.weekday() < 5
    assert [(to_local(s.starts_at).strftime("%H:%M"), to_local(s.ends_at).strftime("%H:%M"))
            for s in event.sessions] == [("08:30", "11:30"), ("13:30", "16:30")]
    assert (event.producer_capacity, event.distributor_capacity, event.table_count,
            event.meeting_minutes, event.break_minutes) == (60, 40, 20, 20, 5)
    codes = {c.code for c in event.categories}
    assert {"I.4", "I.5", "III.1", "IV.1"} <= codes
    assert {c.scheme for c in event.categories} == {"ocop"}
    assert [c.to_status for c in db.session.scalars(sa.select(StatusChange).where(
        StatusChange.subject_type == Subject.EVENT, StatusChange.subject_id == event.id)
        .order_by(StatusChange.id))] == ["draft", "published"]


def test_most_demo_organisations_are_registered_and_approved(app, app_ctx):
    seed(app)
    event = upcoming()
    registrations = event_registrations(event)
    statuses = [r.status for r in registrations]
    organisations = count(Organisation)
    assert len(registrations) >= organisations * 3 // 4
    assert statuses.count("approved") >= len(registrations) - 2
    assert 1 <= statuses.count("pending") <= 2
    by_name = {r.organisation.name: r for r in registrations}
    assert by_name[PRODUCER_ORGANISATION].status == "approved"
    assert DISTRIBUTOR_ORGANISATION not in by_name  # left for a visitor to try
    for registration in registrations:
        assert 1 <= len(registration.delegates) <= 2
        if registration.side == "producer":
            assert registration.products and not registration.needs
        else:
            assert registration.needs and not registration.products
    assert {r.side for r in registrations} == {"producer", "distributor"}
    names = {d.full_name for d in db.session.scalars(sa.select(RegistrationDelegate).where(
        RegistrationDelegate.registration_id.in_([r.id for r in registrations])))}
    assert "Nguyễn Văn Hùng" in names and all(len(n.split()) >= 3 for n in names)
    # Every registration went through the rules: a history line per change, with who.
    changes = db.session.scalars(sa.select(StatusChange).where(
        StatusChange.subject_type == Subject.REGISTRATION,
        StatusChange.subject_id.in_([r.id for r in registrations]))).all()
    assert len(changes) == len(registrations) + statuses.count("approved")
    organiser = db.session.scalar(sa.select(User).where(User.email == "organiser@example.com"))
    assert all(c.changed_by_id for c in changes)
    assert {c.changed_by_id for c in changes if c.to_status == "approved"} == {organiser.id}
    # The demo producer login finds its approval among its notifications.
    producer = db.session.scalar(sa.select(User).where(User.email == "producer@example.com"))
    kinds = [n.kind for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == producer.id).order_by(Notification.id))
        if n.params.get("event_id") == event.id]
    # Meeting requests and the published schedule follow (tests/test_demo_meetings.py).
    assert kinds[0] == "registration.approved" and kinds.count("registration.approved") == 1


def test_seeding_twice_adds_no_event_and_no_registration(app, app_ctx):
    seed(app)
    before = table_counts()
    event = upcoming()  # one event of that title
    assert len(event_registrations(event)) > 20
    output = seed(app)
    assert "Demo event" not in output and "Demo data ready (0 new records)." in output
    assert table_counts() == before


# That seeding sends no email: tests/test_demo_meetings.py
# test_seeding_notifies_but_sends_no_email (registrations, meetings and the schedule).


def test_the_event_falls_on_a_weekday_at_least_30_days_ahead():
    # Friday 2026-11-27 23:00 UTC is Saturday 28 November in Vietnam; +30 days is Monday
    # 28 December. From Thursday 19 November +30 days is Saturday 19 December: Monday 21.
    start, end = event_dates(datetime(2026, 11, 27, 23, 0, tzinfo=UTC))
    assert start == datetime(2026, 12, 28, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
    assert end == datetime(2026, 12, 28, 10, 0, tzinfo=UTC)
    start, _end = event_dates(datetime(2026, 11, 19, 3, 0, tzinfo=UTC))
    assert to_local(start).date().isoformat() == "2026-12-21"
