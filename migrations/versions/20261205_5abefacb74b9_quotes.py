"""Quotes: requests for quote, their versions (either side's word), lines, the departments'
sign-offs and the history, with a counter for quote numbers; order lines name the quote whose
price they were ordered at.

Revision ID: 5abefacb74b9
Revises: 3b8d1e6f0a92
Create Date: 2026-12-05 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


# revision identifiers, used by Alembic.
revision = '5abefacb74b9'
down_revision = '3b8d1e6f0a92'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quote_number_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_quote_number_counters'))
    )
    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('due_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('wanted_by', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('lost_reason', sa.String(length=20), nullable=True),
    sa.Column('lost_comment', sa.Text(), nullable=False),
    sa.Column('lost_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lost_by_id', sa.Integer(), nullable=True),
    sa.Column('request_token', sa.String(length=32), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("lost_reason IS NULL OR lost_reason IN ('price', 'timing', 'competitor', 'no_longer_needed', 'other')", name=op.f('ck_quotes_lost_reason')),
    sa.CheckConstraint("status IN ('requested', 'in_review', 'sent', 'accepted', 'ordered', 'lost')", name=op.f('ck_quotes_status')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_quotes_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_quotes_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lost_by_id'], ['users.id'], name=op.f('fk_quotes_lost_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_quotes_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_quotes_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_quotes_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('account_id', 'request_token', name=op.f('uq_quotes_account_id')),
    sa.UniqueConstraint('number', name=op.f('uq_quotes_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_quotes_order_id'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_quotes_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_quotes_status_due', ['status', 'due_at'], unique=False)

    op.create_table('quote_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('requested', 'routed', 'reassigned', 'escalated', 'submitted', 'price_approved', 'price_rejected', 'signed_off', 'sent', 'changes_requested', 'renewal_requested', 'accepted', 'ordered', 'lost')", name=op.f('ck_quote_events_kind')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_quote_events_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_quote_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_quote_events_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_events_quote_id_quotes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_events'))
    )
    with op.batch_alter_table('quote_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_events_quote_id'), ['quote_id'], unique=False)

    op.create_table('quote_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('total_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('depth_percent', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approval_comment', sa.Text(), nullable=False),
    sa.Column('accepted_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("side IN ('buyer', 'supplier')", name=op.f('ck_quote_versions_side')),
    sa.CheckConstraint("status IN ('draft', 'in_review', 'sent')", name=op.f('ck_quote_versions_status')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_quote_versions_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_quote_versions_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_quote_versions_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_quote_versions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_versions_quote_id_quotes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_versions')),
    sa.UniqueConstraint('quote_id', 'number', name=op.f('uq_quote_versions_quote_id'))
    )
    with op.batch_alter_table('quote_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_versions_account_id'), ['account_id'], unique=False)

    op.create_table('quote_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('tax_category', sa.String(length=20), nullable=False),
    sa.Column('unit_price_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('target_price_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('contract_price_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('contract_explanation', sa.Text(), nullable=False),
    sa.Column('list_price_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_quote_lines_quantity')),
    sa.CheckConstraint('unit_price_amount IS NULL OR unit_price_amount > 0', name=op.f('ck_quote_lines_price')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_quote_lines_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_quote_lines_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['quote_versions.id'], name=op.f('fk_quote_lines_version_id_quote_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_quote_lines_version_id'))
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_lines_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_lines_version_id'), ['version_id'], unique=False)

    op.create_table('quote_sign_offs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=20), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("department IN ('product', 'legal', 'finance')", name=op.f('ck_quote_sign_offs_department')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_quote_sign_offs_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_quote_sign_offs_signed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['quote_versions.id'], name=op.f('fk_quote_sign_offs_version_id_quote_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_sign_offs')),
    sa.UniqueConstraint('version_id', 'department', name=op.f('uq_quote_sign_offs_version_id'))
    )
    with op.batch_alter_table('quote_sign_offs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_sign_offs_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_sign_offs_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quote_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('quote_version', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('quote_version')
        batch_op.drop_column('quote_number')

    with op.batch_alter_table('quote_sign_offs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_sign_offs_version_id'))
        batch_op.drop_index(batch_op.f('ix_quote_sign_offs_account_id'))

    op.drop_table('quote_sign_offs')
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_lines_version_id'))
        batch_op.drop_index(batch_op.f('ix_quote_lines_account_id'))

    op.drop_table('quote_lines')
    with op.batch_alter_table('quote_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_versions_account_id'))

    op.drop_table('quote_versions')
    with op.batch_alter_table('quote_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_events_quote_id'))
        batch_op.drop_index(batch_op.f('ix_quote_events_account_id'))

    op.drop_table('quote_events')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index('ix_quotes_status_due')
        batch_op.drop_index('ix_quotes_assignee_status')
        batch_op.drop_index(batch_op.f('ix_quotes_account_id'))

    op.drop_table('quotes')
    op.drop_table('quote_number_counters')
