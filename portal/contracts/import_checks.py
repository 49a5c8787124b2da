"""A price list's rows checked against the catalog and the contract: targets, values, dates,
discount authority and overlaps, with the rules of a single rule (contracts.rule_checks) and in
its words. Set-based, so that 100,000 rows take seconds: four queries (the file's products
with their list prices, its categories, the contract's rules in force or proposed, the widest
discount authority) whatever the number of rows, then every check in Python.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.catalog.models import Category, ListPrice, Product
from portal.contracts import rule_checks
from portal.contracts.import_rows import (
    CATEGORY_PREFIX,
    CREATE,
    PROPOSE,
    UNCHANGED,
    UPDATE,
    RowResult,
)
from portal.contracts.models import Contract, PriceRule
from portal.core.db import among
from portal.core.errors import ServiceError
from portal.extensions import db


@dataclass(frozen=True, slots=True)
class Terms:
    """What validation needs of the contract (services' checks read the same attributes)."""

    id: int
    account_id: int
    currency: str
    valid_from: date
    valid_to: date
    version: int

    @classmethod
    def of(cls, contract: Contract) -> Terms:
        return cls(
            contract.id,
            contract.account_id,
            contract.currency,
            contract.valid_from,
            contract.valid_to,
            contract.version,
        )


@dataclass(frozen=True, slots=True)
class Existing:
    id: int
    product_id: int | None
    category_id: int | None
    kind: str
    value: Decimal
    min_quantity: int
    valid_from: date | None
    valid_to: date | None
    status: str
    version: int


def resolve_targets(rows: list[RowResult], currency: str) -> None:
    """Product and category ids of every row's target, in two queries; list prices too."""
    skus, names = set(), set()
    for row in rows:
        if row.target.startswith(CATEGORY_PREFIX):
            names.add(row.target.removeprefix(CATEGORY_PREFIX).strip())
        elif row.target:
            skus.add(row.target)
    products, categories = {}, {}
    if skus:
        products = {
            sku: (id, amount)
            for id, sku, amount in db.session.execute(
                sa.select(Product.id, Product.sku, ListPrice.amount)
                .outerjoin(
                    ListPrice,
                    sa.and_(ListPrice.product_id == Product.id, ListPrice.currency == currency),
                )
                .where(among(Product.sku, skus))
            )
        }
    if names:
        # A category is named in English or in Chinese; the English names win a (silly) clash.
        found = db.session.execute(
            sa.select(Category.name, Category.name_zh, Category.id).where(
                sa.or_(among(Category.name, names), among(Category.name_zh, names))
            )
        ).all()
        categories = {name_zh: id_ for name, name_zh, id_ in found if name_zh}
        categories |= {name: id_ for name, name_zh, id_ in found}
    for row in rows:
        if not row.target or row.target == CATEGORY_PREFIX:
            continue
        if row.target.startswith(CATEGORY_PREFIX):
            name = row.target.removeprefix(CATEGORY_PREFIX).strip()
            row.category_id = categories.get(name)
            if row.category_id is None:
                row.errors.append(_("There is no category %(name)s.", name=name))
        elif row.target in products:
            row.product_id, row.list_amount = products[row.target]
        else:
            row.errors.append(_("There is no product %(sku)s.", sku=row.target))


def check_values(row: RowResult, contract: Terms, authority: Decimal, widest: Decimal) -> None:
    """Value, currency, dates and discount authority, and whether the price looks like a typing
    error (beyond `widest`, anyone's authority): no query (rule_checks' rules and words)."""
    if row.kind == "fixed" and not row.currency:
        row.errors.append(
            _(
                "A fixed price needs its currency: %(currency)s, the contract's.",
                currency=contract.currency,
            )
        )
    elif row.currency and row.currency != contract.currency:
        row.errors.append(
            _(
                "The contract is in %(contract)s; this row is in %(currency)s.",
                contract=contract.currency,
                currency=row.currency,
            )
        )
    values = {
        "kind": row.kind,
        "value": row.value,
        # An unknown category is reported already; it is still a category here.
        "category_id": row.category_id or (-1 if row.target.startswith(CATEGORY_PREFIX) else None),
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
    }
    if row.kind is not None and row.value is not None:
        if row.kind == "fixed" and row.value > rule_checks.MAX_PRICE:
            row.errors.append(
                _(
                    "%(value)s is above the highest unit price accepted (%(max)s); is it a "
                    "typing error?",
                    value=row.value,
                    max=f"{rule_checks.MAX_PRICE:,}",
                )
            )
        else:
            try:
                rule_checks.checked_value(values, contract)
            except ServiceError as error:
                row.errors.append(error.message)
    try:
        rule_checks.check_rule_dates(values, contract)
    except ServiceError as error:
        row.errors.append(error.message)
    if row.errors:
        return
    try:
        row.depth = rule_checks.checked_depth(
            row.kind, row.value, row.list_amount, contract.currency
        )
    except ServiceError as error:
        row.errors.append(error.message)
        return
    row.action = CREATE if row.depth <= authority else PROPOSE
    row.unlikely = rule_checks.unlikely_message(
        row.kind, row.value, row.list_amount, row.depth, widest, contract.currency
    )


def existing_rules(contract: Terms) -> list[Existing]:
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
            PriceRule.status,
            PriceRule.version,
        ).where(
            PriceRule.contract_id == contract.id,
            PriceRule.status.in_(("active", "proposed")),
        )
    )
    return [Existing(*row) for row in rows]


