"""From database rows to the matching engine's records, with a per-process cache.

:func:`catalogue` returns a :class:`Catalogue`: the :class:`MatchIndex` over every active
product and open sourcing need, plus what pages show beside it (organisation names and
sides, category names). Building it costs CPU time that grows with the catalogue, so it is
kept per process and database and rebuilt only when the *catalogue version* changes: counts,
id sums and latest ``updated_at`` of the tables the records come from
(:func:`catalogue_version`), plus today's date in Vietnam (certificates expire and needs
close by calendar day). A change the version cannot see (for example a required
certification kind swapped for another of the same length) is picked up after
:data:`MAX_AGE_SECONDS` at the latest.

One statement per call, whether the cached catalogue is current or not (pages have a budget
of five): a ``UNION ALL`` whose first row is the version and whose other rows — products
with their producer and categories, needs with their distributor, product certifications,
need categories, required kinds, delivery provinces — are only produced when the version
differs from the cached one (the database reads the version first and, when it is
unchanged, none of the other tables; see :func:`_records_statement`).

What goes into the records:

* a product: active; its OCOP and HS category paths; OCOP stars; the kinds of the valid
  (unexpired today) certificates linked to it; capacity, unit and prices; the producer's
  province;
* a need: active and open today (``active_until`` not passed); its category paths; required
  certification kinds; minimum OCOP stars; volume, unit, target price; delivery provinces.

:func:`event_participants` reads an event's approved and checked-in registrations with what
each brought, and :func:`event_index` restricts the index to them (cached too): a producer's
products are those its registration lists, or all its active products when it lists none;
likewise a distributor's needs.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from matchmaker.catalogue.models import (
    Category,
    NeedCertification,
    NeedProvince,
    Product,
    SourcingNeed,
    product_certifications,
    sourcing_need_categories,
)
from matchmaker.events.models import (
    Registration,
    RegistrationSide,
    RegistrationStatus,
    registration_needs,
    registration_products,
)
from matchmaker.extensions import db
from matchmaker.matching.engine import MatchIndex, NeedRecord, ProductRecord
from matchmaker.organisations.models import Certification, Organisation
from matchmaker.timeutil import to_local, utcnow

#: Rebuild at least this often, whatever the version says.
MAX_AGE_SECONDS = 300
#: Event indexes kept per process (each costs its participants' records).
EVENT_CACHE_SIZE = 16
#: Registrations whose organisations take part in matching at an event.
TAKING_PART = (RegistrationStatus.APPROVED, RegistrationStatus.CHECKED_IN)


@dataclass(frozen=True)
class OrganisationInfo:
    """What pages show of an organisation beside a match."""

    id: int
    name: str
    side: str


@dataclass(frozen=True)
class CategoryName:
    """A category's names (either may be None; HS headings have no Vietnamese name)."""

    name_vi: str | None
    name_en: str | None

    def name(self, locale: str) -> str:
        first, second = (self.name_en, self.name_vi) if locale == "en" else (
            self.name_vi, self.name_en)
        return first or second or ""


@dataclass
class Catalogue:
    """A built index and its lookups. ``version`` is what it was built for."""

    version: tuple
    index: MatchIndex
    organisations: dict[int, OrganisationInfo]
    categories: dict[str, CategoryName]
    built_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.products: dict[int, ProductRecord] = {p.id: p for p in self.index.products}
        self.needs: dict[int, NeedRecord] = {n.id: n for n in self.index.needs}

    def organisation(self, organisation_id: int) -> OrganisationInfo | None:
        return self.organisations.get(organisation_id)


@dataclass(frozen=True)
class Participant:
    """An approved (or checked-in) registration at an event and what it brought."""

    registration_id: int
    organisation_id: int
    name: str
    name_key: str
    side: str
    status: str
    product_ids: frozenset[int] = frozenset()
    need_ids: frozenset[int] = frozenset()


_lock = threading.Lock()
_cache: dict[str, Catalogue] = {}
_event_cache: OrderedDict[tuple, MatchIndex] = OrderedDict()


def local_today() -> date:
    """Today's date in Vietnam."""
    return to_local(utcnow()).date()


def _count(table) -> sa.ScalarSelect:
    return sa.select(sa.func.count()).select_from(table).scalar_subquery()


