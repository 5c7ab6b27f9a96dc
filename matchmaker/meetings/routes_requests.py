"""Meeting requests: participant list, request, accept/decline/cancel, unavailability, cap.

The rules live in :mod:`matchmaker.meetings.requests`; these views parse, check who may act,
call it, commit once and say what happened. Who may do what:

* ``GET /events/<id>/participants``: members whose organisation has an approved (or
  checked-in) registration at the event see the other side's participants, each with
  "Request a meeting" or the pair's state instead (:mod:`.request_states`); staff see both
  sides and set the cap there. Other members get the page with an explanation (not
  registered, or the registration's status) and no list. A draft event is 404 for members.
* ``/events/<id>/meetings/request/<registration_id>`` (GET form, POST) and
  ``POST /events/<id>/meetings/request`` (``registration_id`` in the form): members of a
  participating organisation (staff: 403; not participating: 403). A registration that is
  not an approved participant of the other side of this event is 404.
* ``GET /meetings/``: the member's organisation's meetings at every event (staff: 403).
* ``POST /meetings/<id>/accept|decline``: the party that was asked; ``cancel``: either
  party or staff. Members of any other organisation get **404**; the requesting party
  accepting its own request, or staff accepting or declining, get 403.
* ``/events/<id>/availability``: participants tick the slots when they cannot meet (GET
  and POST); staff see who marked which slot (GET; POST 403).
* ``POST /events/<id>/meeting-cap``: staff.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from matchmaker.events.labels import SIDE_LABELS
from matchmaker.events.models import Registration, RegistrationSide
from matchmaker.extensions import db
from matchmaker.meetings import request_states
from matchmaker.meetings import requests as meetings
from matchmaker.meetings import rules as _rules  # noqa: F401  (registers the view/edit rules)
from matchmaker.meetings.forms import (
    STATUS_BADGES,
    STATUS_LABELS,
    CancelForm,
    CapForm,
    CsrfForm,
    DeclineForm,
    RequestForm,
    error_message,
)
from matchmaker.meetings.views import bp
from matchmaker.organisations.divisions import province_name
from matchmaker.pagination import MAX_ID, page_arg
from matchmaker.permissions import Role, can_view, is_staff, role_required
from matchmaker.redirects import is_safe_next
from matchmaker.text import normalise
from matchmaker.timeutil import utcnow

PER_PAGE = 25
MAX_QUERY_CHARS = 100
STAFF = (Role.ORGANISER, Role.ADMIN)
OTHER_SIDE = {RegistrationSide.PRODUCER: RegistrationSide.DISTRIBUTOR,
              RegistrationSide.DISTRIBUTOR: RegistrationSide.PRODUCER}


def _org_id() -> int | None:
    return None if is_staff(current_user) else current_user.organisation_id


def _visible_event(event_id: int):
    """``(event, the member's registration or None)``; 404 for a missing or unseen event."""
    event, registration = meetings.event_and_registration(event_id, _org_id())
    if event is None or not can_view(current_user, event):
        abort(404)
    return event, registration


def _attending(registration: Registration | None) -> bool:
    return registration is not None and registration.status in meetings.ATTENDING_VALUES


def _back(default: str):
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


def _int_field(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_ID:
        return None
    return int(raw)


# -- participants -----------------------------------------------------------------------------

@bp.get("/events/<int:event_id>/participants")
@login_required
def participants(event_id: int):
    """The other side's approved participants, with a request button or the meeting's
    status per row; staff see both sides, open meetings per participant and the cap."""
    event, mine = _visible_event(event_id)
    staff = is_staff(current_user)
    q = normalise(request.args.get("q", ""))[:MAX_QUERY_CHARS]
    is_open = meetings.requests_open(event)
    context = dict(event=event, mine=mine, staff=staff, q=q, side_labels=SIDE_LABELS,
                   status_labels=STATUS_LABELS, status_badges=STATUS_BADGES,
                   province_name=province_name, requests_open=is_open,
                   registration_open=event.registration_open(utcnow()))
    if not staff and not _attending(mine):
        return render_template("meetings/participants.html", page=None, **context)
    side = None if staff else OTHER_SIDE[RegistrationSide(mine.side)]
    page, open_counts = meetings.participant_page(event.id, side, q, page_arg(), PER_PAGE)
    offers = meetings.offers(r.id for r in page.items)
    states, my_open = {}, 0
    if not staff:
        # Everything the request states need is loaded already: no further statement.
        facts = request_states.facts_from_page(meetings.meetings_with(mine), open_counts)
        my_open = facts.my_open
        states = {r.id: request_states.request_state(
            facts, r.id, my_side=mine.side, cap=event.meeting_cap, requests_open=is_open,
            schedule_published=event.schedule_status == "published") for r in page.items}
    cap_form = CapForm(meeting_cap=event.meeting_cap) if staff else None
    return render_template(
        "meetings/participants.html", page=page, open_counts=open_counts, offers=offers,
        states=states, my_open=my_open, cap_form=cap_form, **context)


@bp.post("/events/<int:event_id>/meeting-cap")
@role_required(*STAFF)
def set_cap(event_id: int):
    """Set the most open meetings per participant (empty: no cap)."""
    form = CapForm()
    back = url_for(".participants", event_id=event_id)
    if not form.validate():
        for message in form.meeting_cap.errors:
            flash(str(message), "error")
        return redirect(back)
    try:
        _event, over = meetings.set_cap(event_id, form.meeting_cap.data)
    except meetings.MeetingError as error:
        db.session.rollback()
        if error.code == "no_event":
            abort(404)
        flash(error_message(error.code), "error")
        return redirect(back)
    db.session.commit()
    if form.meeting_cap.data is None:
        flash(_("Meetings per participant are no longer limited."), "success")
    else:
        flash(ngettext("At most %(num)d meeting per participant.",
                       "At most %(num)d meetings per participant.", form.meeting_cap.data),
              "success")
    if over:
        flash(ngettext("%(num)d participant already has more open meetings than that: its "
                       "meetings stay, but it cannot ask or be asked for more.",
                       "%(num)d participants already have more open meetings than that: their "
                       "meetings stay, but they cannot ask or be asked for more.", over),
              "warning")
    return redirect(back)


# -- requesting -------------------------------------------------------------------------------

def _requester(event_id: int):
    """The event and the member's participating registration (403 otherwise)."""
    if is_staff(current_user):
        abort(403)
    event, mine = _visible_event(event_id)
    if not _attending(mine):
        abort(403)
    return event, mine


def _counterpart(event, mine, registration_id: int) -> Registration:
    """An approved participant of the other side of this event, else 404."""
    other = db.session.get(Registration, registration_id,
                           options=[joinedload(Registration.organisation)])
    if (other is None or other.event_id != event.id
            or other.status not in meetings.ATTENDING_VALUES or other.side == mine.side):
        abort(404)
    return other


def _flash_refusal(error: meetings.MeetingError) -> None:
    flash(error_message(error.code, error.name), "error")


@bp.route("/events/<int:event_id>/meetings/request/<int:registration_id>",
          methods=["GET", "POST"])
@role_required(Role.MEMBER)
def request_form(event_id: int, registration_id: int):
    """Ask one participant for a meeting, with a short message."""
    event, mine = _requester(event_id)
    other = _counterpart(event, mine, registration_id)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            meetings.request_meeting(event.id, mine.organisation_id, other.id,
                                     current_user.id, form.message.data)
        except meetings.MeetingError as error:
            db.session.rollback()
            if error.code == "message":
                form.message.errors.append(error_message(error.code))
            else:
                _flash_refusal(error)
                return redirect(url_for(".request_form", event_id=event_id,
                                        registration_id=registration_id))
        else:
            db.session.commit()
            flash(_("Meeting requested. %(name)s has been told.", name=other.organisation.name),
                  "success")
            return redirect(url_for(".my_meetings"))
    facts = request_states.facts_for(event.id, mine.organisation_id, [other.id])
    state = request_states.request_state(
        facts, other.id, my_side=mine.side, cap=event.meeting_cap,
        requests_open=meetings.requests_open(event),
        schedule_published=event.schedule_status == "published")
    return render_template(
        "meetings/request_form.html", event=event, mine=mine, other=other, form=form,
        state=state, existing=facts.with_me.get(other.id),
        offers=meetings.offers([other.id]).get(other.id, []), province_name=province_name,
        side_labels=SIDE_LABELS, status_labels=STATUS_LABELS, status_badges=STATUS_BADGES)


@bp.post("/events/<int:event_id>/meetings/request")
@role_required(Role.MEMBER)
def request_meeting(event_id: int):
    """Ask for a meeting straight from a list (``registration_id``, optional ``message``)."""
    event, mine = _requester(event_id)
    registration_id = _int_field("registration_id")
    if registration_id is None:
        abort(404)
    other = _counterpart(event, mine, registration_id)
    back = url_for(".participants", event_id=event_id)
    try:
        meetings.request_meeting(event.id, mine.organisation_id, other.id, current_user.id,
                                 request.form.get("message"))
    except meetings.MeetingError as error:
        db.session.rollback()
        _flash_refusal(error)
        return _back(back)
    db.session.commit()
    flash(_("Meeting requested. %(name)s has been told.", name=other.organisation.name),
          "success")
    return _back(back)


@bp.app_template_global("meeting_target_states")
def meeting_target_states(targets) -> list[request_states.Target]:
    """For the product page: its "request a meeting" targets (``[(event id, event title,
    the producer's registration id)]``) with the viewer's state towards each, so that a
    pair that already has a meeting, or a full cap, shows that instead of the button. One
    statement, only when there are targets (the page stays within its budget)."""
    if not targets or not current_user.is_authenticated:
        return []
    return request_states.target_states(current_user.organisation_id, targets)


# -- my meetings and answers ------------------------------------------------------------------

@bp.get("/meetings/")
@role_required(Role.MEMBER)
def my_meetings():
    """The organisation's meetings: requests to answer, sent, accepted, scheduled, past."""
    org_id = current_user.organisation_id
    open_rows, closed_rows = meetings.organisation_meetings(org_id)
    groups = {"incoming": [], "sent": [], "accepted": [], "scheduled": []}
    for meeting in open_rows:
        side = meetings.party_side(meeting, org_id)
        if meeting.status == "requested":
            groups["incoming" if side != meeting.requested_by_side else "sent"].append(meeting)
        elif meeting.status == "accepted" or (
                meeting.status == "scheduled" and meeting.event.schedule_status != "published"):
            groups["accepted"].append(meeting)
        else:
            groups["scheduled"].append(meeting)
    return render_template(
        "meetings/my_meetings.html", groups=groups, closed=closed_rows, org_id=org_id,
        party_side=meetings.party_side, status_labels=STATUS_LABELS,
        status_badges=STATUS_BADGES, decline_form=DeclineForm(), cancel_form=CancelForm(),
        changes_open=meetings.changes_open, locale=str(get_locale()))


def _meeting_for_change(meeting_id: int):
    meeting = meetings.load_meeting(meeting_id)
    if meeting is None or not can_view(current_user, meeting):
        abort(404)
    return meeting


def _answer(meeting_id: int, action: str):
    meeting = _meeting_for_change(meeting_id)
    org_id = _org_id()
    if not meetings.may_answer(meeting, org_id):
        abort(403)
    form = DeclineForm()
    if action == "decline" and not form.validate():
        for message in form.reason.errors:
            flash(str(message), "error")
        return _back(url_for(".my_meetings"))
    try:
        if action == "accept":
            changed = meetings.accept(meeting.id, org_id, current_user.id)
        else:
            meetings.decline(meeting.id, org_id, current_user.id, form.reason.data)
            changed = True
    except meetings.MeetingError as error:
        db.session.rollback()
        _flash_refusal(error)
        return _back(url_for(".my_meetings"))
    db.session.commit()
    if action == "decline":
        flash(_("Request declined."), "success")
    elif not changed:
        flash(_("This meeting was already accepted."), "info")
    elif meeting.event.schedule_status == "published":
        flash(_("Meeting accepted. The schedule is already published: the organisers will "
                "give it a time and a table."), "success")
    else:
        flash(_("Meeting accepted. It gets a time and a table when the organisers publish "
                "the schedule."), "success")
    return _back(url_for(".my_meetings"))


@bp.post("/meetings/<int:meeting_id>/accept")
@login_required
def accept(meeting_id: int):
    """The asked organisation accepts a request."""
    return _answer(meeting_id, "accept")


@bp.post("/meetings/<int:meeting_id>/decline")
@login_required
def decline(meeting_id: int):
    """The asked organisation declines a request (optional ``reason``)."""
    return _answer(meeting_id, "decline")


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    """Either party, or staff, cancels a meeting (optional ``reason``)."""
    meeting = _meeting_for_change(meeting_id)
    staff = is_staff(current_user)
    default = (url_for(".participants", event_id=meeting.event_id) if staff
               else url_for(".my_meetings"))
    form = CancelForm()
    if not form.validate():
        for message in form.reason.errors:
            flash(str(message), "error")
        return _back(default)
    try:
        meetings.cancel(meeting.id, _org_id(), current_user.id, staff=staff,
                        reason=form.reason.data)
    except meetings.MeetingError as error:
        db.session.rollback()
        _flash_refusal(error)
        return _back(default)
    db.session.commit()
    flash(_("Meeting cancelled. The other organisation has been told."), "success")
    return _back(default)


# -- unavailability ---------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/availability", methods=["GET", "POST"])
@login_required
def availability(event_id: int):
    """Participants tick the slots when they cannot meet; staff see who ticked what."""
    event, mine = _visible_event(event_id)
    staff = is_staff(current_user)
    context = dict(event=event, mine=mine, staff=staff, slot_key=meetings.slot_key,
                   changes_open=meetings.changes_open(event))
    if staff:
        if request.method == "POST":
            abort(403)
        return render_template("meetings/availability.html",
                               by_slot=meetings.unavailable_by_slot(event.id), **context)
    if not _attending(mine):
        abort(403)
    form = CsrfForm()
    if request.method == "POST" and form.validate():
        try:
            chosen = meetings.set_unavailability(mine.id, request.form.getlist("slots"))
        except meetings.MeetingError as error:
            db.session.rollback()
            _flash_refusal(error)
        else:
            db.session.commit()
            flash(ngettext("Saved: %(num)d time slot marked unavailable.",
                           "Saved: %(num)d time slots marked unavailable.", len(chosen)),
                  "success")
            return redirect(url_for(".availability", event_id=event_id))
    times, marked, _stored = meetings.slots_with_marks(event, mine.id)
    return render_template("meetings/availability.html", times=times, marked=marked,
                           form=form, **context)