def fingerprint(contract: Terms, existing: list[Existing]) -> str:
    digest = hashlib.sha256(
        f"{contract.id}:{contract.version}:{contract.currency}:{contract.valid_from}:"
        f"{contract.valid_to}".encode()
    )
    for rule in sorted(existing, key=lambda r: r.id):
        digest.update(f"|{rule.id}:{rule.version}:{rule.status}".encode())
    return digest.hexdigest()[:32]


def check_overlaps(rows: list[RowResult], contract: Terms, existing: list[Existing]) -> None:
    """Settle each valid row's action against the contract's rules, and refuse two rules for
    the same target and minimum quantity in force on one day (in the file or with the
    contract's rules), as rule_checks.check_no_overlap does for one rule."""
    by_key: dict[tuple, list[Existing]] = defaultdict(list)
    for rule in existing:
        by_key[rule.product_id, rule.category_id, rule.min_quantity].append(rule)
    in_file: dict[tuple, list[RowResult]] = defaultdict(list)
    for row in rows:
        if row.action is None:
            continue
        key = (row.product_id, row.category_id, row.min_quantity)
        # In the file: a later row clashing with an earlier one names it.
        for earlier in in_file[key]:
            if rule_checks.dates_meet(
                earlier.valid_from, earlier.valid_to, row.valid_from, row.valid_to, contract
            ):
                row.errors.append(
                    _(
                        "Line %(line)d already prices this target from this quantity in "
                        "overlapping dates.",
                        line=earlier.line,
                    )
                )
                row.action = None
                break
        in_file[key].append(row)
        if row.action is None:
            continue
        # With the contract's rules: the active rule with the same dates is the one changed.
        same = [
            rule
            for rule in by_key.get(key, ())
            if rule.status == "active"
            and rule.valid_from == row.valid_from
            and rule.valid_to == row.valid_to
        ]
        match = max(same, key=lambda r: r.id) if same else None
        if match is not None:
            row.rule_id, row.rule_version = match.id, match.version
            row.old_kind, row.old_value = match.kind, match.value
            if match.kind == row.kind and match.value == row.value:
                row.action = UNCHANGED
                continue
        for rule in by_key.get(key, ()):
            if rule is match:
                continue
            if rule_checks.dates_meet(
                rule.valid_from, rule.valid_to, row.valid_from, row.valid_to, contract
            ):
                if rule.status == "proposed":
                    message = _(
                        "A proposal for this target from this quantity in these dates waits "
                        "for a decision; decide it first."
                    )
                else:
                    message = rule_checks.overlap_message()
                row.errors.append(message)
                row.action = None
                break
        if row.action == CREATE and match is not None:
            row.action = UPDATE


def check_tiers(rows: list[RowResult], contract: Terms, existing: list[Existing]) -> None:
    """Refuse a row whose price would make more units of its target cost more each than fewer,
    beside the other rows of the file and the contract's rules in force that the file leaves
    standing (rule_checks.tier_message, as for a single rule)."""
    changing = [row for row in rows if row.action in (CREATE, UPDATE, PROPOSE)]
    replaced = {row.rule_id for row in changing if row.rule_id is not None}
    standing: dict[tuple, list] = defaultdict(list)
    for rule in existing:
        if rule.status == "active" and rule.id not in replaced:
            standing[rule.product_id, rule.category_id].append(rule)
    for row in changing:
        standing[row.product_id, row.category_id].append(row)
    for row in changing:
        list_amount = rule_checks.HUNDRED if row.category_id is not None else row.list_amount
        for other in standing[row.product_id, row.category_id]:
            message = other is not row and rule_checks.tier_message(
                row, other, list_amount, contract
            )
            if message:
                row.errors.append(message)
                row.action = None
                break
