"""Bank statements: each upload, its credit lines (one per bank entry, unique by key, so a
statement uploaded twice applies nothing twice; the queue's lines with who decided them), and
the column mappings of banks' CSV/XLSX exports, saved by name.

Revision ID: 3b8d1e6f0a92
Revises: 9d4b6e2a7c31
Create Date: 2026-12-05 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


# revision identifiers, used by Alembic.
revision = '3b8d1e6f0a92'
down_revision = "9d4b6e2a7c31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_column_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('date_column', sa.String(length=100), nullable=False),
    sa.Column('amount_column', sa.String(length=100), nullable=False),
    sa.Column('currency_column', sa.String(length=100), nullable=False),
    sa.Column('reference_column', sa.String(length=100), nullable=False),
    sa.Column('payer_column', sa.String(length=100), nullable=False),
    sa.Column('bank_reference_column', sa.String(length=100), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_bank_column_mappings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_column_mappings')),
    sa.UniqueConstraint('name', name=op.f('uq_bank_column_mappings_name'))
    )
    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('statement_ref', sa.String(length=60), nullable=False),
    sa.Column('bank_account', sa.String(length=60), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('new_lines', sa.Integer(), nullable=False),
    sa.Column('applied_lines', sa.Integer(), nullable=False),
    sa.Column('queued_lines', sa.Integer(), nullable=False),
    sa.Column('duplicate_lines', sa.Integer(), nullable=False),
    sa.Column('debit_lines', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_bank_statements_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements'))
    )
    op.create_table('bank_statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('line_key', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('value_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('reference_text', sa.Text(), nullable=False),
    sa.Column('payer', sa.String(length=140), nullable=False),
    sa.Column('bank_reference', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('', 'no_reference', 'unknown_reference', 'not_owed', 'currency', 'overpaid', 'amounts_differ', 'several_accounts', 'reference_taken')", name=op.f('ck_bank_statement_lines_reason')),
    sa.CheckConstraint("status IN ('applied', 'queued', 'assigned', 'returned')", name=op.f('ck_bank_statement_lines_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bank_statement_lines_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_bank_statement_lines_account_id_key_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_bank_statement_lines_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_bank_statement_lines_payment_id_payments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id'], name=op.f('fk_bank_statement_lines_statement_id_bank_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statement_lines')),
    sa.UniqueConstraint('line_key', name=op.f('uq_bank_statement_lines_line_key'))
    )
    with op.batch_alter_table('bank_statement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statement_lines_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_statement_lines_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('bank_statement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_statement_lines_status'))
        batch_op.drop_index(batch_op.f('ix_bank_statement_lines_statement_id'))

    op.drop_table('bank_statement_lines')
    op.drop_table('bank_statements')
    op.drop_table('bank_column_mappings')
