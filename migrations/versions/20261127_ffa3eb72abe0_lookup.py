"""Call-centre lookup: phone numbers as normalised digits on users and key accounts (filled in
for the rows that exist), and the indexes lookup searches by: exact ones for the digits and
purchase-order numbers, trigram ones (pg_trgm, GIN) for account names and contacts' names and
e-mails on PostgreSQL, plain ones on SQLite.

Revision ID: ffa3eb72abe0
Revises: 99d7b1002d90
Create Date: 2026-11-27 00:15:11.062951

"""
import sqlalchemy as sa
from alembic import op

from portal.core.phones import phone_key

revision = 'ffa3eb72abe0'
down_revision = '99d7b1002d90'
branch_labels = None
depends_on = None


def _trigram(batch_op, name, column):
    batch_op.create_index(
        name, [column], unique=False,
        postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'},
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('phone_digits', sa.String(length=40), nullable=False, server_default='')
        )
        _trigram(batch_op, 'ix_key_accounts_name_trgm', 'name')
        batch_op.create_index(batch_op.f('ix_key_accounts_phone_digits'), ['phone_digits'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_po_number'), ['po_number'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('phone_digits', sa.String(length=40), nullable=False, server_default='')
        )
        _trigram(batch_op, 'ix_users_email_trgm', 'email')
        _trigram(batch_op, 'ix_users_name_trgm', 'name')
        batch_op.create_index(batch_op.f('ix_users_phone_digits'), ['phone_digits'], unique=False)

    _backfill_phone_digits('key_accounts', 'hotline_phone')
    _backfill_phone_digits('users', 'phone')
    # The server defaults stay, as in the earlier migrations: dropping one makes SQLite's batch
    # mode copy the table, and copying key_accounts would cascade-delete its users.


def _backfill_phone_digits(table_name, phone_column):
    table = sa.table(
        table_name,
        sa.column('id', sa.Integer),
        sa.column(phone_column, sa.String),
        sa.column('phone_digits', sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c[phone_column])).all()
    for row_id, phone in rows:
        digits = phone_key(phone)
        if digits:
            connection.execute(
                table.update().where(table.c.id == row_id).values(phone_digits=digits)
            )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_phone_digits'))
        batch_op.drop_index('ix_users_name_trgm')
        batch_op.drop_index('ix_users_email_trgm')
        batch_op.drop_column('phone_digits')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_po_number'))

    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_accounts_phone_digits'))
        batch_op.drop_index('ix_key_accounts_name_trgm')
        batch_op.drop_column('phone_digits')
