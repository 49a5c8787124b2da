"""Chinese addresses and working days: an address's recipient, mobile, province and district;
an order's ship-to fields as placed; a business calendar's country and whether it counts that
country's public holidays and make-up working days (from the `holidays` library).

The default calendar (of the accounts that name none: the Chinese ones) counts China's public
holidays and make-up working days from now on, besides the holidays typed into it; other
calendars count none until staff say so. Existing addresses keep their lines, city, postcode and country as they were (they print as
before, in the new order); a Chinese one whose city is one of the four municipalities gets that
municipality as its province. Existing orders keep their printed ship-to; their fields stay NULL.

Revision ID: b7d2e9c4a618
Revises: d7b2c9e4a6f1
Create Date: 2026-12-05 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'b7d2e9c4a618'
down_revision = 'd7b2c9e4a6f1'
branch_labels = None
depends_on = None

#: City names of the four municipalities as older addresses spell them -> the province.
MUNICIPALITIES = {
    '北京市': ('北京', '北京市', 'beijing'),
    '天津市': ('天津', '天津市', 'tianjin'),
    '上海市': ('上海', '上海市', 'shanghai'),
    '重庆市': ('重庆', '重庆市', 'chongqing'),
}


def upgrade():
    for name, length in (
        ('recipient_name', 100),
        ('recipient_phone', 40),
        ('province', 50),
        ('district', 50),
    ):
        op.add_column(
            'addresses',
            sa.Column(name, sa.String(length=length), nullable=False, server_default=''),
        )
    op.add_column(
        'orders',
        sa.Column(
            'ship_to_fields',
            sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
            nullable=True,
        ),
    )
    op.add_column(
        'business_calendars',
        sa.Column('country', sa.String(length=2), nullable=False, server_default=''),
    )
    op.add_column(
        'business_calendars',
        sa.Column(
            'has_public_holidays', sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )

    calendars = sa.table(
        'business_calendars',
        sa.column('is_default', sa.Boolean),
        sa.column('country', sa.String),
        sa.column('has_public_holidays', sa.Boolean),
    )
    op.execute(
        calendars.update()
        .where(calendars.c.is_default.is_(True))
        .values(country='CN', has_public_holidays=True)
    )

    addresses = sa.table(
        'addresses',
        sa.column('country', sa.String),
        sa.column('city', sa.String),
        sa.column('province', sa.String),
    )
    op.execute(addresses.update().values(country=sa.func.upper(addresses.c.country)))
    for province, spellings in MUNICIPALITIES.items():
        op.execute(
            addresses.update()
            .where(
                addresses.c.country == 'CN',
                addresses.c.province == '',
                sa.func.lower(sa.func.trim(addresses.c.city)).in_(spellings),
            )
            .values(province=province)
        )


def downgrade():
    op.drop_column('business_calendars', 'has_public_holidays')
    op.drop_column('business_calendars', 'country')
    op.drop_column('orders', 'ship_to_fields')
    for name in ('district', 'province', 'recipient_phone', 'recipient_name'):
        op.drop_column('addresses', name)
