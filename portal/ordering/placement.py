"""Placing an order: the checkout's preview, and `place_order`, which turns a cart (or lines
staff took down for a buyer) into an order at today's contract prices with its payment schedule,
or refuses with a message and writes nothing. An accepted quote orders the same way, at its
prices and quantities (ordering.quoted), and leaves the cart as it is.

It locks the account's credit first and then tells its story in steps: a repeated submit finds
the order the first one made; the lines are priced and checked; the order, its lines and its
schedule are written; the credit is checked (an order that does not fit is held); the cart is
emptied (or, ordered from a quote, the quote is marked ordered); the buyer is told the order
was received, and whoever decides it (ordering.approvals) is asked when it waits for approval.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.accounts import addresses
from portal.accounts.models import Address, KeyAccount, User
from portal.cart import queries as cart_queries
from portal.cart import services as cart_services
from portal.cart.models import MAX_QUANTITY
from portal.contracts.models import Contract, PaymentTerm
from portal.contracts.pricing import Pricing, explain, price_lines
from portal.contracts.services import today_for
from portal.contracts.terms import split
from portal.core import audit
from portal.core.dates import format_day
from portal.core.db import db_session_dialect
from portal.core.errors import ServiceError
from portal.core.inputs import plain_width
from portal.core.money import Money, format_money
from portal.extensions import db
from portal.notifications.services import later, notify
from portal.ordering import approvals
from portal.ordering.credit import credit_excess, lock_account, over_credit_text
from portal.ordering.lifecycle import hold, record, status_label, tell_invoices_issued
from portal.ordering.models import Milestone, Order, OrderLine, OrderNumberCounter
from portal.ordering.quoted import Quoted, QuoteSource, check_quoted, quoted_pricing
from portal.tax import services as tax
from portal.tax.fapiao import checked_fapiao_type

#: The longest a requested delivery date may lie ahead.
MAX_DELIVERY_DAYS = 730


@dataclass(frozen=True)
class Checkout:
    """What the buyer chose at checkout; prices never come from the form (SECURITY.md 17)."""

    ship_to_address_id: int | None
    po_number: str = ""
    requested_delivery_on: date | None = None
    note: str = ""
    #: The buyer saw the warning that an order of the account has this PO number already.
    is_po_repeat_confirmed: bool = False
    #: The fapiao type chosen (tax.fapiao.checked_fapiao_type); None: the form did not ask.
    fapiao_type: str | None = None


@dataclass(frozen=True)
class ScheduleLine:
    label: str
    share_percent: Decimal
    event: str
    days: int
    amount: Money
    due_on: date | None
    #: Its part of the order's VAT by rate (tax.services.split_vat_by_shares).
    vat: tuple[tax.VatTotal, ...] = ()


def schedule(
    term: PaymentTerm, total: Money, placed_on: date, vat: tax.VatSummary | None = None
) -> list[ScheduleLine]:
    """The payment schedule `term` makes of `total`: what checkout shows and submit creates.
    Milestones that hang on the order are due from `placed_on`; the others get their dates
    when the shipment or delivery is recorded. With the order's `vat`, each carries its part."""
    shares = [m.share_percent for m in term.milestones]
    amounts = split(total, shares)
    parts = tax.split_vat_by_shares(vat.by_rate if vat else (), shares, amounts)
    return [
        ScheduleLine(
            m.label,
            m.share_percent,
            m.event,
            m.days,
            amount,
            placed_on + timedelta(days=m.days) if m.event == "order" else None,
            tuple(part),
        )
        for m, amount, part in zip(term.milestones, amounts, parts, strict=True)
    ]


@dataclass
class Preview:
    """What submitting the checkout would make of the cart, or why it cannot be ordered."""

    pricing: Pricing
    problem: str | None = None
    term: PaymentTerm | None = None
    schedule: list[ScheduleLine] = field(default_factory=list)
    #: Net, VAT by rate and gross of the priced lines; None when a rate is missing.
    vat: tax.VatSummary | None = None
    needs_approval: bool = False
    #: Who will decide, in a sentence, when it needs approval.
    who_decides: str = ""


