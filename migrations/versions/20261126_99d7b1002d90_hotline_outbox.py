"""The hotline (requests with their history, business calendars, leads, sample units, care
tasks), staff availability for routing, and the e-mail outbox with the sweeps' run records.

Revision ID: 99d7b1002d90
Revises: 4df55871d874
Create Date: 2026-11-26 23:59:39.239574

"""
import sqlalchemy as sa
from alembic import op

import portal.core.db

revision = '99d7b1002d90'
down_revision = '4df55871d874'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('business_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('working_days', sa.String(length=7), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=False),
    sa.Column('closes_at', sa.Time(), nullable=False),
    sa.CheckConstraint('opens_at < closes_at', name=op.f('ck_business_calendars_hours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_business_calendars_name'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'dead')", name=op.f('ck_outbox_messages_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('sweep_runs',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_started_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sweep_runs'))
    )
    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendars.id'], name=op.f('fk_holidays_calendar_id_business_calendars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('calendar_id', 'day', name=op.f('uq_holidays_calendar_id'))
    )
    op.create_table('care_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('next_due_on', sa.Date(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.CheckConstraint("kind IN ('call', 'materials', 'satisfaction')", name=op.f('ck_care_tasks_kind')),
    sa.CheckConstraint('every_days BETWEEN 1 AND 366', name=op.f('ck_care_tasks_every_days')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_care_tasks_account_id_key_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_tasks'))
    )
    with op.batch_alter_table('care_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_tasks_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_care_tasks_due', ['is_active', 'next_due_on'], unique=False)

    op.create_table('care_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_care_contacts_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_care_contacts_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['care_tasks.id'], name=op.f('fk_care_contacts_task_id_care_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_contacts'))
    )
    with op.batch_alter_table('care_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_contacts_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_contacts_task_id'), ['task_id'], unique=False)

    op.create_table('hotline_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('callback_window', sa.String(length=20), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('due_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('survey_rating', sa.Integer(), nullable=True),
    sa.Column('survey_comment', sa.Text(), nullable=False),
    sa.Column('survey_answered_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("callback_window IN ('any', 'morning', 'afternoon')", name=op.f('ck_hotline_requests_callback_window')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('resolved', 'purchase_plan', 'evaluation_unit', 'quote_sent', 'no_action')", name=op.f('ck_hotline_requests_outcome')),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'closed')", name=op.f('ck_hotline_requests_status')),
    sa.CheckConstraint("topic IN ('order_problem', 'purchase_plan', 'quote', 'technical', 'evaluation_unit', 'complaint', 'other')", name=op.f('ck_hotline_requests_topic')),
    sa.CheckConstraint('survey_rating IS NULL OR survey_rating BETWEEN 1 AND 5', name=op.f('ck_hotline_requests_survey_rating')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_hotline_requests_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_hotline_requests_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['users.id'], name=op.f('fk_hotline_requests_contact_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_hotline_requests_filed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_hotline_requests_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_requests'))
    )
    with op.batch_alter_table('hotline_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_hotline_requests_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_hotline_requests_open_due', ['status', 'due_at'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('new', 'contacted', 'qualified', 'won', 'lost')", name=op.f('ck_leads_status')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_leads_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['hotline_requests.id'], name=op.f('fk_leads_request_id_hotline_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('request_id', name=op.f('uq_leads_request_id'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_account_id'), ['account_id'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('call_outcome', sa.String(length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.CheckConstraint("call_outcome IS NULL OR call_outcome IN ('reached', 'no_answer', 'left_message', 'call_back_later')", name=op.f('ck_request_events_call_outcome')),
    sa.CheckConstraint("kind IN ('routed', 'reassigned', 'claimed', 'call', 'escalated', 'closed', 'survey')", name=op.f('ck_request_events_kind')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_request_events_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_request_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_request_events_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['hotline_requests.id'], name=op.f('fk_request_events_request_id_hotline_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_id'), ['request_id'], unique=False)

    op.create_table('sample_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_back_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected', 'shipped', 'returned', 'bought')", name=op.f('ck_sample_requests_status')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_sample_requests_quantity_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_sample_requests_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_sample_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_sample_requests_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['hotline_requests.id'], name=op.f('fk_sample_requests_request_id_hotline_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_sample_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_requests')),
    sa.UniqueConstraint('request_id', name=op.f('uq_sample_requests_request_id'))
    )
    with op.batch_alter_table('sample_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_requests_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('business_calendar_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_key_accounts_business_calendar_id_business_calendars'), 'business_calendars', ['business_calendar_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_available', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('away_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('away_until', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('away_until')
        batch_op.drop_column('away_from')
        batch_op.drop_column('is_available')

    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_key_accounts_business_calendar_id_business_calendars'), type_='foreignkey')
        batch_op.drop_column('business_calendar_id')

    with op.batch_alter_table('sample_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_requests_account_id'))

    op.drop_table('sample_requests')
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_events_request_id'))

    op.drop_table('request_events')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_account_id'))

    op.drop_table('leads')
    with op.batch_alter_table('hotline_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_requests_open_due')
        batch_op.drop_index('ix_hotline_requests_assignee_status')
        batch_op.drop_index(batch_op.f('ix_hotline_requests_account_id'))

    op.drop_table('hotline_requests')
    with op.batch_alter_table('care_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_contacts_task_id'))
        batch_op.drop_index(batch_op.f('ix_care_contacts_account_id'))

    op.drop_table('care_contacts')
    with op.batch_alter_table('care_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_care_tasks_due')
        batch_op.drop_index(batch_op.f('ix_care_tasks_account_id'))

    op.drop_table('care_tasks')
    op.drop_table('holidays')
    op.drop_table('sweep_runs')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
    op.drop_table('business_calendars')
