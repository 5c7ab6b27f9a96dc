"""Organiser tools for one event: registration list, check-in, badges and exports.

Every route here is for staff only (organisers and admins): members get 403, anonymous
visitors are sent to log in. Status changes go through :mod:`matchmaker.events.registration`
(which locks the event); the queries are in :mod:`matchmaker.events.participants`.

* ``GET /events/<id>/registrations``: search (accent-insensitive), side and status filters,
  counts, pages; approve (one or many) and reject (with a reason) from there.
* ``GET /events/<id>/check-in``: the on-site page for a phone; one click checks in.
* ``GET /events/<id>/badges``: printable badges, one per delegate, and table cards.
* ``GET /events/<id>/participants.xlsx|csv``: the participants, one row per delegate.
"""

from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.events import bp, exports, participants, registration
from matchmaker.events.forms_organiser import CHECK_IN_REFUSED, RejectForm, error_message
from matchmaker.events.labels import SIDE_LABELS, STATUS_COLOURS, STATUS_LABELS
from matchmaker.events.models import Event, Registration, RegistrationStatus
from matchmaker.events.participants import Filters
from matchmaker.extensions import db
from matchmaker.organisations.identifiers import format_phone, format_tax_code
from matchmaker.pagination import MAX_ID, MAX_PAGE, page_arg
from matchmaker.permissions import Role, role_required
from matchmaker.timeutil import format_local_short

S = RegistrationStatus
STAFF = (Role.ORGANISER, Role.ADMIN)
PER_PAGE = 50
MAX_BULK = 500  # ids in one "approve selected" (a page shows 50)


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def _registration_or_404(registration_id: int) -> Registration:
    found = db.session.get(Registration, registration_id)
    if found is None:
        abort(404)
    return found


def _user_id() -> int:
    return current_user.id


def _form_page(form) -> int:
    """The list page a form was sent from (hidden ``page`` field), 1 to MAX_PAGE."""
    raw = form.get("page", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_PAGE)):
        return 1
    return min(max(int(raw), 1), MAX_PAGE)


def _list_url(event_id: int, form) -> str:
    """The registration list with the filters and page the form was sent from."""
    page = _form_page(form)
    return url_for(".registrations", event_id=event_id,
                   **Filters.from_args(form).to_args(page=page if page > 1 else None))


def _render_list(event: Event, filters: Filters, page: int, reject_form: RejectForm | None = None,
                 reject_id: int | None = None):
    counts = registration.places_by_side(event.id)
    result = participants.registration_page(event.id, filters, page, PER_PAGE)
    return render_template(
        "events/organiser_registrations.html", event=event, filters=filters, page=result,
        counts=counts, side_labels=SIDE_LABELS, status_labels=STATUS_LABELS,
        status_colours=STATUS_COLOURS, reject_form=reject_form, reject_id=reject_id,
        checked_in=participants.attendance(counts), local=_local,
        format_phone=format_phone, format_tax_code=format_tax_code)


def _local(dt) -> str:
    """A time as pages show it (the ``local_datetime`` filter)."""
    return format_local_short(dt, str(get_locale()))


@bp.get("/events/<int:event_id>/registrations")
@role_required(*STAFF)
def registrations(event_id: int):
    """The event's registrations: search, filters, counts, approve and reject."""
    event = _event_or_404(event_id)
    return _render_list(event, Filters.from_args(request.args), page_arg())


@bp.post("/events/<int:event_id>/registrations/approve")
@role_required(*STAFF)
def bulk_approve(event_id: int):
    """Approve the ticked registrations; flash how many were approved and skipped."""
    event = _event_or_404(event_id)
    raw = request.form.getlist("ids")[:MAX_BULK]
    ids = {int(value) for value in raw if value.isascii() and value.isdigit()
           and 0 < int(value) <= MAX_ID}
    if not ids:
        flash(_("Tick the registrations to approve first."), "warning")
        return redirect(_list_url(event.id, request.form))
    approved, skipped = registration.bulk_approve(event.id, ids, _user_id())
    db.session.commit()
    flash(_("%(approved)d approved, %(skipped)d skipped.", approved=approved, skipped=skipped),
          "success" if approved else "warning")
    if skipped:
        flash(_("Skipped registrations were already approved, were in a state that cannot be "
                "approved, or were waitlisted while no place was free."), "info")
    return redirect(_list_url(event.id, request.form))


@bp.post("/registrations/<int:registration_id>/approve")
@role_required(*STAFF)
def approve_registration(registration_id: int):
    """Approve one registration (pending, or waitlisted when a place is free)."""
    found = _registration_or_404(registration_id)
    event_id, name = found.event_id, found.organisation.name
    try:
        changed = registration.approve(found, _user_id())
    except registration.RegistrationError as error:
        db.session.rollback()
        flash(error_message(error.code), "error")
    else:
        db.session.commit()
        if changed:
            flash(_("%(name)s approved.", name=name), "success")
        else:
            flash(_("%(name)s was already approved.", name=name), "info")
    return redirect(_list_url(event_id, request.form))


