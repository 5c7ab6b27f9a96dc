"""From database rows to the matching engine's records, with a per-process cache.

:func:`catalogue` returns a :class:`Catalogue`: the :class:`MatchIndex` over every active
product and open sourcing need, plus what pages show beside it (organisation names and
sides, category names). Building it costs three statements (products with their producer
and categories; needs with their distributor; one ``UNION ALL`` of product certifications,
need categories, required certification kinds and delivery provinces) and CPU time that
grows with the catalogue. So it is kept per process and database, and rebuilt only when the
*catalogue version* changes: one statement of counts, sums and latest ``updated_at`` over the
tables the records come from (:func:`catalogue_version`), plus today's date in Vietnam
(certificates expire and needs close by calendar day). A change the version cannot see (for
example a required certification kind swapped for another of the same length) is picked up
after :data:`MAX_AGE_SECONDS` at the latest.

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


def catalogue_version(today: date | None = None) -> tuple:
    """One statement: counts, id sums and latest change times of the tables the records come
    from, with ``today`` (default: Vietnam's). Equal versions mean equal records, except for
    the rare changes described in the module docstring."""
    pc, snc = product_certifications.c, sourcing_need_categories.c
    nc, np_ = NeedCertification.__table__.c, NeedProvince.__table__.c
    row = db.session.execute(sa.select(
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
    )).one()
    return (*(str(v) for v in row), (today or local_today()).isoformat())


def load_records(today: date | None = None) -> tuple[
        list[ProductRecord], list[NeedRecord], dict[int, OrganisationInfo],
        dict[str, CategoryName]]:
    """Products, needs, their organisations and category names, in three statements.

    Returns ``(products, needs, organisations, categories)``; ``organisations`` holds the
    producers and distributors of the records, ``categories`` maps every category path the
    records use to its names.
    """
    today = today or local_today()
    ocop, hs = aliased(Category), aliased(Category)
    categories: dict[str, CategoryName] = {}
    organisations: dict[int, OrganisationInfo] = {}

    product_rows = db.session.execute(
        sa.select(Product.id, Product.organisation_id, Product.name, Product.ocop_stars,
                  Product.monthly_capacity, Product.unit, Product.price_min_vnd,
                  Product.price_max_vnd, Organisation.province_code, Organisation.name,
                  Organisation.side,
                  ocop.path, ocop.name_vi, ocop.name_en, hs.path, hs.name_vi, hs.name_en)
        .join(Organisation, Organisation.id == Product.organisation_id)
        .outerjoin(ocop, ocop.id == Product.ocop_category_id)
        .outerjoin(hs, hs.id == Product.hs_category_id)
        .where(Product.active.is_(True))).all()
    need_rows = db.session.execute(
        sa.select(SourcingNeed.id, SourcingNeed.organisation_id, SourcingNeed.title,
                  SourcingNeed.min_ocop_stars, SourcingNeed.monthly_volume, SourcingNeed.unit,
                  SourcingNeed.target_price_vnd, Organisation.name, Organisation.side)
        .join(Organisation, Organisation.id == SourcingNeed.organisation_id)
        .where(SourcingNeed.active.is_(True),
               sa.or_(SourcingNeed.active_until.is_(None),
                      SourcingNeed.active_until >= today))).all()

    # One statement for the four kinds of attribute rows: (kind, owner id, text, number,
    # name_vi, name_en). Certificates count while valid today.
    text_null = sa.cast(sa.null(), sa.String)
    pc = product_certifications.c
    attributes = sa.union_all(
        sa.select(sa.literal("pc"), pc.product_id, sa.cast(Certification.kind, sa.String),
                  sa.cast(sa.null(), sa.Integer), text_null, text_null)
        .join(Certification, Certification.id == pc.certification_id)
        .where(sa.or_(Certification.expires_on.is_(None), Certification.expires_on >= today)),
        sa.select(sa.literal("nc"), sourcing_need_categories.c.sourcing_need_id,
                  sa.cast(Category.path, sa.String), sa.cast(sa.null(), sa.Integer),
                  sa.cast(Category.name_vi, sa.String), sa.cast(Category.name_en, sa.String))
        .join(Category, Category.id == sourcing_need_categories.c.category_id),
        sa.select(sa.literal("nk"), NeedCertification.sourcing_need_id,
                  sa.cast(NeedCertification.kind, sa.String), sa.cast(sa.null(), sa.Integer),
                  text_null, text_null),
        sa.select(sa.literal("np"), NeedProvince.sourcing_need_id, text_null,
                  sa.cast(NeedProvince.province_code, sa.Integer), text_null, text_null),
    )
    product_certs: dict[int, set[str]] = defaultdict(set)
    need_paths: dict[int, list[str]] = defaultdict(list)
    need_kinds: dict[int, set[str]] = defaultdict(set)
    need_provinces: dict[int, set[int]] = defaultdict(set)
    for kind, owner, text, number, name_vi, name_en in db.session.execute(attributes):
        if kind == "pc":
            product_certs[owner].add(text)
        elif kind == "nc":
            need_paths[owner].append(text)
            categories[text] = CategoryName(name_vi, name_en)
        elif kind == "nk":
            need_kinds[owner].add(text)
        else:
            need_provinces[owner].add(number)

    products = []
    for row in product_rows:
        paths = []
        for path, name_vi, name_en in ((row[11], row[12], row[13]), (row[14], row[15], row[16])):
            if path:
                paths.append(path)
                categories[path] = CategoryName(name_vi, name_en)
        if not paths:
            continue
        organisations[row[1]] = OrganisationInfo(row[1], row[9], row[10])
        products.append(ProductRecord(
            id=row[0], producer_id=row[1], category_paths=tuple(paths), name=row[2],
            ocop_stars=row[3], certifications=frozenset(product_certs.get(row[0], ())),
            monthly_capacity=row[4], unit=row[5], price_min_vnd=row[6], price_max_vnd=row[7],
            province_code=row[8]))
    needs = []
    for row in need_rows:
        paths = sorted(need_paths.get(row[0], ()))
        if not paths:
            continue
        organisations[row[1]] = OrganisationInfo(row[1], row[7], row[8])
        needs.append(NeedRecord(
            id=row[0], distributor_id=row[1], category_paths=tuple(paths), title=row[2],
            required_certifications=frozenset(need_kinds.get(row[0], ())),
            min_ocop_stars=row[3], monthly_volume=row[4], unit=row[5],
            target_price_vnd=row[6],
            delivery_provinces=frozenset(need_provinces.get(row[0], ()))))
    return products, needs, organisations, categories


def _key() -> str:
    return str(db.engine.url)


def catalogue(today: date | None = None) -> Catalogue:
    """The current :class:`Catalogue`: one statement when the cached one is current, four
    when it must be rebuilt (see the module docstring)."""
    version = catalogue_version(today)
    key = _key()
    cached = _cache.get(key)
    if cached is not None and cached.version == version \
            and time.monotonic() - cached.built_at < MAX_AGE_SECONDS:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.version == version \
                and time.monotonic() - cached.built_at < MAX_AGE_SECONDS:
            return cached
        products, needs, organisations, categories = load_records(today)
        built = Catalogue(version, MatchIndex.build(products, needs), organisations,
                          categories)
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
