"""The conversion figures, computed by SQL aggregation (DESIGN §1 and §5).

A report covers a :class:`Scope`: one event, or a period of Vietnam calendar days. Everything
is read in **one statement** (:func:`conversion_report`): a ``UNION ALL`` of labelled
aggregate rows over a common table of the cohort's business MOUs, each with the value and the
first signing date of its counted contracts. Python only arranges the aggregated rows (a few
dozen), never loops over MOUs or contracts.

What is counted (the pages say the same in words, see ``templates/reports/_notes.html``):

* **Cohort** — business MOUs credited to the event (``mous.event_id``), or signed
  (``signed_on``) within the period, whatever their source. Department-to-department
  (agency) MOUs are counted apart and never enter conversion figures.
* **Converted** — MOU status ``converted``: at least one counted contract (signed,
  delivering, completed or terminated; a cancelled contract never took effect and does not
  count). **Open** — ``signed`` or ``negotiating``. **Lapsed**, **cancelled** — with their
  reasons. The four add up to the MOUs signed.
* **Conversion rate** = converted ÷ MOUs signed. **Value conversion** = value of the counted
  contracts of the cohort's MOUs ÷ the MOUs' estimated value (MOUs without an estimate add
  nothing to the denominator; the rate may exceed 100 %).
* **Days to conversion** — median, over converted MOUs, of the days from the MOU's signing to
  its first counted contract's signing.
* **Funnel** — for an event: its registrations (all), approved ones (approved or checked
  in), *matched* ones (approved participants in at least one pair the matching engine finds
  among the participants, pairs the organisers excluded left out; computed from the engine's
  cached event index, see :func:`matched_participants`), meetings requested (all), accepted
  (accepted, scheduled, held or no-show now), held, the cohort's MOUs, and counted contracts
  credited to the event (with or without an MOU). For a period: the same counts over the
  events that started in it (cancelled events left out), *matched* left out (it would mean
  building every event's index), MOUs signed in the period and counted contracts signed in it.
* **Breakdowns** — an MOU's category groups come from its own categories and its products'
  OCOP and HS categories, each taken up to its OCOP major group (first level) or HS chapter;
  an MOU covering two groups counts fully in each, so group rows add up to more than the
  total. Province: the producer's; buyer type: the distributor's; OCOP stars: the highest
  rating among the MOU's products. Over time: by month (quarter beyond 24 months) of signing.

Cost (``bench/reports.py``): an event's report reads its own rows only (tens of
milliseconds); a period's grows with its MOUs — a year of a 100,000-MOU history takes a few
hundred milliseconds, all ten years a few seconds. Period reports over
:data:`CACHE_MIN_MOUS` MOUs are therefore kept a minute (the page, its exports and the API
ask for the same figures in turn), and on PostgreSQL they run without JIT compilation,
which costs more than it saves on a statement of this shape.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_start

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from matchmaker.catalogue.models import Category, Product
from matchmaker.deals.models import (
    COUNTED_CONTRACT,
    Mou,
    MouKind,
    MouStatus,
    SupplyContract,
    mou_categories,
    mou_products,
)
from matchmaker.events.models import Event, EventStatus, Registration, RegistrationStatus
from matchmaker.extensions import db
from matchmaker.matching.models import DecisionKind, MatchDecision
from matchmaker.meetings.models import Meeting, MeetingStatus
from matchmaker.organisations.models import Organisation
from matchmaker.reports.sql import days_between, local_year, middle_rows, unindexed
from matchmaker.timeutil import local_to_utc

#: Funnel steps, in order.
FUNNEL_STEPS = ("registered", "approved", "matched", "requested", "accepted", "held", "mous",
                "contracts")
#: Meetings that were accepted and still stand (including those placed in the schedule).
ACCEPTED_MEETINGS = (MeetingStatus.ACCEPTED, MeetingStatus.SCHEDULED, MeetingStatus.HELD,
                     MeetingStatus.NO_SHOW)
APPROVED_REGISTRATIONS = (RegistrationStatus.APPROVED, RegistrationStatus.CHECKED_IN)
OPEN_STATUSES = (MouStatus.SIGNED, MouStatus.NEGOTIATING)
COUNTED = tuple(sorted(s.value for s in COUNTED_CONTRACT))
#: Months shown one by one; a longer span is shown by quarter.
MONTHS_MAX = 24
#: The category schemes broken down, and the tree level of their groups.
GROUP_LEVEL = {"ocop": 1, "hs": 2}
#: Period reports over this many MOUs or more are kept CACHE_SECONDS (per process; the
#: search page's facet counts follow the same rule).
CACHE_MIN_MOUS = 20_000
CACHE_SECONDS = 60
CACHE_SIZE = 8

_cache_lock = threading.Lock()
_cache: OrderedDict[tuple, tuple] = OrderedDict()  # key -> (monotonic time, report)


@dataclass(frozen=True)
class Scope:
    """What a report covers: one event (``event_id``), or the Vietnam calendar days
    ``start`` … ``end`` (both included)."""

    event_id: int | None = None
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if (self.event_id is None) == (self.start is None or self.end is None):
            raise ValueError("give an event or both ends of a period")

    @property
    def is_event(self) -> bool:
        return self.event_id is not None

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants ``[start 00:00 VN, end + 1 day 00:00 VN)``."""
        return (local_to_utc(datetime.combine(self.start, day_start())),
                local_to_utc(datetime.combine(self.end + timedelta(days=1), day_start())))


