"""Approvals that never strand an order: a notice names what it asks for (`about`), so that
every notice about a waiting order is marked read once the order is decided; an order's history
step says when it was an approval or a rejection (`action`), filled in for the decisions
already made.

Revision ID: 714d101f5f54
Revises: 5c3a9e07d1b2
Create Date: 2026-12-05 00:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '714d101f5f54'
down_revision = '5c3a9e07d1b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about', sa.String(length=80), nullable=True))
        batch_op.create_index('ix_notices_about_unread', ['about', 'read_at'], unique=False)

    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=20), nullable=True))

    # The decisions already made: leaving the approval for "submitted" was always an approval;
    # for "cancelled", a rejection when its actor is the order's decider.
    op.execute(
        "UPDATE order_events SET action = 'approved'"
        " WHERE from_status = 'pending_approval' AND to_status = 'submitted'"
    )
    op.execute(
        "UPDATE order_events SET action = 'rejected'"
        " WHERE from_status = 'pending_approval' AND to_status = 'cancelled'"
        " AND actor_id = (SELECT decided_by_id FROM orders WHERE orders.id = order_events.order_id)"
    )


def downgrade():
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_column('action')

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_about_unread')
        batch_op.drop_column('about')
