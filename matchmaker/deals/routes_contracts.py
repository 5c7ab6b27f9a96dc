"""Supply contract pages: record one from an MOU or standalone, its page, editing, status
changes and the signed document.

Who may do what (rules in :mod:`matchmaker.deals.rules`):

* ``/mous/<id>/contracts/new``: the MOU's parties' members and staff (others: 404). The
  parties, event and products are copied from the MOU (products and volume editable); the
  first contract marks the MOU "contract signed" (converted).
* ``/contracts/new``: members (their organisation and a typed one) and staff (two typed
  organisations), with an optional event.
* ``/contracts/<id>``, ``/edit``, ``/status``, ``/document``: either party's members and
  staff; anyone else gets **404**.

Status: ``signed → delivering → completed``, or ``terminated`` (was in force) /
``cancelled`` (never took effect), both with a reason. Cancelling an MOU's last counted
contract reopens the MOU. Every change locks the MOU (when there is one) and then the
contract, in that order, and names the version the form was loaded at.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from matchmaker.deals import notify, queries, services
from matchmaker.deals.forms import (
    STALE_MESSAGE,
    ContractForm,
    ContractStatusForm,
    deal_error_message,
    plain_volume,
)
from matchmaker.deals.labels import CONTRACT_ACTION_LABELS
from matchmaker.deals.models import ContractStatus, MouKind, MouStatus, SupplyContract
from matchmaker.deals.pages import (
    PartyPlan,
    actor_organisation_id,
    change_or_flash,
    deal_error,
    forget_document,
    member_plan,
    resolve_parties,
    send_document,
    show_party_errors,
    store_document,
    visible_or_404,
)
from matchmaker.deals.views import bp
from matchmaker.extensions import db
from matchmaker.forms import flash_form_errors
from matchmaker.history import Subject, history
from matchmaker.organisations.models import Side
from matchmaker.permissions import is_staff

CONTRACT_ACTIONS = (ContractStatus.DELIVERING, ContractStatus.COMPLETED,
                    ContractStatus.TERMINATED, ContractStatus.CANCELLED)
ENDING = (ContractStatus.TERMINATED, ContractStatus.CANCELLED)


def _render_form(form, contract=None, mou=None, plan=None, current=None):
    return render_template("deals/contract_form.html", form=form, contract=contract, mou=mou,
                           plan=plan, current=current, staff=is_staff(current_user))


def _recorded(contract) -> None:
    notify.contract_changed(contract, "recorded", actor_organisation_id())
    db.session.commit()
    flash(_("The supply contract is recorded. The other organisation has been told."),
          "success")


# -- recording ----------------------------------------------------------------------------

@bp.route("/mous/<int:mou_id>/contracts/new", methods=["GET", "POST"])
@login_required
def new_contract_from_mou(mou_id: int):
    """Record a supply contract signed under an MOU."""
    if request.method == "GET":
        mou = visible_or_404(queries.load_mou(mou_id))
    else:
        # Locked first: two contracts recorded at once convert the MOU once.
        mou = visible_or_404(services.lock_mou(mou_id))
    if mou.kind != MouKind.BUSINESS or mou.status == MouStatus.CANCELLED:
        flash(deal_error_message("agency_mou" if mou.kind != MouKind.BUSINESS
                                 else "mou_cancelled"), "error")
        return redirect(url_for(".mou", mou_id=mou_id))
    chosen = [p.id for p in mou.products]
    form = ContractForm() if request.method == "POST" else ContractForm(formdata=None)
    form.setup([], queries.producer_products(mou.producer_id, chosen), mou.unit)
    if request.method == "GET":
        form.products.data = chosen
        form.volume.data = plain_volume(mou.volume)
        form.unit.data = mou.unit or ""
        return _render_form(form, mou=mou)
    if not form.validate():
        return _render_form(form, mou=mou)
    document = store_document(form)
    try:
        contract = services.record_contract(
            by_user_id=current_user.id, mou=mou, product_ids=form.products.data,
            document_path=document, **form.fields())
    except services.DealError as error:
        db.session.rollback()
        forget_document(document)
        deal_error(form, error.code)
        return _render_form(form, mou=visible_or_404(queries.load_mou(mou_id)))
    _recorded(contract)
    return redirect(url_for(".contract", contract_id=contract.id))


@bp.route("/contracts/new", methods=["GET", "POST"])
@login_required
def new_contract():
    """Record a supply contract signed without an MOU."""
    staff = is_staff(current_user)
    if staff:
        plan = PartyPlan(typed=(Side.PRODUCER.value, Side.DISTRIBUTOR.value))
    else:
        plan = member_plan(current_user.organisation)
    form = ContractForm() if request.method == "POST" else ContractForm(formdata=None)
    if request.method == "POST":
        resolve_parties(form, plan)
    form.setup(queries.event_choices(actor_organisation_id()),
               queries.producer_products(plan.producer_id))
    if request.method == "GET":
        return _render_form(form, plan=plan)
    valid = form.validate()
    show_party_errors(form, plan)
    if not valid or form.errors:
        return _render_form(form, plan=plan)
    document = store_document(form)
    try:
        contract = services.record_contract(
            by_user_id=current_user.id,
            parties=services.Parties(plan.producer.id, plan.distributor.id),
            product_ids=form.products.data, document_path=document,
            event_id=form.event_id.data, **form.fields())
    except services.DealError as error:
        db.session.rollback()
        forget_document(document)
        deal_error(form, error.code)
        return _render_form(form, plan=plan)
    _recorded(contract)
    return redirect(url_for(".contract", contract_id=contract.id))


# -- the contract page --------------------------------------------------------------------

def _actions(contract) -> list[tuple[str, object]]:
    allowed = services.CONTRACT_TRANSITIONS.get(ContractStatus(contract.status), frozenset())
    return [(s.value, CONTRACT_ACTION_LABELS[s]) for s in CONTRACT_ACTIONS if s in allowed]


@bp.get("/contracts/<int:contract_id>")
@login_required
def contract(contract_id: int):
    """One supply contract: parties, its MOU, value, delivery, products and history."""
    contract = visible_or_404(queries.load_contract(contract_id))
    return render_template(
        "deals/contract_detail.html", contract=contract,
        changes=history(Subject.CONTRACT, contract.id), actions=_actions(contract),
        status_form=ContractStatusForm(formdata=None), ending=[s.value for s in ENDING])


@bp.get("/contracts/<int:contract_id>/document")
@login_required
def contract_document(contract_id: int):
    """The signed contract (its parties' members and staff only)."""
    contract = visible_or_404(db.session.get(SupplyContract, contract_id))
    return send_document(contract.document_path, f"contract-{contract.id}")


# -- editing and status -------------------------------------------------------------------

def _lock(contract_id: int) -> SupplyContract:
    """Lock the contract's MOU (if any), then the contract, and re-read both; 404 for
    those who may not see it."""
    found = visible_or_404(db.session.get(SupplyContract, contract_id))
    if found.mou_id is not None:
        services.lock_mou(found.mou_id)
    return visible_or_404(services.lock_contract(contract_id))


def _edit_setup(contract, form: ContractForm) -> None:
    events = ([] if contract.mou_id is not None
              else queries.event_choices(actor_organisation_id(), [contract.event_id]))
    form.setup(events, queries.producer_products(contract.producer_id,
                                                 [p.id for p in contract.products]),
               contract.unit)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def edit_contract(contract_id: int):
    """Change a contract's details (not its parties, MOU or status), or its document."""
    if request.method == "GET":
        contract = visible_or_404(queries.load_contract(contract_id))
        form = ContractForm(formdata=None)
        _edit_setup(contract, form)
        form.fill(contract)
        return _render_form(form, contract=contract)
    contract = _lock(contract_id)
    form = ContractForm()
    _edit_setup(contract, form)
    if not form.validate():
        return _render_form(form, contract=contract)
    fields = form.fields()
    if contract.mou_id is None:
        fields["event_id"] = form.event_id.data
    document = store_document(form)
    previous = contract.document_path
    if document is not None:
        fields["document_path"] = document
    try:
        services.update_contract(contract, form.version.data, current_user.id,
                                 product_ids=form.products.data, **fields)
    except (services.StaleEdit, StaleDataError):
        db.session.rollback()
        forget_document(document)
        current = visible_or_404(queries.load_contract(contract_id))
        form.version.data = current.version
        form.form_errors.append(str(STALE_MESSAGE))
        return _render_form(form, contract=current, current=current)
    except services.DealError as error:
        db.session.rollback()
        forget_document(document)
        deal_error(form, error.code)
        return _render_form(form, contract=visible_or_404(queries.load_contract(contract_id)))
    db.session.commit()
    if document is not None:
        forget_document(previous)
    flash(_("The supply contract is saved."), "success")
    return redirect(url_for(".contract", contract_id=contract_id))


@bp.post("/contracts/<int:contract_id>/status")
@login_required
def contract_status(contract_id: int):
    """Mark delivering or completed, or terminate / cancel with a reason."""
    contract = _lock(contract_id)
    back = redirect(url_for(".contract", contract_id=contract_id))
    form = ContractStatusForm()
    if not form.validate():
        flash_form_errors(form)
        return back
    to_status = form.status.data
    if to_status not in {s.value for s in CONTRACT_ACTIONS}:
        flash(deal_error_message("transition"), "error")
        return back
    ending = to_status in {s.value for s in ENDING}
    reason = form.reason.data or None
    mou_before = contract.mou.status if contract.mou is not None else None

    def change():
        services.change_contract_status(
            contract, to_status, current_user.id, expected_version=form.version.data,
            reason=reason if ending else None, note=form.note.data or None)
        notify.contract_changed(contract, to_status, actor_organisation_id(),
                                reason if ending else form.note.data)

    if not change_or_flash(change):
        return back
    reopened = (mou_before == MouStatus.CONVERTED and contract.mou.status != mou_before)
    db.session.commit()
    flash(_("The contract's status is changed. The other organisation has been told."),
          "success")
    if reopened:
        flash(_("Its MOU has no other contract in force: the MOU is open again."), "info")
    return back
