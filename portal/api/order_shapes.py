"""The shapes of the buyer's ordering API (api.catalog_views, api.order_views): what comes in
(lines of SKU and quantity, checkout choices) and what goes out (priced products, the cart,
orders), and the functions that make them from what the pricing engine, the tax rules and the
ordering models return. Nothing is decided here: prices, reasons and VAT come from the
services; this module only writes them down."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, Field

from portal.accounts import addresses as account_addresses
from portal.api.pagination import PageQuery
from portal.api.shapes import MoneyOut, money
from portal.api.spec import ApiProblem
from portal.cart.models import MAX_LINES
from portal.cart.quick_order import parse_quantity
from portal.catalog.names import category_name, product_name
from portal.contracts.pricing import PricedLine, Terms, explain
from portal.core.money import Money
from portal.core.problems import problem
from portal.ordering.lifecycle import ORDER_STATUSES, status_label
from portal.tax import services as tax

PERCENT = r"^\d+(\.\d+)?$"

# --- what comes in ---

#: A quantity: a whole number, or a string read as the portal reads typed quantities
#: (full-width digits accepted; a decimal comma or a fraction refused with why). A JSON number
#: with a fraction (1.5) is read as its text, so the house parser says why it is refused.
Quantity = Annotated[
    int | str, BeforeValidator(lambda value: str(value) if isinstance(value, float) else value)
]


class LineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=40, examples=["NW-LT14"])
    quantity: Quantity = Field(
        description="A whole number from 1 to 99999; a string is read as typed quantities are "
        "(full-width digits accepted, a decimal comma or fraction refused).",
        examples=[5],
    )


class LinesIn(BaseModel):
    """Lines of SKU and quantity, in the order they should appear."""

    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class LinesRefused(ApiProblem):
    """422 naming each line at fault: `errors[].field` is "body.lines.<index>.<field>"."""

    def __init__(self, errors: list[dict], detail: str = ""):
        super().__init__(
            422, detail or _("Some lines cannot be priced or ordered."), code="lines_refused"
        )
        self.errors = errors

    def response(self):
        return problem(self.status, self.detail, code=self.code, errors=self.errors)


def parsed_quantity(value: Quantity, field: str, *, allow_zero: bool = False) -> int:
    """A quantity read by the house parser (cart.quick_order), or 422 naming `field`."""
    quantity, error = parse_quantity(str(value), allow_zero=allow_zero)
    if error is not None:
        raise LinesRefused([{"field": field, "message": error}], error)
    return quantity


def parsed_lines(lines: list[LineIn]) -> list[tuple[str, int]]:
    """(SKU, quantity) of each line, every quantity read by the house parser; 422 naming every
    line whose quantity is not a whole number in range."""
    parsed, errors = [], []
    for index, line in enumerate(lines):
        quantity, error = parse_quantity(str(line.quantity))
        if error is not None:
            errors.append({"field": f"body.lines.{index}.quantity", "message": error})
        parsed.append((line.sku, quantity))
    if errors:
        raise LinesRefused(errors)
    return parsed


# --- prices ---


class RuleOut(BaseModel):
    """How a price was reached: the contract's rule that set it, or the list price."""

    basis: Literal["contract_rule", "list_price"]
    #: fixed: a fixed unit price; percent_off: a percentage off the list price.
    kind: Literal["fixed", "percent_off"] | None = None
    value: str | None = Field(
        None, description="The fixed unit price, or the percentage off list.", pattern=PERCENT
    )
    target: Literal["sku", "category"] | None = None
    min_quantity: int = Field(1, description="The quantity on a line from which the rule applies.")
    valid_from: date | None = None
    valid_to: date | None = None
    contract_number: str | None = None
    explanation: str = Field(description="The price in words, as the portal's pages say it.")


class TierOut(BaseModel):
    min_quantity: int
    unit_price: MoneyOut


def rule_out(line: PricedLine, terms: Terms | None) -> RuleOut:
    rule = line.rule
    if rule is None:
        return RuleOut(
            basis="list_price",
            contract_number=terms.number if terms else None,
            explanation=explain(line, terms),
        )
    return RuleOut(
        basis="contract_rule",
        kind=rule.kind,
        value=f"{rule.value.normalize():f}",
        target="sku" if rule.is_sku_rule else "category",
        min_quantity=rule.min_quantity,
        valid_from=rule.valid_from or terms.valid_from,
        valid_to=rule.valid_to or terms.valid_to,
        contract_number=terms.number,
        explanation=explain(line, terms),
    )


