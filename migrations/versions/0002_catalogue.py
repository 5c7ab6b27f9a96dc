"""catalogue: categories, organisation profiles, certifications, products, sourcing needs, imports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 18:32:23.200717

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('path', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('name_vi', sa.String(length=500), nullable=True),
    sa.Column('name_en', sa.String(length=500), nullable=True),
    sa.Column('name_key', sa.String(length=1000), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('set_number', sa.SmallInteger(), nullable=True),
    sa.CheckConstraint("scheme IN ('ocop', 'hs')", name=op.f('ck_categories_scheme_valid')),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_categories_level_valid')),
    sa.CheckConstraint('name_vi IS NOT NULL OR name_en IS NOT NULL', name=op.f('ck_categories_has_a_name')),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('path', name=op.f('uq_categories_path')),
    sa.UniqueConstraint('scheme', 'code', name='uq_categories_scheme_code'),
    sa.UniqueConstraint('set_number', name=op.f('uq_categories_set_number'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=True),
    sa.Column('issuer', sa.String(length=255), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('document_path', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('ocop_3', 'ocop_4', 'ocop_5', 'vietgap', 'globalgap', 'haccp', 'iso22000', 'organic', 'food_safety')", name=op.f('ck_certifications_kind_valid')),
    sa.CheckConstraint('expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on', name=op.f('ck_certifications_expires_after_issue')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_certifications_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certifications'))
    )
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certifications_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('organisation_delivery_provinces',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_delivery_provinces_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'province_code', name=op.f('pk_organisation_delivery_provinces'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('ocop_category_id', sa.Integer(), nullable=True),
    sa.Column('hs_category_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('price_min_vnd', sa.BigInteger(), nullable=True),
    sa.Column('price_max_vnd', sa.BigInteger(), nullable=True),
    sa.Column('min_order_qty', sa.Integer(), nullable=True),
    sa.Column('monthly_capacity', sa.Integer(), nullable=True),
    sa.Column('ocop_stars', sa.SmallInteger(), nullable=True),
    sa.Column('ocop_year', sa.SmallInteger(), nullable=True),
    sa.Column('ocop_decision', sa.String(length=80), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('search_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_products_name_not_empty')),
    sa.CheckConstraint('min_order_qty IS NULL OR min_order_qty > 0', name=op.f('ck_products_min_order_ok')),
    sa.CheckConstraint('monthly_capacity IS NULL OR monthly_capacity > 0', name=op.f('ck_products_capacity_ok')),
    sa.CheckConstraint('ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5', name=op.f('ck_products_ocop_stars_valid')),
    sa.CheckConstraint('price_max_vnd IS NULL OR (price_max_vnd >= 0 AND (price_min_vnd IS NULL OR price_max_vnd >= price_min_vnd))', name=op.f('ck_products_price_max_ok')),
    sa.CheckConstraint('price_min_vnd IS NULL OR price_min_vnd >= 0', name=op.f('ck_products_price_min_ok')),
    sa.ForeignKeyConstraint(['hs_category_id'], ['categories.id'], name=op.f('fk_products_hs_category_id_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ocop_category_id'], ['categories.id'], name=op.f('fk_products_ocop_category_id_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_products_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_hs_category_id'), ['hs_category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_ocop_category_id'), ['ocop_category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_ocop_stars'), ['ocop_stars'], unique=False)
        batch_op.create_index('ix_products_org_name_key', ['organisation_id', 'name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('sourcing_needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('monthly_volume', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('target_price_vnd', sa.BigInteger(), nullable=True),
    sa.Column('min_ocop_stars', sa.SmallInteger(), nullable=True),
    sa.Column('active_until', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_sourcing_needs_title_not_empty')),
    sa.CheckConstraint('min_ocop_stars IS NULL OR min_ocop_stars BETWEEN 3 AND 5', name=op.f('ck_sourcing_needs_min_ocop_stars_valid')),
    sa.CheckConstraint('monthly_volume IS NULL OR monthly_volume > 0', name=op.f('ck_sourcing_needs_volume_ok')),
    sa.CheckConstraint('target_price_vnd IS NULL OR target_price_vnd >= 0', name=op.f('ck_sourcing_needs_target_price_ok')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_sourcing_needs_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sourcing_needs'))
    )
    with op.batch_alter_table('sourcing_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sourcing_needs_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('producer_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_imported', sa.Integer(), nullable=False),
    sa.Column('rows_merged', sa.Integer(), nullable=False),
    sa.Column('rows_skipped', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_producer_imports_imported_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_producer_imports'))
    )
    with op.batch_alter_table('producer_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_producer_imports_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('product_certifications',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'], name=op.f('fk_product_certifications_certification_id_certifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_certifications_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'certification_id', name=op.f('pk_product_certifications'))
    )
    with op.batch_alter_table('product_certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_certifications_certification_id'), ['certification_id'], unique=False)

    op.create_table('product_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('thumb_path', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position >= 0 AND position < 5', name=op.f('ck_product_images_position_valid')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_images_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_images')),
    sa.UniqueConstraint('product_id', 'position', name='uq_product_images_position')
    )
    op.create_table('sourcing_need_categories',
    sa.Column('sourcing_need_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_sourcing_need_categories_category_id_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sourcing_need_id'], ['sourcing_needs.id'], name=op.f('fk_sourcing_need_categories_sourcing_need_id_sourcing_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sourcing_need_id', 'category_id', name=op.f('pk_sourcing_need_categories'))
    )
    with op.batch_alter_table('sourcing_need_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sourcing_need_categories_category_id'), ['category_id'], unique=False)

    op.create_table('sourcing_need_certifications',
    sa.Column('sourcing_need_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.CheckConstraint("kind IN ('ocop_3', 'ocop_4', 'ocop_5', 'vietgap', 'globalgap', 'haccp', 'iso22000', 'organic', 'food_safety')", name=op.f('ck_sourcing_need_certifications_kind_valid')),
    sa.ForeignKeyConstraint(['sourcing_need_id'], ['sourcing_needs.id'], name=op.f('fk_sourcing_need_certifications_sourcing_need_id_sourcing_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sourcing_need_id', 'kind', name=op.f('pk_sourcing_need_certifications'))
    )
    op.create_table('sourcing_need_provinces',
    sa.Column('sourcing_need_id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['sourcing_need_id'], ['sourcing_needs.id'], name=op.f('fk_sourcing_need_provinces_sourcing_need_id_sourcing_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sourcing_need_id', 'province_code', name=op.f('pk_sourcing_need_provinces'))
    )
    op.create_table('import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("outcome IN ('imported', 'merged', 'unchanged', 'skipped')", name=op.f('ck_import_rows_outcome_valid')),
    sa.ForeignKeyConstraint(['import_id'], ['producer_imports.id'], name=op.f('fk_import_rows_import_id_producer_imports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_import_rows_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_import_rows_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows')),
    sa.UniqueConstraint('import_id', 'row_number', name='uq_import_rows_row')
    )
    op.create_table('organisation_match_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('similarity', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'merged', 'kept_apart')", name=op.f('ck_organisation_match_reviews_status_valid')),
    sa.CheckConstraint('organisation_id <> candidate_id', name=op.f('ck_organisation_match_reviews_two_organisations')),
    sa.ForeignKeyConstraint(['candidate_id'], ['organisations.id'], name=op.f('fk_organisation_match_reviews_candidate_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_organisation_match_reviews_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_id'], ['producer_imports.id'], name=op.f('fk_organisation_match_reviews_import_id_producer_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_match_reviews_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_match_reviews')),
    sa.UniqueConstraint('organisation_id', 'candidate_id', name='uq_match_reviews_pair')
    )
    with op.batch_alter_table('organisation_match_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_match_reviews_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_match_reviews_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('legal_form', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('identity_key', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tax_code', sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column('province_code', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('ward_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('address_line', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('address_as_written', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('website', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('logo_path', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('buyer_type', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='registered', nullable=False))
        batch_op.create_index(batch_op.f('ix_organisations_identity_key'), ['identity_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_province_code'), ['province_code'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_tax_code'), ['tax_code'])
        # Autogenerate does not see CHECK constraints on an existing table: written by hand.
        batch_op.create_check_constraint(
            'legal_form_valid',
            "legal_form IN ('joint_stock', 'limited', 'partnership', 'private', 'cooperative', "
            "'cooperative_group', 'household', 'state', 'other')")
        batch_op.create_check_constraint(
            'buyer_type_valid',
            "buyer_type IN ('supermarket', 'wholesaler', 'exporter', 'retailer', 'ecommerce', "
            "'horeca', 'canteen')")
        batch_op.create_check_constraint(
            'source_valid', "source IN ('registered', 'imported', 'demo')")
    # Until an import or an edit recomputes it, an organisation's identity is its folded name.
    op.execute("UPDATE organisations SET identity_key = name_key WHERE identity_key = ''")



def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint('source_valid', type_='check')
        batch_op.drop_constraint('buyer_type_valid', type_='check')
        batch_op.drop_constraint('legal_form_valid', type_='check')
        batch_op.drop_constraint(batch_op.f('uq_organisations_tax_code'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_organisations_province_code'))
        batch_op.drop_index(batch_op.f('ix_organisations_identity_key'))
        batch_op.drop_column('source')
        batch_op.drop_column('buyer_type')
        batch_op.drop_column('logo_path')
        batch_op.drop_column('description')
        batch_op.drop_column('website')
        batch_op.drop_column('phone')
        batch_op.drop_column('address_as_written')
        batch_op.drop_column('address_line')
        batch_op.drop_column('ward_code')
        batch_op.drop_column('province_code')
        batch_op.drop_column('tax_code')
        batch_op.drop_column('identity_key')
        batch_op.drop_column('legal_form')
        batch_op.drop_column('short_name')

    with op.batch_alter_table('organisation_match_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_match_reviews_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_match_reviews_candidate_id'))

    op.drop_table('organisation_match_reviews')
    op.drop_table('import_rows')
    op.drop_table('sourcing_need_provinces')
    op.drop_table('sourcing_need_certifications')
    with op.batch_alter_table('sourcing_need_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sourcing_need_categories_category_id'))

    op.drop_table('sourcing_need_categories')
    op.drop_table('product_images')
    with op.batch_alter_table('product_certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_certifications_certification_id'))

    op.drop_table('product_certifications')
    with op.batch_alter_table('producer_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_producer_imports_file_sha256'))

    op.drop_table('producer_imports')
    with op.batch_alter_table('sourcing_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sourcing_needs_organisation_id'))

    op.drop_table('sourcing_needs')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_organisation_id'))
        batch_op.drop_index('ix_products_org_name_key')
        batch_op.drop_index(batch_op.f('ix_products_ocop_stars'))
        batch_op.drop_index(batch_op.f('ix_products_ocop_category_id'))
        batch_op.drop_index(batch_op.f('ix_products_hs_category_id'))

    op.drop_table('products')
    op.drop_table('organisation_delivery_provinces')
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certifications_organisation_id'))

    op.drop_table('certifications')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_parent_id'))

    op.drop_table('categories')
