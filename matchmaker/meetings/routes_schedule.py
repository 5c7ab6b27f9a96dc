"""The organiser's meeting schedule and the participants' agendas.

Staff only (organisers and admins; members get 403, anonymous visitors are sent to log in):

* ``GET /events/<id>/schedule``: status, counts, slots used against the lower bound, the
  printable grid of time slots × tables, the meetings not placed and why, and the forms
  to adjust it. ``?meeting=&slot=&table=&first=&second=`` is the organiser's selection
  (the meeting to move, the target cell, two meetings to swap): every link of the grid
  and every adjusting form carries all of it (see :func:`next_pick`), and a bar above the
  grid says what is chosen and offers the move or the swap.
* ``POST /events/<id>/schedule/generate`` (``place_new=1`` once published),
  ``…/move``, ``…/unplace``, ``…/swap``, ``…/publish``, ``…/outcome`` (held / no-show).

Participants (members of an organisation registered at the event; staff choose one with
``?registration=<id>``):

* ``GET /events/<id>/agenda``: their meetings once the schedule is published, printable
  (a member whose organisation is not registered gets 403 as a page that says so and
  links to the registration form; one whose registration is not approved sees why);
* ``GET /events/<id>/agenda.ics``: the same as an iCalendar file.

The rules live in :mod:`matchmaker.meetings.scheduling` and :mod:`matchmaker.meetings.agenda`.
"""

from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from matchmaker.events.labels import SIDE_LABELS
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.meetings import agenda as agendas
from matchmaker.meetings import scheduler, scheduling
from matchmaker.meetings.forms import STATUS_BADGES, STATUS_LABELS
from matchmaker.meetings.models import MeetingStatus, ScheduleStatus
from matchmaker.meetings.requests import ATTENDING_VALUES
from matchmaker.meetings.scheduling import ScheduleError
from matchmaker.meetings.views import bp
from matchmaker.pagination import MAX_ID
from matchmaker.permissions import Role, is_staff, role_required
from matchmaker.text import strip_invisible
from matchmaker.timeutil import utcnow

STAFF = (Role.ORGANISER, Role.ADMIN)
OUTCOME_NOTE_MAX = 500

SCHEDULE_STATUS_LABELS = {
    ScheduleStatus.NONE: _l("Not generated"),
    ScheduleStatus.PROVISIONAL: _l("Provisional"),
    ScheduleStatus.PUBLISHED: _l("Published"),
}
SCHEDULE_STATUS_BADGES = {
    ScheduleStatus.NONE: "text-bg-secondary",
    ScheduleStatus.PROVISIONAL: "text-bg-warning",
    ScheduleStatus.PUBLISHED: "text-bg-success",
}

# Why a meeting is not placed (scheduler reason codes and ours).
REASON_LABELS = {
    scheduler.NO_COMMON_SLOT: _l("The two organisations have no free slot in common (their "
                                 "unavailable slots and other meetings cover every slot)."),
    scheduler.PARTICIPANT_FULL: _l("One side has more meetings than slots it is free in."),
    scheduler.NO_SLOT_LEFT: _l("No slot or table left: the other meetings took them."),
    scheduling.NOT_SCHEDULED_YET: _l("Not placed yet: generate the schedule (or place the new "
                                     "meetings) to give it a slot."),
    "unavailable": _l("Marked this slot unavailable after the meeting was placed: move it."),
    "bad_place": _l("Placed on a table the event no longer has: move it."),
}

# ScheduleError codes as the organiser reads them.
ERRORS = {
    "no_slots": _l("The event has no meeting slots: add sessions to the event first."),
    "published": _l("The schedule is published: it changes only by moving or swapping "
                    "meetings. Use “Place new meetings” for meetings accepted since."),
    "not_published": _l("Record held meetings and no-shows once the schedule is published."),
    "wrong_event": _l("This meeting is not one of this event's."),
    "not_placed": _l("That meeting has no slot yet."),
    "nothing_placed": _l("No meeting is placed yet: generate the schedule first."),
    "not_schedulable": _l("Only accepted or scheduled meetings can be moved: a held or "
                          "no-show meeting has already taken place."),
    "not_started": _l("Meetings can be marked held or no-show once the event has started."),
    "bad_slot": _l("Choose one of this event's time slots."),
    "bad_table": _l("Choose a table from 1 to %(tables)s."),
    "table_taken": _l("Table %(table)s is taken in that slot by meeting no. %(meeting)s. "
                      "Swap the two meetings instead, or choose a free table."),
    "party_busy": _l("%(name)s already has meeting no. %(meeting)s in that slot."),
    "unavailable": _l("%(name)s marked that slot as unavailable."),
    "same_meeting": _l("Choose two different meetings."),
    "transition": _l("This meeting cannot be marked like that from its current status."),
    "conflict": _l("Someone else changed the schedule at the same moment and the change would "
                   "double-book a table or a participant. Nothing was saved: look again and "
                   "retry."),
}

