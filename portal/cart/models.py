"""A buyer's persistent cart and the order lists an account's buyers share."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.catalog.models import Product
from portal.core.db import AccountScoped, TimestampMixin
from portal.extensions import db

#: More than this on one line is taken for a typing error.
MAX_QUANTITY = 99_999
#: Lines in one cart or order list.
MAX_LINES = 500


class Cart(TimestampMixin, AccountScoped, db.Model):
    """One per buyer-side user, kept until they order or empty it."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)

    user: Mapped[User] = relationship(lazy="raise")
    lines: Mapped[list["CartLine"]] = relationship(
        back_populates="cart", lazy="raise", order_by="CartLine.id", cascade="all, delete-orphan"
    )


class CartLine(AccountScoped, db.Model):
    """A product and a quantity; the price is computed from the contract whenever shown."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        sa.UniqueConstraint("cart_id", "product_id"),
        sa.CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int]

    cart: Mapped[Cart] = relationship(back_populates="lines", lazy="raise")
    product: Mapped[Product] = relationship(lazy="raise")


class OrderList(TimestampMixin, AccountScoped, db.Model):
    """A named list of products and quantities that every buyer of the account can order from."""

    __tablename__ = "order_lists"
    __table_args__ = (sa.UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    created_by: Mapped[User | None] = relationship(lazy="raise")
    lines: Mapped[list["OrderListLine"]] = relationship(
        back_populates="order_list",
        lazy="raise",
        order_by="OrderListLine.id",
        cascade="all, delete-orphan",
    )


class OrderListLine(AccountScoped, db.Model):
    __tablename__ = "order_list_lines"
    __table_args__ = (
        sa.UniqueConstraint("order_list_id", "product_id"),
        sa.CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_list_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lists.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int]

    order_list: Mapped[OrderList] = relationship(back_populates="lines", lazy="raise")
    product: Mapped[Product] = relationship(lazy="raise")