def _agg(fn, column) -> sa.ScalarSelect:
    return sa.select(fn(column)).scalar_subquery()


def _version_text() -> sa.ColumnElement[str]:
    """The version as one text: counts, id sums and latest change times of the tables the
    records come from, ``|``-separated (equal texts mean equal records, except for the rare
    changes described in the module docstring)."""
    pc, snc = product_certifications.c, sourcing_need_categories.c
    nc, np_ = NeedCertification.__table__.c, NeedProvince.__table__.c
    parts = (
        _count(Product.__table__), _agg(sa.func.max, Product.updated_at),
        _count(SourcingNeed.__table__), _agg(sa.func.max, SourcingNeed.updated_at),
        _agg(sa.func.max, Organisation.updated_at),
        _count(Certification.__table__), _agg(sa.func.max, Certification.updated_at),
        _count(product_certifications), _agg(sa.func.sum, pc.product_id),
        _agg(sa.func.sum, pc.certification_id),
        _count(sourcing_need_categories), _agg(sa.func.sum, snc.sourcing_need_id),
        _agg(sa.func.sum, snc.category_id),
        _count(NeedCertification.__table__), _agg(sa.func.sum, nc.sourcing_need_id),
        _agg(sa.func.sum, sa.func.length(nc.kind)),
        _count(NeedProvince.__table__), _agg(sa.func.sum, np_.sourcing_need_id),
        _agg(sa.func.sum, np_.province_code),
    )
    text = None
    for part in parts:
        piece = sa.func.coalesce(sa.cast(part, sa.String), "")
        text = piece if text is None else text + "|" + piece
    return text


def catalogue_version(today: date | None = None) -> tuple[str, str]:
    """One statement: (version text, ``today`` (default: Vietnam's) as ISO date)."""
    text = db.session.execute(sa.select(_version_text())).scalar_one()
    return text, (today or local_today()).isoformat()


# The records statement is a UNION ALL of parts of one shape: a kind, INTS integers and
# TEXTS texts (NULL where a part has fewer).
INTS, TEXTS = 7, 10


def _part(kind: str, ints=(), texts=()) -> sa.Select:
    return sa.select(
        sa.literal(kind, sa.String).label("kind"),
        *(sa.cast(x, sa.BigInteger).label(f"i{i}") for i, x in enumerate(ints)),
        *(sa.cast(sa.null(), sa.BigInteger).label(f"i{i}") for i in range(len(ints), INTS)),
        *(sa.cast(x, sa.String).label(f"t{i}") for i, x in enumerate(texts)),
        *(sa.cast(sa.null(), sa.String).label(f"t{i}") for i in range(len(texts), TEXTS)))


def _records_statement(today: date, cached_version: str | None) -> sa.CompoundSelect:
    """The version row, then (only when the version is not ``cached_version``) the rows of
    the records; see the module docstring."""
    version = sa.select(_version_text().label("text")).cte("catalogue_version")
    # Each part reads its tables only when the version differs from the cached one, said
    # twice: joined after the one version row on that condition (SQLite's planner reads
    # the version first and stops there) and as a condition on nothing but the version
    # (PostgreSQL's "one-time filter", checked before the part's plan runs).
    stale = sa.true() if cached_version is None else (
        sa.select(version.c.text).scalar_subquery() != cached_version)

    def start(table):
        if cached_version is None:
            return table
        return version.join(table, version.c.text != cached_version)

    ocop, hs = aliased(Category), aliased(Category)
    pc, snc = product_certifications.c, sourcing_need_categories.c
    products = start(Product.__table__).join(
        Organisation, Organisation.id == Product.organisation_id).outerjoin(
        ocop, ocop.id == Product.ocop_category_id).outerjoin(
        hs, hs.id == Product.hs_category_id)
    needs = start(SourcingNeed.__table__).join(
        Organisation, Organisation.id == SourcingNeed.organisation_id)
    certificates = start(product_certifications).join(
        Certification, Certification.id == pc.certification_id)
    categories = start(sourcing_need_categories).join(
        Category, Category.id == snc.category_id)
    return sa.union_all(
        _part("v", texts=[version.c.text]).select_from(version),
        _part("p", ints=[Product.id, Product.organisation_id, Product.ocop_stars,
                         Product.monthly_capacity, Product.price_min_vnd, Product.price_max_vnd,
                         Organisation.province_code],
              texts=[Product.name, Product.unit, Organisation.name, Organisation.side,
                     ocop.path, ocop.name_vi, ocop.name_en, hs.path, hs.name_vi, hs.name_en])
        .select_from(products).where(stale, Product.active.is_(True)),
        _part("n", ints=[SourcingNeed.id, SourcingNeed.organisation_id,
                         SourcingNeed.min_ocop_stars, SourcingNeed.monthly_volume,
                         SourcingNeed.target_price_vnd],
              texts=[SourcingNeed.title, SourcingNeed.unit, Organisation.name,
                     Organisation.side])
        .select_from(needs).where(stale, SourcingNeed.active.is_(True),
                                  sa.or_(SourcingNeed.active_until.is_(None),
                                         SourcingNeed.active_until >= today)),
        # certificates count while valid today
        _part("pc", ints=[pc.product_id], texts=[Certification.kind])
        .select_from(certificates).where(stale, sa.or_(Certification.expires_on.is_(None),
                                                       Certification.expires_on >= today)),
        _part("nc", ints=[snc.sourcing_need_id],
              texts=[Category.path, Category.name_vi, Category.name_en])
        .select_from(categories).where(stale),
        _part("nk", ints=[NeedCertification.sourcing_need_id], texts=[NeedCertification.kind])
        .select_from(start(NeedCertification.__table__)).where(stale),
        _part("np", ints=[NeedProvince.sourcing_need_id, NeedProvince.province_code])
        .select_from(start(NeedProvince.__table__)).where(stale),
    )