def preview_checkout(buyer: User, account: KeyAccount, quoted: Quoted | None = None) -> Preview:
    """The checkout page: the cart (or a quote's lines, `quoted`) priced, the schedule it would
    produce, and whether it waits for approval; `place_order` refuses the same cases on
    submit."""
    today = today_for(account)
    pricing = _lines(buyer, account, None, quoted, today)
    try:
        _check_lines(pricing, None, quoted)
        vat = tax.summary(_taxed(account, pricing, today), pricing.total.currency)
    except ServiceError as error:
        return Preview(pricing, error.message)
    term = contract_term(pricing.terms.id)
    if term is None:
        return Preview(pricing, _no_term_message())
    needs_approval = _exceeds_spending_limit(buyer, pricing.total)
    return Preview(
        pricing,
        term=term,
        schedule=schedule(term, pricing.total, today, vat),
        vat=vat,
        needs_approval=needs_approval,
        who_decides=(
            approvals.who_decides(approvals.deciders_for_buyer(account.id, buyer.id))
            if needs_approval
            else ""
        ),
    )


def _no_term_message() -> str:
    return _("Your contract names no payment term yet. Please call the hotline.")


def contract_term(contract_id: int) -> PaymentTerm | None:
    contract = db.session.scalar(
        sa.select(Contract)
        .where(Contract.id == contract_id)
        .options(selectinload(Contract.payment_term).selectinload(PaymentTerm.milestones))
        # A contract or term already in the session (its term changed since) is read afresh.
        .execution_options(populate_existing=True)
    )
    term = contract.payment_term if contract is not None else None
    return term if term is not None and term.milestones else None


@dataclass(frozen=True)
class Placed:
    """What `submit_order` did: the order, and whether this call made it (False: a repeated
    submit of the same token found the order an earlier one made)."""

    order: Order
    is_new: bool


def place_order(buyer: User, account: KeyAccount, checkout: Checkout, token: str, **how) -> Order:
    """`submit_order`, for callers that need only the order (a repeat finds the first)."""
    return submit_order(buyer, account, checkout, token, **how).order


def submit_order(
    buyer: User,
    account: KeyAccount,
    checkout: Checkout,
    token: str,
    *,
    items: list[tuple[str, int]] | None = None,
    on_behalf_by: User | None = None,
    reason: str = "",
    from_quote: QuoteSource | None = None,
) -> Placed:
    """Turn the buyer's cart (or `items`, (SKU, quantity) pairs that staff took down on the
    buyer's behalf) into an order at today's contract prices, or refuse with a message and
    write nothing.

    Ordered `from_quote`, the lines are the quote's, at its prices (`QuoteSource.quoted`, asked
    under the account lock, may refuse), the cart stays as it is, and the quote is marked
    ordered (`QuoteSource.placed`) in the order's own transaction.

    Staff placing it `on_behalf_by` must say why (`reason`): it is recorded in the order's
    history and the audit trail.

    `token` is the checkout form's one-time token: a repeated submit (double click, retry, two
    concurrent requests) gets the order the first one made (SECURITY.md 35).
    """
    reason = _checked_reason(on_behalf_by, reason)
    lock_account(account.id)
    if (existing := _order_with_token(account.id, token)) is not None:
        return Placed(existing, False)
    today = today_for(account)
    quoted = from_quote.quoted() if from_quote is not None else None
    pricing, term = _priced(buyer, account, items, quoted, today)
    taxed = _taxed(account, pricing, today)
    order = _new_order(buyer, account, checkout, token, pricing, term, on_behalf_by, today)
    db.session.add(order)
    try:
        db.session.flush()
    except IntegrityError as error:
        return Placed(_placed_meanwhile(account.id, token, error), False)
    _add_lines(order, pricing, taxed, quoted)
    issued = _add_schedule(order, term, pricing.total, today)
    actor = on_behalf_by or buyer
    record(order, None, order.status, actor, _on_behalf_comment(buyer, on_behalf_by, reason))
    _hold_if_over_credit(order, account, actor)
    if from_quote is not None:
        from_quote.placed(order)
    elif items is None:
        cart_services.empty_cart(buyer.id)
    audit.record(
        actor, "order.place", f"order:{order.number}", {"total": (None, order.total_amount)}, reason
    )
    chosen = approvals.deciders(order)
    _tell_buyer_received(order, account, buyer, on_behalf_by, pricing, chosen)
    if chosen is not None:
        approvals.tell_deciders(order, chosen)
    tell_invoices_issued(order, account.slug, issued)
    try:
        db.session.commit()
    except IntegrityError as error:
        return Placed(_placed_meanwhile(account.id, token, error), False)
    return Placed(order, True)


