"""MOU pages: the list of MOUs and contracts, recording an MOU, its page, editing, status
changes and the signed document.

Who may do what (rules in :mod:`matchmaker.deals.rules`):

* ``GET /mous/``: logged-in users. Members see their organisation's MOUs and contracts
  (two tabs, newest first, a status filter); staff see all of them, filtered by event,
  status, kind and party names (accents do not matter).
* ``/mous/new``: members and staff. ``?meeting=ID``: the parties and event of a held
  meeting (404 when the meeting is not the user's, 403 when it was not held);
  ``?event=ID&registration=ID``: a participant of the event and (for a member) their own
  organisation; otherwise the member's organisation and a typed one, or (staff) two typed
  organisations or two agencies.
* ``/mous/<id>``, ``/edit``, ``/status``, ``/document``: either party's members and staff
  (agency MOUs: staff only). Anyone else gets **404**.

Every change locks the MOU row first (:func:`matchmaker.deals.services.lock_mou`) and
names the version the form was loaded at: a save made on an older version is refused with
the current values shown and the user's input kept.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from matchmaker.deals import notify, queries, services
from matchmaker.deals.forms import (
    STALE_MESSAGE,
    MouForm,
    MouStatusForm,
    deal_error_message,
)
from matchmaker.deals.labels import MOU_ACTION_LABELS, MOU_REVIVE_LABEL, reason_text
from matchmaker.deals.models import MouKind, MouStatus
from matchmaker.deals.pages import (
    PartyPlan,
    actor_organisation_id,
    add_error,
    change_or_flash,
    deal_error,
    forget_document,
    member_plan,
    ocop_choices,
    resolve_parties,
    send_document,
    show_party_errors,
    store_document,
    visible_or_404,
)
from matchmaker.deals.views import bp
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.forms import flash_form_errors
from matchmaker.history import Subject, history
from matchmaker.meetings import rules as _meeting_rules  # noqa: F401  (meeting view rule)
from matchmaker.meetings.models import MeetingStatus
from matchmaker.organisations.models import Side
from matchmaker.pagination import MAX_ID, page_arg
from matchmaker.permissions import can_view, is_staff

MOU_ACTIONS = (MouStatus.NEGOTIATING, MouStatus.LAPSED, MouStatus.CANCELLED)


def _id_arg(name: str) -> int | None:
    """A query-string id; None when absent, 404 when garbled."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_ID:
        abort(404)
    return int(raw)


# -- the list ---------------------------------------------------------------------------------

@bp.get("/mous/")
@login_required
def index():
    """The MOUs (or, ``?tab=contracts``, the supply contracts) the user may see."""
    staff = is_staff(current_user)
    filters = queries.ListFilters.from_args(request.args, staff)
    org_id = None if staff else current_user.organisation_id
    if not staff and org_id is None:
        abort(403)
    if filters.tab == "contracts":
        page = queries.contract_page(filters, org_id, page_arg())
    else:
        page = queries.mou_page(filters, org_id, page_arg())
    events = queries.event_choices(None) if staff else []
    return render_template("deals/index.html", page=page, filters=filters, staff=staff,
                           events=events, org_id=org_id, mou_kinds=list(MouKind))


# -- recording ----------------------------------------------------------------------------

class _Source:
    """Where a new MOU comes from: ``meeting``, ``participant`` or ``free``, with the event
    and the parties already fixed."""

    def __init__(self, kind: str, plan: PartyPlan, event: Event | None = None,
                 meeting=None, args: dict | None = None):
        self.kind, self.plan, self.event, self.meeting = kind, plan, event, meeting
        self.args = args or {}


def _source() -> _Source:
    staff = is_staff(current_user)
    mine = None if staff else current_user.organisation
    if not staff and mine is None:
        abort(403)
    meeting_id = _id_arg("meeting")
    if meeting_id is not None:
        meeting = queries.load_meeting(meeting_id)
        if meeting is None or not can_view(current_user, meeting):
            abort(404)
        if meeting.status != MeetingStatus.HELD:
            abort(403)
        plan = PartyPlan(producer=meeting.producer_registration.organisation,
                         distributor=meeting.distributor_registration.organisation, mine=mine)
        return _Source("meeting", plan, meeting.event, meeting, {"meeting": meeting.id})
    event_id, registration_id = _id_arg("event"), _id_arg("registration")
    if event_id is not None or registration_id is not None:
        if event_id is None or registration_id is None:
            abort(404)
        registration = queries.load_registration(registration_id)
        if (registration is None or registration.event_id != event_id
                or not can_view(current_user, registration.event)
                or (mine is not None and registration.organisation_id == mine.id)):
            abort(404)
        fixed, side = registration.organisation, registration.side
        if mine is not None:
            # The member's organisation takes the other side; it must be able to.
            if not (mine.is_distributor if side == Side.PRODUCER.value else mine.is_producer):
                abort(403)
            plan = member_plan(mine, fixed, side)
        elif side == Side.PRODUCER.value:
            plan = PartyPlan(producer=fixed, typed=(Side.DISTRIBUTOR.value,))
        else:
            plan = PartyPlan(distributor=fixed, typed=(Side.PRODUCER.value,))
        return _Source("participant", plan, registration.event, None,
                       {"event": event_id, "registration": registration_id})
    if mine is not None:
        return _Source("free", member_plan(mine))
    return _Source("free", PartyPlan(typed=(Side.PRODUCER.value, Side.DISTRIBUTOR.value)))