@dataclass(frozen=True)
class Figures:
    """Counts and sums over a group of business MOUs (money in whole đồng)."""

    mous: int = 0
    converted: int = 0
    open: int = 0
    lapsed: int = 0
    cancelled: int = 0
    mou_value_vnd: int = 0
    contract_value_vnd: int = 0

    @property
    def conversion_rate(self) -> float | None:
        """Converted ÷ signed (0…1), None without MOUs."""
        return self.converted / self.mous if self.mous else None

    @property
    def value_conversion_rate(self) -> float | None:
        """Contract value ÷ MOU estimated value (may exceed 1), None without an estimate."""
        return self.contract_value_vnd / self.mou_value_vnd if self.mou_value_vnd else None

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def __sub__(self, other: Figures) -> Figures:
        return Figures(*(a - b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, ...]:
        return (self.mous, self.converted, self.open, self.lapsed, self.cancelled,
                self.mou_value_vnd, self.contract_value_vnd)


@dataclass(frozen=True)
class GroupRow:
    """One row of a breakdown: ``key`` names the group (None: "none"/"unknown").

    Keys: a category path (``ocop/I``, ``hs/II/09``), a province code (``"40"``), a buyer
    type, a star rating (``"5"``), a month ``2025-06`` or a quarter ``2025-Q2``. ``names``
    are a category's Vietnamese and English names.
    """

    key: str | None
    figures: Figures
    names: tuple[str | None, str | None] = (None, None)

    def name(self, locale: str) -> str:
        first, second = self.names if locale != "en" else self.names[::-1]
        return first or second or ""


@dataclass(frozen=True)
class ReasonRow:
    """Lapsed and cancelled MOUs with one close reason, and their estimated value."""

    reason: str
    lapsed: int
    cancelled: int
    value_vnd: int

    @property
    def total(self) -> int:
        return self.lapsed + self.cancelled


@dataclass
class ConversionReport:
    """Every figure of a conversion report (see the module docstring for the definitions).

    ``by_status`` maps each MOU status to its figures. ``funnel`` maps each of
    :data:`FUNNEL_STEPS` to a count (``matched`` is None for a
    period, or when it was not computed). ``median_days`` may end in .5 (two middle values).
    ``contracts`` / ``contract_value_all_vnd``: counted contracts in scope with or without an
    MOU; ``unlinked_*``: those without an MOU. ``events``: events in the period (1 for an
    event report).
    """

    scope: Scope
    totals: Figures
    median_days: float | None
    funnel: dict[str, int | None]
    by_status: dict[str, Figures]
    reasons: list[ReasonRow]
    by_ocop: list[GroupRow]
    by_hs: list[GroupRow]
    by_province: list[GroupRow]
    by_buyer_type: list[GroupRow]
    by_stars: list[GroupRow]
    over_time: list[GroupRow]
    granularity: str
    agency_mous: int
    contracts: int
    contract_value_all_vnd: int
    unlinked_contracts: int
    unlinked_value_vnd: int
    events: int
    excluded_pairs: frozenset[tuple[int, int]] = field(default_factory=frozenset)


# --- the statement -----------------------------------------------------------------------

def _text(value):
    return sa.cast(sa.literal(value), sa.String) if isinstance(value, str) else \
        sa.cast(value, sa.String) if value is not None else sa.cast(sa.null(), sa.String)


def _num(value):
    return sa.cast(sa.null() if value is None else value, sa.BigInteger)


def _row(section: str, key=None, name_vi=None, name_en=None, counts=(), values=()) -> list:
    """The select list of one part of the UNION: section, key, two names, five counts and
    two sums (missing ones NULL)."""
    counts = list(counts) + [None] * (5 - len(counts))
    values = list(values) + [None] * (2 - len(values))
    labels = ("n", "converted", "open", "lapsed", "cancelled", "mou_value", "contract_value")
    cols = [_text(section).label("section"), _text(key).label("key"),
            _text(name_vi).label("name_vi"), _text(name_en).label("name_en")]
    cols += [_num(v).label(label) for v, label in zip(counts + values, labels, strict=True)]
    return cols


def _is(column, *statuses):
    return sa.func.sum(sa.case((column.in_([str(s) for s in statuses]), 1), else_=0))


COUNT_NAMES = ("n", "converted", "open", "lapsed", "cancelled")
VALUE_NAMES = ("mou_value", "contract_value")


def _figures(f) -> dict:
    """Aggregates over the facts table ``f`` (counts and the two sums)."""
    return dict(
        counts=(sa.func.count(), _is(f.c.status, MouStatus.CONVERTED),
                _is(f.c.status, *OPEN_STATUSES), _is(f.c.status, MouStatus.LAPSED),
                _is(f.c.status, MouStatus.CANCELLED)),
        values=(sa.func.sum(sa.func.coalesce(f.c.mou_value, 0)),
                sa.func.sum(sa.func.coalesce(f.c.contract_value, 0))))


def _figure_columns(f) -> list:
    """:func:`_figures` as labelled columns (for a subquery)."""
    agg = _figures(f)
    return [expr.label(name) for expr, name in
            zip(agg["counts"] + agg["values"], COUNT_NAMES + VALUE_NAMES, strict=True)]


def _scope_filters(scope: Scope):
    """(MOU condition, contract condition, event-ids condition for registrations/meetings).

    A period reads the MOUs by a scan: SQLite would otherwise skip-scan the (status,
    signed_on) index and fetch every row by id, several times slower for long periods.
    """
    if scope.is_event:
        return (Mou.event_id == scope.event_id, SupplyContract.event_id == scope.event_id,
                lambda column: column == scope.event_id)
    lo, hi = scope.utc_bounds()
    events = sa.select(Event.id).where(Event.starts_at >= lo, Event.starts_at < hi,
                                       Event.status != EventStatus.CANCELLED)
    return (unindexed(Mou.signed_on).between(scope.start, scope.end),
            SupplyContract.signed_on.between(scope.start, scope.end),
            lambda column: column.in_(events))


def _facts(mou_condition, detail: bool = True):
    """The cohort's business MOUs, one row each: status, close reason, signing date,
    estimated value, and the value and first signing date of its counted contracts; with
    ``detail`` also the producer's province, the distributor's buyer type and the best OCOP
    stars of its products.

    Contracts and stars are aggregated per MOU first, for the cohort's MOUs only, and
    joined (hash joins on PostgreSQL): as fast as aggregating everything for a ten-year
    cohort, several times faster for an event or a year.
    """
    c, mp, p = SupplyContract.__table__.c, mou_products.c, Product.__table__.c
    cohort_ids = sa.select(Mou.id).where(Mou.kind == MouKind.BUSINESS, mou_condition)
    contracts = (sa.select(c.mou_id, sa.func.sum(c.value_vnd).label("value"),
                           sa.func.min(c.signed_on).label("first_on"))
                 .where(c.status.in_(COUNTED), c.mou_id.in_(cohort_ids))
                 .group_by(c.mou_id).subquery("mou_contracts"))
    columns = [Mou.id.label("mou_id"), Mou.status, Mou.signed_on,
               Mou.estimated_value_vnd.label("mou_value"), Mou.close_reason,
               contracts.c.value.label("contract_value"), contracts.c.first_on]
    stmt = sa.select(*columns).select_from(Mou.__table__).outerjoin(
        contracts, contracts.c.mou_id == Mou.id)
    if detail:
        stars = (sa.select(mp.mou_id, sa.func.max(p.ocop_stars).label("stars"))
                 .join(Product.__table__, p.id == mp.product_id)
                 .where(mp.mou_id.in_(cohort_ids))
                 .group_by(mp.mou_id).subquery("mou_stars"))
        producer, distributor = aliased(Organisation), aliased(Organisation)
        stmt = (stmt.add_columns(producer.province_code.label("province"),
                                 distributor.buyer_type.label("buyer_type"), stars.c.stars)
                .outerjoin(stars, stars.c.mou_id == Mou.id)
                .outerjoin(producer, producer.id == Mou.producer_id)
                .outerjoin(distributor, distributor.id == Mou.distributor_id))
    return stmt.where(Mou.kind == MouKind.BUSINESS, mou_condition).cte("facts")


def _group_map():
    """Every category's group — itself, its parent or its grandparent (trees are at most
    four deep): the OCOP major group (level 1) or the HS chapter (level 2; an HS section
    stays a section) — with its scheme. Over the categories table alone (a few thousand
    rows), so the cost does not grow with the MOUs."""
    c, p1, p2 = aliased(Category), aliased(Category), aliased(Category)
    group_id = sa.case(
        (sa.or_(sa.and_(c.scheme == "ocop", c.level <= 1),
                sa.and_(c.scheme == "hs", c.level <= 2)), c.id),
        (sa.or_(sa.and_(c.scheme == "ocop", c.level == 2),
                sa.and_(c.scheme == "hs", c.level == 3)), p1.id),
        else_=p2.id)
    return (sa.select(c.id.label("category_id"), group_id.label("group_id"), c.scheme)
            .select_from(c)
            .outerjoin(p1, p1.id == c.parent_id)
            .outerjoin(p2, p2.id == p1.parent_id)
            .cte("group_map"))


def _mou_groups(f):
    """One row per (MOU, group) for each OCOP major group / HS chapter the MOU covers —
    from its own categories and its products' OCOP and HS categories — carrying the MOU's
    status and values, so that nothing needs to join back to the facts."""
    gm = _group_map()
    mc, mp, p = mou_categories.c, mou_products.c, Product.__table__.c

    def linked(category_column, *joins):
        stmt = sa.select(f.c.mou_id, f.c.status, f.c.mou_value, f.c.contract_value,
                         category_column.label("category_id")).select_from(f)
        for table, condition in joins:
            stmt = stmt.join(table, condition)
        return stmt

    products = ((mou_products, mp.mou_id == f.c.mou_id),
                (Product.__table__, p.id == mp.product_id))
    links = sa.union_all(
        linked(mc.category_id, (mou_categories, mc.mou_id == f.c.mou_id)),
        linked(p.ocop_category_id, *products).where(p.ocop_category_id.is_not(None)),
        linked(p.hs_category_id, *products).where(p.hs_category_id.is_not(None)),
    ).subquery("links")
    return (sa.select(links.c.mou_id, links.c.status, links.c.mou_value,
                      links.c.contract_value, gm.c.group_id, gm.c.scheme).distinct()
            .select_from(links).join(gm, gm.c.category_id == links.c.category_id)
            .cte("mou_groups"))


CUBE_KEYS = ("status", "close_reason", "province", "buyer_type", "stars")


def _weighted(cube, *statuses):
    return sa.func.sum(sa.case((cube.c.status.in_([str(s) for s in statuses]), cube.c.n),
                               else_=0))


def _cube_figures(cube) -> dict:
    """:func:`_figures` over the cube's pre-aggregated rows."""
    return dict(
        counts=(sa.func.sum(cube.c.n), _weighted(cube, MouStatus.CONVERTED),
                _weighted(cube, *OPEN_STATUSES), _weighted(cube, MouStatus.LAPSED),
                _weighted(cube, MouStatus.CANCELLED)),
        values=(sa.func.sum(cube.c.mou_value), sa.func.sum(cube.c.contract_value)))


def report_statement(scope: Scope):
    """The single ``UNION ALL`` statement behind :func:`conversion_report`.

    Columns: ``section, key, name_vi, name_en, n, converted, open, lapsed, cancelled,
    mou_value, contract_value``. Sections: ``total``, ``status`` (key = MOU status),
    ``median`` (n = rows kept, mou_value = their sum of days), ``reason``, ``category``
    (key = group path), ``category_cover`` (key = 2·has an OCOP group + has an HS chapter,
    classified MOUs only),
    ``province``, ``buyer_type``, ``stars``, ``month`` (key = year·100 + month),
    ``registrations`` (n, converted = approved), ``meetings`` (n = requested, converted =
    accepted, open = held), ``contracts`` (n, mou_value = value; counted, with or without an
    MOU), ``unlinked`` (the same without an MOU), ``agency`` (n), ``events`` (n),
    ``excluded`` (event reports: open = producer id, lapsed = distributor id).

    The facts (one row per MOU) are read once; the totals, statuses, reasons, provinces,
    buyer types and stars come from one grouping of them by those five keys (the *cube*, a
    few hundred rows), so that each is a pass over the cube, not over every MOU.
    """
    mou_condition, contract_condition, in_events = _scope_filters(scope)
    f = _facts(mou_condition)
    cube = (sa.select(*(f.c[k] for k in CUBE_KEYS), *_figure_columns(f)[:1],
                      *_figure_columns(f)[5:])
            .group_by(*(f.c[k] for k in CUBE_KEYS)).cte("cube"))
    agg = _cube_figures(cube)
    parts = [sa.select(*_row("total", **agg)).select_from(cube)]
    for section, key in (("status", "status"), ("reason", "close_reason"),
                         ("province", "province"), ("buyer_type", "buyer_type"),
                         ("stars", "stars")):
        part = sa.select(*_row(section, cube.c[key], **agg)).group_by(cube.c[key])
        if section == "reason":
            part = part.where(cube.c.status.in_([MouStatus.LAPSED, MouStatus.CANCELLED]))
        parts.append(part)

    # Median days to conversion: the middle one or two converted MOUs by days.
    days = days_between(f.c.first_on, f.c.signed_on)
    ranked = (sa.select(days.label("days"),
                        sa.func.row_number().over(order_by=days).label("rn"),
                        sa.func.count().over().label("cnt"))
              .where(f.c.status == MouStatus.CONVERTED, f.c.first_on.is_not(None))
              .subquery("ranked"))
    parts.append(sa.select(*_row("median", counts=(sa.func.count(),),
                                 values=(sa.func.sum(ranked.c.days),)))
                 .where(middle_rows(ranked.c.rn, ranked.c.cnt)))

    groups = _mou_groups(f)
    g = aliased(Category)
    # Aggregate by group id first, then name the (few) groups.
    by_group = (sa.select(groups.c.group_id, *_figure_columns(groups))
                .group_by(groups.c.group_id).subquery("by_group"))
    parts.append(sa.select(*_row("category", g.path, g.name_vi, g.name_en,
                                 counts=[by_group.c[name] for name in COUNT_NAMES],
                                 values=[by_group.c[name] for name in VALUE_NAMES]))
                 .select_from(by_group).join(g, g.id == by_group.c.group_id))
    # The schemes each classified MOU has a group in (2 = OCOP, 1 = HS, 3 = both); MOUs in
    # neither are the total minus these (see conversion_report).
    per_mou = (sa.select(groups.c.status, groups.c.mou_value, groups.c.contract_value,
                         (2 * sa.func.max(sa.case((groups.c.scheme == "ocop", 1), else_=0))
                          + sa.func.max(sa.case((groups.c.scheme == "hs", 1), else_=0)))
                         .label("cover"))
               .group_by(groups.c.mou_id, groups.c.status, groups.c.mou_value,
                         groups.c.contract_value)
               .subquery("per_mou"))
    parts.append(sa.select(*_row("category_cover", per_mou.c.cover, **_figures(per_mou)))
                 .group_by(per_mou.c.cover))

    year = sa.cast(sa.extract("year", f.c.signed_on), sa.Integer)
    month = sa.cast(sa.extract("month", f.c.signed_on), sa.Integer)
    parts.append(sa.select(*_row("month", year * 100 + month, **_figures(f)))
                 .group_by(year, month))

    parts.append(sa.select(*_row("registrations", counts=(
        sa.func.count(), _is(Registration.status, *APPROVED_REGISTRATIONS))))
        .where(in_events(Registration.event_id)))
    parts.append(sa.select(*_row("meetings", counts=(
        sa.func.count(), _is(Meeting.status, *ACCEPTED_MEETINGS),
        _is(Meeting.status, MeetingStatus.HELD))))
        .where(in_events(Meeting.event_id)))
    counted = sa.and_(contract_condition, SupplyContract.status.in_(COUNTED))
    parts.append(sa.select(*_row("contracts", counts=(sa.func.count(),),
                                 values=(sa.func.sum(SupplyContract.value_vnd),)))
                 .where(counted))
    parts.append(sa.select(*_row("unlinked", counts=(sa.func.count(),),
                                 values=(sa.func.sum(SupplyContract.value_vnd),)))
                 .where(counted, SupplyContract.mou_id.is_(None)))
    parts.append(sa.select(*_row("agency", counts=(sa.func.count(),)))
                 .where(Mou.kind == MouKind.AGENCY, mou_condition))
    if scope.is_event:
        parts.append(sa.select(*_row("excluded", counts=(
            None, None, MatchDecision.producer_id, MatchDecision.distributor_id)))
            .where(MatchDecision.event_id == scope.event_id,
                   MatchDecision.kind == DecisionKind.EXCLUDED))
    else:
        lo, hi = scope.utc_bounds()
        parts.append(sa.select(*_row("events", counts=(sa.func.count(),)))
                     .where(Event.starts_at >= lo, Event.starts_at < hi,
                            Event.status != EventStatus.CANCELLED))
    return sa.union_all(*parts)


# --- arranging the rows ------------------------------------------------------------------

def _int(value) -> int:
    return int(value or 0)


def _figures_of(row) -> Figures:
    return Figures(_int(row.n), _int(row.converted), _int(row.open), _int(row.lapsed),
                   _int(row.cancelled), _int(row.mou_value), _int(row.contract_value))


def _by_size(rows: list[GroupRow]) -> list[GroupRow]:
    # Most MOUs first, then value; the "none/unknown" row last.
    return sorted(rows, key=lambda r: (r.key is None, -r.figures.mous,
                                       -r.figures.mou_value_vnd, r.key or ""))


def _over_time(months: dict[int, Figures]) -> tuple[list[GroupRow], str]:
    """Every month (or quarter) from the first to the last with MOUs, gaps filled with
    zeros; quarters when the span exceeds :data:`MONTHS_MAX` months."""
    if not months:
        return [], "month"
    first, last = min(months), max(months)
    span = (last // 100 - first // 100) * 12 + last % 100 - first % 100 + 1
    quarterly = span > MONTHS_MAX
    buckets: dict[str, Figures] = {}
    year, month = divmod(first, 100)
    while year * 100 + month <= last:
        key = f"{year}-Q{(month - 1) // 3 + 1}" if quarterly else f"{year}-{month:02d}"
        buckets[key] = buckets.get(key, Figures()) + months.get(year * 100 + month, Figures())
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [GroupRow(key, figures) for key, figures in buckets.items()], \
        "quarter" if quarterly else "month"


def conversion_report(scope: Scope, with_matched: bool = True) -> ConversionReport:
    """The conversion report of ``scope``: one SQL statement (for a period on PostgreSQL
    two, see :func:`_without_jit`), plus for an event (when
    ``with_matched``) the matching engine's cached index (see
    :func:`matched_participants`: one or two statements once the catalogue is cached).

    A period's report over :data:`CACHE_MIN_MOUS` MOUs or more is kept for
    :data:`CACHE_SECONDS` in this process (and then served without a statement): at
    programme scale it takes seconds, and the page, its exports and the API ask for the same
    figures one after another. Smaller periods and event reports are always computed afresh.
    Callers must not change the report they get. Does not check that the event exists (an
    unknown event gives an empty report)."""
    key = None if scope.is_event else (str(db.engine.url), scope)
    if key is not None:
        with _cache_lock:
            found = _cache.get(key)
            if found is not None and time.monotonic() - found[0] < CACHE_SECONDS:
                return found[1]
    report = _compute(scope)
    if scope.is_event and with_matched:
        report.funnel["matched"] = matched_participants(scope.event_id, report.excluded_pairs)
    if key is not None and report.totals.mous >= CACHE_MIN_MOUS:
        with _cache_lock:
            _cache[key] = (time.monotonic(), report)
            _cache.move_to_end(key)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return report


def clear_cache() -> None:
    """Forget the period reports kept by :func:`conversion_report`."""
    with _cache_lock:
        _cache.clear()


def _without_jit() -> None:
    """On PostgreSQL, no JIT compilation for the rest of the transaction: a long period's
    report is costed high enough to trigger it, and compiling its hundreds of expressions
    takes longer than running the statement (seconds, against nothing gained)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))


def _compute(scope: Scope) -> ConversionReport:
    if not scope.is_event:
        _without_jit()
    rows = db.session.execute(report_statement(scope)).all()
    totals, median, funnel_rows = Figures(), None, {}
    reasons: list[ReasonRow] = []
    categories: dict[str, list[GroupRow]] = {scheme: [] for scheme in GROUP_LEVEL}
    breakdowns: dict[str, list[GroupRow]] = {"province": [], "buyer_type": [], "stars": []}
    months: dict[int, Figures] = {}
    excluded: set[tuple[int, int]] = set()
    by_status: dict[str, Figures] = {}
    covered: dict[str, Figures] = {}
    for row in rows:
        section = row.section
        if section == "total":
            totals = _figures_of(row)
        elif section == "median":
            median = _int(row.mou_value) / row.n if row.n else None
        elif section == "status":
            by_status[row.key] = _figures_of(row)
        elif section == "reason":
            if row.key is not None:
                reasons.append(ReasonRow(row.key, _int(row.lapsed), _int(row.cancelled),
                                         _int(row.mou_value)))
        elif section == "category":
            scheme = row.key.split("/", 1)[0]
            categories[scheme].append(GroupRow(row.key, _figures_of(row),
                                               (row.name_vi, row.name_en)))
        elif section == "category_cover":
            cover = int(float(row.key))
            for scheme, bit in (("ocop", 2), ("hs", 1)):
                if cover & bit:
                    covered[scheme] = covered.get(scheme, Figures()) + _figures_of(row)
        elif section in breakdowns:
            key = row.key
            if section in ("province", "stars") and key is not None:
                key = str(int(float(key)))  # "40", never "40.0"
            breakdowns[section].append(GroupRow(key, _figures_of(row)))
        elif section == "month":
            months[int(float(row.key))] = _figures_of(row)
        elif section == "excluded":
            excluded.add((int(row.open), int(row.lapsed)))
        else:
            funnel_rows[section] = row
    for scheme in GROUP_LEVEL:  # MOUs with no group in the scheme: the total minus the rest
        rest = totals - covered.get(scheme, Figures())
        if rest.mous:
            categories[scheme].append(GroupRow(None, rest))
    over_time, granularity = _over_time(months)
    registrations, meetings = funnel_rows["registrations"], funnel_rows["meetings"]
    contracts, unlinked = funnel_rows["contracts"], funnel_rows["unlinked"]
    funnel = {
        "registered": _int(registrations.n), "approved": _int(registrations.converted),
        "matched": None, "requested": _int(meetings.n), "accepted": _int(meetings.converted),
        "held": _int(meetings.open), "mous": totals.mous, "contracts": _int(contracts.n),
    }
    return ConversionReport(
        scope=scope, totals=totals, median_days=median, funnel=funnel, by_status=by_status,
        reasons=sorted(reasons, key=lambda r: (-r.total, -r.value_vnd, r.reason)),
        by_ocop=_categories_sorted(categories["ocop"]),
        by_hs=_categories_sorted(categories["hs"]),
        by_province=_by_size(breakdowns["province"]),
        by_buyer_type=_by_size(breakdowns["buyer_type"]),
        by_stars=sorted(breakdowns["stars"], key=lambda r: -int(r.key or 0)),
        over_time=over_time, granularity=granularity,
        agency_mous=_int(funnel_rows["agency"].n),
        contracts=_int(contracts.n), contract_value_all_vnd=_int(contracts.mou_value),
        unlinked_contracts=_int(unlinked.n), unlinked_value_vnd=_int(unlinked.mou_value),
        events=1 if scope.is_event else _int(funnel_rows["events"].n),
        excluded_pairs=frozenset(excluded))


def _categories_sorted(rows: list[GroupRow]) -> list[GroupRow]:
    return sorted(rows, key=lambda r: (r.key is None, -r.figures.mous,
                                       -r.figures.mou_value_vnd, r.key or ""))


def matched_participants(event_id: int, excluded_pairs=frozenset()) -> int:
    """Approved (or checked-in) participants of the event in at least one pair the matching
    engine finds among the participants, leaving out ``excluded_pairs`` ((producer id,
    distributor id), the organisers' exclusions). A participant's "not interested" hides a
    pair from that side only and is not subtracted.

    Uses the engine's cached event index (:func:`matchmaker.matching.loader.event_index`):
    two statements once the catalogue is cached (its version and the participants), five
    when the catalogue must be rebuilt.
    """
    from matchmaker.matching import loader
    from matchmaker.matching.services import DISTRIBUTOR, PRODUCER

    participants = loader.event_participants(event_id)
    if not participants:
        return 0
    index = loader.event_index(loader.catalogue(), participants)
    pairs = index.event_pairs(exclude=frozenset(excluded_pairs))
    producers = {m.producer_id for m in pairs}
    distributors = {m.distributor_id for m in pairs}
    return sum(1 for p in participants
               if (p.side == PRODUCER and p.organisation_id in producers)
               or (p.side == DISTRIBUTOR and p.organisation_id in distributors))


# --- the programme view ------------------------------------------------------------------

@dataclass(frozen=True)
class YearRow:
    """One year of the programme: events held (started, not cancelled), business MOUs signed
    (``figures``: the cohort of that year's MOUs and their contracts), counted contracts
    signed that year (with or without an MOU) and their value, agency MOUs signed."""

    year: int
    events: int
    figures: Figures
    contracts: int
    contract_value_vnd: int
    agency_mous: int


@dataclass
class Programme:
    """The programme view: a row per year ``first`` … ``last`` and their total."""

    first: int
    last: int
    years: list[YearRow]
    total: YearRow


def programme_statement(first: int, last: int):
    """One ``UNION ALL`` statement: per year, events, MOU figures, contracts, agency MOUs.

    Columns as :func:`report_statement`'s with ``key`` the year."""
    start, end = date(first, 1, 1), date(last, 12, 31)
    f = _facts(unindexed(Mou.signed_on).between(start, end), detail=False)
    year = sa.cast(sa.extract("year", f.c.signed_on), sa.Integer)
    parts = [sa.select(*_row("mous", year, **_figures(f))).group_by(year)]
    c_year = sa.cast(sa.extract("year", SupplyContract.signed_on), sa.Integer)
    parts.append(sa.select(*_row("contracts", c_year, counts=(sa.func.count(),),
                                 values=(sa.func.sum(SupplyContract.value_vnd),)))
                 .where(SupplyContract.signed_on.between(start, end),
                        SupplyContract.status.in_(COUNTED))
                 .group_by(c_year))
    a_year = sa.cast(sa.extract("year", Mou.signed_on), sa.Integer)
    parts.append(sa.select(*_row("agency", a_year, counts=(sa.func.count(),)))
                 .where(Mou.kind == MouKind.AGENCY, Mou.signed_on.between(start, end))
                 .group_by(a_year))
    scope = Scope(start=start, end=end)
    lo, hi = scope.utc_bounds()
    e_year = local_year(Event.starts_at)
    parts.append(sa.select(*_row("events", e_year, counts=(sa.func.count(),)))
                 .where(Event.starts_at >= lo, Event.starts_at < hi,
                        Event.status != EventStatus.CANCELLED)
                 .group_by(e_year))
    return sa.union_all(*parts)


def programme(first: int, last: int) -> Programme:
    """Years ``first`` … ``last`` (Vietnam calendar years), one SQL statement (two on
    PostgreSQL, see :func:`_without_jit`)."""
    _without_jit()
    found: dict[tuple[str, int], object] = {}
    for row in db.session.execute(programme_statement(first, last)):
        found[(row.section, int(float(row.key)))] = row
    years = []
    for year in range(first, last + 1):
        mous = found.get(("mous", year))
        contracts = found.get(("contracts", year))
        agency = found.get(("agency", year))
        events = found.get(("events", year))
        years.append(YearRow(
            year, _int(events.n) if events else 0,
            _figures_of(mous) if mous else Figures(),
            _int(contracts.n) if contracts else 0,
            _int(contracts.mou_value) if contracts else 0,
            _int(agency.n) if agency else 0))
    total = YearRow(0, sum(y.events for y in years),
                    sum((y.figures for y in years), Figures()),
                    sum(y.contracts for y in years), sum(y.contract_value_vnd for y in years),
                    sum(y.agency_mous for y in years))
    return Programme(first, last, years, total)
