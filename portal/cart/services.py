"""Verbs on carts and order lists. Each checks every row first, then writes in one transaction
and commits once; `empty_cart` is the exception (place_order calls it inside its own).

The cart belongs to the signed-in user: every verb finds it by `user.id`, so nothing a request
sends can name another user's cart, and prices never come from the request (SECURITY.md 17):
the pricing engine decides what may go in, at today's contract prices.

Rows from the quick-order pad or a CSV file (read by cart.quick_order) are added all or nothing
(a bad row, and nothing is added); reorder and saved lists add what can still be ordered and
report the rest.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.cart.models import MAX_LINES, MAX_QUANTITY, Cart, CartLine, OrderList, OrderListLine
from portal.cart.quick_order import Row, parse_quantity
from portal.catalog.models import Product
from portal.catalog.services import normal_sku
from portal.contracts.pricing import (
    NO_CONTRACT,
    UNKNOWN_SKU,
    PricedLine,
    Pricing,
    explain,
    price_lines,
)
from portal.contracts.queries import visible_to
from portal.contracts.services import today_for
from portal.core import audit
from portal.core.db import begin_write, db_session_dialect
from portal.core.errors import ServiceError
from portal.core.money import Money
from portal.extensions import db

#: Unknown SKUs of one paste that get "did you mean" suggestions, and suggestions per SKU.
MAX_SUGGESTED_SKUS = 20
MAX_SUGGESTIONS = 3
#: Candidates fetched per unknown SKU and per kind of neighbourhood (see `suggestions`).
SUGGESTION_WINDOW = 15
#: The longest name of a saved order list (the column's size).
MAX_LIST_NAME = 100


@dataclass(frozen=True, slots=True)
class RowError:
    number: int
    text: str
    message: str
    #: Close matches for an unknown SKU among the products the account can order.
    suggestions: tuple[str, ...] = ()


class RowsRejected(ServiceError):
    """Some rows cannot be added; nothing was. `errors` lists every bad row."""

    def __init__(self, errors: list[RowError], message: str | None = None):
        if message is None:
            message = ngettext(
                "%(num)d row has an error; nothing was added to your cart. Correct it and try "
                "again.",
                "%(num)d rows have errors; nothing was added to your cart. Correct them and try "
                "again.",
                len(errors),
            )
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line that reorder or a saved list could not add, and why."""

    sku: str
    message: str


@dataclass(frozen=True)
class Added:
    """What went into the cart: distinct products and units; `skipped`: what could not."""

    lines: int
    units: int
    skipped: tuple[Skipped, ...] = ()

    def messages(self) -> list[tuple[str, str]]:
        """(message, flash category) telling the user what was added and what was not."""
        messages = []
        if self.lines:
            # Two counts, each with its own plural: the units inside the products' sentence.
            units = ngettext(
                "%(count)s unit", "%(count)s units", self.units, count=format_decimal(self.units)
            )
            text = ngettext(
                "Added %(num)d product to your cart (%(units)s).",
                "Added %(num)d products to your cart (%(units)s).",
                self.lines,
                units=units,
            )
            messages.append((text, "success"))
        for skipped in self.skipped:
            text = _("%(sku)s was not added: %(reason)s", sku=skipped.sku, reason=skipped.message)
            messages.append((text, "warning"))
        if not messages:
            messages.append((_("There was nothing to add."), "info"))
        return messages


# Adding to the cart


def add_rows(user: User, account: KeyAccount, rows: list[Row]) -> Added:
    """Add every row to the user's cart, or none: RowsRejected lists every bad row (unknown
    SKUs with close matches, products that cannot be ordered with the pricing engine's
    reason, quantities beyond the limit). Repeated SKUs add up, also to what the cart holds."""
    _check_owner(user, account)
    today = today_for(account)
    begin_write(db.session)
    try:
        with db.session.begin_nested():
            cart_id = _locked_cart_id(user)
            existing = _lines_by_sku(cart_id)
            wanted = _wanted(rows, existing)
            pricing = price_lines(account.id, list(wanted.totals.items()), today)
            _check_rows(account, today, rows, wanted, pricing, existing)
            by_sku = {line.sku: line for line in pricing.lines}
            _write(cart_id, account.id, existing, wanted.added, by_sku)
    except ServiceError:
        db.session.commit()  # ends the write transaction; the savepoint undid everything
        raise
    db.session.commit()
    return Added(len(wanted.added), sum(wanted.added.values()))


