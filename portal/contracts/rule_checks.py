"""What makes a price rule valid: its value, its dates, no overlap with another rule, and how far
below list it goes. One home for the checks that a single rule (services.save_rule,
decide_proposal) and a CSV import (contracts.import_checks) both make, in the same words.

`contract` is anything with the contract's `id`, `currency`, `valid_from` and `valid_to`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.accounts.models import User
from portal.catalog.models import ListPrice
from portal.contracts.models import PriceRule
from portal.contracts.pricing import HUNDRED, discount_percent
from portal.core.errors import ServiceError
from portal.core.money import format_money, quantize
from portal.extensions import db

#: Prices above this are taken for typing errors.
MAX_PRICE = Decimal("100000000")

#: What a rule says (its target, kind, value, tier and dates): what a proposal copies and an
#: import compares.
RULE_FIELDS = (
    "product_id",
    "category_id",
    "kind",
    "value",
    "min_quantity",
    "valid_from",
    "valid_to",
)


def checked_value(values: dict, contract) -> Decimal:
    """The rule's value when it fits its kind and the contract's currency; else ServiceError.
    A whole category gets a percentage off; fixed prices are per SKU."""
    value = values["value"]
    if values["kind"] == "percent_off":
        if not Decimal(0) < value < Decimal(100):
            raise ServiceError(_("A discount is more than 0 and less than 100 percent."), "value")
        if value != value.quantize(Decimal("0.01")):
            raise ServiceError(_("Use at most two decimals for a percentage."), "value")
        return value
    if values.get("category_id") is not None:
        raise ServiceError(
            _("A whole category gets a percentage off; fixed prices are set per SKU."), "kind"
        )
    if value <= 0:
        raise ServiceError(_("Enter a unit price above zero."), field="value")
    if value > MAX_PRICE:
        raise ServiceError(
            _("A unit price above %(max)s is taken for a typing error.", max=f"{MAX_PRICE:,}"),
            field="value",
        )
    if quantize(value, contract.currency) != value:
        raise ServiceError(
            _(
                "%(currency)s prices have at most %(n)d decimals.",
                currency=contract.currency,
                n=-quantize(Decimal(1), contract.currency).as_tuple().exponent,
            ),
            field="value",
        )
    return value


def check_rule_dates(values: dict, contract) -> None:
    """A rule's own dates run forwards and lie within the contract's validity."""
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and start > end:
        raise ServiceError(_("The rule must start before it ends."), field="valid_to")
    for day in (start, end):
        if day and not contract.valid_from <= day <= contract.valid_to:
            raise ServiceError(
                _("Rule dates must lie within the contract's validity."), field="valid_from"
            )


# Overlaps: two rules for the same target and minimum quantity may not be in force on one day.


def overlap_message() -> str:
    return _("Another rule already prices this target from this quantity in these dates.")


def dates_meet(
    first_from: date | None,
    first_to: date | None,
    second_from: date | None,
    second_to: date | None,
    contract,
) -> bool:
    """Whether two rules' dates share a day; a rule without dates runs with the contract."""
    start, end = contract.valid_from, contract.valid_to
    return (first_from or start) <= (second_to or end) and (second_from or start) <= (
        first_to or end
    )


def check_no_overlap(contract, values: dict, ignore: set) -> None:
    """ServiceError when a rule of the contract in force or proposed (other than those in
    `ignore`) prices the same target from the same quantity on a day of `values`' dates."""
    start = values.get("valid_from") or contract.valid_from
    end = values.get("valid_to") or contract.valid_to
    query = sa.select(PriceRule.id).where(
        PriceRule.contract_id == contract.id,
        PriceRule.status.in_(("active", "proposed")),
        PriceRule.product_id.is_(None)
        if values.get("product_id") is None
        else PriceRule.product_id == values["product_id"],
        PriceRule.category_id.is_(None)
        if values.get("category_id") is None
        else PriceRule.category_id == values["category_id"],
        PriceRule.min_quantity == values["min_quantity"],
        # dates_meet(), in SQL
        sa.func.coalesce(PriceRule.valid_from, contract.valid_from) <= end,
        sa.func.coalesce(PriceRule.valid_to, contract.valid_to) >= start,
    )
    ignore = {rule_id for rule_id in ignore if rule_id is not None}
    if ignore:
        query = query.where(PriceRule.id.not_in(ignore))
    if db.session.scalar(query.limit(1)):
        raise ServiceError(overlap_message(), field="min_quantity")


# Depth: how far below list, which decides whether the author's authority suffices.


def checked_depth(kind: str, value: Decimal, list_amount: Decimal | None, currency: str) -> Decimal:
    """How far below list the rule goes, in percent; a fixed price needs a list price in the
    contract's currency to compare with (ServiceError without one)."""
    depth = discount_percent(kind, value, list_amount)
    if depth is None:
        raise ServiceError(
            _(
                "This product has no list price in %(currency)s; add one before a fixed price.",
                currency=currency,
            ),
            field="value",
        )
    return depth


