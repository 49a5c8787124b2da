"""The lines of a quote version as people send them, checked and priced.

`RequestLine` is what a buyer asks for (a quantity, perhaps a target price and a comment);
`DraftLine` what the rep quotes (a quantity and a unit price, None for the contract price).
`checked_request` and `priced_draft` refuse bad lines with a ServiceError naming the field and
the SKU, and turn good ones into `QuoteLine` values: a draft's lines snapshot the contract price
at the quantity with its explanation and the list price, and the version its total, its depth
(the deepest discount below list of a line priced under its contract price) and whether that
is beyond the author's discount authority.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.accounts.models import KeyAccount, User
from portal.cart.models import MAX_QUANTITY
from portal.catalog.models import Category, Product
from portal.contracts import pricing as engine
from portal.contracts.permissions import authority_covers
from portal.core.errors import ServiceError
from portal.core.inputs import plain_code
from portal.core.money import decimals_problem, format_money, quantize
from portal.core.numbers import MAX_AMOUNT
from portal.extensions import db

#: The most lines a version has.
MAX_LINES = 200
#: The longest comment on a line, and note or terms of a version.
MAX_COMMENT = 1000
MAX_NOTE = 4000
HUNDRED = Decimal(100)
#: Depths are kept to the Amount column's places, rounded up: never below the true depth.
DEPTH_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class RequestLine:
    """A line a buyer asks a price for."""

    sku: str
    quantity: int
    target_price: Decimal | None = None
    comment: str = ""


@dataclass(frozen=True)
class DraftLine:
    """A line the rep quotes; `unit_price` None is the contract price at the quantity."""

    sku: str
    quantity: int
    unit_price: Decimal | None = None
    comment: str = ""


@dataclass
class Priced:
    """A draft's lines priced, and what they add up to."""

    lines: list[dict]
    total: Decimal
    #: The deepest discount below list of a line under its contract price; None: no such line.
    depth: Decimal | None
    needs_approval: bool


def text(value: str | None, field: str, limit: int = MAX_NOTE) -> str:
    """A note, comment or terms as typed, stripped, at most `limit` characters."""
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(
            ngettext(
                "At most %(num)d character, please.", "At most %(num)d characters, please.", limit
            ),
            field,
        )
    return value


def _common(lines, field: str) -> list[tuple[str, int, str]]:
    """SKU (plain, upper case), quantity and comment of each line; refuses what no version
    may hold: no lines, too many, a SKU twice, a quantity out of range."""
    lines = list(lines or ())
    if not lines:
        raise ServiceError(_("Add at least one line."), field)
    if len(lines) > MAX_LINES:
        raise ServiceError(
            _(
                "A quote has at most %(max)d lines; this one has %(num)d.",
                max=MAX_LINES,
                num=len(lines),
            ),
            field,
        )
    seen, checked = set(), []
    for line in lines:
        sku = plain_code(line.sku)
        if not sku:
            raise ServiceError(_("Give the product number (SKU) of each line."), field)
        if sku in seen:
            raise ServiceError(
                _(
                    "%(sku)s is on more than one line: put it on one line with the whole quantity.",
                    sku=sku,
                ),
                field,
            )
        seen.add(sku)
        quantity = line.quantity
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= MAX_QUANTITY
        ):
            raise ServiceError(
                _(
                    "%(sku)s: the quantity must be a whole number from 1 to %(max)d.",
                    sku=sku,
                    max=MAX_QUANTITY,
                ),
                field,
            )
        checked.append((sku, quantity, text(line.comment, field, MAX_COMMENT)))
    return checked


def _price(value, sku: str, currency: str, field: str) -> Decimal:
    """A price typed for a line: a positive amount with the currency's decimals."""
    if (
        isinstance(value, bool)
        or not isinstance(value, Decimal | int)
        or not Decimal(value).is_finite()
    ):
        raise ServiceError(_("%(sku)s: the price is not an amount.", sku=sku), field)
    value = Decimal(value)
    if value <= 0:
        raise ServiceError(_("%(sku)s: a price must be more than zero.", sku=sku), field)
    if value >= MAX_AMOUNT:
        raise ServiceError(_("%(sku)s: the price is too large.", sku=sku), field)
    problem = decimals_problem(value, currency)
    if problem:
        raise ServiceError(f"{sku}: {problem}", field)
    return value


def _products(skus) -> dict[str, tuple[Product, str]]:
    """Each product by SKU, with its category's tax category."""
    rows = db.session.execute(
        sa.select(Product, Category.tax_category)
        .join(Category, Category.id == Product.category_id)
        .where(Product.sku.in_(set(skus)))
    )
    return {product.sku: (product, tax_category) for product, tax_category in rows}


