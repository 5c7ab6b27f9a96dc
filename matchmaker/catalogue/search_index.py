"""What the product search indexes, and how the index is kept current.

``Product.search_key`` holds the folded words of a product (:func:`matchmaker.text.fold`):
its name, description, producer's name, and the Vietnamese and English names of its OCOP and HS
categories and all their ancestors, as ASCII-ish words separated by single spaces. The
database's own full-text machinery indexes it (see :mod:`matchmaker.catalogue.search`):

* SQLite: a contentless FTS5 table ``products_fts(name_key, search_key)`` holding the active
  products (tokenizer ``unicode61 remove_diacritics 2``, prefix indexes for 1-3 letters), kept
  in step by three triggers on ``products`` (SQLite FTS5 documentation, 4.4.2 "Contentless
  Tables" and 4.4.3 "External Content Tables" for the trigger recipe); plus a narrow covering
  index ``ix_products_search_filters`` for filters and facet counts.
* PostgreSQL: a stored generated column ``products.search_tsv`` (``'simple'`` configuration;
  the name's words also as ``~word``) with a GIN index over the active products. PostgreSQL
  documentation 12.2.2 ("Creating Indexes"), 11.8 ("Partial Indexes") and 5.3 ("Generated
  Columns").

None of these is described by the SQLAlchemy metadata (they are dialect-specific), so
Alembic's autogenerate must skip them: pass :func:`include_name` as ``include_name``.

``Product.name_sort_key`` holds :func:`name_sort_key`, a byte string whose plain byte order is
Vietnamese alphabetical order, so ``ORDER BY name_sort_key`` sorts names as dictionaries do.

A ``before_flush`` listener (registered when this module is imported) recomputes both keys for
products that are new or whose name, description, producer or categories changed, for every
product of an organisation whose name changed, and for every product under a category whose
names changed. Bulk loaders that bypass the ORM (``insert()`` executemany) must compute the
keys themselves with :func:`product_search_key` and :func:`name_sort_key`.
"""

import re
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.catalogue.models import Category, Product
from matchmaker.organisations.models import Organisation
from matchmaker.text import fold, sort_key

FTS_TABLE = "products_fts"
PG_TSV_COLUMN = "search_tsv"
PG_TSV_INDEX = "ix_products_search_tsv"
SQLITE_FILTER_INDEX = "ix_products_search_filters"

# A token is a run of letters or digits, exactly as FTS5's unicode61 tokenizer splits text.
_TOKEN_RE = re.compile(r"[^\W_]+")

# Only the first characters of a name decide its place in the list: keeps every key well under
# PostgreSQL's B-tree entry limit (about 2,700 bytes). Longer names that share these characters
# are ordered by id.
SORT_KEY_CHARS = 100

# Words a category is also known by. The OCOP group "Chè" is the tea group of Decision
# 148/QĐ-TTg (fresh and processed tea; tea-like products of other plants); "trà" is the other
# Vietnamese word for tea (Hoàng Phê, Từ điển tiếng Việt: "trà: chè"), so "trà" finds them too.
CATEGORY_ALIASES: dict[str, str] = {
    "ocop/I/I.5": "trà",
    "hs/II/09/0902": "trà chè",
}

# The product attributes whose change alters the search key.
_KEY_ATTRIBUTES = ("name", "description", "organisation", "organisation_id", "ocop_category",
                   "ocop_category_id", "hs_category", "hs_category_id")


def search_tokens(text: str | None) -> list[str]:
    """The folded words of ``text``: ``"Nước mắm (Cửa Lò)"`` -> ``["nuoc", "mam", "cua", "lo"]``.

    Case, diacritics, đ/Đ and tone-mark placement are folded away (:func:`matchmaker.text.fold`);
    anything that is not a letter or digit separates words. ``None`` gives ``[]``.
    """
    return _TOKEN_RE.findall(fold(text))


