"""Event pages: the public list, the event page, the organisers' form and status actions.

Who may do what (rules in :mod:`matchmaker.events.rules`):

* ``/events/`` and ``/events/<id>``: everyone, anonymous visitors too, for events published
  once (a later cancellation stays visible with its reason). Drafts: staff only (others 404).
* ``/events/new``, edit and the status actions: organisers and admins (members 403).

Every page runs at most five SQL statements: the user loader, the event (sessions and
categories joined), one grouped count of places, and the member's registration or, for
staff, the status history.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.catalogue import categories as cat
from matchmaker.events import (
    bp,
    rules,  # noqa: F401  (registers the Event/Registration rules)
    services,
)
from matchmaker.events import registration as reg
from matchmaker.events.forms_events import (
    ACTION_LABELS,
    EVENT_STATUS_LABELS,
    TRANSITION_MESSAGES,
    CancelForm,
    EventForm,
)
from matchmaker.events.models import Event, RegistrationStatus
from matchmaker.extensions import db
from matchmaker.history import Subject, history
from matchmaker.organisations.divisions import province_name, provinces
from matchmaker.pagination import page_arg
from matchmaker.permissions import Role, can_view, is_staff, role_required
from matchmaker.timeutil import format_local, utcnow

STAFF = (Role.ORGANISER, Role.ADMIN)


def _locale() -> str:
    return str(get_locale())


def _event_or_404(event_id: int) -> Event:
    event = services.load_event(event_id)
    if event is None:
        abort(404)
    return event


def _event_form(event: Event | None, fill: bool) -> EventForm:
    choices = cat.ocop_tree_choices(cat.ocop_tree(), _locale())
    return EventForm.build(choices, provinces(), event=event, fill=fill)


def _render_form(event: Event | None, form: EventForm):
    return render_template("events/event_form.html", event=event, form=form)


@bp.get("/events/")
def index():
    """Upcoming events (soonest first) or, with ``?when=past``, past ones (latest first)."""
    past = request.args.get("when") == "past"
    staff = is_staff(current_user)
    page = db.paginate(services.events_query(staff, past), page=page_arg(),
                       per_page=services.EVENTS_PER_PAGE, error_out=False)
    taken = services.places_taken_by_event([e.id for e in page.items])
    return render_template(
        "events/event_list.html", page=page, past=past, taken=taken, staff=staff,
        province_name=province_name, status_labels=EVENT_STATUS_LABELS, now=utcnow())


def _render_event(event: Event, cancel_form: CancelForm | None = None, status: int = 200):
    staff = is_staff(current_user)
    places = services.side_places(event, reg.places_by_side(event.id))
    mine = None
    organisation_id = getattr(current_user, "organisation_id", None)
    if current_user.is_authenticated and organisation_id is not None:
        mine = services.organisation_registration(event.id, organisation_id)
    now = utcnow()
    can_register = (current_user.is_authenticated and organisation_id is not None
                    and event.registration_open(now)
                    and (mine is None or mine.status == RegistrationStatus.CANCELLED))
    return render_template(
        "events/event_detail.html", event=event, places=places, mine=mine, staff=staff,
        can_register=can_register, registration_open=event.registration_open(now),
        province_name=province_name(event.province_code), locale=_locale(),
        category_label=cat.category_label, status_labels=EVENT_STATUS_LABELS,
        actions=services.allowed_actions(event) if staff else [],
        action_labels=ACTION_LABELS,
        changes=history(Subject.EVENT, event.id) if staff else [],
        cancel_form=cancel_form or (CancelForm() if staff else None),
    ), status


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    """The event: dates, venue, places per side, sessions, the member's registration, and
    the organisers' tools."""
    event = services.load_event(event_id)
    if event is None or not can_view(current_user, event):
        abort(404)
    return _render_event(event)


@bp.route("/events/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_event():
    """Create an event (as a draft; publish it from its page)."""
    form = _event_form(None, fill=False)
    if form.validate_on_submit():
        try:
            event = services.create_event(form.fields_for_service(), current_user.id)
        except services.EventError as error:
            db.session.rollback()
            form.add_problem(error)
        else:
            db.session.commit()
            flash(_("Event saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for(".event", event_id=event.id))
    return _render_form(None, form)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_event(event_id: int):
    """Change an event. A raised capacity gives waitlisted organisations their place.
    A finished or cancelled event cannot be changed (back to its page with a message)."""
    event = _event_or_404(event_id)
    if event.status in services.CLOSED_FOR_EDITS:
        return _refuse_edit(event)
    form = _event_form(event, fill=request.method == "GET")
    if form.validate_on_submit():
        try:
            promoted = services.update_event(event, form.fields_for_service(),
                                             current_user.id)
        except services.EventError as error:
            db.session.rollback()
            if error.code == "event_over":  # finished or cancelled meanwhile
                return _refuse_edit(db.session.get(Event, event_id))
            form.add_problem(error)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            if promoted:
                flash(ngettext("%(num)d waitlisted organisation got a place.",
                               "%(num)d waitlisted organisations got a place.",
                               len(promoted)), "info")
            return redirect(url_for(".event", event_id=event_id))
    return _render_form(event, form)


def _refuse_edit(event: Event):
    flash(_("A finished or cancelled event cannot be changed: the event is “%(status)s”.",
            status=EVENT_STATUS_LABELS.get(event.status, event.status)), "error")
    return redirect(url_for(".event", event_id=event.id))


def _refuse_transition(event: Event):
    flash(_("This change is not possible now: the event is “%(status)s”.",
            status=EVENT_STATUS_LABELS.get(event.status, event.status)), "error")
    return redirect(url_for(".event", event_id=event.id))


@bp.post("/events/<int:event_id>/<any('publish', 'close-registration', "
         "'reopen-registration', 'finish', 'cancel'):action>")
@role_required(*STAFF)
def change_event_status(event_id: int, action: str):
    """Publish, close or reopen registration, finish, or cancel (with a reason)."""
    event = _event_or_404(event_id)
    if action not in services.allowed_actions(event):
        return _refuse_transition(event)
    reason = None
    if action == "cancel":
        form = CancelForm()
        if not form.validate():
            # Shown again on the event page, the message next to the reason box.
            return _render_event(event, cancel_form=form, status=200)
        reason = form.reason.data
    try:
        services.change_event_status(event, action, current_user.id, reason)
    except services.EventError as error:
        db.session.rollback()
        if error.code == "window_over":
            flash(_("Registration cannot reopen: its closing time (%(time)s) has passed. Edit "
                    "the event and set a later closing time first.",
                    time=format_local(event.registration_closes_at, _locale(),
                                      "HH:mm dd/MM/yyyy")), "error")
            return redirect(url_for(".event", event_id=event_id))
        # Someone else changed the status between the check above and the lock.
        return _refuse_transition(db.session.get(Event, event_id))
    db.session.commit()
    flash(str(TRANSITION_MESSAGES[action]), "success")
    return redirect(url_for(".event", event_id=event_id))

