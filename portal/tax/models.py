"""VAT rates as data: a rate per tax category and jurisdiction, in force between two dates; the
tax categories of products and the tax treatments of accounts (their codes)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Amount, TimestampMixin, utcnow
from portal.extensions import db

#: What a product's category is taxed as; `export` is what any line of a zero-rated export is.
TAX_CATEGORIES = ("goods", "services", "export")
#: What a category is unless staff say otherwise.
DEFAULT_TAX_CATEGORY = "goods"
#: The supplier sells from China: every sale is taxed (or zero-rated) there.
JURISDICTIONS = ("CN",)
SUPPLIER_JURISDICTION = "CN"

#: The rates in force since China's VAT reform of 1 April 2019 (13% on goods, 6% on most
#: services; exports zero-rated): what the migration and `tax.services.seed_standard_rates`
#: write. (tax category, jurisdiction, rate in percent, valid from).
STANDARD_RATES = (
    ("goods", "CN", Decimal("13"), date(2019, 4, 1)),
    ("services", "CN", Decimal("6"), date(2019, 4, 1)),
    ("export", "CN", Decimal("0"), date(2019, 4, 1)),
)


class TaxRate(TimestampMixin, db.Model):
    """The VAT rate of a tax category in a jurisdiction from `valid_from` to `valid_to`
    (inclusive; NULL: until further notice). Rates of one category and jurisdiction never
    overlap (tax.services.add_rate refuses it), so one is in force on any date."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        sa.UniqueConstraint("tax_category", "jurisdiction", "valid_from"),
        sa.CheckConstraint(f"tax_category IN {TAX_CATEGORIES}", name="tax_category"),
        sa.CheckConstraint("rate_percent >= 0", name="rate_not_negative"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_category: Mapped[str] = mapped_column(sa.String(20))
    #: ISO 3166 country code of the tax authority.
    jurisdiction: Mapped[str] = mapped_column(sa.String(2))
    #: 13 for 13%.
    rate_percent: Mapped[Decimal] = mapped_column(Amount)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)

    def __repr__(self) -> str:
        return f"<TaxRate {self.tax_category} {self.jurisdiction} {self.rate_percent}%>"


@sa.event.listens_for(TaxRate.__table__, "after_create")
def _standard_rates(table, connection, **kw):
    """A database made from the models (tests, a first `create_all`) starts with the standard
    rates, as one made by the migrations does."""
    connection.execute(table.insert(), [_standard_row(*rate) for rate in STANDARD_RATES])


def _standard_row(tax_category, jurisdiction, rate_percent, valid_from) -> dict:
    now = utcnow()
    return {
        "tax_category": tax_category,
        "jurisdiction": jurisdiction,
        "rate_percent": rate_percent,
        "valid_from": valid_from,
        "valid_to": None,
        "created_at": now,
        "updated_at": now,
    }