def add_to_cart(user: User, account: KeyAccount, sku: str, quantity: str) -> Added:
    """One product from the catalog or a product page; a refusal is one plain message."""
    quantity_value, error = parse_quantity(quantity)
    row = Row(1, f"{sku} {quantity}", normal_sku(sku), quantity_value, error)
    try:
        return add_rows(user, account, [row])
    except RowsRejected as rejected:
        if not rejected.errors:
            raise
        first = rejected.errors[0]
        raise ServiceError(f"{row.sku}: {first.message}", field="quantity") from None


def add_available(user: User, account: KeyAccount, items: list[tuple[str, int]]) -> Added:
    """Add (SKU, quantity) items (a past order, a saved list) as far as they can still be
    ordered; what cannot (inactive, unpriced, beyond the limits) is skipped and reported."""
    _check_owner(user, account)
    today = today_for(account)
    begin_write(db.session)
    with db.session.begin_nested():
        cart_id = _locked_cart_id(user)
        existing = _lines_by_sku(cart_id)
        merged: dict[str, int] = {}
        for sku, quantity in items:
            merged[sku] = merged.get(sku, 0) + quantity
        totals = {sku: qty + _quantity(existing.get(sku)) for sku, qty in merged.items()}
        pricing = price_lines(account.id, list(totals.items()), today)
        added: dict[str, int] = {}
        skipped: list[Skipped] = []
        line_count = len(existing)
        for line in pricing.lines:
            sku = line.sku
            if not line.has_price:
                skipped.append(Skipped(sku, explain(line, pricing.terms)))
            elif totals[sku] > MAX_QUANTITY:
                skipped.append(Skipped(sku, _too_many(sku, totals[sku])))
            elif sku not in existing and line_count >= MAX_LINES:
                skipped.append(Skipped(sku, _cart_full()))
            else:
                line_count += sku not in existing
                added[sku] = merged[sku]
        _write(cart_id, account.id, existing, added, {ln.sku: ln for ln in pricing.lines})
    db.session.commit()
    return Added(len(added), sum(added.values()), tuple(skipped))


def update_quantities(user: User, quantities: list[tuple[str, str]]) -> None:
    """Set the quantity of each (SKU, typed quantity) line of the user's cart; 0 removes the
    line. All or nothing: any bad quantity refuses the whole update. SKUs not in the cart
    (removed in another tab meanwhile) are passed over."""
    wanted = _wanted_quantities(quantities)
    begin_write(db.session)
    lines = _lines_by_sku(_cart_id(user), for_update=True)
    for sku, quantity in wanted.items():
        line = lines.get(sku)
        if line is None:
            continue
        if quantity == 0:
            db.session.delete(line)
        else:
            line.quantity = quantity
    db.session.commit()


def remove_line(user: User, sku: str) -> None:
    """Take a product out of the user's cart (nothing happens when it is not there)."""
    product_ids = sa.select(Product.id).where(Product.sku == normal_sku(sku))
    begin_write(db.session)
    db.session.execute(
        sa.delete(CartLine).where(
            CartLine.cart_id == _cart_id_query(user.id), CartLine.product_id.in_(product_ids)
        )
    )
    db.session.commit()


def empty_cart(user_id: int) -> None:
    """Remove every line of the user's cart; the caller commits (place_order does)."""
    db.session.execute(sa.delete(CartLine).where(CartLine.cart_id == _cart_id_query(user_id)))