def money_out(value: Money | None) -> MoneyOut | None:
    return None if value is None else money(value.amount, value.currency)


def percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


class CatalogItemOut(BaseModel):
    """A product as the account's contract prices it today, one unit on a line."""

    sku: str
    name: str = Field(description="In the caller's language (Chinese when there is one).")
    name_en: str
    name_zh: str = Field(description="Empty when the product has no Chinese name.")
    unit: str
    category: str
    category_id: int
    orderable: bool = Field(description="Whether it has a price today and can be ordered.")
    list_price: MoneyOut | None
    contract_price: MoneyOut | None = Field(
        description="The unit price the account pays, VAT included (prices include VAT for "
        "domestic accounts; an export account's are zero-rated)."
    )
    contract_price_net: MoneyOut | None = Field(description="The unit price without VAT.")
    vat_rate_percent: str | None = Field(pattern=PERCENT, description="Null: no rate recorded.")
    price_rule: RuleOut
    tiers: list[TierOut] = Field(description="Volume breaks: the unit price from each on.")


class CatalogQuery(BaseModel):
    q: str | None = Field(None, max_length=100, description="Name (English or Chinese) or SKU.")
    category: int | None = Field(None, ge=1, le=2**31 - 1, description="A category's id.")
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(24, ge=1, le=100)


class CatalogPageOut(BaseModel):
    data: list[CatalogItemOut]
    page: int
    pages: int
    total: int
    contract_number: str | None = Field(description="Null when no contract is in force.")


def _vat_rate(line: PricedLine, treatment: str, rates: tax.Rates) -> tax.Rate | None:
    try:
        return rates.for_line(treatment, line.item.tax_category)
    except tax.NoRateInForce:
        return None


def catalog_item(
    product, line: PricedLine, terms: Terms | None, treatment, rates
) -> CatalogItemOut:
    """`product` names it when the line has no item (no contract in force prices nothing)."""
    item = line.item or product
    rate = _vat_rate(line, treatment, rates) if line.has_price else None
    net = tax.tax_line(line.unit_price, rate).net if rate is not None else None
    return CatalogItemOut(
        sku=line.sku,
        name=product_name(item),
        name_en=item.name,
        name_zh=item.name_zh or "",
        unit=item.unit or "",
        category=category_name(item.category),
        category_id=product.category_id,
        orderable=line.has_price,
        list_price=money_out(line.list_price),
        contract_price=money_out(line.unit_price),
        contract_price_net=money_out(net),
        vat_rate_percent=percent(rate.rate_percent) if rate else None,
        price_rule=rule_out(line, terms),
        tiers=[
            TierOut(min_quantity=t.min_quantity, unit_price=money_out(t.unit_price))
            for t in line.tiers
        ],
    )


class VatRateOut(BaseModel):
    """Net, VAT and gross of what is taxed at one rate."""

    rate_percent: str = Field(pattern=PERCENT, examples=["13"])
    net: MoneyOut
    vat: MoneyOut
    gross: MoneyOut


class TotalsOut(BaseModel):
    """Net, VAT by rate and gross; net + VAT = gross to the cent."""

    net: MoneyOut
    vat: MoneyOut
    gross: MoneyOut
    by_rate: list[VatRateOut]


def totals_out(vat: tax.VatSummary | None) -> TotalsOut | None:
    if vat is None:
        return None
    return TotalsOut(
        net=money_out(vat.net),
        vat=money_out(vat.vat),
        gross=money_out(vat.gross),
        by_rate=[
            VatRateOut(
                rate_percent=percent(t.rate_percent),
                net=money_out(t.net),
                vat=money_out(t.vat),
                gross=money_out(t.gross),
            )
            for t in vat.by_rate
        ],
    )


class QuotedLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut = Field(description="VAT included.")
    list_price: MoneyOut | None
    net: MoneyOut
    vat: MoneyOut
    gross: MoneyOut = Field(description="The line total: unit price x quantity, VAT included.")
    vat_rate_percent: str = Field(pattern=PERCENT)
    saving: MoneyOut = Field(description="Against the list price.")
    price_rule: RuleOut


class PriceQuoteOut(BaseModel):
    """What the lines cost today under the account's contract; nothing is ordered."""

    on: date = Field(description="The account's local date the prices are for.")
    contract_number: str
    lines: list[QuotedLineOut]
    totals: TotalsOut


def quoted_line(line: PricedLine, taxed: tax.TaxedLine, terms: Terms) -> QuotedLineOut:
    return QuotedLineOut(
        sku=line.sku,
        name=product_name(line.item),
        quantity=line.quantity,
        unit_price=money_out(line.unit_price),
        list_price=money_out(line.list_price),
        net=money_out(taxed.net),
        vat=money_out(taxed.vat),
        gross=money_out(taxed.gross),
        vat_rate_percent=percent(taxed.rate_percent),
        saving=money_out(line.saving),
        price_rule=rule_out(line, terms),
    )


def unpriced_errors(pricing, field: str = "sku") -> list[dict]:
    """One error per line without a price, naming the line, with the engine's reason."""
    return [
        {"field": f"body.lines.{index}.{field}", "message": explain(line, pricing.terms)}
        for index, line in enumerate(pricing.lines)
        if not line.has_price
    ]


# --- the cart ---


class CartLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    orderable: bool = Field(description="False: the line cannot be ordered (see price_rule).")
    unit_price: MoneyOut | None
    line_total: MoneyOut | None
    price_rule: RuleOut


class CartOut(BaseModel):
    """The caller's cart at today's contract prices (prices are never stored in the cart)."""

    lines: list[CartLineOut]
    subtotal: MoneyOut | None = Field(description="The lines that have a price.")
    totals: TotalsOut | None = Field(description="Null when a line has no price or no rate.")


class CartLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=40)
    quantity: Quantity = Field(description="Added to what the cart holds of the SKU.")


class CartQuantityIn(BaseModel):
    quantity: Quantity = Field(description="The line's new quantity; 0 removes the line.")


def cart_out(pricing, subtotal: Money | None, vat: tax.VatSummary | None) -> CartOut:
    return CartOut(
        lines=[
            CartLineOut(
                sku=line.sku,
                name=product_name(line.item) if line.item else "",
                quantity=line.quantity,
                orderable=line.has_price,
                unit_price=money_out(line.unit_price),
                line_total=money_out(line.line_total),
                price_rule=rule_out(line, pricing.terms),
            )
            for line in pricing.lines
        ],
        subtotal=money_out(subtotal),
        totals=totals_out(vat) if vat and all(line.has_price for line in pricing.lines) else None,
    )


# --- addresses and orders ---


class AddressOut(BaseModel):
    id: int
    label: str
    printed: str = Field(description="As printed on the delivery note, one line per line.")


class AddressesOut(BaseModel):
    data: list[AddressOut]


def address_out(address) -> AddressOut:
    return AddressOut(
        id=address.id, label=address.label, printed=account_addresses.printed(address)
    )


class OrderIn(BaseModel):
    """An order of `lines`, or of the caller's cart with `from_cart`; prices never come from
    the request."""

    lines: list[LineIn] | None = Field(None, min_length=1, max_length=MAX_LINES)
    from_cart: bool = Field(False, description="Order the cart's lines (and empty the cart).")
    ship_to_address_id: int = Field(ge=1, le=2**31 - 1, description="From GET /addresses.")
    po_number: str = Field("", max_length=60, description="Required when the company says so.")
    po_repeat_confirmed: bool = Field(
        False,
        description="Place it although an order of the account has the same PO number.",
    )
    requested_delivery_on: date | None = Field(
        None, description="After today and within two years."
    )
    note: str = Field("", max_length=2000)
    fapiao_type: str | None = Field(
        None, max_length=20, description="One of the account's fapiao types, when it has any."
    )


Status = Literal[ORDER_STATUSES]  # type: ignore[valid-type]