OUTCOME_LABELS = {
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.NO_SHOW: _l("No-show"),
    MeetingStatus.SCHEDULED: _l("Not recorded (undo)"),
}


def error_text(error: ScheduleError) -> str:
    """The organiser's message for a refused change."""
    return str(ERRORS.get(error.code, ERRORS["conflict"])) % {
        "tables": "", "table": "", "meeting": "", "name": "", **error.params}


def _load_event(event_id: int) -> Event:
    """The event with its sessions (one statement), or 404."""
    event = db.session.execute(
        sa.select(Event).where(Event.id == event_id).options(joinedload(Event.sessions))
    ).unique().scalar_one_or_none()
    if event is None:
        abort(404)
    return event


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


# The organiser's selection on the schedule page: the meeting to move (or take out, or
# mark), the target cell (slot id + table) and two meetings to swap. It travels in the
# query string of every link of the grid and in every adjusting form (hidden fields), so
# that neither a click in the grid nor a refused change loses what was chosen before.
PICK_KEYS = ("meeting", "slot", "table", "first", "second")


def next_pick(picked: dict, placed: set[int], meeting: int | None = None,
              slot: int | None = None, table: int | None = None) -> dict:
    """The selection after a click in the grid (a pure function; ``static/js/schedule.js``
    does the same in the browser).

    ``picked`` maps :data:`PICK_KEYS` to ids (or ``None``); ``placed`` holds the ids of the
    placed meetings. A free cell (``slot`` and ``table``) becomes the target, the chosen
    meeting stays. A meeting becomes the chosen one (and the first of a swap when placed),
    the target cell stays, unless another placed meeting is chosen already: then the two
    are offered for a swap (``first`` the chosen one, ``second`` the one clicked).
    """
    state = {key: picked.get(key) for key in PICK_KEYS}
    if slot is not None:
        state["slot"], state["table"] = slot, table
        return state
    current = state["meeting"]
    if (current is not None and current != meeting and current in placed
            and meeting in placed):
        state["first"], state["second"] = current, meeting
        return state
    state["meeting"] = meeting
    state["first"] = meeting if meeting in placed else None
    state["second"] = None
    return state


def _pick_url(event_id: int, state: dict, anchor: str | None = None) -> str:
    query = {key: state[key] for key in PICK_KEYS if state.get(key)}
    return url_for(".schedule", event_id=event_id, **query) + (f"#{anchor}" if anchor else "")


def _render_board(event: Event, errors: dict | None = None, values: dict | None = None):
    board = scheduling.board(event)
    values = values or {}
    picked = {key: _int(values.get(key, request.args.get(key))) for key in PICK_KEYS}
    placed = {m.id for m in board.placed}

    def pick_url(anchor: str | None = None, **click) -> str:
        """The page with the selection after ``click`` (see :func:`next_pick`)."""
        return _pick_url(event.id, next_pick(picked, placed, **click), anchor)

    def choose_url(meeting_id: int, anchor: str | None = None) -> str:
        """The page with ``meeting_id`` chosen instead (the target cell kept)."""
        return _pick_url(event.id, next_pick({**picked, "meeting": None}, placed,
                                             meeting=meeting_id), anchor)

    return render_template(
        "meetings/schedule_board.html", event=event, board=board, errors=errors or {},
        picked=picked, note=values.get("note", ""), outcome=values.get("outcome", ""),
        status_labels=SCHEDULE_STATUS_LABELS, status_badges=SCHEDULE_STATUS_BADGES,
        reason_labels=REASON_LABELS, meeting_labels=STATUS_LABELS,
        meeting_badges=STATUS_BADGES, outcome_labels=OUTCOME_LABELS,
        slot_by_id={s.id: s for s in board.slots}, meeting_by_id={m.id: m for m in
                                                                  board.meetings},
        placed_ids=placed, pick_url=pick_url, choose_url=choose_url,
        clear_url=url_for(".schedule", event_id=event.id), now=utcnow())


def _back(event_id: int, **args) -> Response:
    query = {k: v for k, v in args.items() if v}
    suffix = f"?{urlencode(query)}#adjust" if query else ""
    return redirect(url_for(".schedule", event_id=event_id) + suffix)


