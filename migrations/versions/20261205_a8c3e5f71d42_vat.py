"""VAT: rates by tax category and jurisdiction (seeded with China's), a category's tax category,
an account's tax treatment, and each order line's VAT snapshot.

Orders placed before this keep NULL snapshots and show as placed before VAT was recorded: the
rate they were sold at was never recorded, and a back-filled one would be a guess.

Revision ID: a8c3e5f71d42
Revises: a4c7e9f2b6d8
Create Date: 2026-12-05 03:40:00.000000

"""
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import portal.core.db

# revision identifiers, used by Alembic.
revision = 'a8c3e5f71d42'
down_revision = "a4c7e9f2b6d8"
branch_labels = None
depends_on = None

TAX_CATEGORIES = ('goods', 'services', 'export')
TAX_TREATMENTS = ('domestic_vat_included', 'export_zero_rated')
#: China's rates since the VAT reform of 1 April 2019 (as tax.models.STANDARD_RATES then).
RATES = (('goods', Decimal('13')), ('services', Decimal('6')), ('export', Decimal('0')))


def upgrade():
    rates = op.create_table(
        'tax_rates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tax_category', sa.String(length=20), nullable=False),
        sa.Column('jurisdiction', sa.String(length=2), nullable=False),
        sa.Column('rate_percent', portal.core.db.Amount(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('rate_percent >= 0', name=op.f('ck_tax_rates_rate_not_negative')),
        sa.CheckConstraint(
            f'tax_category IN {TAX_CATEGORIES}', name=op.f('ck_tax_rates_tax_category')
        ),
        sa.CheckConstraint(
            'valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_tax_rates_validity')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
        sa.UniqueConstraint(
            'tax_category',
            'jurisdiction',
            'valid_from',
            name=op.f('uq_tax_rates_tax_category'),
        ),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        rates,
        [
            {
                'tax_category': category,
                'jurisdiction': 'CN',
                'rate_percent': percent,
                'valid_from': date(2019, 4, 1),
                'valid_to': None,
                'created_at': now,
                'updated_at': now,
            }
            for category, percent in RATES
        ],
    )
    _add_coded_column('categories', 'tax_category', 20, 'goods', TAX_CATEGORIES)
    _add_coded_column(
        'key_accounts', 'tax_treatment', 30, 'domestic_vat_included', TAX_TREATMENTS
    )
    # Prices in CNY include VAT; accounts trading in another currency buy as exports.
    op.execute(
        "UPDATE key_accounts SET tax_treatment = 'export_zero_rated' WHERE currency <> 'CNY'"
    )
    op.execute("UPDATE categories SET tax_category = 'services' WHERE name = 'Services'")
    op.add_column('order_lines', sa.Column('tax_category', sa.String(length=20), nullable=True))
    for column in ('tax_rate_percent', 'net_amount', 'vat_amount'):
        op.add_column('order_lines', sa.Column(column, portal.core.db.Amount(), nullable=True))


def _add_coded_column(table, column, length, default, codes):
    """A NOT NULL code column with its check. SQLite adds the check with the column: a batch
    copy of these tables, which others refer to, would cascade deletes on the DROP."""
    name = f'ck_{table}_{column}'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR({length}) DEFAULT '{default}' "
            f"NOT NULL CONSTRAINT {name} CHECK ({column} IN {codes})"
        )
        return
    op.add_column(
        table,
        sa.Column(column, sa.String(length=length), nullable=False, server_default=default),
    )
    op.create_check_constraint(name, table, f'{column} IN {codes}')


def downgrade():
    op.drop_column('order_lines', 'vat_amount')
    op.drop_column('order_lines', 'net_amount')
    op.drop_column('order_lines', 'tax_rate_percent')
    op.drop_column('order_lines', 'tax_category')
    for table, column in (('key_accounts', 'tax_treatment'), ('categories', 'tax_category')):
        if op.get_bind().dialect.name != 'sqlite':
            op.drop_constraint(f'ck_{table}_{column}', table, type_='check')
        op.drop_column(table, column)
    op.drop_table('tax_rates')