@dataclass
class _Records:
    """What one run of the records statement read."""

    version: str
    products: list[ProductRecord] = field(default_factory=list)
    needs: list[NeedRecord] = field(default_factory=list)
    organisations: dict[int, OrganisationInfo] = field(default_factory=dict)
    categories: dict[str, CategoryName] = field(default_factory=dict)


def _read(today: date, cached_version: str | None) -> _Records:
    """Run the records statement and turn its rows into records."""
    version = ""
    product_rows, need_rows = [], []
    product_certs: dict[int, set[str]] = defaultdict(set)
    need_paths: dict[int, list[str]] = defaultdict(list)
    need_kinds: dict[int, set[str]] = defaultdict(set)
    need_provinces: dict[int, set[int]] = defaultdict(set)
    categories: dict[str, CategoryName] = {}
    for row in db.session.execute(_records_statement(today, cached_version)):
        kind = row[0]
        if kind == "p":
            product_rows.append(row)
        elif kind == "n":
            need_rows.append(row)
        elif kind == "pc":
            product_certs[row.i0].add(row.t0)
        elif kind == "nc":
            need_paths[row.i0].append(row.t0)
            categories[row.t0] = CategoryName(row.t1, row.t2)
        elif kind == "nk":
            need_kinds[row.i0].add(row.t0)
        elif kind == "np":
            need_provinces[row.i0].add(row.i1)
        else:
            version = row.t0

    out = _Records(version, categories=categories)
    for r in product_rows:
        paths = []
        for path, name_vi, name_en in ((r.t4, r.t5, r.t6), (r.t7, r.t8, r.t9)):
            if path:
                paths.append(path)
                categories[path] = CategoryName(name_vi, name_en)
        if not paths:
            continue
        out.organisations[r.i1] = OrganisationInfo(r.i1, r.t2, r.t3)
        out.products.append(ProductRecord(
            id=r.i0, producer_id=r.i1, category_paths=tuple(paths), name=r.t0,
            ocop_stars=r.i2, certifications=frozenset(product_certs.get(r.i0, ())),
            monthly_capacity=r.i3, unit=r.t1, price_min_vnd=r.i4, price_max_vnd=r.i5,
            province_code=r.i6))
    for r in need_rows:
        paths = sorted(need_paths.get(r.i0, ()))
        if not paths:
            continue
        out.organisations[r.i1] = OrganisationInfo(r.i1, r.t2, r.t3)
        out.needs.append(NeedRecord(
            id=r.i0, distributor_id=r.i1, category_paths=tuple(paths), title=r.t0,
            required_certifications=frozenset(need_kinds.get(r.i0, ())),
            min_ocop_stars=r.i2, monthly_volume=r.i3, unit=r.t1, target_price_vnd=r.i4,
            delivery_provinces=frozenset(need_provinces.get(r.i0, ()))))
    return out


