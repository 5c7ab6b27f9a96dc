"""The queries behind the MOU and contract pages: lists with filters, detail loads, the
choices of the forms, and the organisation lookup by typed name.

Each function runs a fixed number of statements whatever the number of rows, so that every
page stays within the query budget (``tests/test_query_budget.py``). Searches are
accent-insensitive: the query goes through :func:`matchmaker.text.fold` and is matched as
a substring of ``Organisation.name_key``.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload

from matchmaker.catalogue.models import Category, Product
from matchmaker.deals.models import (
    ContractStatus,
    Mou,
    MouKind,
    MouStatus,
    SupplyContract,
)
from matchmaker.events.models import Event, EventStatus, Registration, RegistrationStatus
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting
from matchmaker.organisations.models import Organisation, Side
from matchmaker.pagination import Page
from matchmaker.text import fold, normalise
from matchmaker.timeutil import to_local

PER_PAGE = 25
MAX_QUERY_CHARS = 100
MAX_CANDIDATES = 10  # organisations offered when a typed name matches several
MAX_EVENT_CHOICES = 200
TABS = ("mous", "contracts")
# Registrations through which a member's organisation took part in an event.
ATTENDED = (RegistrationStatus.APPROVED.value, RegistrationStatus.CHECKED_IN.value)


@dataclass(frozen=True)
class ListFilters:
    """The list's tab, filters and search, already checked.

    ``tab`` is ``mous`` or ``contracts``; ``status`` a status of that tab's records or
    ``""``; ``kind`` an :class:`MouKind` or ``""``; ``event_id`` an id or None; ``q`` the
    text as typed (normalised, at most 100 characters).
    """

    tab: str = "mous"
    status: str = ""
    kind: str = ""
    event_id: int | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args, staff: bool) -> "ListFilters":
        """Read ``tab``, ``status``, ``kind``, ``event`` and ``q`` from a query string;
        unknown values are ignored rather than refused. Members get only tab and
        status."""
        tab = args.get("tab", "")
        tab = tab if tab in TABS else "mous"
        statuses = set(MouStatus) if tab == "mous" else set(ContractStatus)
        status = args.get("status", "")
        status = status if status in statuses else ""
        if not staff:
            return cls(tab=tab, status=status)
        kind = args.get("kind", "")
        raw_event = args.get("event", "").strip()
        event_id = int(raw_event) if raw_event.isascii() and raw_event.isdigit() \
            and len(raw_event) < 10 else None
        return cls(tab=tab, status=status,
                   kind=kind if tab == "mous" and kind in set(MouKind) else "",
                   event_id=event_id, q=normalise(args.get("q", ""))[:MAX_QUERY_CHARS])

    def to_args(self, **extra) -> dict:
        """URL arguments for ``url_for``: empty filters left out."""
        args = {"tab": self.tab, "status": self.status, "kind": self.kind,
                "event": self.event_id, "q": self.q, **extra}
        return {key: value for key, value in args.items() if value not in ("", None)}

    @property
    def active(self) -> bool:
        """True when anything narrows the list."""
        return bool(self.status or self.kind or self.event_id or self.q)


def _paged(stmt, count_stmt, page: int, per_page: int) -> Page:
    """One page of ``stmt`` with its total counted in the same statement (a window
    function); a page past the end costs one more statement, to count."""
    total_col = sa.func.count().over().label("total")
    rows = db.session.execute(
        stmt.add_columns(total_col).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    if rows:
        return Page([row[0] for row in rows], page, per_page, rows[0].total)
    if page == 1:
        return Page([], 1, per_page, 0)
    return Page([], page, per_page, db.session.scalar(count_stmt) or 0)


def mou_page(filters: ListFilters, organisation_id: int | None, page: int,
             per_page: int = PER_PAGE) -> Page:
    """MOUs newest signed first, with both organisations and the event loaded.

    ``organisation_id``: a member's organisation (its business MOUs only), or None for
    staff (every MOU; ``filters`` narrow it); a search matches either organisation's name
    or, for agency MOUs, either agency's name. One statement."""
    producer, distributor = aliased(Organisation), aliased(Organisation)
    where = []
    if organisation_id is not None:
        where.append(sa.or_(Mou.producer_id == organisation_id,
                            Mou.distributor_id == organisation_id))
    if filters.status:
        where.append(Mou.status == filters.status)
    if filters.kind:
        where.append(Mou.kind == filters.kind)
    if filters.event_id is not None:
        where.append(Mou.event_id == filters.event_id)
    key = fold(filters.q)
    if key:
        where.append(sa.or_(producer.name_key.contains(key, autoescape=True),
                            distributor.name_key.contains(key, autoescape=True),
                            Mou.agency_key.contains(key, autoescape=True)))

    def joined(stmt):
        return (stmt.outerjoin(producer, Mou.producer_id == producer.id)
                .outerjoin(distributor, Mou.distributor_id == distributor.id).where(*where))

    stmt = (joined(sa.select(Mou)).outerjoin(Mou.event)
            .options(contains_eager(Mou.producer.of_type(producer)),
                     contains_eager(Mou.distributor.of_type(distributor)),
                     contains_eager(Mou.event))
            .order_by(Mou.signed_on.desc(), Mou.id.desc()))
    return _paged(stmt, joined(sa.select(sa.func.count(Mou.id))), page, per_page)


