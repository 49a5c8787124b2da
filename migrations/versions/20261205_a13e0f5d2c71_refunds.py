"""Refunds: money received for an order that is cancelled or rejected goes back, card payments
through Stripe and remittances by finance; a milestone remembers what of it was refunded. A
letter of credit can be voided, with the reason.

Revision ID: a13e0f5d2c71
Revises: a7e31c52d0f4
Create Date: 2026-12-05 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


# revision identifiers, used by Alembic.
revision = 'a13e0f5d2c71'
down_revision = 'a7e31c52d0f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('card_payment_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('stripe_refund_id', sa.String(length=255), nullable=True),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('refunded_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('bank_transfer', 'card')", name=op.f('ck_refunds_method')),
    sa.CheckConstraint("status IN ('owed', 'requested', 'refunded')", name=op.f('ck_refunds_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_refunds_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['card_payment_id'], ['card_payments.id'], name=op.f('fk_refunds_card_payment_id_card_payments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['milestone_id'], ['order_milestones.id'], name=op.f('fk_refunds_milestone_id_order_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_refunds_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_refunds_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key')),
    sa.UniqueConstraint('payment_id', 'milestone_id', name=op.f('uq_refunds_payment_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_status'), ['status'], unique=False)

    # Plain ADD COLUMN on both databases, never batch mode: on SQLite batch mode copies the
    # table and drops the old one, and with foreign keys on that DROP deletes, by cascade, every
    # payment allocation of every milestone. Existing milestones have had nothing refunded.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE order_milestones ADD COLUMN refunded_amount BIGINT DEFAULT 0 NOT NULL '
            'CONSTRAINT ck_order_milestones_refunded_not_negative CHECK (refunded_amount >= 0)'
        )
    else:
        op.add_column(
            'order_milestones',
            sa.Column(
                'refunded_amount',
                portal.core.db.Amount(precision=19, scale=4),
                nullable=False,
                server_default='0',
            ),
        )
        op.create_check_constraint(
            'ck_order_milestones_refunded_not_negative', 'order_milestones', 'refunded_amount >= 0'
        )
    op.add_column(
        'letters_of_credit',
        sa.Column('voided_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        'letters_of_credit', sa.Column('void_reason', sa.Text(), nullable=False, server_default='')
    )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35 and later), for the reason given above.
    op.drop_column('letters_of_credit', 'void_reason')
    op.drop_column('letters_of_credit', 'voided_at')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(
            'ck_order_milestones_refunded_not_negative', 'order_milestones', type_='check'
        )
    op.drop_column('order_milestones', 'refunded_amount')

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_status'))
        batch_op.drop_index(batch_op.f('ix_refunds_order_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_account_id'))

    op.drop_table('refunds')