def _checked_reason(on_behalf_by: User | None, reason: str) -> str:
    reason = reason.strip()
    if on_behalf_by is not None and not reason:
        raise ServiceError(
            _("Say why you place the order for the buyer, for the order's history."), "reason"
        )
    return reason


def _priced(
    buyer: User,
    account: KeyAccount,
    items: list[tuple[str, int]] | None,
    quoted: Quoted | None,
    today: date,
) -> tuple[Pricing, PaymentTerm]:
    """The lines (the buyer's cart when no `items`) at today's contract prices (a quote's at
    its prices) and the contract's payment term; refused when a line cannot be ordered or
    there is no term."""
    pricing = _lines(buyer, account, items, quoted, today)
    _check_lines(pricing, items, quoted)
    term = contract_term(pricing.terms.id)
    if term is None:
        raise ServiceError(_no_term_message())
    return pricing, term


def _new_order(
    buyer: User,
    account: KeyAccount,
    checkout: Checkout,
    token: str,
    pricing: Pricing,
    term: PaymentTerm,
    on_behalf_by: User | None,
    today: date,
) -> Order:
    """The order as checked out, before its lines: above the buyer's limit it waits for
    approval."""
    address = _checked_address(account, checkout.ship_to_address_id)
    values = _checked_values(account, checkout, today)
    total = pricing.total
    return Order(
        account_id=account.id,
        number=_next_number(today.year),
        checkout_token=token,
        contract_id=pricing.terms.id,
        status="pending_approval" if _exceeds_spending_limit(buyer, total) else "submitted",
        placed_by_id=buyer.id,
        placed_on_behalf_by_id=on_behalf_by.id if on_behalf_by else None,
        placed_on=today,
        currency=total.currency,
        total_amount=total.amount,
        payment_term_name=term.name,
        needs_letter_of_credit=term.needs_letter_of_credit,
        ship_to_address_id=address.id,
        ship_to=addresses.printed(address),
        ship_to_fields=addresses.snapshot(address),
        **values,
    )


def _on_behalf_comment(buyer: User, on_behalf_by: User | None, reason: str) -> str:
    if on_behalf_by is None:
        return ""
    return _(
        "Placed by %(staff)s on behalf of %(buyer)s. Reason: %(reason)s",
        staff=on_behalf_by.name,
        buyer=buyer.name,
        reason=reason,
    )


def _hold_if_over_credit(order: Order, account: KeyAccount, actor: User) -> None:
    """An order that does not fit the credit limit is held and reserves no credit."""
    if (excess := credit_excess(order)) is None:
        return
    hold(order, actor, over_credit_text(excess), is_over_credit=True)


def _tell_buyer_received(
    order: Order,
    account: KeyAccount,
    buyer: User,
    on_behalf_by: User | None,
    pricing: Pricing,
    chosen: approvals.Deciders | None,
) -> None:
    """The buyer hears that the order was received (a notice and an e-mail), also when staff
    took it down for them, with where it stands: waiting for approval, and by whom, or held."""
    number = order.number
    if order.status == "on_hold":
        # A hold the buyer did not choose (and may not see, placed on their behalf).
        text = _l(
            "Order %(number)s received; it is on hold: %(reason)s",
            number=number,
            reason=order.hold_reason,
        )
    elif order.status == "pending_approval":
        text = _l("Order %(number)s received; it waits for approval.", number=number)
    else:
        text = _l("Order %(number)s received.", number=number)
    notify(
        [buyer.id],
        text,
        f"/a/{account.slug}/orders/{number}",
        email="order_received",
        number=number,
        account_name=account.name,
        placed_by=buyer.name,
        taken_down_by=on_behalf_by.name if on_behalf_by else "",
        placed_on=later(format_day, order.placed_on),
        status=later(status_label, order.status),
        who_decides=later(approvals.who_decides, chosen) if chosen else "",
        po_number=order.po_number,
        lines=[
            (line.sku, line.item, line.quantity, later(_money, line.line_total))
            for line in pricing.lines
        ],
        total=later(format_money, order.total_amount, order.currency),
        ship_to=order.ship_to,
    )


