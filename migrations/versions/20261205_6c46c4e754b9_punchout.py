"""cXML PunchOut: an account's connections (credential and hashed shared secret), the
PunchOut sessions their setup requests open, and the payloads received, by payloadID.

Revision ID: 6c46c4e754b9
Revises: 350f6a10d89d
Create Date: 2026-12-05 12:33:25.169543

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


# revision identifiers, used by Alembic.
revision = '6c46c4e754b9'
down_revision = '350f6a10d89d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('punchout_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('domain', sa.String(length=100), nullable=False),
    sa.Column('identity', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('secret_set_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('default_user_id', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_punchout_connections_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_punchout_connections_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['default_user_id'], ['users.id'], name=op.f('fk_punchout_connections_default_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_punchout_connections')),
    sa.UniqueConstraint('domain', 'identity', name=op.f('uq_punchout_connections_domain'))
    )
    with op.batch_alter_table('punchout_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_punchout_connections_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_punchout_connections_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_punchout_connections_default_user_id'), ['default_user_id'], unique=False)

    op.create_table('punchout_payloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('payload_id', sa.String(length=250), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('received_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_punchout_payloads_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['punchout_connections.id'], name=op.f('fk_punchout_payloads_connection_id_punchout_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_punchout_payloads_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_punchout_payloads')),
    sa.UniqueConstraint('connection_id', 'payload_id', name=op.f('uq_punchout_payloads_connection_id'))
    )
    with op.batch_alter_table('punchout_payloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_punchout_payloads_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_punchout_payloads_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_punchout_payloads_order_id'), ['order_id'], unique=False)

    op.create_table('punchout_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('buyer_cookie', sa.String(length=200), nullable=False),
    sa.Column('return_url', sa.String(length=2000), nullable=False),
    sa.Column('operation', sa.String(length=20), nullable=False),
    sa.Column('start_token_hash', sa.String(length=64), nullable=False),
    sa.Column('start_expires_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_punchout_sessions_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['punchout_connections.id'], name=op.f('fk_punchout_sessions_connection_id_punchout_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_punchout_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_punchout_sessions')),
    sa.UniqueConstraint('start_token_hash', name=op.f('uq_punchout_sessions_start_token_hash'))
    )
    with op.batch_alter_table('punchout_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_punchout_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_punchout_sessions_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_punchout_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('punchout_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_punchout_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_punchout_sessions_connection_id'))
        batch_op.drop_index(batch_op.f('ix_punchout_sessions_account_id'))

    op.drop_table('punchout_sessions')
    with op.batch_alter_table('punchout_payloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_punchout_payloads_order_id'))
        batch_op.drop_index(batch_op.f('ix_punchout_payloads_connection_id'))
        batch_op.drop_index(batch_op.f('ix_punchout_payloads_account_id'))

    op.drop_table('punchout_payloads')
    with op.batch_alter_table('punchout_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_punchout_connections_default_user_id'))
        batch_op.drop_index(batch_op.f('ix_punchout_connections_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_punchout_connections_account_id'))

    op.drop_table('punchout_connections')