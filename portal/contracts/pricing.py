"""The pricing engine: what a key account pays for a SKU at a quantity on a date, and why.

One entry point, `price_lines`, prices any number of (SKU, quantity) lines in three queries
(the contract, the products with their list prices, the rules that can apply). `resolve` is
the rule of DESIGN.md section 4, pure and tested with tables of cases. Prices are computed per
request from the rules; nothing is materialised per account and product.

A 1,000-line cart makes some 1,000 items, 1,250 rules and 1,000 priced lines, so the records
are named tuples: one costs a quarter of a frozen dataclass to make. benchmarks/bench_pricing.py
shows where the rest of the time goes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa

from portal.catalog.models import Category, ListPrice, Product
from portal.catalog.names import category_name
from portal.contracts.models import Contract, PriceRule
from portal.core.dates import format_day
from portal.core.db import among
from portal.core.money import Money, format_money, quantize
from portal.extensions import db

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class Rule(NamedTuple):
    """What resolution needs of a price rule."""

    id: int
    product_id: int | None
    category_id: int | None
    kind: str
    value: Decimal
    min_quantity: int
    valid_from: date | None
    valid_to: date | None

    @property
    def is_sku_rule(self) -> bool:
        return self.product_id is not None


@dataclass(frozen=True, slots=True)
class Terms:
    """The contract a price comes from."""

    id: int
    number: str
    currency: str
    valid_from: date
    valid_to: date
    is_assortment_restricted: bool


class CategoryName(NamedTuple):
    """A priced item's category, as catalog.names.category_name reads it."""

    name: str
    name_zh: str


class Item(NamedTuple):
    """What resolution needs of a product."""

    id: int
    sku: str
    name: str
    name_zh: str
    unit: str
    category_id: int
    category_name: str
    category_name_zh: str
    is_active: bool
    list_amount: Decimal | None
    #: Its category's tax category (tax.models.TAX_CATEGORIES): how a line of it is taxed.
    tax_category: str = "goods"

    @property
    def category(self) -> CategoryName:
        return CategoryName(self.category_name, self.category_name_zh)


class Tier(NamedTuple):
    min_quantity: int
    unit_price: Money


#: Why a line has no price.
NO_CONTRACT = "no_contract"
CONTRACT_NOT_IN_FORCE = "contract_not_in_force"
UNKNOWN_SKU = "unknown_sku"
INACTIVE = "inactive"
NOT_IN_ASSORTMENT = "not_in_assortment"
NO_LIST_PRICE = "no_list_price"


class PricedLine(NamedTuple):
    sku: str
    quantity: int
    item: Item | None
    #: The rule that set the price; None for the list price or no price.
    rule: Rule | None
    unit_price: Money | None
    list_price: Money | None
    line_total: Money | None
    #: What the line saves against the list price (zero at list price).
    saving: Money | None
    #: Set when there is no price: one of the constants above.
    no_price_reason: str | None = None
    #: Volume breaks above quantity 1: the unit price from each break on.
    tiers: tuple[Tier, ...] = ()

    @property
    def has_price(self) -> bool:
        return self.unit_price is not None


@dataclass
class Pricing:
    """A priced list of lines under one contract (or none)."""

    on: date
    terms: Terms | None
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def total(self) -> Money | None:
        """Sum of the line totals; None when any line has no price."""
        if self.terms is None or not all(line.has_price for line in self.lines):
            return None
        total = Money(Decimal(0), self.terms.currency)
        for line in self.lines:
            total += line.line_total
        return total


def resolve(rules: Iterable[Rule], category_id: int, product_id: int, quantity: int) -> Rule | None:
    """The rule that prices `quantity` of a product, among rules already in force.

    A SKU rule beats a category rule; among those, the highest minimum quantity met wins.
    Two rules with the same target and minimum quantity are refused when saved; should both
    exist anyway, the newer (higher id) wins.
    """
    best = best_key = None
    for rule in rules:
        if rule.min_quantity > quantity:
            continue
        if rule.product_id != product_id and rule.category_id != category_id:
            continue
        key = (rule.is_sku_rule, rule.min_quantity, rule.id)
        if best is None or key > best_key:
            best, best_key = rule, key
    return best


