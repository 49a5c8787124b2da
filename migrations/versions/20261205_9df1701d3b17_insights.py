"""Key-account insights: teams of staff, product costs, the accounts' snapshots, monthly sales,
spend estimates, stage rules and history, platinum changes and overrides; leads gain a source,
a value, an expected close date, a probability and the pipeline's stages; lead products and
visits.

Revision ID: 9df1701d3b17
Revises: 5abefacb74b9
Create Date: 2026-12-05 09:39:44.114358

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

import portal.core.db


# revision identifiers, used by Alembic.
revision = '9df1701d3b17'
down_revision = '5abefacb74b9'
branch_labels = None
depends_on = None

OLD_LEAD_STATUSES = ("new", "contacted", "qualified", "won", "lost")
NEW_LEAD_STATUSES = ("new", "contacted", "qualified", "proposal", "negotiation", "won", "lost")


@contextmanager
def _foreign_keys_off():
    """SQLite changes a table by copying it; with foreign keys on, dropping the old copy of
    `users` would delete or empty every row that refers to a user. The pragma works only
    between transactions, so this one is cut around the copy. Elsewhere: nothing."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    bind.exec_driver_sql('COMMIT')
    bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    bind.exec_driver_sql('BEGIN')
    try:
        yield
        broken = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        assert not broken, f'rows refer to missing rows: {broken[:5]}'
    finally:
        bind.exec_driver_sql('COMMIT')
        bind.exec_driver_sql('PRAGMA foreign_keys=ON')
        bind.exec_driver_sql('BEGIN')


