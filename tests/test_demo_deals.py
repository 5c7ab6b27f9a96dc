"""``flask seed-demo``'s finished 2025 event: registrations, held meetings and the deals that
followed (MOUs, supply contracts, lapses), all through the rules and dated as they happened;
twice adds nothing; the upcoming event stays as it is."""

import statistics
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from matchmaker import demo, demo_deals
from matchmaker.auth.models import User
from matchmaker.deals.models import COUNTED_CONTRACT, Mou, SupplyContract
from matchmaker.demo_deals import NOT_BEFORE, PAST_EVENT_DAY, PAST_EVENT_TITLE
from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.meetings.models import Meeting, TimeSlot
from matchmaker.notifications import mail
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Organisation
from matchmaker.timeutil import local_to_utc, to_local, utcnow
from tests.conftest import client_for
from tests.test_demo import seed
from tests.test_import import table_counts

STORY_START = local_to_utc(datetime(2025, 5, 1))
STORY_END = local_to_utc(datetime.combine(NOT_BEFORE, datetime.min.time()))


def past_event() -> Event:
    db.session.rollback()
    return db.session.scalar(sa.select(Event).where(Event.title == PAST_EVENT_TITLE))


def changes(subject: Subject, ids) -> list[StatusChange]:
    return list(db.session.scalars(sa.select(StatusChange).where(
        StatusChange.subject_type == subject, StatusChange.subject_id.in_(list(ids)))
        .order_by(StatusChange.id)))


def by_subject(rows: list[StatusChange]) -> dict[int, list[StatusChange]]:
    found: dict[int, list[StatusChange]] = {}
    for row in rows:
        found.setdefault(row.subject_id, []).append(row)
    return found


def organisation_id(name: str) -> int:
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name))


def test_the_2025_event_finished_with_check_ins_and_held_meetings(app, app_ctx, caplog):
    caplog.set_level("INFO", logger="matchmaker.mail")
    with mail.mail.record_messages() as outbox:
        output = seed(app)
    assert outbox == [] and not [r for r in caplog.records if r.name == "matchmaker.mail"]
    assert f'Past demo event "{PAST_EVENT_TITLE}" on 19/06/2025, finished' in output
    event = past_event()
    assert event.status == "finished" and event.schedule_status == "published"
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    assert (start.date(), start.hour, end.hour) == (PAST_EVENT_DAY, 8, 17)
    assert start.weekday() == 3  # a Thursday
    assert event.published_at < event.registration_closes_at < event.schedule_published_at \
        < event.starts_at
    assert [(to_local(s.starts_at).strftime("%d/%m %H:%M"), to_local(s.ends_at).strftime(
        "%H:%M")) for s in event.sessions] == [("19/06 08:30", "11:30"), ("19/06 13:30", "16:30")]
    assert [c.to_status for c in changes(Subject.EVENT, [event.id])] == \
        ["draft", "published", "registration_closed", "finished"]

    registrations = db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event.id)).all()
    statuses = [r.status for r in registrations]
    assert len(registrations) >= 25 and set(statuses) == {"approved", "checked_in"}
    assert statuses.count("approved") == 1  # the organisation that did not come
    names = {r.organisation.name for r in registrations}
    assert {demo.PRODUCER_ORGANISATION, demo.DISTRIBUTOR_ORGANISATION} <= names
    for registration in registrations:
        assert STORY_START <= registration.queued_at < event.registration_closes_at
        if registration.status == "checked_in":
            assert to_local(registration.checked_in_at).date() == PAST_EVENT_DAY

    meetings = db.session.scalars(sa.select(Meeting).where(
        Meeting.event_id == event.id)).all()
    statuses = [m.status for m in meetings]
    assert set(statuses) == {"held", "no_show", "declined"}  # nothing left open
    assert statuses.count("held") >= 20 and 1 <= statuses.count("no_show") <= 3
    assert statuses.count("declined") == demo.DECLINED_REQUESTS
    absent = next(r.id for r in registrations if r.status == "approved")
    for meeting in meetings:
        parties = {meeting.producer_registration_id, meeting.distributor_registration_id}
        if meeting.status == "declined":
            assert meeting.time_slot_id is None
            continue
        assert (meeting.status == "no_show") == (absent in parties)
        assert meeting.time_slot_id and meeting.table_number and meeting.outcome_note
    slots = {s.id: s for s in db.session.scalars(sa.select(TimeSlot).where(
        TimeSlot.event_id == event.id))}
    assert all(to_local(s.starts_at).date() == PAST_EVENT_DAY for s in slots.values())

    # Every change went through the rules and is dated when it happened, in order.
    history = changes(Subject.MEETING, [m.id for m in meetings])
    assert len(history) == sum(4 if m.status != "declined" else 2 for m in meetings)
    assert all(c.changed_by_id for c in history)
    placed = {m.id: slots[m.time_slot_id] for m in meetings if m.time_slot_id}
    for meeting_id, rows in by_subject(history).items():
        times = [c.changed_at for c in rows]
        assert times == sorted(times) and STORY_START <= times[0] < event.starts_at
        if meeting_id in placed:
            assert [c.to_status for c in rows][-1] in ("held", "no_show")
            assert placed[meeting_id].ends_at <= times[-1] < event.ends_at
    registration_history = changes(Subject.REGISTRATION, [r.id for r in registrations])
    assert len(registration_history) == 2 * len(registrations) + len(registrations) - 1
    for rows in by_subject(registration_history).values():
        times = [c.changed_at for c in rows]
        assert times == sorted(times) and times[-1] < event.ends_at

    # The demo logins' notifications of 2025 are dated then and read; none is unread.
    logins = db.session.scalars(sa.select(User.id).where(User.email.in_(
        ["producer@example.com", "distributor@example.com"]))).all()
    old = db.session.scalars(sa.select(Notification).where(
        Notification.user_id.in_(logins), Notification.created_at < STORY_END)).all()
    assert old and all(n.read_at and n.created_at < event.ends_at for n in old)
    kinds = {n.kind for n in old}
    assert {"registration.approved", "schedule.published"} <= kinds

    # The upcoming event is as before: Sông Lam is not registered there.
    upcoming = db.session.scalar(sa.select(Event).where(Event.title == demo.EVENT_TITLE))
    assert upcoming.status == "published" and upcoming.starts_at > utcnow()
    assert db.session.scalar(sa.select(Registration.id).where(
        Registration.event_id == upcoming.id,
        Registration.organisation_id == organisation_id(demo.DISTRIBUTOR_ORGANISATION))) is None
    organiser = db.session.scalar(sa.select(User).where(User.email == "organiser@example.com"))
    event_id = event.id
    page = client_for(app, organiser).get(f"/events/{event_id}")
    assert page.status_code == 200 and PAST_EVENT_TITLE in page.get_data(as_text=True)


