"""The supplier's catalog: categories, products and their list prices per currency."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.core.db import Amount, TimestampMixin
from portal.core.versioning import Versioned
from portal.extensions import db
from portal.tax.models import DEFAULT_TAX_CATEGORY, TAX_CATEGORIES


class Category(TimestampMixin, db.Model):
    __tablename__ = "categories"
    __table_args__ = (
        # Menu order. Unique as name alone is: it tells SQLite that the order is total, so the
        # buyer's catalog reads products category by category through their (category_id, name)
        # index, in page order, and stops with the page.
        sa.Index("uq_categories_position_name", "position", "name", unique=True),
        sa.CheckConstraint(f"tax_category IN {TAX_CATEGORIES}", name="tax_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    #: The Chinese name, shown to Chinese viewers where given (catalog.names).
    name_zh: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    #: Order in menus and filters.
    position: Mapped[int] = mapped_column(default=0)
    #: What its products are taxed as (tax.models.TAX_CATEGORIES): goods, or services.
    tax_category: Mapped[str] = mapped_column(
        sa.String(20), default=DEFAULT_TAX_CATEGORY, server_default=DEFAULT_TAX_CATEGORY
    )


class Product(TimestampMixin, Versioned, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.Index("ix_products_category_id_name", "category_id", "name"),
        # What buyers see: counted, and found per category, without reading the products.
        sa.Index("ix_products_is_active_category_id", "is_active", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The supplier's article number, what buyers type in quick order.
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The Chinese name and description, shown to Chinese viewers where given (catalog.names).
    name_zh: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    description_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id", ondelete="RESTRICT"))
    #: Unit of sale, such as "each" or "year".
    unit: Mapped[str] = mapped_column(sa.String(20), default="each")
    is_active: Mapped[bool] = mapped_column(default=True)
    image_data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary), raiseload=True)
    image_content_type: Mapped[str | None] = mapped_column(sa.String(40))
    image_digest: Mapped[str | None] = mapped_column(sa.String(64))

    category: Mapped[Category] = relationship(lazy="raise")
    list_prices: Mapped[list["ListPrice"]] = relationship(
        back_populates="product", lazy="raise", order_by="ListPrice.currency"
    )


class ListPrice(TimestampMixin, db.Model):
    """The price before any contract, in one currency."""

    __tablename__ = "list_prices"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "currency"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("cost_amount >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    #: What a unit costs the supplier in this currency, net of VAT; NULL: not known (margins
    #: count only the lines whose cost is known).
    cost_amount: Mapped[Decimal | None] = mapped_column(Amount)

    product: Mapped[Product] = relationship(back_populates="list_prices", lazy="raise")
