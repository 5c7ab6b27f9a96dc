"""Product search and browse: parameters, ranked full-text query, filters, facets, pages.

Used by the browse page (``/products/``) and the JSON API (``/api/v1/products``), which take
the same parameters (:mod:`matchmaker.catalogue.search_params`). Only active products are
ever found.

Text query semantics: the query is folded (:func:`matchmaker.text.fold`: case, diacritics,
đ/Đ and tone-mark placement ignored) and split into words; every word must match a word of
the product's search key (:mod:`matchmaker.catalogue.search_index`), the last one whole or as
its beginning (it may still be being typed), so "tra" finds "Trà xanh" and also "Trầm hương",
"trắng", and "nuoc ma" finds "Nước mắm", but "nuo mam" finds nothing. Relevance puts
whole-word matches above prefix-only matches and, within those, matches in the product name
above matches elsewhere (five tiers, see ``_TextMatch``); within a tier, newest first. The
words reach the full-text engine only as quoted terms of letters and digits, so no query
syntax (quotes, ``*``, ``OR``, ``NOT``, ``-``, ``NEAR``, ``&``, ``!``) can be injected. An
empty query (or one without letters or digits) browses everything, newest first.

Filters: category (an OCOP or HS path; descendants included), province of the producer,
certification kind (a valid, unexpired certificate of that kind linked to the product, or for
``ocop_3``/``ocop_4``/``ocop_5`` the product's own OCOP stars), minimum OCOP stars, and a price
range in VND that must overlap the product's price range (a product without any price is left
out when a price filter is set). Facet counts follow the usual rule: each facet counts with
the text query and every *other* filter, so it shows what choosing another value would give.

Statements per search: one for the page of results (producer and categories joined, cover
image id as a subquery) and one for the total (or, with facets, one ``UNION ALL`` for the total
and all facet counts); one more to look up an HS category filter. The OCOP tree (names for the
facets) is cached per process for five minutes (:func:`ocop_categories`), and totals and facet
counts of searches matching 20,000 products or more for one minute.

Cost: a ranked page reads about one page of index entries per relevance tier, whatever the
number of matches; totals and facets are counted over all matches (``bench/search.py``).
"""

import time
from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY, distinct_on
from sqlalchemy.orm import contains_eager, joinedload

from matchmaker.catalogue.models import Category, Product, ProductImage, product_certifications
from matchmaker.catalogue.search_index import FTS_TABLE, NAME_MARK, PG_TSV_COLUMN
from matchmaker.catalogue.search_params import STAR_LEVELS, SearchParams
from matchmaker.extensions import db
from matchmaker.organisations.divisions import province_name
from matchmaker.organisations.models import Certification, CertificationKind, Organisation
from matchmaker.timeutil import to_local, utcnow


@dataclass(frozen=True)
class CategoryInfo:
    """A category's identity and names, detached from any database session (cacheable)."""

    id: int
    scheme: str
    code: str
    path: str
    level: int
    sort_order: int
    name_vi: str | None
    name_en: str | None

    @classmethod
    def of(cls, category: Category) -> "CategoryInfo":
        """Copy the fields of a :class:`Category` row."""
        return cls(category.id, category.scheme, category.code, category.path, category.level,
                   category.sort_order, category.name_vi, category.name_en)

    def name(self, locale: str = "vi") -> str:
        """The name in ``locale``, falling back to the other language (as ``Category.name``)."""
        first, second = (self.name_en, self.name_vi) if locale == "en" else (
            self.name_vi, self.name_en)
        return first or second or ""


@dataclass
class FacetNode:
    """A category facet entry: count of matching products in the category or below it."""

    category: CategoryInfo
    count: int
    children: list["FacetNode"] = field(default_factory=list)


@dataclass
class Facets:
    """Counts for the current query and the other filters (see module docstring).

    ``categories``: OCOP major groups with their groups as children (zero counts left out);
    ``provinces``: ``(code, name, count)`` by count, then name; ``stars``: ``{3: n, 4: n, 5: n}``
    products with *at least* that many stars; ``certs``: ``(kind, count)`` in
    :class:`CertificationKind` order.
    """

    categories: list[FacetNode]
    provinces: list[tuple[int, str, int]]
    stars: dict[int, int]
    certs: list[tuple[str, int]]


