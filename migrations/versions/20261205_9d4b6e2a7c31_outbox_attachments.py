"""Files that go with an outbox e-mail: a payment reminder carries the invoice PDF.

Revision ID: 9d4b6e2a7c31
Revises: a8c3e5f71d42
Create Date: 2026-12-05 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d4b6e2a7c31'
down_revision = "a8c3e5f71d42"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['message_id'],
            ['outbox_messages.id'],
            name=op.f('fk_outbox_attachments_message_id_outbox_messages'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments')),
    )
    op.create_index(
        op.f('ix_outbox_attachments_message_id'), 'outbox_attachments', ['message_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_outbox_attachments_message_id'), table_name='outbox_attachments')
    op.drop_table('outbox_attachments')
