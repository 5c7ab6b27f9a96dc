"""Daily reminders of MOU next steps that are due (``flask remind``, see :mod:`.cli`).

An organiser gives an MOU a *next step* (a note and a due date, Vietnam calendar day,
:func:`matchmaker.deals.services.set_next_step`). Once a day :func:`send_reminders` tells the
members of both parties about every MOU whose next step is due — ``next_step_on`` on or before
today in Asia/Ho_Chi_Minh — and that was not yet reminded for that due date
(``next_step_reminded_on`` differs from ``next_step_on``). Marking and selecting are one
conditional ``UPDATE … RETURNING``, so a second run the same day (or a run at the same time
on PostgreSQL, which also serialises runs with an advisory lock; SQLite's ``BEGIN IMMEDIATE``
does the same there) reminds nobody again. Moving the due date re-arms the reminder.

Only business MOUs that are still alive are reminded: ``signed``, ``negotiating`` and
``converted`` (a converted MOU may still have a step to follow, e.g. the first delivery);
lapsed and cancelled MOUs are closed, and agency MOUs have no member parties.

Kind ``mou.next_step_due``; ``params``: ``mou_id``, ``counterpart`` (the *other* party's name
as the reader sees it), ``due`` (the due date as ``dd/mm/yyyy``), ``reference`` (the MOU's
own number, may be empty) and ``note`` (the next-step text); link ``/mous/<id>``.
:data:`REMINDER_MESSAGES` has the shape of
:data:`matchmaker.notifications.messages.MESSAGES` (``kind -> (template, template with the
note)``).
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from matchmaker.deals.models import Mou, MouKind, MouStatus
from matchmaker.extensions import db
from matchmaker.timeutil import to_local, utcnow

KIND = "mou.next_step_due"

REMINDER_MESSAGES = {
    KIND: (
        _l("Reminder: a next step is due (%(due)s) on your MOU with %(counterpart)s."),
        _l("Reminder: a next step is due (%(due)s) on your MOU with %(counterpart)s: "
           "%(note)s")),
}

#: MOU states whose next steps are reminded.
REMINDED_STATUSES = (MouStatus.SIGNED.value, MouStatus.NEGOTIATING.value,
                     MouStatus.CONVERTED.value)
# PostgreSQL advisory lock held for the run's transaction: two runs never interleave.
REMIND_LOCK_KEY = 0x4D4D_524D


@dataclass(frozen=True)
class Reminded:
    """One MOU reminded: its id, parties (organisation ids and names), due date, note."""

    mou_id: int
    due: date
    producer_id: int
    producer: str
    distributor_id: int
    distributor: str
    next_step: str | None
    reference: str | None


@dataclass
class ReminderRun:
    """What a run did (or, for a dry run, would do).

    ``people``: ids of the distinct users told; ``notifications``: rows added (a person
    whose organisation has two MOUs due gets two).
    """

    today: date
    dry_run: bool
    mous: list[Reminded] = field(default_factory=list)
    people: set[int] = field(default_factory=set)
    notifications: int = 0


def vietnam_today() -> date:
    """Today's date in Asia/Ho_Chi_Minh."""
    return to_local(utcnow()).date()


def due_condition(today: date):
    """SQL condition: a business MOU, still alive, whose next step is due by ``today`` and
    whose parties were not yet reminded of that due date."""
    return sa.and_(
        Mou.kind == MouKind.BUSINESS.value,
        Mou.status.in_(REMINDED_STATUSES),
        Mou.next_step_on.is_not(None),
        Mou.next_step_on <= today,
        sa.or_(Mou.next_step_reminded_on.is_(None),
               Mou.next_step_reminded_on != Mou.next_step_on))


def send_reminders(today: date | None = None, dry_run: bool = False) -> ReminderRun:
    """Remind the parties' members of every MOU whose next step is due (see the module
    docstring) and mark each MOU reminded for its due date.

    Call inside :func:`matchmaker.db.write_transaction`; the caller commits (emails go out
    after the commit), or rolls back — always for ``dry_run``, which changes nothing and
    only reports what a run would do. ``today`` defaults to today in Vietnam.
    """
    from matchmaker.auth.models import User
    from matchmaker.notifications.services import notify

    today = today or vietnam_today()
    run = ReminderRun(today=today, dry_run=dry_run)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(REMIND_LOCK_KEY)))
    columns = (Mou.id, Mou.next_step_on, Mou.producer_id, Mou.distributor_id, Mou.next_step,
               Mou.reference)
    if dry_run:
        rows = db.session.execute(sa.select(*columns).where(due_condition(today))).all()
    else:
        rows = db.session.execute(
            sa.update(Mou).where(due_condition(today))
            .values(next_step_reminded_on=Mou.next_step_on)
            .returning(*columns).execution_options(synchronize_session=False)).all()
    if not rows:
        return run
    rows.sort(key=lambda r: (r.next_step_on, r.id))
    org_ids = {r.producer_id for r in rows} | {r.distributor_id for r in rows}
    from matchmaker.organisations.models import Organisation

    names = dict(db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all())
    members: dict[int, list[int]] = {}
    for user_id, org_id in db.session.execute(
            sa.select(User.id, User.organisation_id)
            .where(User.organisation_id.in_(org_ids), User.active.is_(True))
            .order_by(User.id)):
        members.setdefault(org_id, []).append(user_id)
    for row in rows:
        item = Reminded(mou_id=row.id, due=row.next_step_on, producer_id=row.producer_id,
                        producer=names.get(row.producer_id, ""),
                        distributor_id=row.distributor_id,
                        distributor=names.get(row.distributor_id, ""),
                        next_step=row.next_step, reference=row.reference)
        run.mous.append(item)
        for org_id, counterpart in ((item.producer_id, item.distributor),
                                    (item.distributor_id, item.producer)):
            user_ids = members.get(org_id, [])
            run.people.update(user_ids)
            if dry_run:
                run.notifications += len(user_ids)
                continue
            run.notifications += notify(
                user_ids, KIND,
                {"mou_id": item.mou_id, "counterpart": counterpart,
                 "due": item.due.strftime("%d/%m/%Y"), "reference": item.reference or "",
                 "note": item.next_step or ""},
                f"/mous/{item.mou_id}")
    return run
