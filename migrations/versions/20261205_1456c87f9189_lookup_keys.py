"""Lookup keys for China: phone numbers in E.164 (phone_e164, read with libphonenumber in the
country of the account's time zone) instead of normalised digits, and search_keys (Chinese
two-character runs, pinyin and initials of contacts' and accounts' names and of addresses'
places), both filled in for the rows that exist.

Revision ID: 1456c87f9189
Revises: e2f6a8c1b9d3
Create Date: 2026-12-05 00:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

from portal.core.phones import phone_key, region_of
from portal.core.search_keys import name_keys

revision = '1456c87f9189'
down_revision = 'e2f6a8c1b9d3'
branch_labels = None
depends_on = None

PLACE_FIELDS = ('province', 'city', 'district')


def _key_type():
    return sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql')


def upgrade():
    op.create_table(
        'search_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('key', _key_type(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('address_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['key_accounts.id'],
            name=op.f('fk_search_keys_account_id_key_accounts'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['address_id'], ['addresses.id'],
            name=op.f('fk_search_keys_address_id_addresses'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_search_keys_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_keys')),
    )
    op.create_index('ix_search_keys_kind_key', 'search_keys', ['kind', 'key'], unique=False)
    op.create_index(op.f('ix_search_keys_user_id'), 'search_keys', ['user_id'], unique=False)
    op.create_index(op.f('ix_search_keys_account_id'), 'search_keys', ['account_id'], unique=False)
    op.create_index(op.f('ix_search_keys_address_id'), 'search_keys', ['address_id'], unique=False)

    for table in ('key_accounts', 'users'):
        op.add_column(
            table, sa.Column('phone_e164', sa.String(length=20), nullable=False, server_default='')
        )
        op.create_index(op.f(f'ix_{table}_phone_e164'), table, ['phone_e164'], unique=False)
        op.drop_index(op.f(f'ix_{table}_phone_digits'), table_name=table)
        op.drop_column(table, 'phone_digits')

    _backfill()


def _backfill():
    connection = op.get_bind()
    accounts = sa.table(
        'key_accounts', sa.column('id', sa.Integer), sa.column('name', sa.String),
        sa.column('hotline_phone', sa.String), sa.column('time_zone', sa.String),
        sa.column('phone_e164', sa.String),
    )
    users = sa.table(
        'users', sa.column('id', sa.Integer), sa.column('name', sa.String),
        sa.column('phone', sa.String), sa.column('account_id', sa.Integer),
        sa.column('phone_e164', sa.String),
    )
    keys = sa.table(
        'search_keys', sa.column('kind', sa.String), sa.column('key', sa.String),
        sa.column('user_id', sa.Integer), sa.column('account_id', sa.Integer),
        sa.column('address_id', sa.Integer),
    )
    rows = []
    zones = {}
    for account_id, name, phone, time_zone in connection.execute(
        sa.select(accounts.c.id, accounts.c.name, accounts.c.hotline_phone, accounts.c.time_zone)
    ):
        zones[account_id] = time_zone
        e164 = phone_key(phone, region_of(time_zone))
        if e164:
            connection.execute(
                accounts.update().where(accounts.c.id == account_id).values(phone_e164=e164)
            )
        rows += [{'kind': k, 'key': v, 'account_id': account_id} for k, v in name_keys(name)]
    for user_id, name, phone, account_id in connection.execute(
        sa.select(users.c.id, users.c.name, users.c.phone, users.c.account_id)
    ):
        e164 = phone_key(phone, region_of(zones.get(account_id)))
        if e164:
            connection.execute(users.update().where(users.c.id == user_id).values(phone_e164=e164))
        rows += [
            {'kind': k, 'key': v, 'user_id': user_id} for k, v in name_keys(name, personal=True)
        ]
    present = {column['name'] for column in sa.inspect(connection).get_columns('addresses')}
    places = [field for field in PLACE_FIELDS if field in present]
    addresses = sa.table(
        'addresses', sa.column('id', sa.Integer), sa.column('account_id', sa.Integer),
        *(sa.column(field, sa.String) for field in places),
    )
    for address_id, account_id, *texts in connection.execute(
        sa.select(addresses.c.id, addresses.c.account_id, *(addresses.c[f] for f in places))
    ):
        found = set().union(*(name_keys(text) for text in texts)) if texts else set()
        rows += [
            {'kind': k, 'key': v, 'account_id': account_id, 'address_id': address_id}
            for k, v in found
        ]
    for row in rows:
        row.setdefault('user_id', None)
        row.setdefault('account_id', None)
        row.setdefault('address_id', None)
    if rows:
        connection.execute(keys.insert(), rows)


def downgrade():
    for table in ('users', 'key_accounts'):
        op.add_column(
            table, sa.Column('phone_digits', sa.String(length=40), nullable=False, server_default='')
        )
        op.create_index(op.f(f'ix_{table}_phone_digits'), table, ['phone_digits'], unique=False)
        # The old key: the digits without "+" and without China's country code.
        op.execute(
            f"UPDATE {table} SET phone_digits = CASE WHEN phone_e164 LIKE '+86%' "
            f"THEN substr(phone_e164, 4) ELSE substr(phone_e164, 2) END"
        )
        op.drop_index(op.f(f'ix_{table}_phone_e164'), table_name=table)
        op.drop_column(table, 'phone_e164')
    op.drop_index(op.f('ix_search_keys_address_id'), table_name='search_keys')
    op.drop_index(op.f('ix_search_keys_account_id'), table_name='search_keys')
    op.drop_index(op.f('ix_search_keys_user_id'), table_name='search_keys')
    op.drop_index('ix_search_keys_kind_key', table_name='search_keys')
    op.drop_table('search_keys')