def ancestor_paths(path: str) -> list[str]:
    """Ancestor-or-self paths of a category path, root first.

    ``"ocop/I/I.4/I.4.a"`` -> ``["ocop/I", "ocop/I/I.4", "ocop/I/I.4/I.4.a"]``; ``""`` -> ``[]``.
    """
    parts = path.split("/") if path else []
    return ["/".join(parts[: i + 1]) for i in range(1, len(parts))]


def product_search_key(
    name: str | None,
    description: str | None,
    organisation_name: str | None,
    category_paths: Iterable[str | None],
    category_names: Mapping[str, str],
) -> str:
    """The text to index for one product: folded words separated by single spaces.

    Args:
        name, description, organisation_name: as stored (any case or normal form).
        category_paths: the paths of the product's categories (OCOP and/or HS; ``None`` skipped).
        category_names: path -> the category's folded names (``Category.name_key``) for at least
            every ancestor-or-self of ``category_paths``; missing paths are skipped.

    The name comes first; then description, producer and each category chain from the root
    down, with :data:`CATEGORY_ALIASES`. Never raises.
    """
    parts = [name, description, organisation_name]
    for path in category_paths:
        for ancestor in ancestor_paths(path or ""):
            parts.append(category_names.get(ancestor))
            parts.append(CATEGORY_ALIASES.get(ancestor))
    return " ".join(token for part in parts for token in search_tokens(part))


def _escape(level: str) -> bytes:
    # 0x00 separates levels, so it must not occur inside one: 0x00 -> 01 01, 0x01 -> 01 02.
    # The code is prefix-free and monotonic, so byte order of the result is the order of the text.
    raw = level.encode("utf-8", "surrogatepass")
    return raw.replace(b"\x01", b"\x01\x02").replace(b"\x00", b"\x01\x01")


