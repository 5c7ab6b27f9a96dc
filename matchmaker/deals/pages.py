"""What the MOU and contract pages share: who acts, the 404 rule, parties typed by name,
the category and event choices, documents, and the error plumbing of the forms.

A member of a third organisation gets **404** for someone else's MOU or contract (its
existence does not leak); anonymous visitors are sent to log in by ``login_required``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from flask import abort, flash
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from matchmaker.catalogue import categories as cat
from matchmaker.deals import queries, services
from matchmaker.deals import rules as _rules  # noqa: F401  (registers the view/edit rules)
from matchmaker.deals.forms import DEAL_ERRORS, deal_error_message, plain_volume
from matchmaker.deals.labels import (
    CONTRACT_STATUS_BADGES,
    CONTRACT_STATUS_LABELS,
    KIND_LABELS,
    MOU_STATUS_BADGES,
    MOU_STATUS_LABELS,
    MOU_STATUS_SHORT,
    REASON_LABELS,
    history_note,
    reason_text,
)
from matchmaker.deals.views import bp
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import can_view, is_staff
from matchmaker.text import fold
from matchmaker.uploads import delete_upload, save_bytes, send_upload

UPLOAD_FOLDER = "deals"
SIDE_NAMES = {Side.PRODUCER.value: _l("producer"), Side.DISTRIBUTOR.value: _l("distributor")}
NAME_MESSAGES = {
    "empty": {Side.PRODUCER.value: _l("Enter the producer's name."),
              Side.DISTRIBUTOR.value: _l("Enter the distributor's name.")},
    "none": {Side.PRODUCER.value: _l("No producer has this name. Check the spelling, or ask "
                                     "the organisers to add the organisation."),
             Side.DISTRIBUTOR.value: _l("No distributor has this name. Check the spelling, "
                                        "or ask the organisers to add the organisation.")},
    "several": _l("Several organisations match: choose one."),
}


@bp.context_processor
def _labels() -> dict:
    return {
        "mou_status_labels": MOU_STATUS_LABELS,
        "mou_status_short": MOU_STATUS_SHORT,
        "mou_status_badges": MOU_STATUS_BADGES,
        "contract_status_labels": CONTRACT_STATUS_LABELS,
        "contract_status_badges": CONTRACT_STATUS_BADGES,
        "kind_labels": KIND_LABELS,
        "reason_labels": REASON_LABELS,
        "reason_text": reason_text,
        "history_note": history_note,
        "deal_side_names": SIDE_NAMES,
        "category_label": cat.category_label,
        "locale": locale(),
        "fmt_volume": plain_volume,
    }


def locale() -> str:
    """The page's language code (``vi`` or ``en``)."""
    return str(get_locale())


def actor_organisation_id() -> int | None:
    """The acting member's organisation; None for staff (the organisers act)."""
    return None if is_staff(current_user) else current_user.organisation_id


def visible_or_404(deal):
    """``deal`` if the current user may see it; else 404 (also when it is None)."""
    if deal is None or not can_view(current_user, deal):
        abort(404)
    return deal


def ocop_choices() -> list[tuple[int, str, int]]:
    """The OCOP tree as ``(id, label, depth)`` in the page's language (one statement)."""
    return cat.ocop_tree_choices(cat.ocop_tree(), locale())


def add_error(form, name: str | None, message) -> None:
    """Put ``message`` on field ``name`` (or above the form when None or unknown)."""
    target = getattr(form, name, None) if name else None
    if target is None or not hasattr(target, "errors"):
        form.form_errors.append(str(message))
        return
    if isinstance(target.errors, tuple):
        target.errors = list(target.errors)
    target.errors.append(str(message))


def deal_error(form, code: str) -> None:
    """Show a ``DealError`` next to its field."""
    name = DEAL_ERRORS.get(code, (None, None))[0]
    if name == "value" and not hasattr(form, "value"):
        name = "estimated_value"
    add_error(form, name, deal_error_message(code))


def store_document(form) -> str | None:
    """Save the form's checked document (if any) under ``deals/``; its stored path."""
    if form.document_upload is None:
        return None
    data, kind = form.document_upload
    return save_bytes(data, kind, UPLOAD_FOLDER).path


def forget_document(path: str | None) -> None:
    """Remove a stored document that no record points at (after a rollback, or once the
    replacing one is committed)."""
    delete_upload(path)


def send_document(path: str | None, stem: str):
    """Send a deal's document under a name of ours (``mou-12.pdf``); 404 when none."""
    if not path:
        abort(404)
    return send_upload(path, download_name=f"{stem}{PurePosixPath(path).suffix}")


def flash_stale() -> None:
    """Say that a status change was refused because the record changed meanwhile."""
    flash(_("Someone changed this record since you opened it, so nothing was changed. "
            "Check its current state below and try again."), "warning")


