"""Registration pages for members: register for an event, see, change and cancel it.

The rules (places, waitlist, statuses) live in :mod:`matchmaker.events.registration`; these
views parse the forms, check who may act, call it, commit once and say what happened.

Who may do what (object rules in :mod:`matchmaker.events.rules`):

* ``/events/<id>/register``: members only (staff get 403: they are not an organisation);
  an event that is not visible (a draft) is 404. An organisation already registered is sent
  to its registration.
* ``/registrations/``: members (their organisation's registrations); staff get 403 and use
  the organiser's list of each event.
* ``/registrations/<id>`` and its ``edit`` / ``cancel``: the organisation's members and
  staff. Members of other organisations get **404** (the registration is not theirs to know
  about), on every one of these routes.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.catalogue.services import need_is_open
from matchmaker.events import bp
from matchmaker.events import registration as registrations
from matchmaker.events import rules as _rules  # noqa: F401  (registers the view/edit rules)
from matchmaker.events.forms_registration import (
    CancelForm,
    RegisterForm,
    RegistrationOfferForm,
)
from matchmaker.events.labels import SIDE_LABELS as SIDE_NAMES
from matchmaker.events.labels import STATUS_BADGES, STATUS_LABELS
from matchmaker.events.models import (
    ACTIVE,
    CANCELLABLE,
    Event,
    EventStatus,
    Registration,
    RegistrationSide,
    RegistrationStatus,
    registration_needs,
    registration_products,
)
from matchmaker.extensions import db
from matchmaker.history import Subject, history
from matchmaker.organisations.identifiers import format_phone
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role, can_edit, can_view, role_required
from matchmaker.timeutil import utcnow

S = RegistrationStatus


# RegistrationError codes -> (form field or None for the top of the form, message).
ERROR_MESSAGES = {
    "closed": (None, _l("Registration for this event is not open at the moment.")),
    "side": ("side", _l("Your organisation cannot come on this side: a producer-only "
                        "organisation registers as a producer, a distributor-only one as a "
                        "distributor.")),
    "already": (None, _l("Your organisation is already registered for this event.")),
    "rejected": (None, _l("An organiser turned down your organisation's registration for "
                          "this event. Only an organiser can reopen it.")),
    "delegates": ("delegates", _l("Name between 1 and 5 delegates, each with a full name.")),
    "product": ("products", _l("Choose only your organisation's active products.")),
    "need": ("needs", _l("Choose only your organisation's open sourcing needs.")),
    "no_event": (None, _l("This event does not exist.")),
    "transition": (None, _l("This registration is no longer active, so it cannot be "
                            "changed.")),
    "event_over": (None, _l("The event has finished or was cancelled: registrations can no "
                            "longer be changed.")),
    "checked_in": (None, _l("Your organisation is checked in at the event. Ask an organiser "
                            "to undo the check-in before cancelling.")),
}


def _waitlist_position():
    """A correlated scalar: the registration's place in its side's waitlist (1 = next),
    in the order promotion follows (``queued_at``, then id). Meaningful only while it is
    waitlisted."""
    other = aliased(Registration)
    return (
        sa.select(sa.func.count(other.id))
        .where(other.event_id == Registration.event_id, other.side == Registration.side,
               other.status == S.WAITLISTED,
               sa.or_(other.queued_at < Registration.queued_at,
                      sa.and_(other.queued_at == Registration.queued_at,
                              other.id <= Registration.id)))
        .correlate(Registration).scalar_subquery())


def _fixed_side(organisation) -> str | None:
    """The only side a one-sided organisation can take; ``None`` when it must choose."""
    if organisation.side == Side.PRODUCER:
        return RegistrationSide.PRODUCER
    if organisation.side == Side.DISTRIBUTOR:
        return RegistrationSide.DISTRIBUTOR
    return None


def _active_products(organisation_id: int, registration_id: int | None = None):
    """``[(id, name, chosen)]``: the organisation's active products, in Vietnamese name
    order, each flagged when ``registration_id`` brings it (one statement)."""
    link = registration_products
    chosen = sa.and_(link.c.product_id == Product.id,
                     link.c.registration_id == (registration_id or -1))
    return db.session.execute(
        sa.select(Product.id, Product.name, link.c.registration_id.is_not(None))
        .outerjoin(link, chosen)
        .where(Product.organisation_id == organisation_id, Product.active.is_(True))
        .order_by(Product.name_sort_key, Product.id)).all()


def _open_needs(organisation_id: int, registration_id: int | None = None):
    """``[(id, title, chosen)]``: the organisation's open sourcing needs (see
    :func:`~matchmaker.catalogue.services.need_is_open`), newest first (one statement)."""
    link = registration_needs
    chosen = sa.and_(link.c.sourcing_need_id == SourcingNeed.id,
                     link.c.registration_id == (registration_id or -1))
    rows = db.session.execute(
        sa.select(SourcingNeed, link.c.registration_id.is_not(None))
        .outerjoin(link, chosen)
        .where(SourcingNeed.organisation_id == organisation_id,
               SourcingNeed.active.is_(True))
        .order_by(SourcingNeed.created_at.desc(), SourcingNeed.id.desc())).all()
    return [(need.id, need.title, flag) for need, flag in rows if need_is_open(need)]


def _offer_ids(side: str, form: RegistrationOfferForm, open_need_ids: set[int]):
    """The product and need ids to send to the service for ``side``.

    The other side's ticks are dropped: a producer-and-distributor organisation sees both
    lists (no JavaScript hides one) and only the chosen side's counts. A need that is not
    open (expired, say) is refused here, since the service checks only ``active``.
    """
    if side == RegistrationSide.PRODUCER:
        return form.product_ids, []
    if set(form.need_ids) - open_need_ids:
        raise registrations.RegistrationError("need")
    return [], form.need_ids


def _show_error(form, code: str, general: list) -> None:
    field, message = ERROR_MESSAGES.get(code, (None, ERROR_MESSAGES["transition"][1]))
    target = getattr(form, field, None) if field else None
    if target is None:
        general.append(message)
    else:
        target.errors = [*target.errors, message]


def _success_message(registration: Registration, position: int | None) -> str:
    if registration.status == S.APPROVED:
        return _("Your organisation is registered and its place is confirmed.")
    if registration.status == S.PENDING:
        return _("Your organisation is registered. An organiser will review the "
                 "registration; you will be notified when it is approved.")
    return _("All places for this side are taken: your organisation is on the waitlist, "
             "number %(position)d. It moves up automatically when a place frees.",
             position=position or 0)


@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def register(event_id: int):
    """Register the member's organisation: side, delegates, products or needs."""
    organisation = current_user.organisation
    row = db.session.execute(
        sa.select(Event, Registration)
        .outerjoin(Registration, sa.and_(Registration.event_id == Event.id,
                                         Registration.organisation_id == organisation.id))
        .where(Event.id == event_id)).first()
    if row is None or not can_view(current_user, row[0]):
        abort(404)
    event, existing = row
    if existing is not None and existing.status != S.CANCELLED:
        return _to_existing(existing)

    fixed = _fixed_side(organisation)
    # A cancelled registration's delegates and ticks fill the form again.
    previous = existing.id if existing is not None else None
    products = _active_products(organisation.id, previous) if organisation.is_producer else []
    needs = _open_needs(organisation.id, previous) if organisation.is_distributor else []
    prefill = existing.delegates if existing is not None and request.method == "GET" else None
    form = RegisterForm.build([(i, n) for i, n, _c in products], [(i, t) for i, t, _c in needs],
                              delegates=prefill,
                              chosen_products=[i for i, _n, chosen in products if chosen],
                              chosen_needs=[i for i, _t, chosen in needs if chosen])
    form.must_choose_side = fixed is None
    general: list = []
    is_open = event.registration_open(utcnow())
    if is_open and form.validate_on_submit():
        side = form.chosen_side(fixed)
        try:
            product_ids, need_ids = _offer_ids(side, form, {i for i, _t, _c in needs})
            registration = registrations.register(
                event.id, organisation, side, form.delegates_for_service(),
                product_ids, need_ids, by_user_id=current_user.id)
            position = None
            if registration.status == S.WAITLISTED:
                position = db.session.scalar(
                    sa.select(_waitlist_position()).where(Registration.id == registration.id))
        except registrations.RegistrationError as error:
            db.session.rollback()
            if error.code == "no_event":
                abort(404)
            if error.code in ("already", "rejected"):
                # Someone else of the organisation registered meanwhile.
                again = db.session.scalar(sa.select(Registration).where(
                    Registration.event_id == event_id,
                    Registration.organisation_id == current_user.organisation_id))
                if again is not None:
                    return _to_existing(again)
            _show_error(form, error.code, general)
            is_open = event.registration_open(utcnow())
        else:
            registration_id, status = registration.id, registration.status
            message = _success_message(registration, position)
            db.session.commit()
            flash(message, "warning" if status == S.WAITLISTED else "success")
            return redirect(url_for(".registration", registration_id=registration_id))
    return render_template(
        "events/registration_form.html", event=event, form=form, registration=None,
        organisation=organisation, fixed_side=fixed, is_open=is_open, general_errors=general,
        show_products=organisation.is_producer, show_needs=organisation.is_distributor,
        side_names=SIDE_NAMES)


