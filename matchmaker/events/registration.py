"""Registration rules: places, the waitlist and every status change (the core of issue 4).

All changes to an event's registrations go through :func:`lock_event` first, so that two
people acting at once are serialised on the event: ``SELECT … FOR UPDATE`` on PostgreSQL,
the ``BEGIN IMMEDIATE`` write lock on SQLite (taken by every POST request and by
:func:`matchmaker.db.write_transaction`; see :mod:`matchmaker.db`). Counting places and
inserting a registration happen under that lock, so concurrent registrations can never
exceed a side's capacity. Functions flush but never commit; each raises
:class:`RegistrationError` for input it refuses.

Statuses (:class:`RegistrationStatus`): a new registration is ``approved`` (automatic
approval) or ``pending`` (approval required) while its side has a free place, else
``waitlisted``. ``pending``, ``approved`` and ``checked_in`` hold a place. When a place frees
(cancelled, rejected, capacity raised) the longest-waiting registration of that side is
promoted, to ``pending`` or ``approved`` as the event requires.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.events.models import (
    ACTIVE,
    CANCELLABLE,
    HOLDS_PLACE,
    MAX_DELEGATES,
    Event,
    EventStatus,
    Registration,
    RegistrationDelegate,
    RegistrationSide,
    RegistrationStatus,
)
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject, change_status
from matchmaker.organisations.models import Organisation
from matchmaker.pagination import MAX_ID
from matchmaker.text import normalise
from matchmaker.timeutil import utcnow

S = RegistrationStatus


class RegistrationError(ValueError):
    """A registration change refused. ``code`` is one of:

    ``no_event`` (unknown event), ``closed`` (registration is not open at this time),
    ``side`` (the organisation cannot take that side), ``already`` (it has an active
    registration), ``rejected`` (an organiser rejected it; only they can reopen it),
    ``delegates`` (fewer than 1 or more than 5, or a delegate without a name),
    ``product`` / ``need`` (not the organisation's, or not offered/open), ``transition``
    (not allowed from the current status), ``full`` (no free place for that side),
    ``reason`` (a rejection needs a reason), ``event_over`` (the event finished or was
    cancelled), ``checked_in`` (cancelling or rejecting an organisation already checked in:
    undo the check-in first).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Delegate:
    """A delegate as entered: ``phone`` already normalised to E.164 (or ``None``)."""

    full_name: str
    job_title: str | None = None
    phone: str | None = None


def lock_event(event_id: int) -> Event | None:
    """Load the event and lock it for the rest of the transaction (see module docstring).

    On SQLite the lock is the transaction's own ``BEGIN IMMEDIATE``: call this inside a
    write request or :func:`matchmaker.db.write_transaction`. The returned object is
    refreshed from the database.
    """
    return db.session.execute(
        sa.select(Event).where(Event.id == event_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def places_taken(event_id: int, side: str) -> int:
    """Registrations of ``side`` at the event that hold a place (pending, approved,
    checked in)."""
    return db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id == event_id, Registration.side == side,
            Registration.status.in_([s.value for s in HOLDS_PLACE]))) or 0


def places_by_side(event_id: int) -> dict[str, dict[str, int]]:
    """``{side: {status: count}}`` for the event, one statement (for pages and reports)."""
    counts: dict[str, dict[str, int]] = {side.value: {} for side in RegistrationSide}
    rows = db.session.execute(
        sa.select(Registration.side, Registration.status, sa.func.count(Registration.id))
        .where(Registration.event_id == event_id)
        .group_by(Registration.side, Registration.status))
    for side, status, n in rows:
        counts[side][status] = n
    return counts


def _place_status(event: Event) -> RegistrationStatus:
    return S.PENDING if event.requires_approval else S.APPROVED


def _record(registration: Registration, to: RegistrationStatus, by_user_id: int | None,
            note: str | None = None) -> StatusChange:
    change = change_status(registration, Subject.REGISTRATION, to, by_user_id, note)
    from matchmaker.notifications.services import registration_changed

    registration_changed(registration, change)
    return change


def _check_side(organisation: Organisation, side: str) -> None:
    if side == RegistrationSide.PRODUCER and organisation.is_producer:
        return
    if side == RegistrationSide.DISTRIBUTOR and organisation.is_distributor:
        return
    raise RegistrationError("side")


def _clean_delegates(delegates: Sequence[Delegate]) -> list[RegistrationDelegate]:
    if not 1 <= len(delegates) <= MAX_DELEGATES:
        raise RegistrationError("delegates")
    rows = []
    for position, delegate in enumerate(delegates):
        name = normalise(delegate.full_name or "")
        if not name:
            raise RegistrationError("delegates")
        rows.append(RegistrationDelegate(
            position=position, full_name=name,
            job_title=normalise(delegate.job_title or "") or None,
            phone=delegate.phone or None))
    return rows


def _owned(model, organisation_id: int, ids: Iterable[int], code: str, *conditions) -> list:
    wanted = set(ids)
    if not wanted:
        return []
    # An id no row can have is refused before it reaches SQL, where it would overflow the
    # database's integer (a server error) rather than simply match nothing.
    if any(not 0 < i <= MAX_ID for i in wanted):
        raise RegistrationError(code)
    found = list(db.session.scalars(
        sa.select(model).where(model.id.in_(wanted), model.organisation_id == organisation_id,
                               *conditions)))
    if len(found) != len(wanted):
        raise RegistrationError(code)
    return found


def _offer(registration: Registration, side: str, product_ids: Iterable[int],
           need_ids: Iterable[int]) -> None:
    """What the organisation brings: products on the producer side, needs on the other."""
    org_id = registration.organisation_id
    product_ids, need_ids = list(product_ids), list(need_ids)
    if side == RegistrationSide.PRODUCER:
        if need_ids:
            raise RegistrationError("need")
        registration.products = _owned(Product, org_id, product_ids, "product",
                                       Product.active.is_(True))
        registration.needs = []
    else:
        if product_ids:
            raise RegistrationError("product")
        registration.needs = _owned(SourcingNeed, org_id, need_ids, "need",
                                    SourcingNeed.active.is_(True))
        registration.products = []


def register(event_id: int, organisation: Organisation, side: str,
             delegates: Sequence[Delegate], product_ids: Iterable[int] = (),
             need_ids: Iterable[int] = (), by_user_id: int | None = None,
             now: datetime | None = None) -> Registration:
    """Register ``organisation`` for the event on ``side``; returns the registration.

    Its status is ``approved``/``pending`` while the side has a free place, else
    ``waitlisted``. A cancelled registration of the same organisation is reopened (it joins
    the back of the queue). Raises :class:`RegistrationError` (``no_event``, ``closed``,
    ``side``, ``already``, ``rejected``, ``delegates``, ``product``, ``need``).
    """
    event = lock_event(event_id)
    # The time is read under the lock, so that the waitlist's order (queued_at) is the
    # order in which places were decided, also when requests waited for the lock.
    now = now or utcnow()
    if event is None:
        raise RegistrationError("no_event")
    if not event.registration_open(now):
        raise RegistrationError("closed")
    _check_side(organisation, side)
    delegate_rows = _clean_delegates(delegates)
    has_place = places_taken(event.id, side) < event.capacity(side)
    status = _place_status(event) if has_place else S.WAITLISTED
    registration = db.session.scalar(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.organisation_id == organisation.id))
    if registration is not None:
        if registration.status == S.REJECTED:
            raise RegistrationError("rejected")
        if registration.status != S.CANCELLED:
            raise RegistrationError("already")
        registration.delegates = []
        db.session.flush()  # free the delegate positions before the new rows take them
    else:
        # The status is set now because queries below flush the new row; _record still
        # writes its first history line (from nothing) since the row has no id yet.
        registration = Registration(event_id=event.id, organisation_id=organisation.id,
                                    created_by_id=by_user_id, status=status)
        db.session.add(registration)
    registration.side = side
    registration.queued_at = now
    registration.status_note = None
    registration.checked_in_at = None
    registration.delegates = delegate_rows
    with db.session.no_autoflush:
        _offer(registration, side, product_ids, need_ids)
    _record(registration, status, by_user_id)
    return registration


