"""What a quote version amounts to (line totals; net, VAT by rate and gross, by the same rule
as an order), and what changed from one version to the next."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from portal.core.money import Money, quantize
from portal.quotes.models import Quote, QuoteLine, QuoteVersion
from portal.tax import services as tax


class FigureLine(NamedTuple):
    line: QuoteLine
    #: The quoted unit price; None on a buyer's line or one not priced yet.
    unit_price: Money | None
    #: Quoted unit price x quantity, rounded half-up; None without a quoted price.
    line_total: Money | None
    #: The contract's price at the line's quantity and the list price, as snapshot.
    contract_price: Money | None
    list_price: Money | None
    #: How far the quoted price lies below list, in percent to one decimal (None: unknown).
    depth: Decimal | None

    @property
    def is_below_contract(self) -> bool:
        """Whether the quoted price is a discount beyond the contract's (needing authority)."""
        return (
            self.unit_price is not None
            and self.contract_price is not None
            and self.unit_price.amount < self.contract_price.amount
        )


@dataclass(frozen=True)
class Figures:
    lines: list[FigureLine]
    #: Net, VAT by rate and gross; None unless every line is priced and every rate recorded.
    vat: tax.VatSummary | None
    #: The sum of the line totals; None unless every line is priced.
    total: Money | None


def version_figures(
    version: QuoteVersion, currency: str, tax_treatment: str, on: date | tax.Rates
) -> Figures:
    """The figures of `version` for an account of `tax_treatment`, at the VAT rates in force
    `on` (a date: one query; or the `Rates` already read, as `quote_figures` passes)."""
    lines = [_figure_line(line, currency) for line in version.lines]
    if not lines or any(figure.line_total is None for figure in lines):
        return Figures(lines, None, None)
    total = sum((figure.line_total for figure in lines), Money(Decimal(0), currency))
    rates = tax.rates_on(on) if isinstance(on, date) else on
    try:
        vat = tax.summary(
            [
                tax.tax_line(figure.line_total, rates.for_line(tax_treatment, line.tax_category))
                for figure, line in zip(lines, version.lines, strict=True)
            ],
            currency,
        )
    except tax.NoRateInForce:
        vat = None
    return Figures(lines, vat, total)


def quote_figures(quote: Quote, tax_treatment: str, on: date) -> dict[int, Figures]:
    """The figures of each of the quote's loaded versions, by version id (one query)."""
    rates = tax.rates_on(on)
    return {
        version.id: version_figures(version, quote.currency, tax_treatment, rates)
        for version in quote.versions
    }


def _figure_line(line: QuoteLine, currency: str) -> FigureLine:
    unit, contract, listed = (
        None if amount is None else Money(amount, currency)
        for amount in (line.unit_price_amount, line.contract_price_amount, line.list_price_amount)
    )
    return FigureLine(
        line,
        unit,
        None if unit is None else Money(quantize(unit.amount * line.quantity, currency), currency),
        contract,
        listed,
        depth_below_list(line.unit_price_amount, line.list_price_amount),
    )


def depth_below_list(price: Decimal | None, list_price: Decimal | None) -> Decimal | None:
    """(list - price) / list in percent, to one decimal half-up: 6900.00 against 8999.00 is
    23.3; None without both prices."""
    if price is None or not list_price:
        return None
    return ((list_price - price) * 100 / list_price).quantize(Decimal("0.1"), ROUND_HALF_UP)


# What changed between versions


class LineChange(NamedTuple):
    sku: str
    name: str
    #: "added", "removed", "changed" or "same".
    kind: str
    old_quantity: int | None
    new_quantity: int | None
    #: The unit price of a supplier version's line, the target price of a buyer's.
    old_price: Decimal | None
    new_price: Decimal | None
    #: The newer line's comment (the older one's for a removed line).
    comment: str


def differences(older: QuoteVersion | None, newer: QuoteVersion) -> list[LineChange]:
    """Line by line, by SKU, what `newer` changes of `older`: the newer version's lines in
    their order, then the lines it dropped. Without an older version every line is added. A
    price changes only where both versions name one (a buyer's target or a quoted price)."""
    before = {line.sku: line for line in older.lines} if older is not None else {}
    changes = []
    for line in newer.lines:
        old = before.pop(line.sku, None)
        new_price = _price(line)
        if old is None:
            changes.append(
                LineChange(
                    line.sku, line.name, "added", None, line.quantity, None, new_price, line.comment
                )
            )
            continue
        old_price = _price(old)
        # A buyer's line without a target price leaves the price as it was, not "none".
        repriced = None not in (old_price, new_price) and old_price != new_price
        kind = "changed" if old.quantity != line.quantity or repriced else "same"
        changes.append(
            LineChange(
                line.sku,
                line.name,
                kind,
                old.quantity,
                line.quantity,
                old_price,
                new_price,
                line.comment,
            )
        )
    changes.extend(
        LineChange(old.sku, old.name, "removed", old.quantity, None, _price(old), None, old.comment)
        for old in before.values()
    )
    return changes


def _price(line: QuoteLine) -> Decimal | None:
    price = line.unit_price_amount
    return price if price is not None else line.target_price_amount