def _to_existing(existing: Registration):
    if existing.status == S.REJECTED:
        flash(ERROR_MESSAGES["rejected"][1], "warning")
    else:
        flash(_("Your organisation is already registered for this event. You can change "
                "the registration here."), "info")
    return redirect(url_for(".registration", registration_id=existing.id))


@bp.get("/registrations/")
@role_required(Role.MEMBER)
def my_registrations():
    """The member's organisation's registrations, next events first, then past ones."""
    rows = db.session.execute(
        sa.select(Registration, _waitlist_position())
        .join(Registration.event)
        .options(contains_eager(Registration.event))
        .where(Registration.organisation_id == current_user.organisation_id)
        .order_by(Event.starts_at.desc(), Registration.id.desc())).all()
    now = utcnow()
    upcoming = [(r, p) for r, p in rows if r.event.ends_at >= now]
    upcoming.reverse()  # soonest first
    past = [(r, p) for r, p in rows if r.event.ends_at < now]
    return render_template(
        "events/registration_list.html", organisation=current_user.organisation,
        upcoming=upcoming, past=past, status_labels=STATUS_LABELS,
        status_badges=STATUS_BADGES, side_names=SIDE_NAMES)


def _load_registration(registration_id: int, *options) -> tuple[Registration, int]:
    """The registration (event joined) and its waitlist position; 404 when it does not
    exist or ``current_user`` may not see it."""
    row = db.session.execute(
        sa.select(Registration, _waitlist_position())
        .options(joinedload(Registration.event), *options)
        .where(Registration.id == registration_id)).first()
    if row is None or not can_view(current_user, row[0]):
        abort(404)
    return row[0], row[1]