def _agency(form, source: _Source) -> bool:
    """Staff recording a standalone MOU between two agencies."""
    return source.kind == "free" and source.plan.mine is None \
        and form.kind.data == MouKind.AGENCY.value


def _render_new(form, source: _Source):
    return render_template("deals/mou_form.html", form=form, source=source, plan=source.plan,
                           mou=None, current=None, staff=is_staff(current_user))


@bp.route("/mous/new", methods=["GET", "POST"])
@login_required
def new_mou():
    """Record a signed MOU in one step (see the module docstring for the three sources)."""
    source = _source()
    plan = source.plan
    form = MouForm()
    posted = request.method == "POST"
    agency = posted and _agency(form, source)
    if posted and not agency and plan.typed:
        resolve_parties(form, plan)
    form.setup(queries.event_choices(actor_organisation_id()) if source.kind == "free"
               else [], queries.producer_products(plan.producer_id))
    form.setup_categories(ocop_choices())
    if not posted:
        return _render_new(form, source)
    valid = form.validate()
    show_party_errors(form, plan)
    if agency:
        for name in ("agency_a", "agency_b"):
            if not getattr(form, name).data:
                add_error(form, name, _("Enter the agency's name."))
    elif not (form.products.data or form.category_ids() or form.hs_codes.errors
              or form.products.errors):
        add_error(form, "ocop_categories",
                  _("Choose the products or the categories the MOU covers."))
    if not valid or form.errors:
        return _render_new(form, source)
    document = store_document(form)
    try:
        if agency:
            mou = services.record_mou(
                by_user_id=current_user.id, agencies=(form.agency_a.data, form.agency_b.data),
                category_ids=form.category_ids(), document_path=document,
                event_id=form.event_id.data, **form.fields())
        else:
            parties = services.Parties(
                plan.producer.id, plan.distributor.id,
                source.event.id if source.event is not None else None,
                source.meeting.id if source.meeting is not None else None)
            mou = services.record_mou(
                by_user_id=current_user.id, parties=parties, product_ids=form.products.data,
                category_ids=form.category_ids(), document_path=document,
                event_id=form.event_id.data if source.kind == "free" else None,
                **form.fields())
            notify.mou_changed(mou, "recorded", actor_organisation_id())
    except services.DealError as error:
        db.session.rollback()
        forget_document(document)
        deal_error(form, error.code)
        return _render_new(form, source)
    db.session.commit()
    flash(_("The MOU is recorded.") if agency else
          _("The MOU is recorded. The other organisation has been told."), "success")
    return redirect(url_for(".mou", mou_id=mou.id))


# -- the MOU page -------------------------------------------------------------------------

def _actions(mou) -> list[tuple[str, object]]:
    """The status changes offered on the page: ``[(status, button label)]``."""
    allowed = services.MOU_TRANSITIONS.get(MouStatus(mou.status), frozenset())
    actions = []
    for status in MOU_ACTIONS:
        if status in allowed:
            label = MOU_REVIVE_LABEL if (mou.status == MouStatus.LAPSED
                                         and status == MouStatus.NEGOTIATING) \
                else MOU_ACTION_LABELS[status]
            actions.append((status.value, label))
    return actions


@bp.get("/mous/<int:mou_id>")
@login_required
def mou(mou_id: int):
    """One MOU: parties, where it came from, what it covers, its contracts and history."""
    mou = visible_or_404(queries.load_mou(mou_id))
    return render_template(
        "deals/mou_detail.html", mou=mou, contracts=queries.mou_contracts(mou.id),
        changes=history(Subject.MOU, mou.id), actions=_actions(mou),
        status_form=MouStatusForm(formdata=None), staff=is_staff(current_user),
        may_contract=mou.kind == MouKind.BUSINESS and mou.status != MouStatus.CANCELLED)


