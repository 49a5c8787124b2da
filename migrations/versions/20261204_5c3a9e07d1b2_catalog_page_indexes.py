"""The buyer's catalog page reads its order, its page and its count through indexes: the
categories' menu order (unique, as the name alone is) and the active products per category.

Revision ID: 5c3a9e07d1b2
Revises: ffa3eb72abe0
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op

revision = '5c3a9e07d1b2'
down_revision = 'ffa3eb72abe0'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX on both databases: no batch mode, which could copy the tables.
    op.create_index(
        'uq_categories_position_name', 'categories', ['position', 'name'], unique=True
    )
    op.create_index(
        'ix_products_is_active_category_id', 'products', ['is_active', 'category_id'], unique=False
    )


def downgrade():
    op.drop_index('ix_products_is_active_category_id', table_name='products')
    op.drop_index('uq_categories_position_name', table_name='categories')