def name_sort_key(name: str | None) -> bytes:
    """``text.sort_key(name)`` as one byte string that sorts the same under ``memcmp``.

    For any names ``a`` and ``b`` (within their first :data:`SORT_KEY_CHARS` characters),
    ``name_sort_key(a) < name_sort_key(b)`` exactly when ``sort_key(a) < sort_key(b)``: a ă â b
    c d đ e ê … (CLDR ``vi`` collation), then tones, then case. The four levels are UTF-8
    encoded, escaped and joined by a 0x00 byte, which sorts below every escaped byte, so a
    shorter level sorts first as in tuple comparison. Stored as BLOB/BYTEA, which SQLite and
    PostgreSQL both compare byte by byte, whatever the database collation.
    """
    return b"\x00".join(_escape(level) for level in sort_key((name or "")[:SORT_KEY_CHARS]))


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic ``include_name`` hook: False for the search objects the metadata does not describe.

    Those are the SQLite FTS5 table and its shadow tables (``products_fts*``) and covering index
    (``ix_products_search_filters``), and PostgreSQL's ``products.search_tsv`` column and its
    GIN index. Use it in ``migrations/env.py`` and wherever the schema is compared with the
    models.
    """
    if name is None:
        return True
    if type_ == "table":
        return name != FTS_TABLE and not name.startswith(FTS_TABLE + "_")
    if type_ == "column":
        return not (name == PG_TSV_COLUMN and parent_names.get("table_name") == "products")
    if type_ == "index":
        return name not in (PG_TSV_INDEX, SQLITE_FILTER_INDEX)
    return True


# --- DDL -----------------------------------------------------------------------------------

# Only active products are indexed, so a match needs no look at `products` to know it may be
# shown, and a count comes from the index alone. The index is contentless: it keeps no copy of
# the text, and removal passes the old values, as FTS5 requires (FTS5 documentation 4.4.2).
_SQLITE_DDL = (
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        name_key, search_key, content='',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')""",
    f"""CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON products WHEN new.active BEGIN
        INSERT INTO {FTS_TABLE}(rowid, name_key, search_key)
        VALUES (new.id, new.name_key, new.search_key);
    END""",
    f"""CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON products WHEN old.active BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name_key, search_key)
        VALUES ('delete', old.id, old.name_key, old.search_key);
    END""",
    f"""CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF name_key, search_key, active ON products
    BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name_key, search_key)
        SELECT 'delete', old.id, old.name_key, old.search_key WHERE old.active;
        INSERT INTO {FTS_TABLE}(rowid, name_key, search_key)
        SELECT new.id, new.name_key, new.search_key WHERE new.active;
    END""",
    f"""INSERT INTO {FTS_TABLE}(rowid, name_key, search_key)
        SELECT id, name_key, search_key FROM products WHERE active""",
    # Products' rows are wide (description, search key); filters and facet counts read these
    # few columns from this narrow index instead, by id (after a text match) or in full.
    f"""CREATE INDEX {SQLITE_FILTER_INDEX} ON products (id, active, organisation_id,
        ocop_category_id, hs_category_id, ocop_stars, price_min_vnd, price_max_vnd,
        name_sort_key)""",
)
SQLITE_TRIGGERS = (f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au")

# PostgreSQL: the words of search_key, plus the words of the name again marked "~" ("~tra"),
# so that "in the name" is a plain lexeme test that the GIN index answers exactly (weights
# would force a recheck of every candidate row). Punctuation in name_key becomes a space so
# that the words are those of search_tokens(). The index covers active products; a larger
# statistics target helps the planner judge how common a word is.
NAME_MARK = "~"
_PG_NAME_WORDS = ("array_to_tsvector(array_remove(string_to_array(regexp_replace(btrim("
                  "regexp_replace(name_key, '[^[:alnum:]]+', ' ', 'g')), '(\\S+)', "
                  f"'{NAME_MARK}\\1', 'g'), ' '), ''))")
_PG_DDL = (
    # strip(): no word positions, which nothing here uses; the rows get much smaller.
    f"""ALTER TABLE products ADD COLUMN {PG_TSV_COLUMN} tsvector GENERATED ALWAYS AS (
        strip(to_tsvector('simple'::regconfig, search_key) || {_PG_NAME_WORDS})) STORED""",
    f"ALTER TABLE products ALTER COLUMN {PG_TSV_COLUMN} SET STATISTICS 1000",
    f"CREATE INDEX {PG_TSV_INDEX} ON products USING gin ({PG_TSV_COLUMN}) WHERE active",
)


def create_search_structures(connection: sa.Connection) -> None:
    """Create the full-text index for ``connection``'s dialect and fill it from ``products``.

    SQLite: the FTS5 table (filled with the active products), its triggers and the covering
    index. PostgreSQL: the generated ``search_tsv`` column (filled by PostgreSQL) and its
    partial GIN index. Other dialects: nothing.
    Any migration that recreates ``products`` on SQLite (Alembic batch mode copies the table and
    loses its triggers) must call :func:`drop_search_structures` before and this after.
    """
    statements = {"sqlite": _SQLITE_DDL, "postgresql": _PG_DDL}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_structures(connection: sa.Connection) -> None:
    """Undo :func:`create_search_structures` (for downgrades and table rebuilds)."""
    if connection.dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {SQLITE_FILTER_INDEX}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_TSV_INDEX}")
        connection.exec_driver_sql(f"ALTER TABLE products DROP COLUMN IF EXISTS {PG_TSV_COLUMN}")


# --- keeping keys current ------------------------------------------------------------------

def _category_names(session: Session, paths: set[str]) -> dict[str, str]:
    wanted = {ancestor for path in paths for ancestor in ancestor_paths(path)}
    if not wanted:
        return {}
    rows = session.execute(sa.select(Category.path, Category.name_key)
                           .where(Category.path.in_(sorted(wanted))))
    names = {path: name for path, name in rows}
    # Inside a flush the database still has the old names of categories being changed.
    names.update({c.path: c.name_key for c in session.dirty
                  if isinstance(c, Category) and c.path in wanted})
    return names