class OrderSummaryOut(BaseModel):
    number: str
    status: Status
    status_label: str
    placed_on: date
    po_number: str
    total: MoneyOut = Field(description="VAT included.")
    placed_by: str | None


class OrdersQuery(PageQuery):
    status: Status | None = Field(None, description="Only orders in this status.")


class OrderPageOut(BaseModel):
    data: list[OrderSummaryOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page.")


def order_summary(order) -> OrderSummaryOut:
    return OrderSummaryOut(
        number=order.number,
        status=order.status,
        status_label=str(status_label(order.status)),
        placed_on=order.placed_on,
        po_number=order.po_number,
        total=money(order.total_amount, order.currency),
        placed_by=order.placed_by.name if order.placed_by else None,
    )


class OrderLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut = Field(description="VAT included, as when the order was placed.")
    list_price: MoneyOut | None
    net: MoneyOut | None = Field(description="Null for orders placed before VAT was recorded.")
    vat: MoneyOut | None
    gross: MoneyOut
    vat_rate_percent: str | None = Field(pattern=PERCENT)
    price_explanation: str


class OrderMilestoneOut(BaseModel):
    label: str
    share_percent: str = Field(pattern=PERCENT)
    event: Literal["order", "shipment", "delivery"]
    days: int
    amount: MoneyOut
    paid: MoneyOut
    due_on: date | None


class OrderOut(OrderSummaryOut):
    """An order as its buyer's page shows it."""

    payment_term: str
    ship_to_address_id: int | None
    ship_to: str = Field(description="The ship-to address as printed when the order was placed.")
    requested_delivery_on: date | None
    note: str
    placed_on_behalf_by: str | None = Field(description="Staff who took the order down.")
    decision_comment: str
    cancel_reason: str
    fapiao_type: str | None = Field(
        description="The fapiao type chosen when it was placed (GET /me lists the account's)."
    )
    can_cancel: bool = Field(description="Whether the caller may cancel it now.")
    lines: list[OrderLineOut]
    totals: TotalsOut | None = Field(description="Null for orders placed before VAT.")
    milestones: list[OrderMilestoneOut]


def order_out(order, *, can_cancel: bool) -> OrderOut:
    currency = order.currency
    lines = []
    for line in sorted(order.lines, key=lambda line: line.position):
        taxed = line.taxed_in(currency)
        lines.append(
            OrderLineOut(
                sku=line.sku,
                name=product_name(line),
                quantity=line.quantity,
                unit_price=money(line.unit_price_amount, currency),
                list_price=None
                if line.list_price_amount is None
                else money(line.list_price_amount, currency),
                net=money_out(taxed.net) if taxed else None,
                vat=money_out(taxed.vat) if taxed else None,
                gross=money(line.line_total_amount, currency),
                vat_rate_percent=percent(line.tax_rate_percent),
                price_explanation=line.price_explanation,
            )
        )
    return OrderOut(
        **order_summary(order).model_dump(),
        payment_term=order.payment_term_name,
        ship_to_address_id=order.ship_to_address_id,
        ship_to=order.ship_to,
        requested_delivery_on=order.requested_delivery_on,
        note=order.note,
        placed_on_behalf_by=order.placed_on_behalf_by.name if order.placed_on_behalf_by else None,
        decision_comment=order.decision_comment or "",
        cancel_reason=order.cancel_reason or "",
        fapiao_type=order.fapiao_type or None,
        can_cancel=can_cancel,
        lines=lines,
        totals=totals_out(tax.order_summary(order.lines, currency)),
        milestones=[
            OrderMilestoneOut(
                label=m.label,
                share_percent=percent(m.share_percent),
                event=m.event,
                days=m.days,
                amount=money(m.amount, m.currency),
                paid=money(m.paid_amount, m.currency),
                due_on=m.due_on,
            )
            for m in sorted(order.milestones, key=lambda m: m.position)
        ],
    )


class CancelIn(BaseModel):
    reason: str = Field(max_length=2000, description="Why, for the order's history.")


class DecisionIn(BaseModel):
    comment: str = Field(max_length=2000, description="Why, for the buyer and the history.")


class ApprovalsOut(BaseModel):
    """Orders waiting for the caller's decision, oldest first (never the caller's own)."""

    data: list[OrderSummaryOut]
