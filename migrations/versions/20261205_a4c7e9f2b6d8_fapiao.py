"""Fapiao: each account's invoicing details, the fapiao type chosen on an order, and the
fapiao finance issued against invoices (with their red-letter fapiao).

Revision ID: a4c7e9f2b6d8
Revises: f3a9c2d4e8b1
Create Date: 2026-12-05 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from portal.core.db import Amount, UTCDateTime

# revision identifiers, used by Alembic.
revision = "a4c7e9f2b6d8"
down_revision = "f3a9c2d4e8b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fapiao_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_title", sa.String(length=200), nullable=False),
        sa.Column("taxpayer_id", sa.String(length=18), nullable=False),
        sa.Column("registered_address", sa.String(length=300), nullable=False),
        sa.Column("registered_phone", sa.String(length=40), nullable=False),
        sa.Column("bank_name", sa.String(length=200), nullable=False),
        sa.Column("bank_account", sa.String(length=60), nullable=False),
        sa.Column("is_special_allowed", sa.Boolean(), nullable=False),
        sa.Column("is_ordinary_allowed", sa.Boolean(), nullable=False),
        sa.Column("is_electronic_allowed", sa.Boolean(), nullable=False),
        sa.Column("verified_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["key_accounts.id"],
            name=op.f("fk_fapiao_details_account_id_key_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_fapiao_details_verified_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fapiao_details")),
        sa.UniqueConstraint("account_id", name=op.f("uq_fapiao_details_account_id")),
    )
    op.create_index(
        op.f("ix_fapiao_details_account_id"), "fapiao_details", ["account_id"], unique=False
    )
    op.create_table(
        "issued_fapiao",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("fapiao_type", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", Amount(precision=19, scale=4), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=30), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("red_letter_needed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("red_letter_number", sa.String(length=40), nullable=True),
        sa.Column("red_letter_issued_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "fapiao_type IN ('special', 'ordinary', 'electronic')",
            name=op.f("ck_issued_fapiao_fapiao_type"),
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'red_letter_needed', 'red_letter_issued')",
            name=op.f("ck_issued_fapiao_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_issued_fapiao_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["key_accounts.id"],
            name=op.f("fk_issued_fapiao_account_id_key_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["order_milestones.id"],
            name=op.f("fk_issued_fapiao_milestone_id_order_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_issued_fapiao_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_issued_fapiao_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_fapiao")),
        sa.UniqueConstraint("number", name=op.f("uq_issued_fapiao_number")),
        sa.UniqueConstraint("red_letter_number", name=op.f("uq_issued_fapiao_red_letter_number")),
    )
    for column in ("account_id", "milestone_id", "order_id", "status"):
        op.create_index(op.f(f"ix_issued_fapiao_{column}"), "issued_fapiao", [column], unique=False)
    op.add_column(
        "orders", sa.Column("fapiao_type", sa.String(length=20), nullable=False, server_default="")
    )


def downgrade():
    op.drop_column("orders", "fapiao_type")
    for column in ("account_id", "milestone_id", "order_id", "status"):
        op.drop_index(op.f(f"ix_issued_fapiao_{column}"), table_name="issued_fapiao")
    op.drop_table("issued_fapiao")
    op.drop_index(op.f("ix_fapiao_details_account_id"), table_name="fapiao_details")
    op.drop_table("fapiao_details")
