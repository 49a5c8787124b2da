"""The language a user last signed in with, for their e-mails while they have chosen none.

Revision ID: f3a9c2d4e8b1
Revises: 1456c87f9189
Create Date: 2026-12-05 01:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c2d4e8b1'
down_revision = '1456c87f9189'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'users', sa.Column('last_locale', sa.String(length=10), nullable=False, server_default='')
    )


def downgrade():
    op.drop_column('users', 'last_locale')