def unit_price(rule: Rule | None, list_amount: Decimal | None, currency: str) -> Decimal | None:
    """The unit price under `rule` (the list price without one), rounded to the currency."""
    if rule is None:
        return list_amount
    if rule.kind == "fixed":
        return quantize(rule.value, currency)
    if list_amount is None:
        return None
    return quantize(list_amount * (HUNDRED - rule.value) / HUNDRED, currency)


def price_lines(
    account_id: int, lines: Sequence[tuple[str, int]], on: date, *, with_tiers: bool = False
) -> Pricing:
    """Price (SKU, quantity) lines for an account on a date, in three queries."""
    terms, contract_reason = _terms(account_id, on)
    if terms is None:
        return Pricing(on, None, [_no_price(sku, qty, None, contract_reason) for sku, qty in lines])
    items = _items({sku for sku, _ in lines}, terms.currency)
    rules = _rules(
        terms, {i.id for i in items.values()}, {i.category_id for i in items.values()}, on
    )
    return _priced(terms, items, rules, lines, on, with_tiers)


def price_products(account_id: int, skus: Sequence[str], on: date) -> Pricing:
    """One unit of each product with its volume breaks: a catalog page."""
    return price_lines(account_id, [(sku, 1) for sku in skus], on, with_tiers=True)


def _terms(account_id: int, on: date) -> tuple[Terms | None, str | None]:
    contract = db.session.execute(
        sa.select(
            Contract.id,
            Contract.number,
            Contract.currency,
            Contract.valid_from,
            Contract.valid_to,
            Contract.is_assortment_restricted,
        ).where(Contract.account_id == account_id, Contract.status == "active")
    ).first()
    if contract is None:
        return None, NO_CONTRACT
    terms = Terms(*contract)
    if not terms.valid_from <= on <= terms.valid_to:
        return None, CONTRACT_NOT_IN_FORCE
    return terms, None


def _items(skus: set[str], currency: str) -> dict[str, Item]:
    if not skus:
        return {}
    query = (
        sa.select(
            Product.id,
            Product.sku,
            Product.name,
            Product.name_zh,
            Product.unit,
            Product.category_id,
            Category.name,
            Category.name_zh,
            Product.is_active,
            ListPrice.amount,
            Category.tax_category,
        )
        .join(Category, Category.id == Product.category_id)
        .outerjoin(
            ListPrice, sa.and_(ListPrice.product_id == Product.id, ListPrice.currency == currency)
        )
        .where(among(Product.sku, skus, sa.String))
    )
    # On the session's connection, not through the ORM: no account-scoped class is read here,
    # and the ORM's row loading adds a sixth to this query for 1,000 products.
    make = Item._make
    return {row.sku: make(row) for row in db.session.connection().execute(query).all()}


def _rules(terms: Terms, product_ids: set[int], category_ids: set[int], on: date) -> list[Rule]:
    if not product_ids:
        return []
    rows = db.session.execute(
        sa.select(
            PriceRule.id,
            PriceRule.product_id,
            PriceRule.category_id,
            PriceRule.kind,
            PriceRule.value,
            PriceRule.min_quantity,
            PriceRule.valid_from,
            PriceRule.valid_to,
        ).where(
            PriceRule.contract_id == terms.id,
            PriceRule.status == "active",
            sa.or_(
                among(PriceRule.product_id, product_ids, sa.Integer),
                among(PriceRule.category_id, category_ids, sa.Integer),
            ),
            sa.or_(PriceRule.valid_from.is_(None), PriceRule.valid_from <= on),
            sa.or_(PriceRule.valid_to.is_(None), PriceRule.valid_to >= on),
        )
    )
    make = Rule._make
    return [make(row) for row in rows]


def _priced(terms, items, rules, lines, on, with_tiers) -> Pricing:
    """The lines priced from what the three queries fetched: no SQL from here on."""
    by_target = _index(rules)
    return Pricing(
        on,
        terms,
        [_price(terms, items.get(sku), sku, qty, by_target, with_tiers) for sku, qty in lines],
    )


def _index(rules: list[Rule]) -> dict[tuple[str, int], list[Rule]]:
    by_target = defaultdict(list)
    for rule in rules:
        if rule.is_sku_rule:
            by_target["product", rule.product_id].append(rule)
        else:
            by_target["category", rule.category_id].append(rule)
    return by_target


