"""search: products.name_sort_key, search keys filled in, full-text index (FTS5 / tsvector)

Revision ID: 0003_search
Revises: 0002
Create Date: 2026-11-29 19:00:00

SQLite gets a contentless FTS5 table of the active products, kept by triggers, and a narrow
covering index; PostgreSQL a generated (stripped) tsvector column with a GIN index over active
products (see matchmaker/catalogue/search_index.py; Alembic's autogenerate must skip these with
search_index.include_name). Existing products get their search and sort keys computed here, with
the same functions the application uses, before the index is filled.
"""
from alembic import op
import sqlalchemy as sa

from matchmaker.catalogue.search_index import (
    create_search_structures,
    drop_search_structures,
    name_sort_key,
    product_search_key,
)

# revision identifiers, used by Alembic.
revision = '0003_search'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 1000

products = sa.table(
    'products', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer),
    sa.column('name', sa.String), sa.column('description', sa.Text),
    sa.column('ocop_category_id', sa.Integer), sa.column('hs_category_id', sa.Integer),
    sa.column('search_key', sa.Text), sa.column('name_sort_key', sa.LargeBinary),
)
organisations = sa.table('organisations', sa.column('id', sa.Integer),
                         sa.column('name', sa.String))
categories = sa.table('categories', sa.column('id', sa.Integer), sa.column('path', sa.String),
                      sa.column('name_key', sa.String))


def _fill_keys(conn):
    paths = dict(conn.execute(sa.select(categories.c.id, categories.c.path)).all())
    names = dict(conn.execute(sa.select(categories.c.path, categories.c.name_key)).all())
    org_names = dict(conn.execute(sa.select(organisations.c.id, organisations.c.name)).all())
    update = (products.update().where(products.c.id == sa.bindparam('pid'))
              .values(search_key=sa.bindparam('key'), name_sort_key=sa.bindparam('sort')))
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(products).where(products.c.id > last_id)
            .order_by(products.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(update, [
            {'pid': r.id,
             'key': product_search_key(
                 r.name, r.description, org_names.get(r.organisation_id),
                 [paths.get(r.ocop_category_id), paths.get(r.hs_category_id)], names),
             'sort': name_sort_key(r.name)}
            for r in rows])
        last_id = rows[-1].id


def upgrade():
    conn = op.get_bind()
    # A NOT NULL column added to a filled table needs a default; an empty byte string per
    # dialect (the ORM always writes the real key).
    empty = sa.text("X''") if conn.dialect.name == 'sqlite' else sa.text("'\\x'::bytea")
    op.add_column('products', sa.Column('name_sort_key', sa.LargeBinary(), nullable=False,
                                        server_default=empty))
    op.create_index('ix_products_name_sort_key', 'products', ['name_sort_key'], unique=False)
    _fill_keys(conn)
    create_search_structures(conn)


def downgrade():
    conn = op.get_bind()
    drop_search_structures(conn)
    op.drop_index('ix_products_name_sort_key', table_name='products')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('name_sort_key')