def subtotal(pricing: Pricing) -> Money | None:
    """The sum of the lines that have a price (the total, when every line has one)."""
    if pricing.terms is None:
        return None
    total = Money(Decimal(0), pricing.terms.currency)
    for line in pricing.lines:
        if line.has_price:
            total += line.line_total
    return total


# Saved order lists: shared by the account's buyer-side users


def save_order_list(user: User, account: KeyAccount, name: str) -> OrderList:
    """The user's cart as a named list every buyer of the account can order from."""
    _check_owner(user, account)
    name = _checked_list_name(name)
    begin_write(db.session)
    taken = db.session.scalar(
        sa.select(OrderList.id).where(
            OrderList.account_id == account.id, sa.func.lower(OrderList.name) == name.lower()
        )
    )
    if taken is not None:
        raise ServiceError(_duplicate_name(name), field="name")
    lines = db.session.execute(
        sa.select(CartLine.product_id, CartLine.quantity)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(Cart.user_id == user.id)
        .order_by(CartLine.id)
    ).all()
    if not lines:
        raise ServiceError(_("Your cart is empty: add products before saving it as a list."))
    order_list = OrderList(account_id=account.id, name=name, created_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(order_list)
            db.session.flush()
            db.session.add_all(
                OrderListLine(
                    account_id=account.id,
                    order_list_id=order_list.id,
                    product_id=product_id,
                    quantity=quantity,
                )
                for product_id, quantity in lines
            )
            audit.record(
                user, "order_list.create", f"order_list:{order_list.id}", {"name": (None, name)}
            )
            db.session.flush()
    except IntegrityError:
        # Saved under the same name by a colleague in between.
        raise ServiceError(_duplicate_name(name), field="name") from None
    db.session.commit()
    return order_list


def add_order_list(user: User, account: KeyAccount, order_list: OrderList) -> Added:
    """Put a saved list's products into the user's cart, as far as they can still be ordered."""
    rows = db.session.execute(
        sa.select(Product.sku, OrderListLine.quantity)
        .join(Product, Product.id == OrderListLine.product_id)
        .where(
            OrderListLine.order_list_id == order_list.id,
            OrderListLine.account_id == account.id,
        )
        .order_by(OrderListLine.id)
    ).all()
    return add_available(user, account, [(sku, quantity) for sku, quantity in rows])


def edit_order_list(
    user: User, order_list: OrderList, name: str, quantities: list[tuple[str, str]]
) -> None:
    """Rename a saved list and set its quantities, (SKU, typed quantity) pairs; 0 takes a
    product off the list. All or nothing, audited; any buyer-side user of its account may."""
    name = _checked_list_name(name)
    wanted = _wanted_quantities(quantities)
    begin_write(db.session)
    taken = db.session.scalar(
        sa.select(OrderList.id).where(
            OrderList.account_id == order_list.account_id,
            sa.func.lower(OrderList.name) == name.lower(),
            OrderList.id != order_list.id,
        )
    )
    if taken is not None:
        raise ServiceError(_duplicate_name(name), field="name")
    lines: dict[str, OrderListLine] = dict(
        db.session.execute(
            sa.select(Product.sku, OrderListLine)
            .join(Product, Product.id == OrderListLine.product_id)
            .where(OrderListLine.order_list_id == order_list.id)
        ).all()
    )
    if all(wanted.get(sku, line.quantity) == 0 for sku, line in lines.items()):
        raise ServiceError(_("A list keeps at least one product; delete the list instead."))
    changes = {"name": (order_list.name, name)} if order_list.name != name else {}
    order_list.name = name
    for sku, quantity in wanted.items():
        if (line := lines.get(sku)) is None or line.quantity == quantity:
            continue  # taken off in another tab meanwhile, or unchanged
        changes[sku] = (line.quantity, quantity or None)
        if quantity == 0:
            db.session.delete(line)
        else:
            line.quantity = quantity
    audit.record(user, "order_list.edit", f"order_list:{order_list.id}", changes)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_duplicate_name(name), field="name") from None


