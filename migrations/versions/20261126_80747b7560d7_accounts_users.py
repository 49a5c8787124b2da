"""Key accounts, users, addresses, sign-in sessions and the audit trail.

Revision ID: 80747b7560d7
Revises:
Create Date: 2026-11-26 18:51:48.953960

"""
import sqlalchemy as sa
from alembic import op

import portal.core.db

revision = "80747b7560d7"
down_revision = None
branch_labels = None
depends_on = None

ROLES = (
    "'buyer', 'approver', 'customer_admin', 'account_admin', 'sales_manager', "
    "'sales_director', 'inside_sales', 'field_sales', 'call_center', 'finance', 'sysadmin'"
)
REP_COLUMNS = ("inside_sales_rep_id", "backup_rep_id", "field_sales_rep_id")


def timestamps():
    return [
        sa.Column("created_at", portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.core.db.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade():
    # key_accounts and users refer to each other: accounts first, the rep keys once users exist.
    op.create_table(
        "key_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("welcome_text", sa.Text(), nullable=False),
        sa.Column("brand_colour", sa.String(length=7), nullable=False),
        sa.Column("hotline_phone", sa.String(length=40), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in REP_COLUMNS),
        sa.Column("logo_data", sa.LargeBinary(), nullable=True),
        sa.Column("logo_content_type", sa.String(length=40), nullable=True),
        sa.Column("logo_digest", sa.String(length=64), nullable=True),
        *timestamps(),
        sa.CheckConstraint(
            "tier IN ('platinum', 'gold', 'standard')", name=op.f("ck_key_accounts_tier")
        ),
        sa.CheckConstraint(
            "length(brand_colour) = 7", name=op.f("ck_key_accounts_brand_colour")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_accounts")),
        sa.UniqueConstraint("slug", name=op.f("uq_key_accounts_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column(
            "spending_limit_amount", portal.core.db.Amount(precision=19, scale=4), nullable=True
        ),
        sa.Column("spending_limit_currency", sa.String(length=3), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_changed_at", portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *timestamps(),
        sa.CheckConstraint(
            "(role IN ('buyer', 'approver', 'customer_admin')) = (account_id IS NOT NULL)",
            name=op.f("ck_users_account_for_buyer_roles"),
        ),
        sa.CheckConstraint(f"role IN ({ROLES})", name=op.f("ck_users_role")),
        sa.CheckConstraint(
            "spending_limit_amount >= 0", name=op.f("ck_users_spending_limit_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["key_accounts.id"],
            name=op.f("fk_users_account_id_key_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_account_id"), "users", ["account_id"])
    with op.batch_alter_table("key_accounts") as batch_op:
        for name in REP_COLUMNS:
            batch_op.create_foreign_key(
                op.f(f"fk_key_accounts_{name}_users"), "users", [name], ["id"], ondelete="SET NULL"
            )

    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        *timestamps(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["key_accounts.id"],
            name=op.f("fk_addresses_account_id_key_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index(op.f("ix_addresses_account_id"), "addresses", ["account_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index(op.f("ix_audit_events_target"), "audit_events", ["target"])

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_remembered", sa.Boolean(), nullable=False),
        sa.Column("created_at", portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])


def downgrade():
    op.drop_table("user_sessions")
    op.drop_table("audit_events")
    op.drop_table("addresses")
    with op.batch_alter_table("key_accounts") as batch_op:
        for name in REP_COLUMNS:
            batch_op.drop_constraint(op.f(f"fk_key_accounts_{name}_users"), type_="foreignkey")
    op.drop_table("users")
    op.drop_table("key_accounts")
