"""A participant's agenda at an event: their placed meetings in time order, and the same as
an iCalendar file (RFC 5545, with the ``icalendar`` library).

Who sees which agenda is decided in :func:`load_agenda_owner`: a member sees their own
organisation's registration at the event; staff choose any registration of the event.
Participants see meetings once the schedule is published (:func:`visible`); staff also
see a provisional one. Times are shown and exported in Vietnam time (Asia/Ho_Chi_Minh);
the .ics file carries a VTIMEZONE for that zone so calendar programs need nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, joinedload

from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.events.models import Event, Registration, RegistrationSide
from matchmaker.extensions import db
from matchmaker.meetings.models import PLACED, Meeting, ScheduleStatus, TimeSlot
from matchmaker.organisations.models import Organisation
from matchmaker.timeutil import VN_TZ, ensure_utc, to_local

PRODID = "-//Matchmaker//B2B meeting agenda//VI"


def load_agenda_owner(event_id: int, organisation_id: int | None = None,
                      registration_id: int | None = None
                      ) -> tuple[Event | None, Registration | None]:
    """``(event, registration)`` in one statement: the event, and either the registration
    of ``organisation_id`` at it or the registration ``registration_id`` if it belongs to
    the event (with its organisation loaded). ``(None, None)`` when the event does not
    exist; ``(event, None)`` when there is no such registration."""
    if registration_id is not None:
        match = Registration.id == registration_id
    elif organisation_id is not None:
        match = Registration.organisation_id == organisation_id
    else:
        match = sa.false()
    row = db.session.execute(
        sa.select(Event, Registration, Organisation).select_from(Event)
        .outerjoin(Registration, sa.and_(Registration.event_id == Event.id, match))
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(Event.id == event_id)).first()
    if row is None:
        return None, None
    return row[0], row[1]


def visible(event: Event, staff: bool) -> bool:
    """Whether the agenda shows meetings: once published for everyone; a provisional
    schedule for staff only."""
    if event.schedule_status == ScheduleStatus.PUBLISHED:
        return True
    return staff and event.schedule_status == ScheduleStatus.PROVISIONAL


@dataclass
class AgendaItem:
    """One placed meeting as its participant sees it: the ``slot`` (UTC times), ``table``,
    the ``counterpart`` registration (organisation loaded) and what the counterpart brings
    to the event: its products (a producer) or sourcing needs (a distributor)."""

    meeting: Meeting
    slot: TimeSlot
    table: int
    counterpart: Registration
    offer: list[Product] | list[SourcingNeed]

    @property
    def starts_local(self):
        return to_local(self.slot.starts_at)

    @property
    def ends_local(self):
        return to_local(self.slot.ends_at)


def agenda_items(registration: Registration) -> list[AgendaItem]:
    """The registration's placed meetings (scheduled, held, no-show) in time order, with
    slot, counterpart, its organisation and its products or needs: two statements."""
    mine_producer = registration.side == RegistrationSide.PRODUCER
    if mine_producer:
        own, other = Meeting.producer_registration_id, Meeting.distributor_registration
        offer = joinedload(other).selectinload(Registration.needs)
    else:
        own, other = Meeting.distributor_registration_id, Meeting.producer_registration
        offer = joinedload(other).selectinload(Registration.products)
    meetings = db.session.scalars(
        sa.select(Meeting).join(TimeSlot, TimeSlot.id == Meeting.time_slot_id)
        .where(own == registration.id, Meeting.event_id == registration.event_id,
               Meeting.status.in_([s.value for s in PLACED]))
        .options(joinedload(Meeting.time_slot),
                 joinedload(other).joinedload(Registration.organisation),
                 offer)
        .order_by(TimeSlot.position, Meeting.id)).unique().all()
    items = []
    for m in meetings:
        counterpart = m.distributor_registration if mine_producer else m.producer_registration
        items.append(AgendaItem(
            meeting=m, slot=m.time_slot, table=m.table_number, counterpart=counterpart,
            offer=list(counterpart.needs if mine_producer else counterpart.products)))
    return items


def participants(event_id: int) -> list[Registration]:
    """Registrations of the event with at least one placed meeting, by organisation name,
    with their organisation (one statement): the staff's agenda chooser."""
    has_meeting = sa.select(Meeting.id).where(
        Meeting.status.in_([s.value for s in PLACED]),
        sa.or_(Meeting.producer_registration_id == Registration.id,
               Meeting.distributor_registration_id == Registration.id)).exists()
    return list(db.session.scalars(
        sa.select(Registration)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.event_id == event_id, has_meeting)
        .options(contains_eager(Registration.organisation))
        .order_by(Organisation.name_key, Registration.id)))