def remove_order_list(user: User, order_list: OrderList) -> None:
    """Delete a saved list (any buyer-side user of its account may)."""
    begin_write(db.session)
    audit.record(
        user, "order_list.delete", f"order_list:{order_list.id}", {"name": (order_list.name, None)}
    )
    db.session.delete(order_list)
    db.session.commit()


# Suggestions


def suggestions(account_id: int, on: date, skus: list[str]) -> dict[str, tuple[str, ...]]:
    """Close matches for unknown SKUs among the products the account can see, in ONE
    statement over a bounded set of candidates: for each SKU, its alphabetical neighbours on
    either side (a typing error near the end) and SKUs of the same length sharing its first
    three characters (letters swapped or mistyped in the middle); difflib picks among them."""
    skus = list(dict.fromkeys(s for s in skus if s))[:MAX_SUGGESTED_SKUS]
    if not skus:
        return {}
    visible = visible_to(account_id, on)
    parts = []
    for sku in skus:
        base = sa.select(Product.sku).where(*visible)
        parts += [
            base.where(Product.sku >= sku).order_by(Product.sku).limit(SUGGESTION_WINDOW),
            base.where(Product.sku < sku).order_by(Product.sku.desc()).limit(SUGGESTION_WINDOW),
            base.where(
                Product.sku.startswith(sku[:3], autoescape=True),
                sa.func.length(Product.sku) == len(sku),
            )
            .order_by(Product.sku)
            .limit(SUGGESTION_WINDOW),
        ]
    # Each part as a subquery: SQLite allows ORDER BY and LIMIT only on a whole compound.
    query = sa.union(*(sa.select(part.subquery().c.sku) for part in parts))
    candidates = list(db.session.scalars(query))
    return {
        sku: tuple(difflib.get_close_matches(sku, candidates, n=MAX_SUGGESTIONS, cutoff=0.6))
        for sku in skus
    }


# Internals


@dataclass
class _Wanted:
    #: Quantity each SKU adds, in the order first seen.
    added: dict[str, int]
    #: What each SKU's line would hold afterwards.
    totals: dict[str, int]
    #: Row number -> what is wrong with the row so far.
    errors: dict[int, list[str]]


def _wanted(rows: list[Row], existing: dict[str, CartLine]) -> _Wanted:
    wanted = _Wanted({}, {}, {})
    for row in rows:
        if row.error:
            wanted.errors.setdefault(row.number, []).append(row.error)
            continue
        wanted.added[row.sku] = wanted.added.get(row.sku, 0) + row.quantity
        total = wanted.totals.get(row.sku, _quantity(existing.get(row.sku))) + row.quantity
        wanted.totals[row.sku] = total
        if total > MAX_QUANTITY:
            wanted.errors.setdefault(row.number, []).append(_too_many(row.sku, total))
    return wanted


def _check_rows(account, today, rows, wanted: _Wanted, pricing: Pricing, existing) -> None:
    """Raise RowsRejected unless every row can go into the cart."""
    message = None
    if pricing.terms is None:
        reason = pricing.lines[0] if pricing.lines else _no_contract_line()
        message = explain(reason, None)
    by_sku = {line.sku: line for line in pricing.lines}
    unknown = [s for s, line in by_sku.items() if line.no_price_reason == UNKNOWN_SKU]
    hints = suggestions(account.id, today, unknown) if pricing.terms is not None else {}
    errors = []
    for row in rows:
        messages = list(wanted.errors.get(row.number, []))
        line = by_sku.get(row.sku) if not row.error else None
        if line is not None and not line.has_price and pricing.terms is not None:
            messages.insert(0, explain(line, pricing.terms))
        if messages:
            errors.append(
                RowError(row.number, row.text, " ".join(messages), hints.get(row.sku, ()))
            )
    new_lines = len(set(wanted.added) - set(existing))
    if message is None and len(existing) + new_lines > MAX_LINES:
        message = ngettext(
            "Your cart would have %(num)d line; it holds at most %(max)d.",
            "Your cart would have %(num)d lines; it holds at most %(max)d.",
            len(existing) + new_lines,
            max=MAX_LINES,
        )
    if errors or message:
        raise RowsRejected(errors, message)