def update_offer(registration: Registration, delegates: Sequence[Delegate],
                 product_ids: Iterable[int] = (), need_ids: Iterable[int] = ()) -> None:
    """Change the delegates and what the organisation brings (not its side or status).

    Raises :class:`RegistrationError` (``transition`` when the registration is no longer
    active, ``event_over``, ``delegates``, ``product``, ``need``).
    """
    if registration.status not in ACTIVE:
        raise RegistrationError("transition")
    if registration.event.status in (EventStatus.FINISHED, EventStatus.CANCELLED):
        raise RegistrationError("event_over")
    rows = _clean_delegates(delegates)
    registration.delegates = []
    db.session.flush()
    registration.delegates = rows
    _offer(registration, registration.side, product_ids, need_ids)
    db.session.flush()


def promote_waitlist(event: Event, side: str) -> list[Registration]:
    """Fill free places of ``side`` from the waitlist, longest waiting first.

    Call with the event locked. The promotion is recorded as the system's (no user): the
    person whose action freed the place may belong to another organisation and did not
    decide it. Returns the promoted registrations (none once the event has finished or
    been cancelled).
    """
    if event.status in (EventStatus.FINISHED, EventStatus.CANCELLED):
        return []
    free = event.capacity(side) - places_taken(event.id, side)
    if free <= 0:
        return []
    waiting = list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.side == side,
               Registration.status == S.WAITLISTED)
        .order_by(Registration.queued_at, Registration.id).limit(free)))
    for registration in waiting:
        _record(registration, _place_status(event), None)
    return waiting


def _locked(registration: Registration) -> Event:
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    return event


def _withdraw_meetings(registration: Registration, by_user_id: int | None) -> None:
    # A registration that no longer takes part cannot keep meetings (they would hold the
    # counterpart's cap and a slot). Imported here: meetings build on registrations.
    from matchmaker.meetings.requests import withdraw_meetings

    withdraw_meetings(registration, by_user_id)