def change_or_flash(change: Callable[[], object]) -> bool:
    """Run ``change`` (a status change and its notifications); True when it went through.

    A stale version (:class:`~matchmaker.deals.services.StaleEdit`, or SQLAlchemy's
    ``StaleDataError`` at flush) or a change the rules refuse
    (:class:`~matchmaker.deals.services.DealError`) rolls back and flashes why."""
    try:
        change()
    except (services.StaleEdit, StaleDataError):
        db.session.rollback()
        flash_stale()
        return False
    except services.DealError as error:
        db.session.rollback()
        flash(deal_error_message(error.code), "error")
        return False
    return True


# -- parties ------------------------------------------------------------------------------

@dataclass
class PartyPlan:
    """Where a new deal's parties come from, and what the user still types.

    ``producer`` / ``distributor``: organisations already fixed (from a meeting, a
    participant or the member's own organisation). ``typed``: the sides typed by name —
    ``("producer", "distributor")`` for staff, the other side for a member, ``()`` when
    both are fixed. ``choose_side``: the member's organisation is both producer and
    distributor, so the form asks which it is here.
    """

    producer: Organisation | None = None
    distributor: Organisation | None = None
    typed: tuple[str, ...] = ()
    choose_side: bool = False
    mine: Organisation | None = None
    candidates: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    @property
    def producer_id(self) -> int | None:
        return self.producer.id if self.producer is not None else None


def member_plan(mine: Organisation, fixed: Organisation | None = None,
                fixed_side: str | None = None) -> PartyPlan:
    """The parties of a member's new deal: their organisation and ``fixed`` (a participant
    on ``fixed_side``), or their organisation and a typed one."""
    plan = PartyPlan(mine=mine)
    if fixed is not None:
        if fixed_side == Side.PRODUCER.value:
            plan.producer, plan.distributor = fixed, mine
        else:
            plan.producer, plan.distributor = mine, fixed
        return plan
    if mine.side == Side.BOTH.value:
        plan.choose_side = True
        plan.typed = ("other",)
    elif mine.is_producer:
        plan.producer, plan.typed = mine, (Side.DISTRIBUTOR.value,)
    else:
        plan.distributor, plan.typed = mine, (Side.PRODUCER.value,)
    return plan


def _resolve_one(form, name_field: str, id_field: str, side: str, exclude: int | None,
                 plan: PartyPlan) -> Organisation | None:
    names, ids = getattr(form, name_field), getattr(form, id_field)
    typed = names.data or ""
    raw = (ids.data or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) < 10 and int(raw) != exclude:
        org = queries.organisation_on_side(int(raw), side)
        # The id stands while the typed text still fits it (picked among candidates, or
        # resolved before); text typed anew is looked up again.
        if org is not None and fold(typed) in fold(org.name):
            names.data, ids.data = org.name, str(org.id)
            return org
    ids.data = ""
    if not typed.strip():
        plan.errors.append((name_field, NAME_MESSAGES["empty"][side]))
        return None
    org, candidates = queries.find_organisations(typed, side, exclude)
    if org is not None:
        names.data, ids.data = org.name, str(org.id)
        return org
    if candidates:
        plan.candidates[id_field] = candidates
        plan.errors.append((name_field, NAME_MESSAGES["several"]))
    else:
        plan.errors.append((name_field, NAME_MESSAGES["none"][side]))
    return None


def resolve_parties(form, plan: PartyPlan) -> bool:
    """Fill ``plan.producer`` / ``plan.distributor`` from the typed names (POST). Keeps
    any mistake in ``plan.errors`` (``(field, message)``; show them with
    :func:`show_party_errors` after ``form.validate()``, which resets field errors). True
    when both parties are known."""
    if plan.typed == ("other",):
        side = form.my_side.data
        if side not in (Side.PRODUCER.value, Side.DISTRIBUTOR.value):
            plan.errors.append(("my_side", _l("Choose whether your organisation sells or buys "
                                              "here.")))
            return False
        other_side = Side.DISTRIBUTOR.value if side == Side.PRODUCER.value \
            else Side.PRODUCER.value
        other = _resolve_one(form, "other_name", "other_id", other_side, plan.mine.id, plan)
        if side == Side.PRODUCER.value:
            plan.producer, plan.distributor = plan.mine, other
        else:
            plan.producer, plan.distributor = other, plan.mine
    elif plan.mine is not None and plan.typed:
        side = plan.typed[0]
        other = _resolve_one(form, "other_name", "other_id", side, plan.mine.id, plan)
        if side == Side.PRODUCER.value:
            plan.producer = other
        else:
            plan.distributor = other
    else:
        if Side.PRODUCER.value in plan.typed:
            plan.producer = _resolve_one(form, "producer_name", "producer_id",
                                         Side.PRODUCER.value, None, plan)
        if Side.DISTRIBUTOR.value in plan.typed:
            plan.distributor = _resolve_one(form, "distributor_name", "distributor_id",
                                            Side.DISTRIBUTOR.value, None, plan)
    return plan.producer is not None and plan.distributor is not None


def show_party_errors(form, plan: PartyPlan) -> None:
    """Put the mistakes :func:`resolve_parties` found on their fields."""
    for name, message in plan.errors:
        add_error(form, name, message)
