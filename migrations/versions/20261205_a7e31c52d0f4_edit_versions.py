"""Lost updates (SECURITY.md 37): key accounts, users, addresses, products, payment terms and
leads get the version their edit forms carry, as contracts and price rules have. Existing rows
start at 1.

Revision ID: a7e31c52d0f4
Revises: 714d101f5f54
Create Date: 2026-12-05 00:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7e31c52d0f4'
down_revision = '714d101f5f54'
branch_labels = None
depends_on = None

TABLES = ('key_accounts', 'users', 'addresses', 'products', 'payment_terms', 'leads')


def upgrade():
    # ADD COLUMN with a default fills every existing row on both databases, without batch mode.
    for table in TABLES:
        op.add_column(
            table, sa.Column('version', sa.Integer(), nullable=False, server_default='1')
        )


def downgrade():
    # DROP COLUMN (SQLite 3.35 and later), not batch mode: rebuilding users or payment_terms
    # would trip, or cascade through, the foreign keys that point at them.
    for table in reversed(TABLES):
        op.drop_column(table, 'version')
