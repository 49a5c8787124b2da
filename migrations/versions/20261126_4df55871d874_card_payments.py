"""Card payments: one Stripe PaymentIntent per milestone attempt; Stripe events handled once;
cards saved with the buyer's consent.

Revision ID: 4df55871d874
Revises: 658a0119ed1c
Create Date: 2026-11-26 22:20:41.985626

"""
import sqlalchemy as sa
from alembic import op

import portal.core.db

revision = '4df55871d874'
down_revision = '658a0119ed1c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('received_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    op.create_table('saved_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_payment_method_id', sa.String(length=255), nullable=False),
    sa.Column('brand', sa.String(length=30), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('exp_month', sa.Integer(), nullable=False),
    sa.Column('exp_year', sa.Integer(), nullable=False),
    sa.Column('consented_by_id', sa.Integer(), nullable=True),
    sa.Column('consented_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_saved_cards_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consented_by_id'], ['users.id'], name=op.f('fk_saved_cards_consented_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_cards')),
    sa.UniqueConstraint('stripe_payment_method_id', name=op.f('uq_saved_cards_stripe_payment_method_id'))
    )
    with op.batch_alter_table('saved_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_cards_account_id'), ['account_id'], unique=False)

    op.create_table('card_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('stripe_id', sa.String(length=255), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('refunded_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('flagged_reason', sa.Text(), nullable=False),
    sa.Column('failure_message', sa.Text(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('saved_card_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'processing', 'failed', 'succeeded', 'refunded', 'canceled')", name=op.f('ck_card_payments_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_card_payments_amount_positive')),
    sa.CheckConstraint('refunded_amount >= 0', name=op.f('ck_card_payments_refunded_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_card_payments_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['order_milestones.id'], name=op.f('fk_card_payments_milestone_id_order_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_card_payments_payment_id_payments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['saved_card_id'], ['saved_cards.id'], name=op.f('fk_card_payments_saved_card_id_saved_cards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_card_payments_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_card_payments_idempotency_key')),
    sa.UniqueConstraint('milestone_id', 'attempt', name=op.f('uq_card_payments_milestone_id')),
    sa.UniqueConstraint('stripe_id', name=op.f('uq_card_payments_stripe_id'))
    )
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_payments_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_payments_milestone_id'), ['milestone_id'], unique=False)


def downgrade():
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_payments_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_card_payments_account_id'))

    op.drop_table('card_payments')
    with op.batch_alter_table('saved_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_cards_account_id'))

    op.drop_table('saved_cards')
    op.drop_table('stripe_events')
