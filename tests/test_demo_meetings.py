"""``flask seed-demo``'s meetings: requests chosen from the suggestions, answered through the
meeting rules, a published schedule on the fewest slots; twice adds nothing; no email.

The seed also adds the finished 2025 event with its own meetings (tests/test_demo_deals.py):
these tests look at the upcoming event's rows alone."""

import sqlalchemy as sa

from matchmaker import demo
from matchmaker.auth.models import User
from matchmaker.demo import (
    DISTRIBUTOR_ORGANISATION,
    DISTRIBUTORS,
    FISH_SAUCE,
    FROM_PARTICIPANT_LIST,
    PRODUCER_ORGANISATION,
)
from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.matching import loader, services
from matchmaker.meetings import scheduler, scheduling
from matchmaker.meetings.models import Meeting, TimeSlot
from matchmaker.notifications import mail
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Organisation
from tests.conftest import client_for
from tests.test_demo import seed
from tests.test_import import table_counts


def demo_event() -> Event:
    db.session.rollback()
    return db.session.scalar(sa.select(Event).where(Event.title == demo.EVENT_TITLE))


def meetings(*where) -> list[Meeting]:
    """The upcoming demo event's meetings (``where`` narrows them), oldest first."""
    return list(db.session.scalars(sa.select(Meeting).join(Event).where(
        Event.title == demo.EVENT_TITLE, *where).order_by(Meeting.id)))


def slot_count(event: Event) -> int:
    return db.session.scalar(sa.select(sa.func.count(TimeSlot.id)).where(
        TimeSlot.event_id == event.id))


def meeting_changes(found: list[Meeting]) -> list[StatusChange]:
    return list(db.session.scalars(sa.select(StatusChange).where(
        StatusChange.subject_type == Subject.MEETING,
        StatusChange.subject_id.in_([m.id for m in found]))))


def notification_kinds(user_id: int, event_id: int) -> list[str]:
    """Kinds of the user's notifications about the event, oldest first."""
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user_id).order_by(Notification.id))
        if n.params.get("event_id") == event_id]


def organisation_id(name: str) -> int:
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name))


def of_organisation(name: str) -> list[Meeting]:
    org_id = organisation_id(name)
    return [m for m in meetings() if org_id in (m.producer_registration.organisation_id,
                                                m.distributor_registration.organisation_id)]


def user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_seed_demo_requests_answers_and_publishes_meetings(app, app_ctx):
    output = seed(app)
    assert "Demo meetings: " in output and "schedule published" in output
    event = demo_event()
    found = meetings()
    statuses = [m.status for m in found]
    assert len(found) >= 20
    assert statuses.count("declined") == demo.DECLINED_REQUESTS
    assert statuses.count("requested") == len(FROM_PARTICIPANT_LIST) + \
        demo.OTHER_PENDING_REQUESTS
    assert "accepted" not in statuses  # every accepted meeting got a place
    assert statuses.count("scheduled") == len(found) - statuses.count("declined") \
        - statuses.count("requested")
    assert {m.event_id for m in found} == {event.id}
    for meeting in found:
        if meeting.status == "declined":
            assert meeting.status_note and meeting.time_slot_id is None
        assert meeting.message  # each request says why
    # Most requests come from the distributors; a few producers nobody asked asked first.
    sides = [m.requested_by_side for m in found]
    assert sides.count("distributor") > sides.count("producer") >= 1
    # Every change went through the rules: one history line per status, with who.
    changes = meeting_changes(found)
    answered = len(found) - statuses.count("requested")
    assert len(changes) == len(found) + answered + statuses.count("scheduled")
    assert all(c.changed_by_id for c in changes)


def test_the_schedule_is_published_on_the_fewest_slots_and_valid(app, app_ctx):
    seed(app)
    event = demo_event()
    assert event.schedule_status == "published" and event.schedule_published_at
    slots = db.session.scalars(sa.select(TimeSlot).where(TimeSlot.event_id == event.id)
                               .order_by(TimeSlot.position)).all()
    assert len(slots) == 14  # 7 twenty-minute meetings with breaks in each session
    placed = meetings(Meeting.status == "scheduled")
    given = [(m.id, m.producer_registration_id, m.distributor_registration_id)
             for m in placed]
    index = {s.id: i for i, s in enumerate(slots)}
    places = {m.id: (index[m.time_slot_id], m.table_number) for m in placed}
    used = max(slot for slot, _table in places.values()) + 1
    bound = scheduler.lower_bound(given, event.table_count)
    assert used == bound  # nobody marked a slot unavailable: the proven minimum
    result = scheduler.Schedule(places, [], used, bound)
    assert scheduler.validate(result, given, event.table_count, len(slots)) == []
    board = scheduling.board(event)
    assert not board.unplaced and not board.conflicts
    assert (board.slots_used, board.lower_bound) == (bound, bound)


