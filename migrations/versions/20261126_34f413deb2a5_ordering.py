"""Ordering: carts, order lists, orders with schedules and history; term milestones; notices.

Revision ID: 34f413deb2a5
Revises: ce28cde6d17f
Create Date: 2026-11-26 20:55:49.113566

"""
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision = '34f413deb2a5'
down_revision = 'ce28cde6d17f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_number_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_order_number_counters'))
    )
    op.create_table('term_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_term_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('share_percent', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.CheckConstraint("event IN ('order', 'shipment', 'delivery')", name=op.f('ck_term_milestones_event')),
    sa.CheckConstraint('days >= 0', name=op.f('ck_term_milestones_days_not_negative')),
    sa.CheckConstraint('share_percent > 0', name=op.f('ck_term_milestones_share_positive')),
    sa.ForeignKeyConstraint(['payment_term_id'], ['payment_terms.id'], name=op.f('fk_term_milestones_payment_term_id_payment_terms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_term_milestones')),
    sa.UniqueConstraint('payment_term_id', 'position', name=op.f('uq_term_milestones_payment_term_id'))
    )
    op.create_table('carts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_carts_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_carts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_carts_user_id'))
    )
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carts_account_id'), ['account_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('read_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('order_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_order_lists_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_order_lists_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lists')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_order_lists_account_id'))
    )
    with op.batch_alter_table('order_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lists_account_id'), ['account_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('checkout_token', sa.String(length=64), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('held_from_status', sa.String(length=20), nullable=True),
    sa.Column('hold_reason', sa.Text(), nullable=False),
    sa.Column('is_over_credit', sa.Boolean(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('placed_on_behalf_by_id', sa.Integer(), nullable=True),
    sa.Column('placed_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('payment_term_name', sa.String(length=100), nullable=False),
    sa.Column('needs_letter_of_credit', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('ship_to_address_id', sa.Integer(), nullable=True),
    sa.Column('ship_to', sa.Text(), nullable=False),
    sa.Column('po_number', sa.String(length=60), nullable=False),
    sa.Column('requested_delivery_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('carrier', sa.String(length=60), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending_approval', 'submitted', 'confirmed', 'released', 'shipped', 'delivered', 'closed', 'cancelled', 'on_hold')", name=op.f('ck_orders_status')),
    sa.CheckConstraint('total_amount >= 0', name=op.f('ck_orders_total_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_orders_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_orders_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_orders_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_orders_placed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['placed_on_behalf_by_id'], ['users.id'], name=op.f('fk_orders_placed_on_behalf_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ship_to_address_id'], ['addresses.id'], name=op.f('fk_orders_ship_to_address_id_addresses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('checkout_token', name=op.f('uq_orders_checkout_token')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_orders_account_status', ['account_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_placed_on'), ['placed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_status'), ['status'], unique=False)

    op.create_table('cart_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cart_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99999', name=op.f('ck_cart_lines_quantity')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_cart_lines_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cart_id'], ['carts.id'], name=op.f('fk_cart_lines_cart_id_carts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_cart_lines_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_lines')),
    sa.UniqueConstraint('cart_id', 'product_id', name=op.f('uq_cart_lines_cart_id'))
    )
    with op.batch_alter_table('cart_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_lines_account_id'), ['account_id'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_order_events_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_order_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_events_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_events_order_id'), ['order_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('list_price_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('line_total_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('price_rule_id', sa.Integer(), nullable=True),
    sa.Column('price_explanation', sa.Text(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_order_lines_quantity')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_order_lines_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['price_rule_id'], ['price_rules.id'], name=op.f('fk_order_lines_price_rule_id_price_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_lines_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'position', name=op.f('uq_order_lines_order_id'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_account_id'), ['account_id'], unique=False)

    op.create_table('order_list_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_list_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99999', name=op.f('ck_order_list_lines_quantity')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_order_list_lines_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_list_id'], ['order_lists.id'], name=op.f('fk_order_list_lines_order_list_id_order_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_list_lines_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_list_lines')),
    sa.UniqueConstraint('order_list_id', 'product_id', name=op.f('uq_order_list_lines_order_list_id'))
    )
    with op.batch_alter_table('order_list_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_list_lines_account_id'), ['account_id'], unique=False)

    op.create_table('order_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('share_percent', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('paid_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('invoiced_on', sa.Date(), nullable=True),
    sa.Column('overdue_since', sa.Date(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("event IN ('order', 'shipment', 'delivery')", name=op.f('ck_order_milestones_event')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_order_milestones_amount_not_negative')),
    sa.CheckConstraint('paid_amount >= 0', name=op.f('ck_order_milestones_paid_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_order_milestones_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_milestones_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_milestones')),
    sa.UniqueConstraint('order_id', 'position', name=op.f('uq_order_milestones_order_id'))
    )
    with op.batch_alter_table('order_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_milestones_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_milestones_overdue_since'), ['overdue_since'], unique=False)

    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_po_required', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('is_on_credit_hold', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('credit_hold_reason', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('payment_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_letter_of_credit', sa.Boolean(), nullable=False, server_default=sa.false()))

    _add_standard_milestones()



#: The milestones of the standard terms (DESIGN.md section 4), for terms that already exist:
#: code -> [(label, share, event, days)].
STANDARD_MILESTONES = {
    "net30": [("Payment", "100", "shipment", 30)],
    "deposit30": [("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
    "installments3": [
        ("Installment 1", "34", "order", 0),
        ("Installment 2", "33", "order", 30),
        ("Installment 3", "33", "order", 60),
    ],
    "advance": [("Payment in advance", "100", "order", 0)],
    "delivery": [("Payment on delivery", "100", "delivery", 0)],
    "letter_of_credit": [("Letter of credit", "100", "order", 0)],
}


def _add_standard_milestones():
    terms = sa.table(
        "payment_terms",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("needs_letter_of_credit", sa.Boolean),
    )
    milestones = sa.table(
        "term_milestones",
        sa.column("payment_term_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("label", sa.String),
        sa.column("share_percent", portal.core.db.Amount()),
        sa.column("event", sa.String),
        sa.column("days", sa.Integer),
    )
    connection = op.get_bind()
    ids = dict(connection.execute(sa.select(terms.c.code, terms.c.id)).all())
    rows = [
        dict(payment_term_id=ids[code], position=position, label=label,
             share_percent=Decimal(share), event=event, days=days)
        for code, spec in STANDARD_MILESTONES.items() if code in ids
        for position, (label, share, event, days) in enumerate(spec, start=1)
    ]
    if rows:
        op.bulk_insert(milestones, rows)
    connection.execute(
        terms.update().where(terms.c.code == "letter_of_credit").values(needs_letter_of_credit=True)
    )


def downgrade():
    with op.batch_alter_table('payment_terms', schema=None) as batch_op:
        batch_op.drop_column('needs_letter_of_credit')

    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.drop_column('credit_hold_reason')
        batch_op.drop_column('is_on_credit_hold')
        batch_op.drop_column('is_po_required')

    with op.batch_alter_table('order_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_milestones_overdue_since'))
        batch_op.drop_index(batch_op.f('ix_order_milestones_account_id'))

    op.drop_table('order_milestones')
    with op.batch_alter_table('order_list_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_list_lines_account_id'))

    op.drop_table('order_list_lines')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_account_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_events_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_events_account_id'))

    op.drop_table('order_events')
    with op.batch_alter_table('cart_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_lines_account_id'))

    op.drop_table('cart_lines')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_status'))
        batch_op.drop_index(batch_op.f('ix_orders_placed_on'))
        batch_op.drop_index('ix_orders_account_status')
        batch_op.drop_index(batch_op.f('ix_orders_account_id'))

    op.drop_table('orders')
    with op.batch_alter_table('order_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lists_account_id'))

    op.drop_table('order_lists')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_user_unread')

    op.drop_table('notices')
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carts_account_id'))

    op.drop_table('carts')
    op.drop_table('term_milestones')
    op.drop_table('order_number_counters')
