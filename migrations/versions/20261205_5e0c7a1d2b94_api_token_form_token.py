"""API tokens remember the one-time token of the form that issued them, so a form sent twice
issues one token.

Revision ID: 5e0c7a1d2b94
Revises: 6c46c4e754b9
Create Date: 2026-12-05 12:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "5e0c7a1d2b94"
down_revision = "6c46c4e754b9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_api_tokens_form_token"), ["form_token"]
        )


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_tokens_form_token"), type_="unique")
        batch_op.drop_column("form_token")