def upgrade():
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('account_snapshots',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('computed_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sales_t12m', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('sales_prior_12m', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('sales_t12m_reporting', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('growth_percent', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('spend_estimate_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('wallet_share_percent', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('retention_percent', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('months_of_history', sa.Integer(), nullable=False),
    sa.Column('orders_t12m', sa.Integer(), nullable=False),
    sa.Column('average_order_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('orders_per_month', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('costed_sales_t12m', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('cost_t12m', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('hotline_due', sa.Integer(), nullable=False),
    sa.Column('hotline_met', sa.Integer(), nullable=False),
    sa.Column('survey_count', sa.Integer(), nullable=False),
    sa.Column('survey_average', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_rule', sa.String(length=20), nullable=False),
    sa.Column('is_at_risk', sa.Boolean(), nullable=False),
    sa.Column('risk_rules', sa.String(length=40), nullable=False),
    sa.Column('sales_rank', sa.Integer(), nullable=True),
    sa.CheckConstraint("stage IN ('acquisition', 'expansion', 'retention')", name=op.f('ck_account_snapshots_stage')),
    sa.CheckConstraint("stage_rule IN ('new_account', 'no_estimate', 'share_below', 'share_between', 'share_from')", name=op.f('ck_account_snapshots_stage_rule')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_account_snapshots_account_id_key_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_snapshots'))
    )
    with op.batch_alter_table('account_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_snapshots_sales_t12m_reporting'), ['sales_t12m_reporting'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_snapshots_stage'), ['stage'], unique=False)

    op.create_table('monthly_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('net_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('costed_net_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('cost_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_monthly_sales_account_id_key_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_sales')),
    sa.UniqueConstraint('account_id', 'month', name=op.f('uq_monthly_sales_account_id'))
    )
    with op.batch_alter_table('monthly_sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_sales_month'), ['month'], unique=False)

    op.create_table('stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_rule', sa.String(length=20), nullable=False),
    sa.Column('wallet_share_percent', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('months_of_history', sa.Integer(), nullable=False),
    sa.Column('expansion_from_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('retention_from_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.CheckConstraint("stage IN ('acquisition', 'expansion', 'retention')", name=op.f('ck_stage_changes_stage')),
    sa.CheckConstraint("stage_rule IN ('new_account', 'no_estimate', 'share_below', 'share_between', 'share_from')", name=op.f('ck_stage_changes_stage_rule')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_stage_changes_account_id_key_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_changes'))
    )
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_changes_account_id'), ['account_id'], unique=False)

    op.create_table('platinum_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('cause', sa.String(length=20), nullable=False),
    sa.Column('sales_t12m_reporting', portal.core.db.Amount(precision=19, scale=4), nullable=True),
    sa.Column('other_account_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("cause IN ('ranking', 'override', 'override_ended')", name=op.f('ck_platinum_changes_cause')),
    sa.CheckConstraint("change IN ('joined', 'left')", name=op.f('ck_platinum_changes_change')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_platinum_changes_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_platinum_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['other_account_id'], ['key_accounts.id'], name=op.f('fk_platinum_changes_other_account_id_key_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platinum_changes'))
    )
    with op.batch_alter_table('platinum_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platinum_changes_account_id'), ['account_id'], unique=False)

    op.create_table('platinum_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('in', 'out')", name=op.f('ck_platinum_overrides_decision')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_platinum_overrides_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_platinum_overrides_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platinum_overrides')),
    sa.UniqueConstraint('account_id', name=op.f('uq_platinum_overrides_account_id'))
    )
    op.create_table('spend_estimates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_spend_estimates_amount_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_spend_estimates_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_spend_estimates_entered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend_estimates'))
    )
    with op.batch_alter_table('spend_estimates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_estimates_account_id'), ['account_id'], unique=False)

    op.create_table('stage_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expansion_from_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('retention_from_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('history_months', sa.Integer(), nullable=False),
    sa.Column('at_risk_retention_below_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('at_risk_growth_below_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('platinum_places', sa.Integer(), nullable=False),
    sa.Column('platinum_buffer_percent', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_stage_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_rules'))
    )
    op.create_table('lead_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_lead_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_lead_lines_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_lines_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_lead_lines_product_id_products'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_lines')),
    sa.UniqueConstraint('lead_id', 'product_id', name=op.f('uq_lead_lines_lead_id'))
    )
    with op.batch_alter_table('lead_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_lines_lead_id'), ['lead_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('next_step', sa.Text(), nullable=False),
    sa.Column('next_step_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'done', 'cancelled')", name=op.f('ck_visits_status')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_visits_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['users.id'], name=op.f('fk_visits_contact_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visits_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_visits_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_visits_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_visits_owner_planned', ['owner_id', 'planned_on'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='purchase_plan', nullable=False))
        batch_op.add_column(sa.Column('quote_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handed_over_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('value_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('expected_close_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('probability_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_handed_over_by_id'), ['handed_over_by_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_leads_quote_id'), ['quote_id'])
        batch_op.create_foreign_key(batch_op.f('fk_leads_handed_over_by_id_users'), 'users', ['handed_over_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_leads_quote_id_quotes'), 'quotes', ['quote_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_leads_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN {NEW_LEAD_STATUSES}")
        batch_op.create_check_constraint('source', "source IN ('purchase_plan', 'quote', 'field')")
        batch_op.create_check_constraint('probability', 'probability_percent BETWEEN 0 AND 100')
        batch_op.create_check_constraint('value_not_negative', 'value_amount >= 0')

    with op.batch_alter_table('list_prices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_amount', portal.core.db.Amount(precision=19, scale=4), nullable=True))
        batch_op.create_check_constraint('cost_not_negative', 'cost_amount >= 0')

    with _foreign_keys_off(), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_team_id_teams'), 'teams', ['team_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with _foreign_keys_off(), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_team_id'))
        batch_op.drop_column('team_id')

    with op.batch_alter_table('list_prices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_list_prices_cost_not_negative'), type_='check')
        batch_op.drop_column('cost_amount')

    op.execute(
        "UPDATE leads SET status = 'qualified' WHERE status IN ('proposal', 'negotiation')"
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_leads_value_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_leads_probability'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_leads_source'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_leads_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN {OLD_LEAD_STATUSES}")
        batch_op.drop_constraint(batch_op.f('fk_leads_quote_id_quotes'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_handed_over_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_leads_quote_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_leads_handed_over_by_id'))
        batch_op.drop_column('closed_on')
        batch_op.drop_column('probability_percent')
        batch_op.drop_column('expected_close_on')
        batch_op.drop_column('currency')
        batch_op.drop_column('value_amount')
        batch_op.drop_column('handed_over_by_id')
        batch_op.drop_column('quote_id')
        batch_op.drop_column('source')

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_owner_planned')
        batch_op.drop_index(batch_op.f('ix_visits_lead_id'))
        batch_op.drop_index(batch_op.f('ix_visits_account_id'))

    op.drop_table('visits')
    with op.batch_alter_table('lead_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_lines_lead_id'))

    op.drop_table('lead_lines')
    op.drop_table('stage_rules')
    with op.batch_alter_table('spend_estimates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_estimates_account_id'))

    op.drop_table('spend_estimates')
    op.drop_table('platinum_overrides')
    with op.batch_alter_table('platinum_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platinum_changes_account_id'))

    op.drop_table('platinum_changes')
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_changes_account_id'))

    op.drop_table('stage_changes')
    with op.batch_alter_table('monthly_sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_sales_month'))

    op.drop_table('monthly_sales')
    with op.batch_alter_table('account_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_snapshots_stage'))
        batch_op.drop_index(batch_op.f('ix_account_snapshots_sales_t12m_reporting'))

    op.drop_table('account_snapshots')
    op.drop_table('teams')