@bp.get("/events/<int:event_id>/schedule")
@role_required(*STAFF)
def schedule(event_id: int):
    """The organiser's schedule page (see module docstring)."""
    return _render_board(_load_event(event_id))


@bp.post("/events/<int:event_id>/schedule/generate")
@role_required(*STAFF)
def generate_schedule(event_id: int):
    """Generate the provisional schedule (replacing the previous one), or once published
    with ``place_new=1`` place the meetings accepted since around the published ones."""
    event = _load_event(event_id)
    place_new = request.form.get("place_new") == "1"
    try:
        result = scheduling.generate(event.id, current_user.id, place_new=place_new)
    except ScheduleError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return _back(event_id)
    db.session.commit()
    category = "success" if not result.unplaced else "warning"
    if place_new:
        # Placing new meetings keeps the published ones: say how many were added now, not
        # the schedule's total.
        flash(ngettext("%(num)d new meeting placed; %(unplaced)d not placed. The schedule "
                       "now uses %(used)d slots (the fewest possible is %(bound)d).",
                       "%(num)d new meetings placed; %(unplaced)d not placed. The schedule "
                       "now uses %(used)d slots (the fewest possible is %(bound)d).",
                       len(result.newly_placed), unplaced=len(result.unplaced),
                       used=result.slots_used, bound=result.lower_bound), category)
        return _back(event_id)
    flash(_("%(placed)d meetings placed in %(used)d slots (the fewest possible is "
            "%(bound)d); %(unplaced)d not placed.", placed=result.placed,
            used=result.slots_used, bound=result.lower_bound,
            unplaced=len(result.unplaced)), category)
    return _back(event_id)


def _adjust_error(event_id: int, form: str, message: str, values: dict):
    """Nothing saved: the page again, the message at the top and next to the form, the
    choices kept."""
    db.session.rollback()
    flash(message, "error")
    return _render_board(_load_event(event_id), {form: message}, values)


@bp.post("/events/<int:event_id>/schedule/move")
@role_required(*STAFF)
def move_meeting(event_id: int):
    """Move one meeting (or place an accepted one) to a slot and table."""
    values = request.form.to_dict()
    meeting_id, slot_id = _int(values.get("meeting")), _int(values.get("slot"))
    table = _int(values.get("table"))
    if meeting_id is None or slot_id is None or table is None:
        return _adjust_error(event_id, "move",
                             _("Choose a meeting, a time slot and a table number."), values)
    try:
        scheduling.move(event_id, meeting_id, slot_id, table, current_user.id)
    except ScheduleError as error:
        return _adjust_error(event_id, "move", error_text(error), values)
    db.session.commit()
    flash(_("Meeting no. %(id)d moved.", id=meeting_id), "success")
    return _back(event_id, meeting=meeting_id)