def _no_contract_line() -> PricedLine:
    return PricedLine("", 1, None, None, None, None, None, None, NO_CONTRACT)


def _write(cart_id, account_id, existing, added: dict[str, int], by_sku) -> None:
    for sku, quantity in added.items():
        line = existing.get(sku)
        if line is not None:
            line.quantity += quantity
        else:
            db.session.add(
                CartLine(
                    cart_id=cart_id,
                    account_id=account_id,
                    product_id=by_sku[sku].item.id,
                    quantity=quantity,
                )
            )


def _too_many(sku: str, total: int) -> str:
    return _(
        "This would make %(total)s of %(sku)s in your cart; a line holds at most %(max)s.",
        total=format_decimal(total),
        sku=sku,
        max=format_decimal(MAX_QUANTITY),
    )


def _cart_full() -> str:
    return _("Your cart holds at most %(max)d lines.", max=MAX_LINES)


def _wanted_quantities(quantities: list[tuple[str, str]]) -> dict[str, int]:
    """SKU -> quantity (0: take it off) of a form's (SKU, typed quantity) lines; every bad
    quantity refuses the whole form."""
    errors = []
    wanted: dict[str, int] = {}
    for number, (sku, text) in enumerate(quantities, start=1):
        quantity, error = parse_quantity(text, allow_zero=True)
        if error:
            errors.append(RowError(number, normal_sku(sku), error))
        else:
            wanted[normal_sku(sku)] = quantity
    if errors:
        raise RowsRejected(
            errors,
            ngettext(
                "%(num)d quantity is wrong; nothing was changed.",
                "%(num)d quantities are wrong; nothing was changed.",
                len(errors),
            ),
        )
    return wanted


def _checked_list_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Give the list a name."), field="name")
    if len(name) > MAX_LIST_NAME:
        raise ServiceError(_("Use at most %(max)d characters.", max=MAX_LIST_NAME), field="name")
    return name


def _duplicate_name(name: str) -> str:
    return _("Your account already has a list called “%(name)s”. Choose another name.", name=name)


def _quantity(line: CartLine | None) -> int:
    return line.quantity if line is not None else 0


def _check_owner(user: User, account: KeyAccount) -> None:
    # The view's account comes from the slug, confined to the user's own account; a cart
    # never mixes accounts.
    if user.account_id != account.id:
        raise ValueError("a cart belongs to its user's own account")


def _cart_id_query(user_id: int):
    return sa.select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()


def _cart_id(user: User) -> int | None:
    return db.session.scalar(sa.select(Cart.id).where(Cart.user_id == user.id))


def _locked_cart_id(user: User) -> int:
    """The user's cart, made on first use and locked until commit, so that two requests of
    the same user (a double click) add up instead of overwriting each other."""
    insert = (postgresql.insert if db_session_dialect() == "postgresql" else sqlite.insert)(Cart)
    db.session.execute(
        insert.values(user_id=user.id, account_id=user.account_id).on_conflict_do_nothing(
            index_elements=["user_id"]
        )
    )
    return db.session.scalar(sa.select(Cart.id).where(Cart.user_id == user.id).with_for_update())


def _lines_by_sku(cart_id: int | None, *, for_update: bool = False) -> dict[str, CartLine]:
    if cart_id is None:
        return {}
    query = (
        sa.select(CartLine, Product.sku)
        .join(Product, Product.id == CartLine.product_id)
        .where(CartLine.cart_id == cart_id)
    )
    if for_update:
        query = query.with_for_update(of=CartLine)
    return {sku: line for line, sku in db.session.execute(query)}