def _money(money: Money) -> str:
    return format_money(money.amount, money.currency)


def _placed_meanwhile(account_id: int, token: str, error: IntegrityError) -> Order:
    """The order a concurrent submit of the same checkout committed in between (should the
    account lock ever be bypassed): the one the buyer placed, whether the clash shows at the
    INSERT (flush) or at commit. Any other integrity error stands."""
    db.session.rollback()
    if (existing := _order_with_token(account_id, token)) is not None:
        return existing
    raise error


def _taxed(account: KeyAccount, pricing: Pricing, today: date) -> list[tax.TaxedLine]:
    """Each line's VAT at the rates in force today (one query); refused (NoRateInForce) when
    a rate is not recorded."""
    return tax.taxed_priced_lines(pricing.lines, account.tax_treatment, tax.rates_on(today))


def _lines(
    buyer: User,
    account: KeyAccount,
    items: list[tuple[str, int]] | None,
    quoted: Quoted | None,
    today: date,
) -> Pricing:
    if quoted is not None:
        return quoted_pricing(account.id, quoted, today)
    return price_lines(
        account.id, cart_queries.cart_items(buyer.id) if items is None else items, today
    )


def _check_lines(pricing: Pricing, items: list | None, quoted: Quoted | None) -> None:
    if quoted is not None:
        check_quoted(pricing, quoted)
    else:
        _check_priced(pricing, from_cart=items is None)


def _check_priced(pricing: Pricing, from_cart: bool = True) -> None:
    if not pricing.lines:
        raise ServiceError(_("Your cart is empty.") if from_cart else _("Enter at least one line."))
    if any(not 1 <= line.quantity <= MAX_QUANTITY for line in pricing.lines):
        raise ServiceError(_("Quantities are whole numbers from 1 to %(max)d.", max=MAX_QUANTITY))
    if pricing.terms is None:
        raise ServiceError(explain(pricing.lines[0], None))
    unpriced = [line for line in pricing.lines if not line.has_price]
    if unpriced:
        advice = (
            _("Remove these lines from your cart to order the rest.")
            if from_cart
            else _("Leave these lines out to order the rest.")
        )
        raise ServiceError(
            " ".join(f"{line.sku}: {explain(line, pricing.terms)}" for line in unpriced)
            + " "
            + advice
        )


def _checked_address(account: KeyAccount, address_id: int | None) -> Address:
    address = None
    if address_id is not None:
        address = db.session.scalar(
            sa.select(Address).where(Address.id == address_id, Address.account_id == account.id)
        )
    if address is None:
        raise ServiceError(_("Choose one of your account's addresses."), field="ship_to")
    return address


def _checked_values(account: KeyAccount, checkout: Checkout, today: date) -> dict:
    po_number = plain_width(checkout.po_number).strip()  # as typed with a Chinese IME too
    if account.is_po_required and not po_number:
        raise ServiceError(
            _("Your company requires a purchase-order number on every order."), field="po_number"
        )
    if po_number and not checkout.is_po_repeat_confirmed:
        _warn_of_a_repeated_po_number(account, po_number)
    wanted = checkout.requested_delivery_on
    if wanted is not None and not today < wanted <= today + timedelta(days=MAX_DELIVERY_DAYS):
        raise ServiceError(
            _("Choose a delivery date after today and within two years."),
            field="requested_delivery_on",
        )
    return {
        "po_number": po_number,
        "requested_delivery_on": wanted,
        "note": checkout.note.strip(),
        "fapiao_type": checked_fapiao_type(account, checkout.fapiao_type),
    }