def _unknown(sku: str, product: Product | None, field: str) -> None:
    if product is None:
        raise ServiceError(_("There is no product %(sku)s.", sku=sku), field)
    if not product.is_active:
        raise ServiceError(_("%(sku)s is no longer sold.", sku=sku), field)


def checked_request(lines, currency: str, field: str = "lines") -> list[dict]:
    """A buyer's lines as QuoteLine values (without version and account), or ServiceError."""
    lines = list(lines or ())
    common = _common(lines, field)
    products = _products(sku for sku, _q, _c in common)
    values = []
    for position, (line, (sku, quantity, comment)) in enumerate(
        zip(lines, common, strict=True), start=1
    ):
        product, tax_category = products.get(sku, (None, None))
        _unknown(sku, product, field)
        target = line.target_price
        if target is not None:
            target = _price(target, sku, currency, field)
        values.append(
            {
                "position": position,
                "product_id": product.id,
                "sku": sku,
                "name": product.name,
                "name_zh": product.name_zh,
                "quantity": quantity,
                "tax_category": tax_category,
                "target_price_amount": target,
                "comment": comment,
            }
        )
    return values


#: Why a line cannot be quoted (the pricing engine's reasons), with the SKU.
def _not_quotable(sku: str, reason: str) -> str:
    if reason == engine.UNKNOWN_SKU:
        return _("There is no product %(sku)s.", sku=sku)
    if reason == engine.INACTIVE:
        return _("%(sku)s is no longer sold.", sku=sku)
    if reason == engine.NOT_IN_ASSORTMENT:
        return _("%(sku)s is not part of the contract's assortment.", sku=sku)
    if reason == engine.NO_LIST_PRICE:
        return _("%(sku)s has no list price in the contract's currency.", sku=sku)
    return _("The account has no contract in force today: a quote needs one.")


def depth_of(quoted: Decimal, contract: Decimal, list_amount: Decimal | None) -> Decimal | None:
    """How deep below list a quoted price goes when it is under the contract price (percent,
    rounded up); None at or above the contract price, which needs nobody."""
    if quoted >= contract:
        return None
    if not list_amount:
        return HUNDRED  # no list to measure against: as deep as it gets
    depth = (list_amount - quoted) * HUNDRED / list_amount
    return max(Decimal(0), depth).quantize(DEPTH_PLACES, rounding=ROUND_CEILING)


def priced_draft(
    author: User, account: KeyAccount, lines, on: date, field: str = "lines"
) -> tuple[Priced, engine.Terms]:
    """A rep's lines priced against the account's contract on `on`, or ServiceError."""
    lines = list(lines or ())
    common = _common(lines, field)
    pricing = engine.price_lines(account.id, [(sku, qty) for sku, qty, _c in common], on)
    if pricing.terms is None:
        raise ServiceError(
            _("The account has no contract in force today: a quote needs one."), field
        )
    terms = pricing.terms
    currency = terms.currency
    values, total, deepest = [], Decimal(0), None
    for position, (line, (sku, quantity, comment), priced) in enumerate(
        zip(lines, common, pricing.lines, strict=True), start=1
    ):
        if not priced.has_price:
            raise ServiceError(_not_quotable(sku, priced.no_price_reason), field)
        contract_amount = priced.unit_price.amount
        list_amount = priced.list_price.amount if priced.list_price else None
        quoted = contract_amount
        if line.unit_price is not None:
            quoted = _price(line.unit_price, sku, currency, field)
        depth = depth_of(quoted, contract_amount, list_amount)
        if depth is not None and (deepest is None or depth > deepest):
            deepest = depth
        total += quantize(quoted * quantity, currency)
        item = priced.item
        values.append(
            {
                "position": position,
                "product_id": item.id,
                "sku": sku,
                "name": item.name,
                "name_zh": item.name_zh,
                "quantity": quantity,
                "tax_category": item.tax_category,
                "unit_price_amount": quoted,
                "comment": comment,
                "contract_price_amount": contract_amount,
                "contract_explanation": engine.explain(priced, terms),
                "list_price_amount": list_amount,
            }
        )
    if total >= MAX_AMOUNT:
        raise ServiceError(
            _("The total %(total)s is too large.", total=format_money(total, currency)), field
        )
    needs_approval = deepest is not None and not authority_covers(
        author.discount_authority_percent, deepest
    )
    return Priced(values, total, deepest, needs_approval), terms