def test_the_deals_convert_about_half_through_the_rules(app, app_ctx):
    started = utcnow()
    output = seed(app)
    finished = utcnow()
    assert ("16 MOUs (8 converted, 3 open, 4 lapsed, 1 cancelled) and 1 between agencies; "
            "11 supply contracts") in output
    event = past_event()
    mous = db.session.scalars(sa.select(Mou).where(Mou.event_id == event.id)
                              .order_by(Mou.id)).all()
    business = [m for m in mous if m.kind == "business"]
    agency = [m for m in mous if m.kind == "agency"]
    assert len(business) == 16

    # Each business MOU comes from a held meeting of the event, between its two parties.
    for mou in business:
        meeting = mou.meeting
        assert meeting.status == "held" and meeting.event_id == event.id
        assert (mou.producer_id, mou.distributor_id) == (
            meeting.producer_registration.organisation_id,
            meeting.distributor_registration.organisation_id)
        assert mou.products and mou.products[0].organisation_id == mou.producer_id
        assert 200_000_000 <= mou.estimated_value_vnd <= 3_200_000_000
        assert mou.volume > 0 and mou.unit and mou.unit != "sản phẩm"
        assert PAST_EVENT_DAY <= mou.signed_on < date(2026, 1, 1)
        assert mou.valid_until > mou.signed_on

    contracts = db.session.scalars(sa.select(SupplyContract).where(
        SupplyContract.event_id == event.id).order_by(SupplyContract.id)).all()
    counted = {c.mou_id for c in contracts if c.status in COUNTED_CONTRACT and c.mou_id}
    converted = {m.id for m in business if m.status == "converted"}
    assert converted == counted and len(converted) / len(business) == 0.5
    statuses = {m.status for m in business}
    assert statuses == {"converted", "signed", "negotiating", "lapsed", "cancelled"}

    lapsed = [m for m in business if m.status == "lapsed"]
    assert {m.close_reason for m in lapsed} == {"price", "logistics", "certification",
                                                "no_response"}
    assert all(m.close_reason_text for m in lapsed)
    assert [m.close_reason for m in business if m.status == "cancelled"] == ["volume"]

    per_mou: dict[int, list[SupplyContract]] = {}
    for contract in contracts:
        per_mou.setdefault(contract.mou_id, []).append(contract)
    two = [m for m in business if len(per_mou.get(m.id, [])) == 2]
    assert len(two) == 1 and two[0].status == "converted"
    assert sorted(c.status for c in per_mou[two[0].id]) == ["completed", "delivering"]
    assert two[0].producer.name == demo.PRODUCER_ORGANISATION  # producer@example.com's
    terminated = [c for c in contracts if c.status == "terminated"]
    assert len(terminated) == 1 and terminated[0].end_reason
    assert terminated[0].mou.status == "converted"  # it was in force
    cancelled = [c for c in contracts if c.status == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0].end_reason
    reopened = cancelled[0].mou
    assert reopened.status == "negotiating"
    assert [c.to_status for c in changes(Subject.MOU, [reopened.id])] == \
        ["signed", "negotiating", "converted", "negotiating"]

    standalone = [c for c in contracts if c.mou_id is None]
    assert len(standalone) == 1 and standalone[0].signed_on == PAST_EVENT_DAY
    assert standalone[0].status == "completed" and standalone[0].products
    assert not any(m.producer_id == standalone[0].producer_id
                   and m.distributor_id == standalone[0].distributor_id for m in business)

    follow_up = [m for m in business if m.next_step]
    assert len(follow_up) == 1 and follow_up[0].status == "negotiating"
    # The first weekday at least a week after the seeding's (Vietnam) date.
    next_step_on = follow_up[0].next_step_on
    assert to_local(started).date() + timedelta(days=demo_deals.NEXT_STEP_DAYS) \
        <= next_step_on <= to_local(finished).date() + timedelta(
            days=demo_deals.NEXT_STEP_DAYS + 2)
    assert follow_up[0].next_step_on.weekday() < 5
    assert follow_up[0].distributor.name == demo.DISTRIBUTOR_ORGANISATION

    assert len(agency) == 1
    assert agency[0].agency_a == "Sở Công Thương tỉnh Nghệ An"
    assert agency[0].agency_b.startswith("Sở Công Thương") and "Nghệ An" not in agency[0].agency_b
    assert agency[0].status == "signed" and agency[0].signed_on == PAST_EVENT_DAY

    for contract in contracts:
        assert 50_000_000 <= contract.value_vnd <= 3_200_000_000
        assert contract.volume > 0 and contract.unit
        assert contract.delivery_from > contract.signed_on
        assert contract.delivery_to > contract.delivery_from
        if contract.mou is not None:
            assert contract.unit == contract.mou.unit
            assert contract.value_vnd < contract.mou.estimated_value_vnd
            # Weeks to months after the MOU.
            assert 14 <= (contract.signed_on - contract.mou.signed_on).days <= 200

    # History: dated as the story goes, never before signing, in order; last activity
    # is the latest change (the MOU with a next step was touched today).
    first_contracts = {}
    for subject, rows in ((Subject.MOU, mous), (Subject.CONTRACT, contracts)):
        history = by_subject(changes(subject, [r.id for r in rows]))
        for row in rows:
            times = [c.changed_at for c in history[row.id]]
            assert times == sorted(times)
            assert to_local(times[0]).date() == row.signed_on
            assert STORY_START <= times[0] and times[-1] < STORY_END
            assert row.created_at == times[0]
            if subject == Subject.MOU and not row.next_step:
                assert row.last_activity_at >= times[-1]
                assert row.last_activity_at < STORY_END
            if subject == Subject.CONTRACT and row.mou_id and row.status in COUNTED_CONTRACT:
                first = first_contracts.get(row.mou_id)
                if first is None or row.signed_on < first:
                    first_contracts[row.mou_id] = row.signed_on
    assert started <= follow_up[0].last_activity_at <= finished
    signed = {m.id: m.signed_on for m in business}
    days = [(day - signed[mou_id]).days for mou_id, day in first_contracts.items()]
    assert len(days) == 8 and 20 <= statistics.median(days) <= 120
    assert len({m.signed_on.month for m in business}) >= 4  # spread over 2025


def test_seeding_twice_adds_nothing_and_stays_quick(app, app_ctx, monkeypatch):
    timed = {}
    original = demo_deals.seed_past_event

    def timing(echo):
        started = time.perf_counter()
        created = original(echo)
        timed["seconds"] = time.perf_counter() - started
        return created

    monkeypatch.setattr(demo_deals, "seed_past_event", timing)
    started = time.perf_counter()
    seed(app)
    total = time.perf_counter() - started
    print(f"seed-demo {total:.2f} s, of which the past event {timed['seconds']:.2f} s")
    assert timed["seconds"] < 15 and timed["seconds"] < total
    before = table_counts()
    assert before["mous"] == 17 and before["supply_contracts"] == 11
    assert before["events"] == 2
    output = seed(app)
    assert "Past demo event" not in output and "Demo data ready (0 new records)." in output
    assert table_counts() == before


def test_the_past_event_waits_for_its_story_to_end(app, app_ctx, monkeypatch):
    said = []
    monkeypatch.setattr(demo_deals, "utcnow",
                        lambda: datetime(2026, 5, 31, 12, 0, tzinfo=UTC))
    assert demo_deals.seed_past_event(said.append) == 0
    assert said and "before its story ends" in said[0]
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0