@bp.get("/mous/<int:mou_id>/document")
@login_required
def mou_document(mou_id: int):
    """The signed MOU (its parties' members and staff only)."""
    mou = visible_or_404(queries.load_mou_bare(mou_id))
    return send_document(mou.document_path, f"mou-{mou.id}")


# -- editing ------------------------------------------------------------------------------

def _edit_form(mou, form: MouForm) -> None:
    keep_event = [mou.event_id]
    events = ([] if mou.meeting_id is not None
              else queries.event_choices(actor_organisation_id(), keep_event))
    products = (queries.producer_products(mou.producer_id, [p.id for p in mou.products])
                if mou.kind == MouKind.BUSINESS else [])
    form.setup(events, products, mou.unit)
    form.setup_categories(ocop_choices())


def _render_edit(form, mou, current=None):
    return render_template("deals/mou_form.html", form=form, mou=mou, current=current,
                           source=None, plan=None, staff=is_staff(current_user))


@bp.route("/mous/<int:mou_id>/edit", methods=["GET", "POST"])
@login_required
def edit_mou(mou_id: int):
    """Change an MOU's details (not its parties or status), or replace its document."""
    if request.method == "GET":
        mou = visible_or_404(queries.load_mou(mou_id))
        form = MouForm(formdata=None)
        _edit_form(mou, form)
        form.fill(mou)
        return _render_edit(form, mou)
    mou = visible_or_404(services.lock_mou(mou_id))
    form = MouForm()
    _edit_form(mou, form)
    if not form.validate():
        return _render_edit(form, mou)
    business = mou.kind == MouKind.BUSINESS
    fields = form.fields()
    if mou.meeting_id is None:
        fields["event_id"] = form.event_id.data
    if not business:
        if not form.agency_a.data or not form.agency_b.data:
            for name in ("agency_a", "agency_b"):
                if not getattr(form, name).data:
                    add_error(form, name, _("Enter the agency's name."))
            return _render_edit(form, mou)
        fields.update(agency_a=form.agency_a.data, agency_b=form.agency_b.data)
    elif not form.products.data and not form.category_ids():
        add_error(form, "ocop_categories",
                  _("Choose the products or the categories the MOU covers."))
        return _render_edit(form, mou)
    document = store_document(form)
    previous = mou.document_path
    if document is not None:
        fields["document_path"] = document
    try:
        services.update_mou(mou, form.version.data, current_user.id,
                            product_ids=form.products.data if business else None,
                            category_ids=form.category_ids(), **fields)
    except (services.StaleEdit, StaleDataError):
        db.session.rollback()
        forget_document(document)
        current = visible_or_404(queries.load_mou(mou_id))
        form.version.data = current.version
        form.form_errors.append(str(STALE_MESSAGE))
        return _render_edit(form, current, current=current)
    except services.DealError as error:
        db.session.rollback()
        forget_document(document)
        mou = visible_or_404(queries.load_mou(mou_id))
        deal_error(form, error.code)
        return _render_edit(form, mou)
    db.session.commit()
    if document is not None:
        forget_document(previous)
    flash(_("The MOU is saved."), "success")
    return redirect(url_for(".mou", mou_id=mou_id))


# -- status -------------------------------------------------------------------------------

@bp.post("/mous/<int:mou_id>/status")
@login_required
def mou_status(mou_id: int):
    """Mark as negotiating, revive a lapsed MOU, or lapse / cancel it with a reason."""
    mou = visible_or_404(services.lock_mou(mou_id))
    back = redirect(url_for(".mou", mou_id=mou_id))
    form = MouStatusForm()
    if not form.validate():
        flash_form_errors(form)
        return back
    to_status = form.status.data
    if to_status not in {s.value for s in MOU_ACTIONS}:
        flash(deal_error_message("transition"), "error")
        return back
    before = mou.status
    closing = to_status in (MouStatus.LAPSED, MouStatus.CANCELLED)
    reason, text = form.reason.data or None, form.reason_text.data or None

    def change():
        services.change_mou_status(
            mou, to_status, current_user.id, expected_version=form.version.data,
            reason=reason if closing else None, reason_text=text if closing else None,
            note=None if closing else form.note.data or None)
        action = "revived" if before == MouStatus.LAPSED else to_status
        note = (lambda: reason_text(reason, text)) if closing else form.note.data
        notify.mou_changed(mou, action, actor_organisation_id(), note)

    if not change_or_flash(change):
        return back
    db.session.commit()
    flash(_("The MOU's status is changed. The other organisation has been told.")
          if mou.kind == MouKind.BUSINESS else _("The MOU's status is changed."), "success")
    return back