def contract_page(filters: ListFilters, organisation_id: int | None, page: int,
                  per_page: int = PER_PAGE) -> Page:
    """Supply contracts newest signed first, with both organisations and the event
    loaded; as :func:`mou_page` (no kinds, no agencies). One statement."""
    producer, distributor = aliased(Organisation), aliased(Organisation)
    where = []
    if organisation_id is not None:
        where.append(sa.or_(SupplyContract.producer_id == organisation_id,
                            SupplyContract.distributor_id == organisation_id))
    if filters.status:
        where.append(SupplyContract.status == filters.status)
    if filters.event_id is not None:
        where.append(SupplyContract.event_id == filters.event_id)
    key = fold(filters.q)
    if key:
        where.append(sa.or_(producer.name_key.contains(key, autoescape=True),
                            distributor.name_key.contains(key, autoescape=True),
                            SupplyContract.contract_number.contains(filters.q,
                                                                    autoescape=True)))

    def joined(stmt):
        return (stmt.join(producer, SupplyContract.producer_id == producer.id)
                .join(distributor, SupplyContract.distributor_id == distributor.id)
                .where(*where))

    stmt = (joined(sa.select(SupplyContract)).outerjoin(SupplyContract.event)
            .options(contains_eager(SupplyContract.producer.of_type(producer)),
                     contains_eager(SupplyContract.distributor.of_type(distributor)),
                     contains_eager(SupplyContract.event))
            .order_by(SupplyContract.signed_on.desc(), SupplyContract.id.desc()))
    return _paged(stmt, joined(sa.select(sa.func.count(SupplyContract.id))), page, per_page)


def event_choices(organisation_id: int | None, keep: Iterable[int | None] = ()
                  ) -> list[tuple[int, str]]:
    """Events an MOU or contract may be credited to, newest first: for staff
    (``organisation_id`` None) every event but drafts; for a member, the events their
    organisation took part in (approved or checked in). Events in ``keep`` (the record's
    current one) are always included. ``[(id, "title (dd/mm/yyyy)")]``; one statement."""
    keep = [i for i in keep if i is not None]
    stmt = sa.select(Event.id, Event.title, Event.starts_at)
    if organisation_id is None:
        visible = Event.status != EventStatus.DRAFT.value
    else:
        visible = Event.id.in_(sa.select(Registration.event_id).where(
            Registration.organisation_id == organisation_id,
            Registration.status.in_(ATTENDED)))
    stmt = stmt.where(sa.or_(visible, Event.id.in_(keep)) if keep else visible)
    rows = db.session.execute(
        stmt.order_by(Event.starts_at.desc(), Event.id.desc()).limit(MAX_EVENT_CHOICES))
    return [(i, f"{title} ({to_local(starts).strftime('%d/%m/%Y')})")
            for i, title, starts in rows]