def _check_cancellable(registration: Registration) -> None:
    if registration.status == S.CHECKED_IN:
        raise RegistrationError("checked_in")
    if registration.status not in CANCELLABLE:
        raise RegistrationError("transition")


def cancel(registration: Registration, by_user_id: int | None,
           reason: str | None = None) -> None:
    """The organisation withdraws. Frees its place (promoting the waitlist).

    A checked-in organisation is at the event: its check-in must be undone first. Raises
    :class:`RegistrationError` (``checked_in``, ``transition``, ``event_over``).
    """
    event = _locked(registration)
    _check_cancellable(registration)
    if event.status in (EventStatus.FINISHED, EventStatus.CANCELLED):
        raise RegistrationError("event_over")
    held = registration.holds_place
    registration.status_note = normalise(reason or "") or None
    registration.checked_in_at = None
    _record(registration, S.CANCELLED, by_user_id, registration.status_note)
    _withdraw_meetings(registration, by_user_id)
    if held:
        promote_waitlist(event, registration.side)


def approve(registration: Registration, by_user_id: int | None) -> bool:
    """An organiser approves a pending registration, or, when a place is free, a waitlisted
    one or one they rejected earlier (changing their mind). Returns False when it was
    already approved or checked in.

    Raises :class:`RegistrationError` (``transition``, ``full``, ``event_over``).
    """
    event = _locked(registration)
    if registration.status in (S.APPROVED, S.CHECKED_IN):
        return False
    if event.status in (EventStatus.FINISHED, EventStatus.CANCELLED):
        raise RegistrationError("event_over")
    if registration.status in (S.WAITLISTED, S.REJECTED):
        if places_taken(event.id, registration.side) >= event.capacity(registration.side):
            raise RegistrationError("full")
    elif registration.status != S.PENDING:
        raise RegistrationError("transition")
    registration.status_note = None
    _record(registration, S.APPROVED, by_user_id)
    return True


def bulk_approve(event_id: int, registration_ids: Iterable[int],
                 by_user_id: int | None) -> tuple[int, int]:
    """Approve the given pending registrations of the event, in queue order.

    Returns ``(approved, skipped)``: waitlisted ones are approved only while places are
    free; ids of other events or in other states are skipped.
    """
    event = lock_event(event_id)
    if event is None:
        raise RegistrationError("no_event")
    ids = set(registration_ids)
    chosen = list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(ids))
        .order_by(Registration.queued_at, Registration.id))) if ids else []
    approved = 0
    for registration in chosen:
        try:
            approved += approve(registration, by_user_id)
        except RegistrationError:
            pass
    return approved, len(ids) - approved


def reject(registration: Registration, by_user_id: int | None, reason: str) -> None:
    """An organiser turns a registration down, with a reason the organisation will see.

    Frees a place if it held one. Raises :class:`RegistrationError` (``reason``,
    ``checked_in``, ``transition``, ``event_over``).
    """
    reason = normalise(reason or "")
    if not reason:
        raise RegistrationError("reason")
    event = _locked(registration)
    _check_cancellable(registration)
    if event.status in (EventStatus.FINISHED, EventStatus.CANCELLED):
        raise RegistrationError("event_over")
    held = registration.holds_place
    registration.status_note = reason
    _record(registration, S.REJECTED, by_user_id, reason)
    _withdraw_meetings(registration, by_user_id)
    if held:
        promote_waitlist(event, registration.side)


def check_in(registration: Registration, by_user_id: int | None,
             now: datetime | None = None) -> bool:
    """Mark an approved registration as arrived. Returns False if it already was.

    Raises :class:`RegistrationError` (``transition`` unless approved, ``event_over``
    for a cancelled event).
    """
    event = _locked(registration)
    if registration.status == S.CHECKED_IN:
        return False
    if registration.status != S.APPROVED:
        raise RegistrationError("transition")
    if event.status == EventStatus.CANCELLED:
        raise RegistrationError("event_over")
    registration.checked_in_at = now or utcnow()
    _record(registration, S.CHECKED_IN, by_user_id)
    return True


def undo_check_in(registration: Registration, by_user_id: int | None) -> None:
    """Take back a check-in made by mistake (back to ``approved``).

    Raises :class:`RegistrationError` (``transition``, ``event_over`` for a cancelled event:
    like a check-in, its undoing is refused once the event is called off).
    """
    event = _locked(registration)
    if registration.status != S.CHECKED_IN:
        raise RegistrationError("transition")
    if event.status == EventStatus.CANCELLED:
        raise RegistrationError("event_over")
    registration.checked_in_at = None
    _record(registration, S.APPROVED, by_user_id)


def fill_free_places(event: Event) -> list[Registration]:
    """After an event's capacity was raised: promote from both sides' waitlists.
    Call with the event locked."""
    return [registration for side in RegistrationSide
            for registration in promote_waitlist(event, side)]
