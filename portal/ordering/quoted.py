"""Lines ordered at a quote's prices (报价单): what `placement.place_order` and
`placement.preview_checkout` take instead of the cart when a buyer orders an accepted quote.

Ordering knows nothing of quotes (they sit above it): the quote's side hands over a `Quoted`,
its accepted version's lines as they stand, and, to place the order, a `QuoteSource` whose
`quoted()` checks the quote afresh under the account lock that placement takes (an accepted,
unexpired quote not ordered yet) and whose `placed(order)` marks the quote ordered in the
order's own transaction.

The lines are priced by the pricing engine like any order (the contract in force today, the
products known and still sold), then carry the quoted unit price instead of the contract's:
the line total is the quoted price times the quantity, rounded half-up; no price rule; the
explanation names the quote and its version.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from flask_babel import gettext as _

from portal.cart.models import MAX_QUANTITY
from portal.contracts.pricing import (
    INACTIVE,
    UNKNOWN_SKU,
    PricedLine,
    Pricing,
    explain,
    price_lines,
)
from portal.core.errors import ServiceError
from portal.core.money import Money, quantize
from portal.ordering.models import Order


@dataclass(frozen=True)
class Quoted:
    """A quote's accepted version: its number, version number and (SKU, quantity, unit
    price) lines. Prices and quantities come from the quote, never from a form."""

    number: str
    version: int
    lines: tuple[tuple[str, int, Decimal], ...]
    #: The quote's currency: it must be the contract's (None: not checked).
    currency: str | None = None

    def explanation(self) -> str:
        """What each line's price snapshot says of where its price comes from."""
        return _(
            "Quoted price: quote %(number)s, version %(version)d",
            number=self.number,
            version=self.version,
        )


class QuoteSource(Protocol):
    """The quote an order is placed from, as `place_order` asks for it."""

    def quoted(self) -> Quoted:
        """The lines to order, checked under the account lock; raises ServiceError when the
        quote cannot be ordered (any more)."""

    def placed(self, order: Order) -> None:
        """Mark the quote ordered: called once the order and its lines are written, before
        the one commit."""


#: Reasons a quoted line cannot be ordered whatever its price: the quote does not revive them.
_REFUSED = (UNKNOWN_SKU, INACTIVE)


def quoted_pricing(account_id: int, quoted: Quoted, on: date) -> Pricing:
    """The quoted lines priced by the engine `on` (contract, products), then at the quote's
    prices. A line the engine could price only for want of a contract price (no list price in
    the currency, outside a restricted assortment) takes the quoted price: the quote is the
    supplier's word for it. An unknown or discontinued product stays unpriced (refused)."""
    pricing = price_lines(account_id, [(sku, quantity) for sku, quantity, _ in quoted.lines], on)
    if pricing.terms is None:
        return pricing
    currency = pricing.terms.currency
    lines = []
    for line, (_sku, quantity, price) in zip(pricing.lines, quoted.lines, strict=True):
        if line.item is None or line.no_price_reason in _REFUSED:
            lines.append(line)
            continue
        unit = quantize(price, currency)
        total = quantize(unit * quantity, currency)
        lines.append(_at_quoted_price(line, Money(unit, currency), total))
    return Pricing(pricing.on, pricing.terms, lines)


def _at_quoted_price(line: PricedLine, unit: Money, total: Decimal) -> PricedLine:
    currency = unit.currency
    list_amount = line.item.list_amount
    list_price = saving = None
    if list_amount is not None:
        list_price = Money(list_amount, currency)
        saving = Money(quantize(list_amount * line.quantity, currency) - total, currency)
    return line._replace(
        rule=None,
        unit_price=unit,
        list_price=list_price,
        line_total=Money(total, currency),
        saving=saving,
        no_price_reason=None,
        tiers=(),
    )


def check_quoted(pricing: Pricing, quoted: Quoted) -> None:
    """Refuse quoted lines that cannot be ordered today: no contract in force (or one in
    another currency), a product unknown or no longer sold, a quantity out of range."""
    if not pricing.lines:
        raise ServiceError(_("The quote has no lines to order."))
    if any(not 1 <= line.quantity <= MAX_QUANTITY for line in pricing.lines):
        raise ServiceError(_("Quantities are whole numbers from 1 to %(max)d.", max=MAX_QUANTITY))
    if pricing.terms is None:
        raise ServiceError(explain(pricing.lines[0], None))
    if quoted.currency is not None and quoted.currency != pricing.terms.currency:
        raise ServiceError(
            _(
                "The quote is in %(quoted)s and your contract in %(contract)s. Ask for a new "
                "quote.",
                quoted=quoted.currency,
                contract=pricing.terms.currency,
            )
        )
    unpriced = [line for line in pricing.lines if not line.has_price]
    if unpriced:
        raise ServiceError(
            " ".join(f"{line.sku}: {explain(line, pricing.terms)}" for line in unpriced)
            + " "
            + _("Ask for a new quote without these lines.")
        )
