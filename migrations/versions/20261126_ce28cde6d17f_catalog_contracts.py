"""Catalog, contracts, payment terms and price rules; staff discount authority; audit reasons.

Revision ID: ce28cde6d17f
Revises: 80747b7560d7
Create Date: 2026-11-26 19:20:29.346604

"""
import sqlalchemy as sa
from alembic import op

import portal.core.db

revision = 'ce28cde6d17f'
down_revision = '80747b7560d7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_categories_name'))
    )
    op.create_table('payment_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_terms')),
    sa.UniqueConstraint('code', name=op.f('uq_payment_terms_code'))
    )
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_term_id', sa.Integer(), nullable=True),
    sa.Column('credit_limit_amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('is_assortment_restricted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'active', 'expired', 'terminated')", name=op.f('ck_contracts_status')),
    sa.CheckConstraint('credit_limit_amount >= 0', name=op.f('ck_contracts_credit_limit_not_negative')),
    sa.CheckConstraint('valid_from <= valid_to', name=op.f('ck_contracts_validity')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_contracts_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_term_id'], ['payment_terms.id'], name=op.f('fk_contracts_payment_term_id_payment_terms'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_contracts_active_account_id', ['account_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('image_data', sa.LargeBinary(), nullable=True),
    sa.Column('image_content_type', sa.String(length=40), nullable=True),
    sa.Column('image_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_products_category_id_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('sku', name=op.f('uq_products_sku'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_category_id_name', ['category_id', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_name'), ['name'], unique=False)

    op.create_table('list_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_list_prices_amount_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_list_prices_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_prices')),
    sa.UniqueConstraint('product_id', 'currency', name=op.f('uq_list_prices_product_id'))
    )
    op.create_table('price_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', portal.core.db.Amount(precision=19, scale=4), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('replaces_rule_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('value > 0', name=op.f('ck_price_rules_value_positive')),
    sa.CheckConstraint("kind IN ('fixed', 'percent_off')", name=op.f('ck_price_rules_kind')),
    sa.CheckConstraint("status IN ('active', 'proposed', 'rejected', 'superseded')", name=op.f('ck_price_rules_status')),
    sa.CheckConstraint('(product_id IS NULL) <> (category_id IS NULL)', name=op.f('ck_price_rules_one_target')),
    sa.CheckConstraint('min_quantity >= 1', name=op.f('ck_price_rules_min_quantity')),
    sa.CheckConstraint('valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to', name=op.f('ck_price_rules_validity')),
    sa.ForeignKeyConstraint(['account_id'], ['key_accounts.id'], name=op.f('fk_price_rules_account_id_key_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_price_rules_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_price_rules_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_price_rules_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_price_rules_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_price_rules_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_rule_id'], ['price_rules.id'], name=op.f('fk_price_rules_replaces_rule_id_price_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_rules'))
    )
    with op.batch_alter_table('price_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_rules_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_price_rules_contract_category', ['contract_id', 'category_id'], unique=False)
        batch_op.create_index('ix_price_rules_contract_product', ['contract_id', 'product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_rules_status'), ['status'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_authority_percent', portal.core.db.Amount(precision=19, scale=4), nullable=False, server_default='0'))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('discount_authority_percent')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('reason')

    with op.batch_alter_table('price_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_rules_status'))
        batch_op.drop_index('ix_price_rules_contract_product')
        batch_op.drop_index('ix_price_rules_contract_category')
        batch_op.drop_index(batch_op.f('ix_price_rules_account_id'))

    op.drop_table('price_rules')
    op.drop_table('list_prices')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_name'))
        batch_op.drop_index('ix_products_category_id_name')

    op.drop_table('products')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('uq_contracts_active_account_id', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_contracts_account_id'))

    op.drop_table('contracts')
    op.drop_table('payment_terms')
    op.drop_table('categories')
