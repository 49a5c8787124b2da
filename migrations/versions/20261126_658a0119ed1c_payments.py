"""Payments: bank remittances split over milestones; letters of credit for orders.

Revision ID: 658a0119ed1c
Revises: 34f413deb2a5
Create Date: 2026-11-26 21:52:44.514041

"""
import sqlalchemy as sa
from alembic import op

import portal.core.db

revision = '658a0119ed1c'
down_revision = '34f413deb2a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('bank_transfer', 'card')", name=op.f('ck_payments_method')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_payments_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payments_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('account_id', 'method', 'reference', name=op.f('uq_payments_account_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_received_on'), ['received_on'], unique=False)

    op.create_table('letters_of_credit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('issuing_bank', sa.String(length=120), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('latest_shipment_on', sa.Date(), nullable=False),
    sa.Column('required_documents', sa.Text(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_letters_of_credit_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_letters_of_credit_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_letters_of_credit_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_letters_of_credit_registered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters_of_credit')),
    sa.UniqueConstraint('issuing_bank', 'number', name=op.f('uq_letters_of_credit_issuing_bank'))
    )
    with op.batch_alter_table('letters_of_credit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_of_credit_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_of_credit_order_id'), ['order_id'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payment_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_payment_allocations_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['order_milestones.id'], name=op.f('fk_payment_allocations_milestone_id_order_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations')),
    sa.UniqueConstraint('payment_id', 'milestone_id', name=op.f('uq_payment_allocations_payment_id'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_allocations_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocations_milestone_id'), ['milestone_id'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_allocations_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_payment_allocations_account_id'))

    op.drop_table('payment_allocations')
    with op.batch_alter_table('letters_of_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letters_of_credit_order_id'))
        batch_op.drop_index(batch_op.f('ix_letters_of_credit_account_id'))

    op.drop_table('letters_of_credit')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_received_on'))
        batch_op.drop_index(batch_op.f('ix_payments_account_id'))

    op.drop_table('payments')