def _price(terms, item, sku, quantity, by_target, with_tiers) -> PricedLine:
    if item is None:
        return _no_price(sku, quantity, None, UNKNOWN_SKU)
    if not item.is_active:
        return _no_price(sku, quantity, item, INACTIVE)
    candidates = by_target.get(("product", item.id), []) + by_target.get(
        ("category", item.category_id), []
    )
    if terms.is_assortment_restricted and not candidates:
        return _no_price(sku, quantity, item, NOT_IN_ASSORTMENT)
    currency = terms.currency
    rule = resolve(candidates, item.category_id, item.id, quantity)
    amount = unit_price(rule, item.list_amount, currency)
    if amount is None:
        return _no_price(sku, quantity, item, NO_LIST_PRICE)
    # Four Money values a line, each made once: making them is a third of pricing a line.
    line_amount = quantize(amount * quantity, currency)
    if item.list_amount is None:
        list_price, saving = None, Money(ZERO, currency)
    else:
        list_price = Money(item.list_amount, currency)
        saving = Money(quantize(item.list_amount * quantity, currency) - line_amount, currency)
    unit = list_price if rule is None else Money(amount, currency)
    total = Money(line_amount, currency)
    tiers = _tiers(candidates, item, currency, amount) if with_tiers else ()
    return PricedLine(sku, quantity, item, rule, unit, list_price, total, saving, None, tiers)


def _tiers(candidates, item, currency, first_price) -> tuple[Tier, ...]:
    """The unit price from each volume break on, where it changes."""
    tiers, previous = [], first_price
    for threshold in sorted({r.min_quantity for r in candidates if r.min_quantity > 1}):
        rule = resolve(candidates, item.category_id, item.id, threshold)
        amount = unit_price(rule, item.list_amount, currency)
        if amount is not None and amount != previous:
            tiers.append(Tier(threshold, Money(amount, currency)))
            previous = amount
    return tuple(tiers)


def _no_price(sku, quantity, item, reason) -> PricedLine:
    return PricedLine(sku, quantity, item, None, None, None, None, None, reason)


def discount_percent(kind: str, value: Decimal, list_amount: Decimal | None) -> Decimal | None:
    """How deep below list a rule goes, in percent; None when it cannot be told (no list)."""
    if kind == "percent_off":
        return value
    if not list_amount:
        return None
    return max(Decimal(0), (list_amount - value) * HUNDRED / list_amount)


def explain(line: PricedLine, terms: Terms | None) -> str:
    """The price of a line in words, as the product page and the cart show it."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    reason = line.no_price_reason
    if reason is not None:
        return {
            NO_CONTRACT: _("There is no contract in force for your account."),
            CONTRACT_NOT_IN_FORCE: _("Your contract is not in force today."),
            UNKNOWN_SKU: _("There is no product with this number."),
            INACTIVE: _("This product is no longer sold."),
            NOT_IN_ASSORTMENT: _("This product is not part of your contract's assortment."),
            NO_LIST_PRICE: _("This product has no price in your contract's currency yet."),
        }[reason]
    rule = line.rule
    if rule is None:
        return _(
            "List price: contract %(number)s has no special price for this product.",
            number=terms.number,
        )
    valid_from = rule.valid_from or terms.valid_from
    valid_to = rule.valid_to or terms.valid_to
    values = {
        "number": terms.number,
        "target": line.sku if rule.is_sku_rule else category_name(line.item.category),
        "price": format_money(rule.value, terms.currency),
        "percent": f"{rule.value.normalize():f}",
        "list": format_money(line.list_price.amount, terms.currency) if line.list_price else "",
        "quantity": rule.min_quantity,
        "from": format_day(valid_from),
        "to": format_day(valid_to),
    }
    if rule.kind == "fixed":
        text = _("Contract %(number)s: fixed price %(price)s for %(target)s", **values)
    elif rule.is_sku_rule:
        text = _("Contract %(number)s: %(percent)s%% off the list price %(list)s", **values)
    else:
        text = _(
            "Contract %(number)s: %(percent)s%% off the list price %(list)s for every "
            "%(target)s product",
            **values,
        )
    if rule.min_quantity > 1:
        text += ngettext(
            ", from %(num)d unit on a line", ", from %(num)d units on a line", rule.min_quantity
        )
    return text + _(", valid %(from)s to %(to)s.", **values)
