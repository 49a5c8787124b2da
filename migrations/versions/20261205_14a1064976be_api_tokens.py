"""API tokens: issued for one user with scopes and an expiry, kept as a SHA-256 digest,
revocable, their last use recorded (SECURITY.md 49).

Revision ID: 14a1064976be
Revises: 9df1701d3b17
Create Date: 2026-12-05 12:31:08.015255

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


# revision identifiers, used by Alembic.
revision = '14a1064976be'
down_revision = '9df1701d3b17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=60), nullable=False),
    sa.Column('expires_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_from', sa.String(length=45), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_api_tokens_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_api_tokens_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_account_id'))

    op.drop_table('api_tokens')