def _warn_of_a_repeated_po_number(account: KeyAccount, po_number: str) -> None:
    """A PO number names one purchase: an order of the account with the same one (in any
    case) is probably the same purchase ordered twice. The buyer may confirm it is not."""
    earlier = db.session.scalar(
        sa.select(Order.number)
        .where(
            Order.account_id == account.id,
            sa.func.lower(Order.po_number) == po_number.lower(),
        )
        .order_by(Order.id)
        .limit(1)
    )
    if earlier is not None:
        raise ServiceError(
            _(
                "Order %(number)s already has the purchase-order number %(po)s. Check that "
                "this is not the same purchase again; to place it anyway, tick the box below.",
                number=earlier,
                po=po_number,
            ),
            field="is_po_repeat_confirmed",
        )


def _exceeds_spending_limit(buyer: User, total: Money) -> bool:
    limit = buyer.spending_limit
    if limit is None:
        return False
    # A limit in another currency cannot be compared: someone must approve.
    return limit.currency != total.currency or limit < total


def _add_lines(
    order: Order, pricing: Pricing, taxed: list[tax.TaxedLine], quoted: Quoted | None
) -> None:
    """The order's lines with their price snapshots; ordered from a quote, each names it."""
    quoted_text = quoted.explanation() if quoted is not None else None
    for position, (line, vat) in enumerate(zip(pricing.lines, taxed, strict=True), start=1):
        db.session.add(
            OrderLine(
                account_id=order.account_id,
                order_id=order.id,
                position=position,
                product_id=line.item.id,
                sku=line.sku,
                name=line.item.name,
                name_zh=line.item.name_zh,
                quantity=line.quantity,
                unit_price_amount=line.unit_price.amount,
                list_price_amount=line.list_price.amount if line.list_price else None,
                line_total_amount=line.line_total.amount,
                price_rule_id=line.rule.id if line.rule else None,
                price_explanation=quoted_text or explain(line, pricing.terms),
                quote_number=quoted.number if quoted is not None else None,
                quote_version=quoted.version if quoted is not None else None,
                tax_category=vat.tax_category,
                tax_rate_percent=vat.rate_percent,
                net_amount=vat.net.amount,
                vat_amount=vat.vat.amount,
            )
        )


def _add_schedule(order: Order, term: PaymentTerm, total: Money, today: date) -> list[Milestone]:
    """The order's milestones; those due at order are invoiced now, unless the order waits for
    approval: nothing is owed before an approver says yes (services.decide_order invoices them
    then, SECURITY.md 47)."""
    is_owed = order.status != "pending_approval"
    issued = []
    for position, line in enumerate(schedule(term, total, today), start=1):
        due_on = line.due_on if is_owed else None
        milestone = Milestone(
            account_id=order.account_id,
            order_id=order.id,
            position=position,
            label=line.label,
            share_percent=line.share_percent,
            event=line.event,
            days=line.days,
            currency=line.amount.currency,
            amount=line.amount.amount,
            due_on=due_on,
            invoiced_on=today if due_on else None,
        )
        db.session.add(milestone)
        if due_on is not None:
            issued.append(milestone)
    return issued


def _order_with_token(account_id: int, token: str) -> Order | None:
    return db.session.scalar(
        sa.select(Order).where(Order.checkout_token == token, Order.account_id == account_id)
    )


def _next_number(year: int) -> str:
    """NW-<year>-<6 digits>, counted per year; the counter row stays locked until commit."""
    insert = (postgresql.insert if db_session_dialect() == "postgresql" else sqlite.insert)(
        OrderNumberCounter
    )
    db.session.execute(insert.values(year=year, last=0).on_conflict_do_nothing())
    last = db.session.scalar(
        sa.update(OrderNumberCounter)
        .where(OrderNumberCounter.year == year)
        .values(last=OrderNumberCounter.last + 1)
        .returning(OrderNumberCounter.last)
    )
    return f"NW-{year}-{last:06d}"
