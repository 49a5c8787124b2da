"""Languages and time zones: a user's own language and (staff) time zone, an account's default
language.

Revision ID: c4e8a1f09b3d
Revises: a13e0f5d2c71
Create Date: 2026-12-05 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a1f09b3d'
down_revision = 'a13e0f5d2c71'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'key_accounts',
        sa.Column('default_locale', sa.String(length=10), nullable=False, server_default='en'),
    )
    op.add_column(
        'users', sa.Column('locale', sa.String(length=10), nullable=False, server_default='')
    )
    op.add_column(
        'users', sa.Column('time_zone', sa.String(length=64), nullable=False, server_default='')
    )


def downgrade():
    op.drop_column('users', 'time_zone')
    op.drop_column('users', 'locale')
    op.drop_column('key_accounts', 'default_locale')
