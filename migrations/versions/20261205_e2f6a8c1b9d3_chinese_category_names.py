"""Chinese category names: a category's Chinese name, shown to Chinese viewers.

Revision ID: e2f6a8c1b9d3
Revises: b7d2e9c4a618
Create Date: 2026-12-05 00:55:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e2f6a8c1b9d3"
down_revision = 'b7d2e9c4a618'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "categories",
        sa.Column("name_zh", sa.String(length=100), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_column("categories", "name_zh")
