"""Notifications about the meeting schedule, and their texts.

Kinds and ``params`` (link: the reader's agenda, ``/events/<id>/agenda``):

* ``schedule.published``: ``event_id``, ``event_title``, ``count`` (the reader's
  organisation's placed meetings) — the organisers published the schedule;
* ``meeting.scheduled``: a meeting accepted after publication was given a place;
* ``meeting.moved``: after publication the organisers moved a meeting (or swapped it).

The two meeting kinds take ``event_id``, ``event_title``, ``meeting_id``, ``counterpart``
(the *other* organisation's name, as the reader sees it), ``starts_at`` (ISO 8601, UTC)
and ``table``. The time is stored, not text, so that each reader sees it in their own
language and in Vietnam time: :func:`render` formats it. ``render`` returns ``None`` for a
kind that is not one of these (the general renderer then takes over).
"""

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l

from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.notifications.services import member_ids, notify
from matchmaker.timeutil import format_local_short

SCHEDULE_KINDS = frozenset({"schedule.published", "meeting.scheduled", "meeting.moved"})

MEETING_TEMPLATES = {
    "meeting.scheduled": _l("Your meeting with %(counterpart)s at “%(event)s” is scheduled: "
                            "%(time)s, table %(table)s."),
    "meeting.moved": _l("Your meeting with %(counterpart)s at “%(event)s” was moved: now "
                        "%(time)s, table %(table)s."),
}


def agenda_link(event_id: int) -> str:
    """The path of a participant's agenda at the event."""
    return f"/events/{event_id}/agenda"


def _event_name(params: Mapping) -> str:
    return str(params.get("event_title") or params.get("event_id") or "")


def _time(value) -> str:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return format_local_short(at, str(get_locale() or "vi"))


def render(kind: str, params: Mapping | None) -> str | None:
    """The sentence for one of :data:`SCHEDULE_KINDS` in the current locale, else
    ``None``."""
    params = params or {}
    if kind == "schedule.published":
        count = int(params.get("count") or 0)
        return ngettext(
            "The meeting schedule of “%(event)s” is published: your organisation has "
            "%(num)d meeting. See your agenda.",
            "The meeting schedule of “%(event)s” is published: your organisation has "
            "%(num)d meetings. See your agenda.", count, event=_event_name(params))
    template = MEETING_TEMPLATES.get(kind)
    if template is None:
        return None
    return str(template) % {"counterpart": params.get("counterpart") or "",
                            "event": _event_name(params),
                            "time": _time(params.get("starts_at")),
                            "table": params.get("table") or ""}


def meeting_changed(meeting, event, slot, kind: str) -> int:
    """Tell the members of both organisations of ``meeting`` (placed in ``slot``) that it
    was placed or moved (``kind``: ``meeting.scheduled`` or ``meeting.moved``). Returns the
    number of notifications added."""
    producer = meeting.producer_registration
    distributor = meeting.distributor_registration
    added = 0
    for organisation_id, counterpart in (
            (producer.organisation_id, distributor.organisation.name),
            (distributor.organisation_id, producer.organisation.name)):
        added += notify(member_ids(organisation_id), kind,
                        {"event_id": event.id, "event_title": event.title,
                         "meeting_id": meeting.id, "counterpart": counterpart,
                         "starts_at": slot.starts_at.isoformat(),
                         "table": meeting.table_number},
                        agenda_link(event.id))
    return added


def schedule_published(event, placed) -> int:
    """Tell every member of each organisation with a placed meeting (``placed``: meetings
    with both registrations loaded) that the schedule is published, with how many
    meetings their organisation has. Returns the number of notifications added."""
    counts: dict[int, int] = {}
    for meeting in placed:
        for registration in (meeting.producer_registration, meeting.distributor_registration):
            counts[registration.organisation_id] = counts.get(registration.organisation_id,
                                                              0) + 1
    members: dict[int, list[int]] = {}
    for user_id, organisation_id in db.session.execute(
            sa.select(User.id, User.organisation_id)
            .where(User.organisation_id.in_(list(counts)), User.active.is_(True))
            .order_by(User.id)):
        members.setdefault(organisation_id, []).append(user_id)
    added = 0
    for organisation_id, count in counts.items():
        added += notify(members.get(organisation_id, []), "schedule.published",
                        {"event_id": event.id, "event_title": event.title, "count": count},
                        agenda_link(event.id))
    return added