def uid_host() -> str:
    """The domain part of the UIDs: the site's host from ``SITE_URL``, so that the same
    meeting has the same UID whichever address the file was downloaded from."""
    host = urlsplit(current_app.config.get("SITE_URL") or "").hostname
    return host or "matchmaker.invalid"


def meeting_uid(meeting: Meeting, host: str) -> str:
    """A stable UID for a meeting's VEVENT: the same meeting keeps it when it moves, so a
    calendar program updates the entry instead of adding a second one."""
    return f"meeting-{meeting.id}-event-{meeting.event_id}@{host}"


def _offer_names(item: AgendaItem) -> list[str]:
    return [getattr(x, "name", None) or getattr(x, "title", "") for x in item.offer]


def to_ical(event: Event, registration: Registration, items: list[AgendaItem], host: str,
            texts: dict[str, str], dtstamp) -> bytes:
    """The agenda as an iCalendar file (UTF-8 bytes): one VEVENT per meeting with
    ``DTSTART``/``DTEND`` in Asia/Ho_Chi_Minh (``TZID`` parameter plus a VTIMEZONE),
    ``SUMMARY`` naming the counterpart, ``LOCATION`` the venue and table, a stable ``UID``
    and ``SEQUENCE`` that grows with each change of the meeting. ``texts`` gives the
    translated ``summary`` (with ``%(name)s``), ``table`` (with ``%(table)s``), ``offer``
    and ``event`` labels; ``dtstamp`` is an aware datetime (now)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{event.title} · {registration.organisation.name}")
    cal.add("x-wr-timezone", VN_TZ.key)
    first = min((i.starts_local.date() for i in items), default=to_local(event.starts_at).date())
    cal.add_component(icalendar.Timezone.from_tzid(
        VN_TZ.key, first_date=date(first.year, 1, 1), last_date=date(first.year + 2, 1, 1)))
    for item in items:
        vevent = icalendar.Event()
        vevent.add("uid", meeting_uid(item.meeting, host))
        vevent.add("dtstamp", ensure_utc(dtstamp))
        vevent.add("dtstart", item.starts_local)
        vevent.add("dtend", item.ends_local)
        vevent.add("summary", texts["summary"] % {"name": item.counterpart.organisation.name})
        table = texts["table"] % {"table": item.table}
        vevent.add("location", f"{event.venue}, {table}" if event.venue else table)
        lines = [f"{texts['event']}: {event.title}"]
        names = _offer_names(item)
        if names:
            lines.append(f"{texts['offer']}: {', '.join(names)}")
        vevent.add("description", "\n".join(lines))
        vevent.add("sequence", _sequence(item.meeting))
        vevent.add("last-modified", ensure_utc(item.meeting.updated_at))
        cal.add_component(vevent)
    return cal.to_ical()


def _sequence(meeting: Meeting) -> int:
    """Grows whenever the meeting row changes (seconds since its creation, at its last
    update): a calendar program replaces an older copy of the same UID."""
    created, updated = ensure_utc(meeting.created_at), ensure_utc(meeting.updated_at)
    return max(0, int((updated - created).total_seconds()))
