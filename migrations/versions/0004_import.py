"""import: row text in the report; match reviews outlive the organisation merged away

Revision ID: 0004_import
Revises: 0003_search
Create Date: 2026-11-29 19:30:00

A merge deletes the duplicate organisation, so ``organisation_match_reviews.organisation_id``
becomes nullable with ON DELETE SET NULL (it was CASCADE, which deleted the record of the
merge), and the review keeps the duplicate's name and identity key.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_import'
down_revision = '0003_search'
branch_labels = None
depends_on = None

FK = 'fk_organisation_match_reviews_organisation_id_organisations'


def upgrade():
    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('producer_name', sa.String(length=255), nullable=True))

    with op.batch_alter_table('organisation_match_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('organisation_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.create_foreign_key(FK, 'organisations', ['organisation_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_organisation_match_reviews_organisation_key'),
                              ['organisation_key'], unique=False)


def downgrade():
    # Reviews of merged organisations have no organisation left: they cannot go back.
    op.execute("DELETE FROM organisation_match_reviews WHERE organisation_id IS NULL")
    with op.batch_alter_table('organisation_match_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_match_reviews_organisation_key'))
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.create_foreign_key(FK, 'organisations', ['organisation_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('decided_at')
        batch_op.drop_column('organisation_key')
        batch_op.drop_column('organisation_name')

    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.drop_column('producer_name')
        batch_op.drop_column('product_name')