@bp.post("/events/<int:event_id>/schedule/unplace")
@role_required(*STAFF)
def unplace_meeting(event_id: int):
    """Take a meeting out of a provisional schedule (it waits among the unplaced)."""
    values = request.form.to_dict()
    meeting_id = _int(values.get("meeting"))
    if meeting_id is None:
        return _adjust_error(event_id, "unplace", _("Choose a meeting."), values)
    try:
        scheduling.unplace(event_id, meeting_id, current_user.id)
    except ScheduleError as error:
        return _adjust_error(event_id, "unplace", error_text(error), values)
    db.session.commit()
    flash(_("Meeting no. %(id)d taken out of the schedule.", id=meeting_id), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/schedule/swap")
@role_required(*STAFF)
def swap_meetings(event_id: int):
    """Exchange the slots and tables of two placed meetings."""
    values = request.form.to_dict()
    first, second = _int(values.get("first")), _int(values.get("second"))
    if first is None or second is None:
        return _adjust_error(event_id, "swap", _("Choose two placed meetings."), values)
    try:
        scheduling.swap(event_id, first, second, current_user.id)
    except ScheduleError as error:
        return _adjust_error(event_id, "swap", error_text(error), values)
    db.session.commit()
    flash(_("Meetings no. %(first)d and no. %(second)d swapped.", first=first, second=second),
          "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/schedule/publish")
@role_required(*STAFF)
def publish_schedule(event_id: int):
    """Publish the schedule: participants see their agendas and are told."""
    _load_event(event_id)
    try:
        count = scheduling.publish(event_id, current_user.id)
    except ScheduleError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return _back(event_id)
    db.session.commit()
    flash(_("Schedule published: the participants of %(count)d meetings were told.",
            count=count), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/schedule/outcome")
@role_required(*STAFF)
def record_outcome(event_id: int):
    """On the day: mark a placed meeting held or no-show (or undo), with a note."""
    values = request.form.to_dict()
    meeting_id = _int(values.get("meeting"))
    outcome = values.get("outcome", "")
    note = strip_invisible(values.get("note", "")).strip()
    if meeting_id is None or outcome not in OUTCOME_LABELS:
        return _adjust_error(event_id, "outcome",
                             _("Choose a meeting and what happened."), values)
    if len(note) > OUTCOME_NOTE_MAX:
        return _adjust_error(event_id, "outcome_note",
                             _("Keep the note to %(max)d characters or fewer.",
                               max=OUTCOME_NOTE_MAX), values)
    try:
        scheduling.record_outcome(event_id, meeting_id, outcome, current_user.id, note)
    except ScheduleError as error:
        return _adjust_error(event_id, "outcome", error_text(error), values)
    db.session.commit()
    flash(_("Meeting no. %(id)d: %(outcome)s.", id=meeting_id,
            outcome=OUTCOME_LABELS[outcome]), "success")
    return _back(event_id, meeting=meeting_id)


# ---------------------------------------------------------------------------- agendas


def _agenda_owner(event_id: int, explain: bool = False):
    """``(event, registration, staff)`` for the agenda routes; 404 for an unknown event or
    registration, 403 for a member whose organisation is not registered or who asks for
    another organisation's agenda. With ``explain``, a member whose organisation is not
    registered gets the 403 as a page that says so and links to the registration form
    (:class:`_NotRegistered` carries it)."""
    staff = is_staff(current_user)
    wanted = request.args.get("registration")
    registration_id = _int(wanted) if wanted is not None else None
    if wanted is not None and registration_id is None:
        abort(404)
    if staff:
        event, registration = agendas.load_agenda_owner(event_id,
                                                        registration_id=registration_id)
        if event is None or (registration_id is not None and registration is None):
            abort(404)
        return event, registration, True
    event, registration = agendas.load_agenda_owner(
        event_id, organisation_id=current_user.organisation_id)
    if event is None:
        abort(404)
    if registration is None and registration_id is None and explain:
        raise _NotRegistered(event)
    if registration is None or (registration_id is not None
                                and registration_id != registration.id):
        abort(403)
    return event, registration, False


class _NotRegistered(Exception):
    """The member's organisation has no registration at ``event`` (see
    :func:`_agenda_owner`)."""

    def __init__(self, event: Event) -> None:
        super().__init__(event.id)
        self.event = event


@bp.get("/events/<int:event_id>/agenda")
@role_required(Role.MEMBER, *STAFF)
def agenda(event_id: int):
    """A participant's agenda (staff: ``?registration=<id>``, else a list to choose). A
    member whose organisation is not registered gets 403 with a page that says so; one
    whose registration is not approved (yet) sees why there is no agenda."""
    try:
        event, registration, staff = _agenda_owner(event_id, explain=True)
    except _NotRegistered as refused:
        event = refused.event
        return render_template("meetings/not_participant.html", event=event,
                               registration=None, page_title=_("Agenda"),
                               registration_open=event.registration_open(utcnow())), 403
    if registration is None:
        return render_template("meetings/agenda_choose.html", event=event,
                               registrations=agendas.participants(event.id),
                               side_labels=SIDE_LABELS, status_labels=SCHEDULE_STATUS_LABELS)
    shown = agendas.visible(event, staff)
    items = agendas.agenda_items(registration) if shown else []
    return render_template("meetings/agenda.html", event=event, registration=registration,
                           items=items, shown=shown, staff=staff, side_labels=SIDE_LABELS,
                           meeting_labels=STATUS_LABELS, meeting_badges=STATUS_BADGES,
                           attending=registration.status in ATTENDING_VALUES,
                           registration_open=event.registration_open(utcnow()))


@bp.get("/events/<int:event_id>/agenda.ics")
@role_required(Role.MEMBER, *STAFF)
def agenda_ics(event_id: int):
    """The agenda as an iCalendar file (404 before the schedule is published)."""
    event, registration, staff = _agenda_owner(event_id)
    if registration is None or not agendas.visible(event, staff):
        abort(404)
    items = agendas.agenda_items(registration)
    texts = {"summary": _("B2B meeting: %(name)s"), "table": _("table %(table)s"),
             "offer": _("Their products or needs"), "event": _("Event")}
    body = agendas.to_ical(event, registration, items, agendas.uid_host(), texts, utcnow())
    filename = f"agenda-event-{event.id}-registration-{registration.id}.ics"
    return Response(body, content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