def _related(session: Session, obj, relationship: str, foreign_key: str, model: type):
    # Whichever side was set last wins: an assigned relationship (maybe to an unflushed object)
    # or a changed foreign-key id (the relationship may still hold the old object).
    history = sa.inspect(obj).attrs[relationship].history
    if history.added:
        return history.added[0]
    ident = getattr(obj, foreign_key)
    return session.get(model, ident) if ident is not None else None


def _changed(obj, attributes: Iterable[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def refresh_keys(session: Session, products: Iterable[Product]) -> int:
    """Recompute ``search_key`` and ``name_sort_key`` of ``products`` in place (no flush).

    Loads the producers and category names it needs (one query for all category names).
    Returns how many products had a key changed.
    """
    inputs = []
    for product in products:
        organisation = _related(session, product, "organisation", "organisation_id", Organisation)
        categories = [
            _related(session, product, "ocop_category", "ocop_category_id", Category),
            _related(session, product, "hs_category", "hs_category_id", Category),
        ]
        inputs.append((product, organisation, [c.path for c in categories if c is not None]))
    names = _category_names(session, {path for _p, _o, paths in inputs for path in paths})
    changed = 0
    for product, organisation, paths in inputs:
        key = product_search_key(product.name, product.description,
                                 organisation.name if organisation else None, paths, names)
        sort = name_sort_key(product.name)
        if product.search_key != key or product.name_sort_key != sort:
            product.search_key, product.name_sort_key = key, sort
            changed += 1
    return changed


def _products_to_refresh(session: Session) -> list[Product]:
    products: dict[int, Product] = {}
    for obj in session.new:
        if isinstance(obj, Product):
            products[id(obj)] = obj
    renamed_orgs, renamed_paths = [], []
    for obj in session.dirty:
        if isinstance(obj, Product) and _changed(obj, _KEY_ATTRIBUTES):
            products[id(obj)] = obj
        elif isinstance(obj, Organisation) and obj.id is not None and _changed(obj, ("name",)):
            renamed_orgs.append(obj.id)
        elif isinstance(obj, Category) and obj.id is not None and _changed(obj, ("name_key",)):
            renamed_paths.append(obj.path)
    if renamed_orgs or renamed_paths:
        affected = [Product.organisation_id.in_(renamed_orgs)]
        if renamed_paths:
            in_categories = sa.select(Category.id).where(sa.or_(
                *(Category.subtree_filter(Category.path, path) for path in renamed_paths)))
            affected += [Product.ocop_category_id.in_(in_categories),
                         Product.hs_category_id.in_(in_categories)]
        for product in session.scalars(sa.select(Product).where(sa.or_(*affected))):
            products.setdefault(id(product), product)
    return [p for p in products.values() if p not in session.deleted]


def _before_flush(session: Session, _flush_context, _instances) -> None:
    # Autoflush is off while a flush runs, so the lookups below cannot recurse into it.
    products = _products_to_refresh(session)
    if products:
        refresh_keys(session, products)


def register() -> None:
    """Install the ``before_flush`` listener on every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


register()


def reindex_products(session: Session, batch_size: int = 1000) -> int:
    """Recompute every product's keys, in batches; returns how many changed. Flushes.

    For use after bulk changes that bypassed the ORM (raw SQL, a category file reloaded with
    Core statements). Changed keys reach the full-text index through the triggers (SQLite) or
    the generated column (PostgreSQL).
    """
    changed = 0
    last_id = 0
    while True:
        batch = session.scalars(sa.select(Product).where(Product.id > last_id)
                                .order_by(Product.id).limit(batch_size)).all()
        if not batch:
            return changed
        changed += refresh_keys(session, batch)
        session.flush()
        last_id = batch[-1].id