def list_amount(contract, values: dict) -> Decimal | None:
    """The list price, in the contract's currency, of the product a rule given by `values`
    prices (None for a category, or a product without one): read once, for every check."""
    if values.get("product_id") is None:
        return None
    return db.session.scalar(
        sa.select(ListPrice.amount).where(
            ListPrice.product_id == values["product_id"],
            ListPrice.currency == contract.currency,
        )
    )


def depth(contract, values: dict, list_amount: Decimal | None) -> Decimal:
    """checked_depth() of a rule given by `values`, priced against `list_amount`."""
    return checked_depth(values["kind"], values["value"], list_amount, contract.currency)


# Unlikely prices: probably typing errors, saved only when their author confirms them.


class Unlikely(ServiceError):
    """A price that is probably a typing error; the same save with `confirmed` goes through."""


def widest_authority() -> Decimal:
    """The deepest discount any active staff member may grant, in percent below list."""
    widest = db.session.scalar(
        sa.select(sa.func.max(User.discount_authority_percent)).where(
            User.is_active.is_(True), User.account_id.is_(None)
        )
    )
    return widest or Decimal(0)


def unlikely_message(
    kind: str,
    value: Decimal,
    list_amount: Decimal | None,
    depth: Decimal,
    widest: Decimal,
    currency: str,
) -> str | None:
    """Why a rule's price looks like a typing error, or None: a fixed price above list, or a
    discount deeper than anyone may grant."""
    if kind == "fixed" and list_amount is not None and value > list_amount:
        return _(
            "%(price)s is above the list price (%(list)s): is it a typing error? Correct it, "
            "or confirm that it is right.",
            price=format_money(value, currency),
            list=format_money(list_amount, currency),
        )
    if depth > widest:
        return _(
            "%(depth)s%% below list is more than anyone may grant (%(widest)s%%): is it a "
            "typing error? Correct it, or confirm that it is right.",
            depth=f"{depth:.1f}",
            widest=f"{widest:.1f}",
        )
    return None


def check_likely(contract, values: dict, depth: Decimal, list_amount: Decimal | None) -> None:
    """Unlikely when the rule given by `values` looks like a typing error."""
    message = unlikely_message(
        values["kind"], values["value"], list_amount, depth, widest_authority(), contract.currency
    )
    if message:
        raise Unlikely(message, field="value")


# Volume tiers: more units never cost more each than fewer.


def unit_price(kind: str, value: Decimal, list_amount: Decimal | None) -> Decimal | None:
    """What one unit costs under a rule, to compare tiers of one target; a category's rules
    are all percentages, compared against a list of 100. None: cannot be told (no list)."""
    if kind == "fixed":
        return value
    if list_amount is None:
        return None
    return list_amount * (HUNDRED - value) / HUNDRED


def tier_message(rule, other, list_amount: Decimal | None, contract) -> str | None:
    """Why `rule` and `other` (rules of one target on a shared day, anything with kind, value,
    min_quantity and dates) may not stand together, or None: the one from more units may
    not price a unit above the one from fewer."""
    if rule.min_quantity == other.min_quantity or not dates_meet(
        rule.valid_from, rule.valid_to, other.valid_from, other.valid_to, contract
    ):
        return None
    fewer, more = sorted((rule, other), key=lambda r: r.min_quantity)
    low, high = (unit_price(r.kind, r.value, list_amount) for r in (fewer, more))
    if low is None or high is None or high <= low:
        return None
    return _(
        "Priced %(more)s at %(high)s, this target would cost more each than %(fewer)s "
        "(%(low)s): a higher quantity needs a lower or equal unit price.",
        more=_from_units(more.min_quantity),
        high=rule_text(more.kind, more.value, contract.currency),
        fewer=_from_units(fewer.min_quantity),
        low=rule_text(fewer.kind, fewer.value, contract.currency),
    )


def _from_units(quantity: int) -> str:
    return ngettext("from %(num)d unit", "from %(num)d units", quantity)


def rule_text(kind: str, value: Decimal, currency: str) -> str:
    """ "CN¥7,650.00" or "15% off list": a rule's price in words."""
    if kind == "percent_off":
        return _("%(value)s%% off list", value=f"{value:g}")
    return format_money(value, currency)


def check_tiers(contract, values: dict, ignore: set, list_amount: Decimal | None) -> None:
    """ServiceError when the rule given by `values` and a rule in force for the same target
    (other than those in `ignore`) would make more units cost more each than fewer; a
    category's percentages compare against a list of 100."""
    same_target = [
        PriceRule.contract_id == contract.id,
        PriceRule.status == "active",
        PriceRule.min_quantity != values["min_quantity"],
    ]
    if values.get("product_id") is not None:
        same_target.append(PriceRule.product_id == values["product_id"])
    else:
        same_target.append(PriceRule.category_id == values["category_id"])
    ignore = {rule_id for rule_id in ignore if rule_id is not None}
    if ignore:
        same_target.append(PriceRule.id.not_in(ignore))
    others = db.session.scalars(sa.select(PriceRule).where(*same_target)).all()
    if not others:
        return
    rule = SimpleNamespace(**{name: values.get(name) for name in RULE_FIELDS})
    if values.get("product_id") is None:
        list_amount = HUNDRED
    for other in others:
        message = tier_message(rule, other, list_amount, contract)
        if message:
            raise ServiceError(message, field="value")