@bp.post("/registrations/<int:registration_id>/reject")
@role_required(*STAFF)
def reject_registration(registration_id: int):
    """Reject one registration with a reason; an empty reason shows the list again with the
    message next to that row's reason box."""
    found = _registration_or_404(registration_id)
    event_id, name = found.event_id, found.organisation.name
    form = RejectForm()
    if not form.validate_on_submit():
        event = _event_or_404(event_id)
        return _render_list(event, Filters.from_args(request.form), _form_page(request.form),
                            form, found.id)
    try:
        registration.reject(found, _user_id(), form.reason.data)
    except registration.RegistrationError as error:
        db.session.rollback()
        flash(error_message(error.code), "error")
    else:
        db.session.commit()
        flash(_("%(name)s rejected. The organisation has been told the reason.", name=name),
              "success")
    return redirect(_list_url(event_id, request.form))


def _check_in_redirect(event_id: int, registration_id: int):
    q = participants.Filters.from_args(request.form).q
    query = f"?{urlencode({'q': q})}" if q else ""
    return redirect(f"{url_for('.check_in_page', event_id=event_id)}{query}"
                    f"#registration-{registration_id}")


@bp.get("/events/<int:event_id>/check-in")
@role_required(*STAFF)
def check_in_page(event_id: int):
    """On-site check-in: search by organisation or delegate, one button per registration."""
    event = _event_or_404(event_id)
    q = Filters.from_args(request.args).q
    counts = registration.places_by_side(event.id)
    results, more = participants.check_in_results(event.id, q)
    return render_template(
        "events/organiser_check_in.html", event=event, q=q, results=results, more=more,
        attendance=participants.attendance(counts), side_labels=SIDE_LABELS,
        status_labels=STATUS_LABELS, status_colours=STATUS_COLOURS, local=_local)


@bp.post("/registrations/<int:registration_id>/check-in")
@role_required(*STAFF)
def check_in(registration_id: int):
    """Check an approved registration in; back to the check-in page with the same search."""
    found = _registration_or_404(registration_id)
    event_id, name = found.event_id, found.organisation.name
    try:
        changed = registration.check_in(found, _user_id())
    except registration.RegistrationError as error:
        db.session.rollback()
        if error.code == "transition":
            flash(CHECK_IN_REFUSED % {"status": STATUS_LABELS.get(found.status, found.status)},
                  "error")
        else:
            flash(error_message(error.code), "error")
    else:
        checked_at = _local(found.checked_in_at)
        db.session.commit()
        if changed:
            flash(_("%(name)s checked in.", name=name), "success")
        else:
            flash(_("%(name)s was already checked in at %(time)s.", name=name,
                    time=checked_at), "info")
    return _check_in_redirect(event_id, registration_id)


@bp.post("/registrations/<int:registration_id>/undo-check-in")
@role_required(*STAFF)
def undo_check_in(registration_id: int):
    """Take back a check-in made by mistake."""
    found = _registration_or_404(registration_id)
    event_id, name = found.event_id, found.organisation.name
    try:
        registration.undo_check_in(found, _user_id())
    except registration.RegistrationError as error:
        db.session.rollback()
        flash(_("%(name)s is not checked in.", name=name) if error.code == "transition"
              else error_message(error.code), "error")
    else:
        db.session.commit()
        flash(_("Check-in of %(name)s undone.", name=name), "success")
    return _check_in_redirect(event_id, registration_id)


@bp.get("/events/<int:event_id>/badges")
@role_required(*STAFF)
def badges(event_id: int):
    """Printable badges (one per delegate) and, with ``?cards=1``, table cards (one per
    organisation) for the approved and checked-in registrations."""
    event = _event_or_404(event_id)
    rows = participants.delegate_rows(event.id)
    organisations = []
    seen = set()
    for _delegate, reg in rows:
        if reg.id not in seen:
            seen.add(reg.id)
            organisations.append(reg)
    return render_template(
        "events/organiser_badges.html", event=event,
        delegates=[(d, r) for d, r in rows if d is not None], organisations=organisations,
        cards=request.args.get("cards") == "1", side_labels=SIDE_LABELS)


@bp.get("/events/<int:event_id>/participants.<any(xlsx, csv):fmt>")
@role_required(*STAFF)
def export_participants(event_id: int, fmt: str):
    """Download the participants (approved and checked in; ``?status=all`` for every
    registration), one row per delegate, as XLSX or CSV (UTF-8 with BOM)."""
    event = _event_or_404(event_id)
    everyone = request.args.get("status") == "all"
    rows = participants.delegate_rows(event.id, None if everyone else participants.ATTENDING)
    titles = participants.offer_titles(event.id) if rows else {}
    header = exports.headers()
    cells = exports.participant_rows(rows, titles)
    if fmt == "xlsx":
        body = exports.to_xlsx(_("Registrations") if everyone else _("Participants"), header,
                               cells)
        mimetype = exports.XLSX_MIMETYPE
    else:
        body = exports.to_csv(header, cells)
        mimetype = exports.CSV_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = exports.content_disposition(
        *exports.filename(event, fmt, everyone))
    response.headers["Cache-Control"] = "private, no-store"
    return response