@dataclass
class Hit:
    """One product found, with the id of its cover image (position 0) or None."""

    product: Product
    cover_image_id: int | None


@dataclass
class SearchResult:
    """A page of hits out of ``total`` matches. ``category`` is the filtered category (None when
    not filtering or when the path does not exist: then ``unknown_category`` is True and the
    filter was not applied)."""

    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: Facets | None = None
    category: CategoryInfo | None = None
    unknown_category: bool = False

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    def page_window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: first, last and ``around`` either side of the current one;
        ``None`` marks a gap. ``[1, None, 4, 5, 6, 7, 8, None, 20]`` for page 6 of 20."""
        shown = sorted({1, self.pages} | {n for n in range(self.page - around,
                                                            self.page + around + 1)
                                          if 1 <= n <= self.pages})
        window: list[int | None] = []
        for n in shown:
            if window and n - window[-1] > 1:
                window.append(None)
            window.append(n)
        return window


# --- SQL building blocks -------------------------------------------------------------------

class _TextMatch:
    """The words of a query as full-text queries for one dialect, by relevance tier.

    With W = every word whole, P = every word whole but the last, which may be only begun,
    "name" = in the product name, a match falls in exactly one tier (W-name implies W and
    P-name):

    ====  =================================  ==========================================
    tier  condition                          e.g. for "tra"
    ====  =================================  ==========================================
    7     W in the name                      Trà xanh
    5     W anywhere, P in the name, not 7   Hương trầm (description says "trà")
    4     W anywhere, not P in the name      Chè xanh (its OCOP group "Chè" is "trà")
    1     P in the name, not W anywhere      Trầm hương Kỳ Sơn
    0     P anywhere, nothing better         Gạo (description says "trắng")
    ====  =================================  ==========================================

    Within a tier the newest product comes first. Each tier is read newest first and stopped
    after the page, and tiers after those that fill the page are not read at all, so a ranked
    page costs about the same however many products match (SQLite: straight from the FTS5
    index, in rowid order; PostgreSQL: see ``_ranked_ids``). Scoring every match with BM25 or
    ts_rank instead cost 100-230 ms at 100,000 products on SQLite.
    """

    def __init__(self, dialect: str, tokens: tuple[str, ...]):
        if dialect not in ("sqlite", "postgresql"):
            # Only the two supported databases have the full-text structures (0003_search).
            raise RuntimeError(f"full-text search supports SQLite and PostgreSQL, not {dialect}")
        self.dialect = dialect
        self.tokens = tokens
        if not tokens:
            return  # browsing: no text condition
        # Tokens hold only letters and digits, so they cannot escape the quotes (FTS5 strings,
        # tsquery lexemes): no query syntax can be injected.
        # Only the last word may be a beginning ("nuoc ma" finds "nước mắm"): the words before
        # it were typed out, and each prefix costs the index a scan of every word it begins.
        if dialect == "sqlite":
            whole = " AND ".join(f'"{t}"' for t in tokens)
            prefix = " AND ".join([*(f'"{t}"' for t in tokens[:-1]), f'"{tokens[-1]}"*'])
            w_name, p_name = f"name_key : ({whole})", f"name_key : ({prefix})"
            self.any = prefix
            # FTS5 reads its index in rowid order with no planner to misjudge a rare tier, so
            # each tier is exact: (tier, query, exclude).
            self._tiers = [
                (7, w_name, None),
                (5, f"(({whole}) AND ({p_name})) NOT ({w_name})", None),
                (4, f"({whole}) NOT ({p_name})", None),
                (1, f"({p_name}) NOT ({whole})", None),
                (0, f"(({prefix}) NOT ({whole})) NOT ({p_name})", None),
            ]
        else:
            mark = NAME_MARK
            whole = " & ".join(f"'{t}'" for t in tokens)
            prefix = " & ".join([*(f"'{t}'" for t in tokens[:-1]), f"'{tokens[-1]}':*"])
            w_name = " & ".join(f"'{mark}{t}'" for t in tokens)
            p_name = " & ".join([*(f"'{mark}{t}'" for t in tokens[:-1]),
                                 f"'{mark}{tokens[-1]}':*"])
            self.any = prefix
            # The exact condition of each tier (checked row by row on recent products).
            self._exact = {
                7: w_name,
                5: f"({whole}) & ({p_name}) & !({w_name})",
                4: f"({whole}) & !({p_name})",
                1: f"({p_name}) & !({whole})",
                0: f"({prefix}) & !({whole}) & !({p_name})",
            }
            # Through the index, PostgreSQL's planner misjudges how rare "a but not b" is and
            # may then walk the whole table in id order looking for it. So each tier reads a
            # positive query (its members and better ones: twice the page is enough, see
            # _ranked_ids) and drops the better ones afterwards.
            self._tiers = [
                (7, w_name, None),
                (5, f"{whole} & {p_name}", w_name),
                (4, whole, p_name),
                (1, p_name, whole),
                (0, prefix, f"({whole}) | ({p_name})"),
            ]

    def tiers(self, ranked: bool) -> list[tuple[int, str, str | None]]:
        """``(tier, query, exclude)``: all tiers, or one tier of every match (for "newest")."""
        return self._tiers if ranked else [(0, self.any, None)]

    def exact(self, tier: int) -> str:
        """PostgreSQL: the condition for exactly ``tier`` (see the table above)."""
        return self._exact[tier]

    def tsquery(self, query: str):
        """PostgreSQL: ``query`` as a tsquery, taken as written (no parser between)."""
        return sa.cast(query, TSQUERY)

    def matches(self, query: str, tsv=None):
        """PostgreSQL: the ``products.search_tsv @@ query`` condition."""
        tsv = tsv if tsv is not None else sa.literal_column(f"products.{PG_TSV_COLUMN}")
        return tsv.op("@@")(self.tsquery(query))

    def matching(self, stmt: sa.Select, query: str | None = None) -> sa.Select:
        """``stmt`` (over ``products``) restricted to matches of ``query`` (default: any)."""
        query = query or self.any
        if self.dialect == "sqlite":
            fts = sa.table(FTS_TABLE, sa.column("rowid"))
            return (stmt.join(fts, fts.c.rowid == Product.id)
                    .where(sa.literal_column(FTS_TABLE).op("MATCH")(query)))
        return stmt.where(self.matches(query))

    def count_all(self) -> sa.Select:
        """SQLite: the number of matches straight from the index (it holds active products
        only, see :mod:`matchmaker.catalogue.search_index`)."""
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        return (sa.select(sa.func.count()).select_from(fts)
                .where(sa.literal_column(FTS_TABLE).op("MATCH")(self.any)))


def _subtree_ids(path: str):
    return sa.select(Category.id).where(Category.subtree_filter(Category.path, path))


def _conditions(cols, params: SearchParams, today: date, skip: str = "") -> list:
    """Filter conditions over ``cols`` (product columns), except the filter named ``skip``.

    The province is the producer's: ``cols.organisation_id`` must be one of the province's
    organisations (a small set, looked up once per statement).
    """
    conditions = []
    if params.category and skip != "category":
        if params.category.startswith("ocop/"):
            # The OCOP tree is cached: its ids as literals let the planners use the column's
            # statistics (a subquery looked like one category to PostgreSQL).
            ids = [c.id for c in ocop_categories()
                   if c.path == params.category or c.path.startswith(params.category + "/")]
            conditions.append(cols.ocop_category_id.in_(ids))
        else:
            conditions.append(cols.hs_category_id.in_(_subtree_ids(params.category)))
    # On SQLite "+ 0" keeps the planner from probing an index once per member of a set for
    # every row (or from driving the full-text query from the set): the set is built once and
    # each row is checked against it. PostgreSQL may combine those indexes with the GIN index.
    sqlite = db.engine.dialect.name == "sqlite"
    if params.province is not None and skip != "province":
        conditions.append((cols.organisation_id + 0 if sqlite else cols.organisation_id).in_(
            sa.select(Organisation.id).where(Organisation.province_code == params.province)))
    if params.stars is not None and skip != "stars":
        conditions.append(cols.ocop_stars >= params.stars)
    if params.cert and skip != "cert":
        cert = Certification.__table__
        # The certified products are found once per statement.
        linked = (cols.id + 0 if sqlite else cols.id).in_(
            sa.select(product_certifications.c.product_id)
            .join(cert, cert.c.id == product_certifications.c.certification_id)
            .where(cert.c.kind == params.cert,
                   sa.or_(cert.c.expires_on.is_(None), cert.c.expires_on >= today)))
        if params.cert.startswith("ocop_"):
            linked = sa.or_(linked, cols.ocop_stars == int(params.cert[-1]))
        conditions.append(linked)
    if params.price_min is not None:
        conditions.append(sa.func.coalesce(cols.price_max_vnd, cols.price_min_vnd)
                          >= params.price_min)
    if params.price_max is not None:
        conditions.append(sa.func.coalesce(cols.price_min_vnd, cols.price_max_vnd)
                          <= params.price_max)
    return conditions


_PRODUCT_COLS = SimpleNamespace(
    id=Product.id, organisation_id=Product.organisation_id,
    ocop_category_id=Product.ocop_category_id, hs_category_id=Product.hs_category_id,
    ocop_stars=Product.ocop_stars, price_min_vnd=Product.price_min_vnd,
    price_max_vnd=Product.price_max_vnd,
)


def _cover_image_id():
    return (sa.select(ProductImage.id)
            .where(ProductImage.product_id == Product.id, ProductImage.position == 0)
            .correlate(Product).scalar_subquery())


# PostgreSQL plans each part from single-word statistics, so it misjudges how common a query
# is: words that go together ("mây tre") look rare, and it reads every match (85 ms at
# 1,000,000 products); words it has never seen look common, and it walks the table in id
# order hoping to meet them (4.8 s for no match). So the newest products are read first, a
# fixed number of them (RECENT_FACTOR per result wanted, four times as many when filters thin
# the matches out), each given its tier from its stored tsvector: that fills the page whenever
# the query is common. Older products, needed only when it is not, are reached through the
# full-text index alone, at the cost of their matches.
RECENT_FACTOR = 100
RECENT_MAX = 50_000


def _ranked_ids(params: SearchParams, text: _TextMatch, today: date, ranked: bool):
    """``(id, tier)`` of the best ``page * per_page`` matches, as a subquery (unordered).

    Branches are ``UNION ALL``-ed best first, each in id order and limited; the union is
    limited too. SQLite and PostgreSQL run such branches one after the other and stop at the
    limit, so once the best tiers fill the page the others are never read.

    PostgreSQL's older-product branches read a positive query and drop better tiers afterwards
    (see ``_TextMatch``): a tier is read only when fewer than ``wanted`` products are in the
    better tiers, so its best ``2 * wanted`` candidates hold its best ``wanted`` members.
    """
    wanted = params.page * params.per_page
    conditions = _conditions(_PRODUCT_COLS, params, today)
    branches = []
    if text.dialect == "sqlite":
        for tier, query, _exclude in text.tiers(ranked):
            # The FTS5 table drives, read in rowid order (newest first); it holds only active
            # products.
            fts = sa.table(FTS_TABLE, sa.column("rowid"))
            branch = (sa.select(fts.c.rowid.label("id"), sa.literal(tier).label("tier"))
                      .where(sa.literal_column(FTS_TABLE).op("MATCH")(query))
                      .order_by(fts.c.rowid.desc()))
            if conditions:
                branch = branch.join(Product, Product.id == fts.c.rowid).where(*conditions)
            inner = branch.limit(wanted).subquery()
            branches.append(sa.select(inner.c.id, inner.c.tier))
        return sa.union_all(*branches).limit(wanted).subquery("ranked")

    tsv = sa.literal_column(f"products.{PG_TSV_COLUMN}")
    size = min(RECENT_MAX, RECENT_FACTOR * wanted * (4 if conditions else 1))
    # The newest `size` products, read in id order and no further (the LIMIT fences the plan),
    # and the id where they stop, which the older branches start below.
    newest = (sa.select(*_PRODUCT_COLS.__dict__.values(), Product.active, tsv.label("tsv"))
              .order_by(Product.id.desc()).limit(size).subquery("newest"))
    floor = sa.func.coalesce(
        sa.select(Product.id).order_by(Product.id.desc()).offset(size - 1).limit(1)
        .scalar_subquery(), 0)
    tiers = text.tiers(ranked)
    tier_of = sa.literal(tiers[-1][0])
    if len(tiers) > 1:
        tier_of = sa.case(*[(text.matches(text.exact(t), newest.c.tsv), t)
                            for t, _q, _x in tiers[:-1]], else_=tier_of)
    recent = (sa.select(newest.c.id, tier_of.label("tier"))
              .where(newest.c.active, text.matches(text.any, newest.c.tsv),
                     *_conditions(newest.c, params, today))
              .cte("recent").prefix_with("MATERIALIZED"))
    for tier, query, exclude in tiers:
        inner = (sa.select(recent.c.id, recent.c.tier).where(recent.c.tier == tier)
                 .order_by(recent.c.id.desc()).limit(wanted).subquery())
        branches.append(sa.select(inner.c.id, inner.c.tier))
        candidates = _older_candidates(params, text, today, query, floor, conditions)
        candidates = candidates.limit(wanted if exclude is None else 2 * wanted).subquery()
        branch = sa.select(candidates.c.id, sa.literal(tier).label("tier"))
        if exclude is not None:
            branch = branch.where(sa.not_(text.matches(exclude, candidates.c.tsv)))
        inner = branch.order_by(candidates.c.id.desc()).limit(wanted).subquery()
        branches.append(sa.select(inner.c.id, inner.c.tier))
    return sa.union_all(*branches).limit(wanted).subquery("ranked")


def _older_candidates(params: SearchParams, text: _TextMatch, today: date, query: str, floor,
                      conditions: list) -> sa.Select:
    """PostgreSQL: ``(id, tsv)`` of active products below ``floor`` matching ``query`` and the
    filters, newest first (the caller limits it)."""
    tsv = sa.literal_column(f"products.{PG_TSV_COLUMN}")
    if params.cert and not params.cert.startswith("ocop_"):
        # Certified products are fewer than the matches of a common word: the planner may
        # walk them newest first through the link table's primary key and stop at the page,
        # which at worst reads every certified product, never the whole table.
        cert = Certification.__table__
        link = product_certifications
        return (sa.select(Product.id.label("id"), tsv.label("tsv"))
                .select_from(link)
                .join(cert, cert.c.id == link.c.certification_id)
                .join(Product, Product.id == link.c.product_id)
                .where(cert.c.kind == params.cert,
                       sa.or_(cert.c.expires_on.is_(None), cert.c.expires_on >= today),
                       link.c.product_id < floor, Product.active, text.matches(query),
                       *_conditions(_PRODUCT_COLS, params, today, skip="cert"))
                .ext(distinct_on(link.c.product_id))  # a product with two such certificates
                .order_by(link.c.product_id.desc()))
    # "id + 0": no walking the id order here; the full-text index finds the older matches.
    return (sa.select(Product.id.label("id"), tsv.label("tsv"))
            .where(Product.active, Product.id < floor, text.matches(query), *conditions)
            .order_by((Product.id + 0).desc()))


def _page_ids(params: SearchParams, text: _TextMatch, today: date):
    """The page as a narrow subquery ``(id, tier, name_sort_key)`` and its ordering.

    Only ids and sort keys travel through filtering and sorting; whole rows are read for the
    page alone (products' rows are wide).
    """
    offset = (params.page - 1) * params.per_page
    if text.tokens and params.order in ("relevance", "newest"):
        ranked = _ranked_ids(params, text, today, ranked=params.order == "relevance")
        page = (sa.select(ranked.c.id, ranked.c.tier)
                .order_by(ranked.c.tier.desc(), ranked.c.id.desc())
                .limit(params.per_page).offset(offset).subquery("page"))
        return page, (page.c.tier.desc(), page.c.id.desc())
    conditions = [Product.active, *_conditions(_PRODUCT_COLS, params, today)]
    by_name = params.order == "name"
    columns = (Product.id, Product.name_sort_key) if by_name else (Product.id,)
    stmt = sa.select(*columns).where(*conditions)
    if text.tokens:
        stmt = text.matching(stmt)
    name = Product.name_sort_key
    if by_name and (text.tokens or len(conditions) > 1):
        # Filtered: walking the name index until enough rows pass the filters reads half the
        # table when they sort late (1.6 s at 1,000,000 products on PostgreSQL); an ordering
        # expression no index serves makes the database filter first and sort what is left
        # (0.3 s there; on SQLite from the narrow covering index).
        name = (sa.literal_column(f"+{Product.__tablename__}.name_sort_key")
                if text.dialect == "sqlite"
                else Product.name_sort_key.concat(sa.literal(b"", sa.LargeBinary)))
    order = (name, Product.id) if by_name else (Product.id.desc(),)
    page = stmt.order_by(*order).limit(params.per_page).offset(offset).subquery("page")
    return page, ((page.c.name_sort_key, page.c.id) if by_name else (page.c.id.desc(),))


def _results(params: SearchParams, text: _TextMatch, today: date) -> list[Hit]:
    page, order = _page_ids(params, text, today)
    stmt = (
        sa.select(Product, _cover_image_id().label("cover_image_id"))
        .join(page, page.c.id == Product.id)
        .join(Product.organisation)
        # Producers' delivery provinces load "selectin" by default: not needed for a list.
        .options(contains_eager(Product.organisation).lazyload(Organisation.delivery_provinces),
                 joinedload(Product.ocop_category), joinedload(Product.hs_category))
        .order_by(*order)
    )
    return [Hit(product, cover) for product, cover in db.session.execute(stmt).unique()]


# Counting every match costs tens of milliseconds per 10,000 products (totals and facet counts
# of a broad search at 1,000,000 products: 0.2-2 s). Counts of 20,000 products or more are kept
# for a minute per process, keyed by database and search, so a popular search is counted once a
# minute; below that, counts are always exact and fresh.
COUNT_CACHE_MIN_PRODUCTS = 20_000
COUNT_CACHE_SECONDS = 60
_count_cache: dict[tuple, tuple[float, object]] = {}


def clear_count_cache() -> None:
    """Forget every cached total and facet count (tests, benchmarks, after bulk changes)."""
    _count_cache.clear()


def _cached_count(kind: str, params: SearchParams, today: date, compute, total_of):
    key = (kind, str(db.engine.url), replace(params, sort="", page=1), today)
    cached = _count_cache.get(key)
    if cached and time.monotonic() - cached[0] < COUNT_CACHE_SECONDS:
        return cached[1]
    value = compute()
    if total_of(value) >= COUNT_CACHE_MIN_PRODUCTS:
        _count_cache[key] = (time.monotonic(), value)
        while len(_count_cache) > 256:  # oldest first
            _count_cache.pop(next(iter(_count_cache)))
    return value


def _count(params: SearchParams, text: _TextMatch, today: date) -> int:
    def compute() -> int:
        if text.tokens and text.dialect == "sqlite" and not params.has_filters:
            return db.session.scalar(text.count_all()) or 0
        conditions = _conditions(_PRODUCT_COLS, params, today)
        stmt = sa.select(sa.func.count()).select_from(Product).where(Product.active,
                                                                    *conditions)
        if text.tokens:
            stmt = text.matching(stmt)
        return db.session.scalar(stmt) or 0

    return _cached_count("total", params, today, compute, lambda n: n)


def _facet_counts(params: SearchParams, text: _TextMatch, today: date) -> dict:
    """One statement: the total and every facet's counts, as ``{(facet, key): count}``."""
    return _cached_count("facets", params, today,
                         lambda: _count_facets(params, text, today),
                         lambda counts: counts.get(("total", None), 0))


def _count_facets(params: SearchParams, text: _TextMatch, today: date) -> dict:
    columns = (Product.id, Product.organisation_id, Product.ocop_category_id,
               Product.hs_category_id, Product.ocop_stars, Product.price_min_vnd,
               Product.price_max_vnd)
    matched = sa.select(*columns).where(Product.active)
    if text.tokens:
        matched = text.matching(matched)
    # Materialised once, scanned by each branch below (SQLite >= 3.35, PostgreSQL >= 12).
    m = matched.cte("matched").prefix_with("MATERIALIZED")

    def branch(facet: str, key, skip: str, source=m, count=None, group: bool = True):
        stmt = sa.select(sa.literal(facet).label("facet"), sa.cast(key, sa.String).label("key"),
                         sa.cast(count if count is not None else sa.func.count(),
                                 sa.BigInteger).label("n")).select_from(source)
        if source is m:
            stmt = stmt.where(*_conditions(m.c, params, today, skip))
        return stmt.group_by(key) if group else stmt

    # Provinces: count per producer first (few), then add up by the producers' province.
    per_org = (sa.select(m.c.organisation_id, sa.func.count().label("n"))
               .where(*_conditions(m.c, params, today, "province"))
               .group_by(m.c.organisation_id).subquery("per_org"))
    provinces = per_org.join(Organisation, Organisation.id == per_org.c.organisation_id)

    cert = Certification.__table__
    linked = (sa.select(m.c.id.label("pid"), cert.c.kind.label("kind"))
              .join(product_certifications, product_certifications.c.product_id == m.c.id)
              .join(cert, cert.c.id == product_certifications.c.certification_id)
              .where(sa.or_(cert.c.expires_on.is_(None), cert.c.expires_on >= today),
                     *_conditions(m.c, params, today, "cert")))
    starred = (sa.select(m.c.id, sa.literal("ocop_") + sa.cast(m.c.ocop_stars, sa.String))
               .where(m.c.ocop_stars.is_not(None), *_conditions(m.c, params, today, "cert")))
    kinds = sa.union(linked, starred).subquery("kinds")

    stmt = sa.union_all(
        branch("total", sa.null(), "", group=False),
        branch("cat", m.c.ocop_category_id, "category"),
        branch("province", Organisation.province_code, "province", source=provinces,
               count=sa.func.sum(per_org.c.n)),
        branch("stars", m.c.ocop_stars, "stars"),
        branch("cert", kinds.c.kind, "cert", source=kinds),
    )
    return {(facet, key): int(n) for facet, key, n in db.session.execute(stmt)}


def _build_facets(counts: dict, ocop: list[CategoryInfo]) -> Facets:
    by_id = {c.id: c for c in ocop}
    by_path = {c.path: c for c in ocop}
    totals: dict[str, int] = {}
    for (facet, key), n in counts.items():
        if facet == "cat" and key is not None and int(key) in by_id:
            parts = by_id[int(key)].path.split("/")
            for i in range(2, len(parts) + 1):
                path = "/".join(parts[:i])
                totals[path] = totals.get(path, 0) + n
    nodes = {path: FacetNode(by_path[path], n) for path, n in totals.items() if n}
    roots = []
    for path in sorted(nodes, key=lambda p: (by_path[p].level, by_path[p].sort_order, p)):
        node, category = nodes[path], by_path[path]
        if category.level == 1:
            roots.append(node)
        elif category.level == 2 and category.path.rsplit("/", 1)[0] in nodes:
            nodes[category.path.rsplit("/", 1)[0]].children.append(node)

    provinces = [(int(key), province_name(int(key)), n)
                 for (facet, key), n in counts.items()
                 if facet == "province" and key is not None and n]
    provinces.sort(key=lambda item: (-item[2], item[1]))
    exact = {int(key): n for (facet, key), n in counts.items()
             if facet == "stars" and key is not None}
    stars = {level: sum(n for s, n in exact.items() if s >= level) for level in STAR_LEVELS}
    certs = [(kind.value, counts[("cert", kind.value)]) for kind in CertificationKind
             if counts.get(("cert", kind.value))]
    return Facets(roots, provinces, stars, certs)


# The OCOP tree is 39 rows of reference data, changed only by `flask import-categories`: each
# process keeps a copy for a few minutes instead of reading it on every page.
OCOP_CACHE_SECONDS = 300
_ocop_cache: dict[str, tuple[float, tuple[CategoryInfo, ...]]] = {}


def _load(key: str, other_path: str | None) -> list[Category]:
    # The OCOP tree, and an HS category in the same statement when one is wanted.
    wanted = [Category.scheme == "ocop"] + ([Category.path == other_path] if other_path else [])
    rows = db.session.scalars(sa.select(Category).where(sa.or_(*wanted))).all()
    _ocop_cache[key] = (time.monotonic(),
                        tuple(CategoryInfo.of(c) for c in rows if c.scheme == "ocop"))
    return rows


def ocop_categories() -> tuple[CategoryInfo, ...]:
    """Every OCOP category (levels 1-3), cached per database for :data:`OCOP_CACHE_SECONDS`."""
    key = str(db.engine.url)
    cached = _ocop_cache.get(key)
    if cached is None or time.monotonic() - cached[0] > OCOP_CACHE_SECONDS:
        _load(key, None)
    return _ocop_cache[key][1]


def clear_category_cache() -> None:
    """Forget the cached OCOP tree (after reloading categories in this process)."""
    _ocop_cache.clear()


def _categories(path: str | None, with_tree: bool):
    """``(OCOP tree or (), the category at path or None)`` in one statement at most."""
    is_ocop = (path or "").startswith("ocop/")
    other = path if path and not is_ocop else None
    key = str(db.engine.url)
    cached = _ocop_cache.get(key)
    stale = cached is None or time.monotonic() - cached[0] > OCOP_CACHE_SECONDS
    found = None
    if (with_tree or is_ocop) and stale:
        found = next((c for c in _load(key, other) if other and c.path == other), None)
    elif other:
        found = db.session.scalar(sa.select(Category).where(Category.path == other))
    tree = ocop_categories() if with_tree or is_ocop else ()
    if is_ocop:
        return tree, next((c for c in tree if c.path == path), None)
    return tree, CategoryInfo.of(found) if found is not None else None


def ranked_hits(params: SearchParams, *, today: date | None = None) -> list[Hit]:
    """Only the page of hits of :func:`search`, in its order: one SQL statement, no total.

    ``params.category`` must exist (it is not checked here). For benchmarks and callers that
    need no count.
    """
    text = _TextMatch(db.session.get_bind().dialect.name, params.tokens)
    return _results(params, text, today or local_today())


def local_today() -> date:
    """Today's date in Vietnam (certificate validity is a calendar date)."""
    return to_local(utcnow()).date()


class UnknownCategory(LookupError):
    """The ``category`` parameter names no category (raised when asked to be strict)."""


def search(params: SearchParams, *, with_facets: bool = False, today: date | None = None,
           strict: bool = False) -> SearchResult:
    """Run a search; see the module docstring for semantics and statement counts.

    Args:
        params: from :func:`parse_params`.
        with_facets: also compute :class:`Facets` (the browse page; the API does not).
        today: the date certificates must be valid on; default today in Vietnam.
        strict: raise :class:`UnknownCategory` for a ``params.category`` that does not exist,
            before searching. Otherwise that filter is left out and ``unknown_category`` set.

    Pages past the end give no hits (``total`` still counts all). Database errors propagate.
    """
    today = today or local_today()
    ocop, selected = _categories(params.category, with_tree=with_facets)
    unknown = bool(params.category) and selected is None
    if unknown and strict:
        raise UnknownCategory(params.category)
    if unknown:
        params = replace(params, category=None)
    text = _TextMatch(db.session.get_bind().dialect.name, params.tokens)
    hits = _results(params, text, today)
    facets = None
    if with_facets:
        counts = _facet_counts(params, text, today)
        total = counts.get(("total", None), 0)
        facets = _build_facets(counts, ocop)
    else:
        total = _count(params, text, today)
    return SearchResult(hits, total, params.page, params.per_page, facets, selected, unknown)