def load_records(today: date | None = None) -> tuple[
        list[ProductRecord], list[NeedRecord], dict[int, OrganisationInfo],
        dict[str, CategoryName]]:
    """Products, needs, their organisations and category names, in one statement.

    Returns ``(products, needs, organisations, categories)``; ``organisations`` holds the
    producers and distributors of the records, ``categories`` maps every category path the
    records use to its names.
    """
    got = _read(today or local_today(), None)
    return got.products, got.needs, got.organisations, got.categories


def _key() -> str:
    return str(db.engine.url)


def catalogue(today: date | None = None) -> Catalogue:
    """The current :class:`Catalogue`, in one statement whether the cached one is current
    or must be rebuilt (see the module docstring)."""
    today = today or local_today()
    key = _key()
    cached = _cache.get(key)
    if cached is not None and (cached.version[1] != today.isoformat()
                               or time.monotonic() - cached.built_at >= MAX_AGE_SECONDS):
        cached = None  # a new day, or too old: read everything again
    got = _read(today, cached.version[0] if cached is not None else None)
    version = (got.version, today.isoformat())
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        built = _cache.get(key)  # another thread may have built this version meanwhile
        if built is None or built.version != version:
            built = Catalogue(version, MatchIndex.build(got.products, got.needs),
                              got.organisations, got.categories)
            _cache[key] = built
        return built


def clear_cache() -> None:
    """Forget every cached catalogue and event index of this process."""
    with _lock:
        _cache.clear()
        _event_cache.clear()


def event_participants(event_id: int) -> list[Participant]:
    """The event's approved and checked-in registrations, with their organisation's name and
    the products or needs they brought; one statement. Ordered by registration id."""
    rp, rn = registration_products.c, registration_needs.c
    rows = db.session.execute(
        sa.select(Registration.id, Registration.organisation_id, Registration.side,
                  Registration.status, Organisation.name, Organisation.name_key,
                  rp.product_id, rn.sourcing_need_id)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .outerjoin(registration_products, rp.registration_id == Registration.id)
        .outerjoin(registration_needs, rn.registration_id == Registration.id)
        .where(Registration.event_id == event_id, Registration.status.in_(TAKING_PART))
        .order_by(Registration.id)).all()
    found: dict[int, dict] = {}
    for reg_id, org_id, side, status, name, name_key, product_id, need_id in rows:
        entry = found.setdefault(reg_id, dict(
            registration_id=reg_id, organisation_id=org_id, side=side, status=status,
            name=name, name_key=name_key, product_ids=set(), need_ids=set()))
        if product_id is not None:
            entry["product_ids"].add(product_id)
        if need_id is not None:
            entry["need_ids"].add(need_id)
    return [Participant(**{**e, "product_ids": frozenset(e["product_ids"]),
                           "need_ids": frozenset(e["need_ids"])}) for e in found.values()]


def event_index(cat: Catalogue, participants: list[Participant]) -> MatchIndex:
    """The index over the participants' records (see the module docstring); cached per
    process by catalogue version and participants."""
    signature = tuple(sorted((p.organisation_id, p.side, tuple(sorted(p.product_ids)),
                              tuple(sorted(p.need_ids))) for p in participants))
    key = (_key(), cat.version, signature)
    with _lock:
        found = _event_cache.get(key)
        if found is not None:
            _event_cache.move_to_end(key)
            return found
    producers = {p.organisation_id: p.product_ids for p in participants
                 if p.side == RegistrationSide.PRODUCER}
    distributors = {p.organisation_id: p.need_ids for p in participants
                    if p.side == RegistrationSide.DISTRIBUTOR}
    ix = cat.index
    products = []
    for org_id, offered in producers.items():
        lo, hi = ix.producer_range.get(org_id, (0, 0))
        products += [p for p in ix.products[lo:hi] if not offered or p.id in offered]
    needs = []
    for org_id, offered in distributors.items():
        lo, hi = ix.distributor_range.get(org_id, (0, 0))
        needs += [n for n in ix.needs[lo:hi] if not offered or n.id in offered]
    built = MatchIndex.build(products, needs)
    with _lock:
        _event_cache[key] = built
        while len(_event_cache) > EVENT_CACHE_SIZE:
            _event_cache.popitem(last=False)
    return built