def test_pu_mat_has_a_request_to_answer_and_a_meeting_on_its_agenda(app, app_ctx):
    seed(app)
    event = demo_event()
    mine = of_organisation(PRODUCER_ORGANISATION)
    pending = [m for m in mine if m.status == "requested"]
    assert pending and all(m.requested_by_side == "distributor" for m in pending)
    scheduled = [m for m in mine if m.status == "scheduled"]
    assert scheduled and all(m.time_slot_id and m.table_number for m in scheduled)
    # The demo producer login accepted it itself.
    producer = user("producer@example.com")
    accepted_by = db.session.scalar(sa.select(StatusChange.changed_by_id).where(
        StatusChange.subject_type == Subject.MEETING,
        StatusChange.subject_id == scheduled[0].id, StatusChange.to_status == "accepted"))
    assert accepted_by == producer.id
    counterpart = scheduled[0].distributor_registration.organisation.name
    asker = pending[0].distributor_registration.organisation.name
    event_id = event.id

    client = client_for(app, producer)
    page = client.get(f"/events/{event_id}/agenda")
    assert page.status_code == 200 and counterpart in page.get_data(as_text=True)
    assert client.get(f"/events/{event_id}/agenda.ics").status_code == 200
    page = client.get("/meetings/")
    assert page.status_code == 200 and asker in page.get_data(as_text=True)


def test_the_demo_distributor_login_has_no_meeting_and_is_not_registered(app, app_ctx):
    seed(app)
    event = demo_event()
    assert of_organisation(DISTRIBUTOR_ORGANISATION) == []
    org_id = organisation_id(DISTRIBUTOR_ORGANISATION)
    assert db.session.scalar(sa.select(Registration.id).where(
        Registration.event_id == event.id, Registration.organisation_id == org_id)) is None
    client = client_for(app, user("distributor@example.com"))
    assert client.get(f"/events/{event.id}/agenda").status_code == 403


def test_meetings_join_approved_participants_the_suggestions_paired(app, app_ctx):
    seed(app)
    event = demo_event()
    participants = loader.event_participants(event.id)
    index = loader.event_index(loader.catalogue(), participants)
    extra = {(d, p) for d, p, _message in FROM_PARTICIPANT_LIST}
    fish_buyers = {d.name for d in DISTRIBUTORS
                   if any(FISH_SAUCE in n.categories for n in d.needs)}
    fish_producers = {"Công ty CP thủy sản Nghệ An", "Công ty cổ phần Thủy sản Vạn Phần Diễn Châu"}
    for meeting in meetings():
        producer, distributor = meeting.producer_registration, meeting.distributor_registration
        assert producer.event_id == distributor.event_id == event.id
        assert (producer.side, distributor.side) == ("producer", "distributor")
        assert producer.status == distributor.status == "approved"
        pair = (distributor.organisation.name, producer.organisation.name)
        if pair in extra:
            continue
        assert services.pair_match(index, producer.organisation_id,
                                   distributor.organisation_id) is not None, pair
        if producer.organisation.name in fish_producers:
            assert distributor.organisation.name in fish_buyers, pair
    # Fish-sauce buyers meet fish-sauce producers.
    for name in fish_buyers - {DISTRIBUTOR_ORGANISATION}:
        met = {m.producer_registration.organisation.name for m in of_organisation(name)
               if m.status == "scheduled"}
        if name != "(Demo) Công ty Suất ăn Công nghiệp Hưng Phát":  # pending registration
            assert met & fish_producers, name
    # The two pending registrations have no meeting.
    pending = db.session.scalars(sa.select(Registration.id).where(
        Registration.event_id == event.id, Registration.status == "pending")).all()
    assert len(pending) == 2
    assert not meetings(sa.or_(Meeting.producer_registration_id.in_(pending),
                               Meeting.distributor_registration_id.in_(pending)))


def test_seeding_notifies_but_sends_no_email(app, app_ctx, caplog):
    caplog.set_level("INFO", logger="matchmaker.mail")
    with mail.mail.record_messages() as outbox:
        seed(app)
    assert outbox == []
    assert not [r for r in caplog.records if r.name == "matchmaker.mail"]
    assert not db.session.info.get(mail.PENDING)
    event = demo_event()
    producer = user("producer@example.com")
    kinds = notification_kinds(producer.id, event.id)
    assert kinds.count("meeting.requested") == len(of_organisation(PRODUCER_ORGANISATION))
    assert kinds[-1] == "schedule.published"


def test_seeding_twice_adds_no_meeting(app, app_ctx):
    seed(app)
    before = table_counts()
    event = demo_event()
    assert len(meetings()) >= 20 and slot_count(event) == 14
    assert notification_kinds(user("producer@example.com").id, event.id)
    output = seed(app)
    assert "Demo meetings" not in output and "Demo data ready (0 new records)." in output
    assert table_counts() == before


def test_an_event_seeded_before_meetings_gets_them_later(app, app_ctx, monkeypatch):
    # A database seeded by the version without meetings (nor the 2025 event): the next
    # seed adds them.
    monkeypatch.setattr(demo, "_seed_meetings", lambda echo: 0)
    monkeypatch.setattr(demo.demo_deals, "seed_past_event", lambda echo: 0)
    seed(app)
    assert meetings() == []
    monkeypatch.undo()
    output = seed(app)
    assert "Demo event" not in output and "Demo meetings: " in output
    assert "Past demo event" in output
    assert demo_event().schedule_status == "published"


def test_no_meetings_once_the_event_takes_no_requests(app, app_ctx, monkeypatch):
    # The upcoming event alone stops taking requests (the 2025 event is built while it
    # still takes them).
    requests_open = demo.meeting_requests.requests_open
    monkeypatch.setattr(demo.meeting_requests, "requests_open", lambda event, now=None: (
        event.title != demo.EVENT_TITLE and requests_open(event, now)))
    output = seed(app)
    assert "no longer takes meeting requests" in output
    assert "Past demo event" in output
    assert meetings() == []
    event = demo_event()
    assert event.schedule_status == "none" and slot_count(event) == 0