def _changeable(registration: Registration, states=ACTIVE) -> bool:
    return registration.status in states and registration.event.status not in (
        EventStatus.FINISHED, EventStatus.CANCELLED)


def _render_detail(registration: Registration, position: int, cancel_form: CancelForm):
    offer = (registration.products if registration.side == RegistrationSide.PRODUCER
             else registration.needs)
    return render_template(
        "events/registration_detail.html", registration=registration, event=registration.event,
        position=position, offer=offer, changes=history(Subject.REGISTRATION, registration.id),
        editable=can_edit(current_user, registration) and _changeable(registration),
        cancellable=can_edit(current_user, registration)
        and _changeable(registration, CANCELLABLE),
        cancel_form=cancel_form, status_labels=STATUS_LABELS, status_badges=STATUS_BADGES,
        side_names=SIDE_NAMES, format_phone=format_phone, now=utcnow())


@bp.get("/registrations/<int:registration_id>")
@login_required
def registration(registration_id: int):
    """One registration: event, side, status, delegates, offer and its status history."""
    registration, position = _load_registration(
        registration_id, joinedload(Registration.organisation),
        selectinload(Registration.delegates))
    return _render_detail(registration, position, CancelForm())


def _for_change(registration_id: int, *options) -> tuple[Registration, int]:
    registration, position = _load_registration(registration_id, *options)
    if not can_edit(current_user, registration):
        abort(403)
    return registration, position


@bp.route("/registrations/<int:registration_id>/edit", methods=["GET", "POST"])
@login_required
def edit_registration(registration_id: int):
    """Change the delegates and the products or needs brought (not the side)."""
    registration, _position = _for_change(
        registration_id, joinedload(Registration.organisation),
        selectinload(Registration.delegates))
    if not _changeable(registration):
        flash(ERROR_MESSAGES["transition"][1] if registration.status not in ACTIVE
              else ERROR_MESSAGES["event_over"][1], "warning")
        return redirect(url_for(".registration", registration_id=registration_id))
    producer = registration.side == RegistrationSide.PRODUCER
    org_id = registration.organisation_id
    offer = (_active_products if producer else _open_needs)(org_id, registration.id)
    choices = [(i, label) for i, label, _c in offer]
    chosen = [i for i, _label, flag in offer if flag]
    fill = request.method == "GET"
    form = RegistrationOfferForm.build(
        choices if producer else (), () if producer else choices,
        delegates=registration.delegates if fill else None,
        chosen_products=chosen if producer else (), chosen_needs=() if producer else chosen)
    general: list = []
    if form.validate_on_submit():
        try:
            product_ids, need_ids = _offer_ids(registration.side, form, {i for i, _l in choices})
            # Serialise with registrations, cancellations and organisers' decisions on
            # this event, then re-read the status under the lock.
            registrations.lock_event(registration.event_id)
            db.session.refresh(registration)
            registrations.update_offer(registration, form.delegates_for_service(), product_ids,
                               need_ids)
        except registrations.RegistrationError as error:
            db.session.rollback()
            _show_error(form, error.code, general)
        else:
            db.session.commit()
            flash(_("Registration saved."), "success")
            return redirect(url_for(".registration", registration_id=registration_id))
    return render_template(
        "events/registration_form.html", event=registration.event, form=form,
        registration=registration, organisation=registration.organisation,
        fixed_side=registration.side, is_open=True, general_errors=general,
        show_products=producer, show_needs=not producer, side_names=SIDE_NAMES)


@bp.post("/registrations/<int:registration_id>/cancel")
@login_required
def cancel_registration(registration_id: int):
    """Withdraw the registration (reason optional, confirmation required). Its place goes
    to the first organisation on the waitlist."""
    registration, position = _for_change(
        registration_id, joinedload(Registration.organisation),
        selectinload(Registration.delegates))
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_detail(registration, position, form)
    try:
        registrations.cancel(registration, current_user.id, form.reason.data)
    except registrations.RegistrationError as error:
        db.session.rollback()
        flash(ERROR_MESSAGES.get(error.code, ERROR_MESSAGES["transition"])[1], "danger")
    else:
        db.session.commit()
        flash(_("The registration is cancelled."), "success")
    return redirect(url_for(".registration", registration_id=registration_id))
