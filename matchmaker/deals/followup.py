"""The organisers' follow-up list: open MOUs with no contract, oldest-signed buckets, biggest
value first (DESIGN §5 "Follow-up list").

An MOU is *open* here when it is a business MOU, ``signed`` or ``negotiating``, and has no
counted supply contract (signed, delivering, completed or terminated; the conversion rule
makes such an MOU ``converted``, the ``NOT EXISTS`` guards against data loaded around it).
Its *age* is the number of days since ``signed_on``, counted on the Vietnam calendar;
:data:`AGES` are the thresholds organisers chase (30, 60, 90 days).

Reads only, in a fixed number of statements whatever the number of MOUs:
:func:`bucket_counts` (one), :func:`open_page` (one), :func:`events_with_open_mous` (one).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload

from matchmaker.deals.models import COUNTED_CONTRACT, OPEN_MOU, Mou, MouKind, SupplyContract
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.pagination import MAX_ID, Page

#: Age thresholds (days since signing) the list filters by; 0 means every open MOU.
AGES = (0, 30, 60, 90)
DEFAULT_AGE = 30
NO_EVENT = "none"


@dataclass(frozen=True)
class Filters:
    """The list's filters from the query string: ``age`` (one of :data:`AGES`) and
    ``event`` (an event id, :data:`NO_EVENT` for MOUs signed outside any event, or ``""``)."""

    age: int = DEFAULT_AGE
    event: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Read ``age`` and ``event``; anything unexpected falls back to the default."""
        raw_age = args.get("age", "")
        age = int(raw_age) if raw_age in {str(a) for a in AGES} else DEFAULT_AGE
        raw_event = args.get("event", "").strip()
        if raw_event != NO_EVENT and not (
                raw_event.isascii() and raw_event.isdigit() and len(raw_event) <= 10
                and 0 < int(raw_event) <= MAX_ID):
            raw_event = ""
        return cls(age=age, event=raw_event)

    @property
    def event_id(self) -> int | None:
        """The chosen event's id, or None (no event filter, or "outside any event")."""
        return int(self.event) if self.event and self.event != NO_EVENT else None

    def to_args(self, **extra) -> dict:
        """URL arguments for ``url_for`` (defaults left out)."""
        args = {"age": self.age if self.age != DEFAULT_AGE else None,
                "event": self.event or None, **extra}
        return {key: value for key, value in args.items() if value not in ("", None)}


@dataclass
class Bucket:
    """Open MOUs at least ``age`` days old: how many, and their estimated value (VND)."""

    age: int
    count: int = 0
    value_vnd: int = 0


def open_condition():
    """SQL condition selecting open business MOUs without a counted contract."""
    counted = (sa.select(SupplyContract.id)
               .where(SupplyContract.mou_id == Mou.id,
                      SupplyContract.status.in_([s.value for s in COUNTED_CONTRACT]))
               .exists())
    return sa.and_(Mou.kind == MouKind.BUSINESS.value,
                   Mou.status.in_([s.value for s in OPEN_MOU]), ~counted)


def _event_condition(filters: Filters):
    if filters.event == NO_EVENT:
        return Mou.event_id.is_(None)
    if filters.event_id is not None:
        return Mou.event_id == filters.event_id
    return sa.true()


def signed_by(today: date, age: int) -> date:
    """The latest signing date of an MOU that is ``age`` days old or more on ``today``."""
    return today - timedelta(days=age)


def bucket_counts(today: date, filters: Filters) -> dict[int, Bucket]:
    """Per age in :data:`AGES`: the open MOUs (of the chosen event) at least that old and
    their estimated value in đồng (MOUs without a value count 0). One statement."""
    columns = []
    for age in AGES:
        condition = Mou.signed_on <= signed_by(today, age)
        columns.append(sa.func.count(Mou.id).filter(condition))
        columns.append(sa.func.coalesce(
            sa.func.sum(Mou.estimated_value_vnd).filter(condition), 0))
    row = db.session.execute(
        sa.select(*columns).where(open_condition(), _event_condition(filters))).one()
    return {age: Bucket(age, int(row[2 * i]), int(row[2 * i + 1]))
            for i, age in enumerate(AGES)}


def open_page(today: date, filters: Filters, page: int, per_page: int, total: int) -> Page:
    """The page of open MOUs at least ``filters.age`` days old, largest estimated value
    first (MOUs without a value last), then the oldest signed. ``total`` comes from
    :func:`bucket_counts` (no second count). One statement."""
    pages = max(1, ceil(total / per_page))
    page = min(max(page, 1), pages)
    if total == 0:
        return Page([], page, per_page, 0)
    stmt = (sa.select(Mou)
            .where(open_condition(), _event_condition(filters),
                   Mou.signed_on <= signed_by(today, filters.age))
            .options(joinedload(Mou.producer), joinedload(Mou.distributor),
                     joinedload(Mou.event), raiseload(Mou.products),
                     raiseload(Mou.categories), raiseload(Mou.contracts))
            .order_by(Mou.estimated_value_vnd.desc().nulls_last(), Mou.signed_on, Mou.id)
            .limit(per_page).offset((page - 1) * per_page))
    return Page(list(db.session.scalars(stmt).unique()), page, per_page, total)


def events_with_open_mous() -> list[tuple[int, str]]:
    """``(id, title)`` of the events that have open MOUs, newest event first. One
    statement."""
    has_open = sa.select(Mou.id).where(Mou.event_id == Event.id, open_condition()).exists()
    return [(r.id, r.title) for r in db.session.execute(
        sa.select(Event.id, Event.title).where(has_open)
        .order_by(Event.starts_at.desc(), Event.id.desc()))]


def next_step_state(mou: Mou, today: date) -> str | None:
    """``"overdue"`` (due before ``today``), ``"due"`` (today), ``"upcoming"`` or None (no
    due date)."""
    if mou.next_step_on is None:
        return None
    if mou.next_step_on < today:
        return "overdue"
    return "due" if mou.next_step_on == today else "upcoming"


def age_bucket(mou: Mou, today: date) -> int:
    """The largest threshold of :data:`AGES` the MOU has reached (0 below 30 days)."""
    days = (today - mou.signed_on).days
    return max(age for age in AGES if days >= age) if days >= 0 else 0