def producer_products(producer_id: int | None, keep: Iterable[int] = ()) -> list[Product]:
    """The producer's active products by name, and any in ``keep`` (already on the
    record) even if hidden since. One statement; none without a producer."""
    if producer_id is None:
        return []
    keep = list(keep)
    shown = Product.active.is_(True)
    if keep:
        shown = sa.or_(shown, Product.id.in_(keep))
    return list(db.session.scalars(
        sa.select(Product).where(Product.organisation_id == producer_id, shown)
        .order_by(Product.name_sort_key, Product.id)))


def find_organisations(text: str | None, side: str, exclude: int | None = None
                       ) -> tuple[Organisation | None, list[Organisation]]:
    """Resolve a typed organisation name on ``side`` (``producer`` or ``distributor``;
    organisations that are both count for either).

    Returns ``(the organisation, [])`` when one is meant: the only one whose folded name
    is exactly the folded text, else the only one containing it; ``(None, candidates)``
    when several contain it (at most :data:`MAX_CANDIDATES`, exact and shorter names
    first); ``(None, [])`` when none does. ``exclude`` (the member's own organisation) is
    never offered. One statement."""
    key = fold(text)
    if not key:
        return None, []
    sides = (side, Side.BOTH.value)
    stmt = (sa.select(Organisation)
            .where(Organisation.name_key.contains(key, autoescape=True),
                   Organisation.side.in_(sides))
            .order_by((Organisation.name_key != key), sa.func.length(Organisation.name_key),
                      Organisation.id)
            .limit(MAX_CANDIDATES + 1))
    if exclude is not None:
        stmt = stmt.where(Organisation.id != exclude)
    found = list(db.session.scalars(stmt))
    exact = [o for o in found if o.name_key == key]
    if len(exact) == 1:
        return exact[0], []
    if len(found) == 1:
        return found[0], []
    return None, found[:MAX_CANDIDATES]


def organisation_on_side(organisation_id: int | None, side: str) -> Organisation | None:
    """The organisation if it exists and can be on ``side``; else None. At most one
    statement (none when already loaded)."""
    if organisation_id is None:
        return None
    org = db.session.get(Organisation, organisation_id)
    if org is None or org.side not in (side, Side.BOTH.value):
        return None
    return org


def load_mou(mou_id: int) -> Mou | None:
    """The MOU with its organisations, event, meeting, products and categories (one
    statement)."""
    return db.session.execute(
        sa.select(Mou).where(Mou.id == mou_id).options(
            joinedload(Mou.producer), joinedload(Mou.distributor), joinedload(Mou.event),
            joinedload(Mou.products), joinedload(Mou.categories))
    ).unique().scalar_one_or_none()


def load_mou_bare(mou_id: int) -> Mou | None:
    """The MOU row alone (permission checks before a download). One statement."""
    return db.session.get(Mou, mou_id)


def mou_contracts(mou_id: int) -> list[SupplyContract]:
    """The MOU's contracts, in signing order. One statement."""
    return list(db.session.scalars(
        sa.select(SupplyContract).where(SupplyContract.mou_id == mou_id)
        .order_by(SupplyContract.signed_on, SupplyContract.id)))


def load_contract(contract_id: int) -> SupplyContract | None:
    """The contract with its organisations, event, MOU and products (one statement)."""
    return db.session.execute(
        sa.select(SupplyContract).where(SupplyContract.id == contract_id).options(
            joinedload(SupplyContract.producer), joinedload(SupplyContract.distributor),
            joinedload(SupplyContract.event), joinedload(SupplyContract.mou),
            joinedload(SupplyContract.products))
    ).unique().scalar_one_or_none()


def load_meeting(meeting_id: int) -> Meeting | None:
    """The meeting with its event and both registrations' organisations (one
    statement)."""
    from matchmaker.meetings.requests import load_meeting as load

    return load(meeting_id)


def load_registration(registration_id: int) -> Registration | None:
    """The registration with its organisation and event (one statement)."""
    return db.session.execute(
        sa.select(Registration).where(Registration.id == registration_id).options(
            joinedload(Registration.organisation), joinedload(Registration.event))
    ).unique().scalar_one_or_none()


def chosen_categories(category_ids: Iterable[int]) -> list[Category]:
    """Categories by id (to show them back); one statement, none for no ids."""
    ids = list(category_ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Category).where(Category.id.in_(ids))))

