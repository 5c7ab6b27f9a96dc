"""The queries behind the organiser tools: registration list, check-in, badges, export.

Search is accent-insensitive: the query goes through :func:`matchmaker.text.fold` and is
matched (as a substring) against the folded keys ``Organisation.name_key`` and
``RegistrationDelegate.name_key``, so "nuoc mam" finds "Nước mắm" and "d" finds "đ".
Each function runs a fixed number of statements, whatever the number of rows, so the pages
stay within the query budget (tests/test_query_budget.py).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.events.models import (
    Registration,
    RegistrationDelegate,
    RegistrationSide,
    RegistrationStatus,
    registration_needs,
    registration_products,
)
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation
from matchmaker.pagination import Page
from matchmaker.text import fold, normalise, sort_key

S = RegistrationStatus

MAX_QUERY_CHARS = 100
# Who gets a badge, and who is exported unless ?status=all: the organisations coming.
ATTENDING = (S.APPROVED, S.CHECKED_IN)


@dataclass(frozen=True)
class Filters:
    """The registration list's search box and filters, already checked.

    ``q`` is the text as typed (normalised, at most 100 characters); ``side`` and ``status``
    are a :class:`RegistrationSide` / :class:`RegistrationStatus` value or ``""`` for all.
    """

    q: str = ""
    side: str = ""
    status: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Read ``q``, ``side`` and ``status`` from a query string or form (a mapping);
        unknown sides and statuses are ignored rather than refused."""
        side = args.get("side", "")
        status = args.get("status", "")
        return cls(q=normalise(args.get("q", ""))[:MAX_QUERY_CHARS],
                   side=side if side in set(RegistrationSide) else "",
                   status=status if status in set(RegistrationStatus) else "")

    def to_args(self, **extra) -> dict:
        """URL arguments for ``url_for``: empty filters left out."""
        args = {"q": self.q, "side": self.side, "status": self.status, **extra}
        return {key: value for key, value in args.items() if value not in ("", None)}


def search_condition(q: str):
    """SQL condition: the organisation's or a delegate's folded name contains ``fold(q)``.

    Returns None for an empty query. Needs ``Organisation`` joined to ``Registration``.
    """
    key = fold(q)
    if not key:
        return None
    delegate_match = (sa.select(RegistrationDelegate.id)
                      .where(RegistrationDelegate.registration_id == Registration.id,
                             RegistrationDelegate.name_key.contains(key, autoescape=True))
                      .exists())
    return sa.or_(Organisation.name_key.contains(key, autoescape=True), delegate_match)


def _where(stmt, event_id: int, filters: Filters):
    stmt = stmt.join(Registration.organisation).where(Registration.event_id == event_id)
    condition = search_condition(filters.q)
    if condition is not None:
        stmt = stmt.where(condition)
    if filters.side:
        stmt = stmt.where(Registration.side == filters.side)
    if filters.status:
        stmt = stmt.where(Registration.status == filters.status)
    return stmt


def _registrations(event_id: int, filters: Filters):
    return _where(sa.select(Registration), event_id, filters).options(
        contains_eager(Registration.organisation), selectinload(Registration.delegates))


def registration_page(event_id: int, filters: Filters, page: int,
                      per_page: int = 50) -> Page:
    """The event's registrations matching ``filters``, in queue order (first registered
    first), with organisation and delegates loaded.

    Two statements: the page (its total counted in the same statement with a window
    function) and the delegates. A page past the end costs one more, to count.
    """
    total_col = sa.func.count().over().label("total")
    stmt = (_registrations(event_id, filters).add_columns(total_col)
            .order_by(Registration.queued_at, Registration.id)
            .limit(per_page).offset((page - 1) * per_page))
    rows = db.session.execute(stmt).all()
    if rows:
        return Page([row[0] for row in rows], page, per_page, rows[0].total)
    if page == 1:
        return Page([], 1, per_page, 0)
    total = db.session.scalar(
        _where(sa.select(sa.func.count(Registration.id)), event_id, filters))
    return Page([], page, per_page, total or 0)


