"""Chinese product names: a product's Chinese name and description, and the Chinese name on an
order line's snapshot.

Revision ID: d7b2c9e4a6f1
Revises: c4e8a1f09b3d
Create Date: 2026-12-05 00:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d7b2c9e4a6f1"
down_revision = "c4e8a1f09b3d"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "products",
        sa.Column("name_zh", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "products", sa.Column("description_zh", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "order_lines",
        sa.Column("name_zh", sa.String(length=200), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_column("order_lines", "name_zh")
    op.drop_column("products", "description_zh")
    op.drop_column("products", "name_zh")
