"""Reads of the catalog: search conditions, the staff list, products and their images.

What a buyer sees of the catalog depends on the contract: contracts.queries composes that.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import contains_eager, selectinload

from portal.catalog.models import Category, Product
from portal.core.inputs import plain_code, plain_width
from portal.core.pagination import Page, paginate
from portal.extensions import db

STAFF_PER_PAGE = 50


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)))


def matching(q: str | None, category_id: int | None) -> list:
    """Search by name (English or Chinese) or SKU (%, _ and \\ taken literally, SECURITY.md 22)
    and category; a SKU typed with an input method on (ＮＷ－ＬＴ１４) is found as its plain
    form."""
    conditions = []
    q = (q or "").strip()
    if q:
        plain = plain_width(q).strip()
        conditions.append(
            sa.or_(
                Product.name.icontains(q, autoescape=True),
                Product.name.icontains(plain, autoescape=True),
                Product.name_zh.icontains(q, autoescape=True),
                Product.sku.icontains(plain, autoescape=True),
            )
        )
    if category_id is not None:
        conditions.append(Product.category_id == category_id)
    return conditions


# Staff


def staff_products(
    q: str | None, category_id: int | None, page: int = 1, per_page: int = STAFF_PER_PAGE
) -> Page:
    """Every product, active or not, with its category and list prices, by SKU."""
    where = matching(q, category_id)
    count = sa.select(sa.func.count()).select_from(Product).where(*where)
    query = (
        sa.select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category), selectinload(Product.list_prices))
        .where(*where)
        .order_by(Product.sku)
    )
    return paginate(query, count, page, per_page)


def product_or_404(sku: str, *, for_update: bool = False) -> Product:
    """A product with its category and list prices, for the staff edit page."""
    query = (
        sa.select(Product)
        .options(selectinload(Product.list_prices), selectinload(Product.category))
        .where(Product.sku == plain_code(sku))
    )
    if for_update:
        query = query.with_for_update(of=Product)
    product = db.session.scalar(query)
    if product is None:
        abort(404)
    return product


def image_of(sku: str) -> tuple[bytes, str, str] | None:
    """(bytes, content type, digest) of a product's image, or None."""
    row = db.session.execute(
        sa.select(Product.image_data, Product.image_content_type, Product.image_digest).where(
            Product.sku == sku, Product.image_digest.is_not(None)
        )
    ).first()
    return tuple(row) if row else None