def check_in_results(event_id: int, q: str, limit: int = 50) -> tuple[list[Registration], bool]:
    """Registrations for the check-in page: matching ``q`` (all when empty), approved and
    checked-in ones first, then by organisation name (Vietnamese order). Returns
    ``(rows, more)`` where ``more`` says that further matches were left out (at most
    ``limit`` are shown)."""
    arriving = sa.case((Registration.status.in_([s.value for s in ATTENDING]), 0), else_=1)
    stmt = (_registrations(event_id, Filters(q=q))
            .order_by(arriving, Organisation.name_key, Registration.id).limit(limit + 1))
    rows = list(db.session.scalars(stmt))
    # SQL orders by the folded name (enough to choose which rows fit); the page shows them in
    # Vietnamese alphabetical order, where "Dương" comes before "Đô" (d < đ).
    shown = sorted(rows[:limit], key=lambda r: (r.status not in ATTENDING,
                                                sort_key(r.organisation.name), r.id))
    return shown, len(rows) > limit


def delegate_rows(event_id: int, statuses: Iterable[str] | None = ATTENDING
                  ) -> list[tuple[RegistrationDelegate | None, Registration]]:
    """One ``(delegate, registration)`` per delegate of the event's registrations in
    ``statuses`` (all when None), with each registration's organisation loaded; a
    registration without delegates gives ``(None, registration)``. Ordered by side
    (producers first), then organisation name in Vietnamese order, then delegate position.
    One statement."""
    stmt = (sa.select(RegistrationDelegate, Registration)
            .select_from(Registration)
            .join(Registration.organisation)
            .outerjoin(RegistrationDelegate,
                       RegistrationDelegate.registration_id == Registration.id)
            .options(contains_eager(Registration.organisation))
            .where(Registration.event_id == event_id)
            .order_by(Registration.side.desc(), Organisation.name_key, Registration.id,
                      RegistrationDelegate.position))
    if statuses is not None:
        stmt = stmt.where(Registration.status.in_([str(s) for s in statuses]))
    rows = [(delegate, registration) for delegate, registration in db.session.execute(stmt)]
    # Vietnamese alphabetical order of the organisations (d < đ, a < ă < â), which the
    # folded key used in SQL does not give; the sides stay as SQL put them (stable sorts).
    rows.sort(key=lambda row: (sort_key(row[1].organisation.name), row[1].id,
                               row[0].position if row[0] is not None else -1))
    rows.sort(key=lambda row: row[1].side, reverse=True)
    return rows


def offer_titles(event_id: int) -> dict[int, list[str]]:
    """``{registration_id: [product names or need titles]}`` for the event, each list in
    name order. One statement (products and needs united)."""
    products = (sa.select(registration_products.c.registration_id, Product.name.label("title"))
                .join(Product, Product.id == registration_products.c.product_id)
                .join(Registration, Registration.id == registration_products.c.registration_id)
                .where(Registration.event_id == event_id))
    needs = (sa.select(registration_needs.c.registration_id, SourcingNeed.title.label("title"))
             .join(SourcingNeed, SourcingNeed.id == registration_needs.c.sourcing_need_id)
             .join(Registration, Registration.id == registration_needs.c.registration_id)
             .where(Registration.event_id == event_id))
    titles: dict[int, list[str]] = defaultdict(list)
    for registration_id, title in db.session.execute(sa.union_all(products, needs)):
        titles[registration_id].append(title)
    return {rid: sorted(names, key=sort_key) for rid, names in titles.items()}


def attendance(counts: dict[str, dict[str, int]]) -> tuple[int, int]:
    """``(checked_in, expected)`` from :func:`registration.places_by_side`'s counts:
    expected are the approved and checked-in registrations of both sides."""
    checked_in = sum(c.get(S.CHECKED_IN, 0) for c in counts.values())
    expected = checked_in + sum(c.get(S.APPROVED, 0) for c in counts.values())
    return checked_in, expected
