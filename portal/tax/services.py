"""VAT by one rule (DESIGN.md section 4): per line, gross = the line total (unit price x
quantity, rounded half-up to the cent); net = gross / (1 + rate), rounded half-up; VAT = gross -
net. Totals by rate are sums of lines, so net + VAT = gross per line, per rate and in total, to
the cent. Prices include VAT for domestic accounts; an export account's lines are zero-rated
(gross = net).

The rates in force on a date come from one query for a whole cart or order (`rates_on`); the
rest is arithmetic on what it fetched. Other domains call:

- `rates_on(on)` -> `Rates`; `Rates.for_line(treatment, tax_category)` -> `Rate`;
- `tax_line(gross, rate)` -> `TaxedLine` (a cart line, or an order line's snapshot);
- `vat_by_rate(lines)` -> `list[VatTotal]`; `summary(lines)` -> `VatSummary`;
- `split_vat(order_vat, milestones)` -> `{milestone id: list[VatTotal]}` (an invoice's VAT).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.core.dates import format_day
from portal.core.errors import ServiceError
from portal.core.money import Money, quantize
from portal.core.shares import split
from portal.extensions import db
from portal.tax.forms import TAX_CATEGORY_LABELS
from portal.tax.models import (
    JURISDICTIONS,
    STANDARD_RATES,
    SUPPLIER_JURISDICTION,
    TAX_CATEGORIES,
    TaxRate,
)

HUNDRED = Decimal(100)


class Rate(NamedTuple):
    """The rate a line is taxed at: its tax category and the percentage then in force."""

    tax_category: str
    rate_percent: Decimal


class TaxedLine(NamedTuple):
    """One line's VAT: net + vat = gross."""

    tax_category: str
    rate_percent: Decimal
    net: Money
    vat: Money
    gross: Money


@dataclass(frozen=True, slots=True)
class VatTotal:
    """Net, VAT and gross of the lines taxed at one rate (of an order, or a milestone's part)."""

    rate_percent: Decimal
    net: Money
    vat: Money
    gross: Money


@dataclass(frozen=True, slots=True)
class VatSummary:
    """What the summary table shows: net, VAT by rate and gross; `by_rate` highest first."""

    by_rate: tuple[VatTotal, ...]
    net: Money
    vat: Money
    gross: Money

    @property
    def is_zero_rated(self) -> bool:
        return all(total.rate_percent == 0 for total in self.by_rate)


class NoRateInForce(ServiceError):
    """No VAT rate is recorded for a tax category on a date: finance must add one."""


# The rates


@dataclass(frozen=True, slots=True)
class Rates:
    """The rates in force on one date in the supplier's jurisdiction, by tax category."""

    on: date
    by_category: dict[str, Decimal]

    def rate(self, tax_category: str) -> Rate:
        percent = self.by_category.get(tax_category)
        if percent is None:
            raise NoRateInForce(
                _(
                    "No VAT rate is recorded for %(category)s on %(day)s. Please call the hotline.",
                    category=TAX_CATEGORY_LABELS.get(tax_category, tax_category),
                    day=format_day(self.on),
                )
            )
        return Rate(tax_category, percent)

    def for_line(self, treatment: str, tax_category: str) -> Rate:
        """The rate of a line of a product of `tax_category` sold to an account of
        `treatment`: an export account's lines are all `export`."""
        return self.rate(line_tax_category(treatment, tax_category))


def line_tax_category(treatment: str, tax_category: str) -> str:
    return "export" if treatment == "export_zero_rated" else tax_category


def rates_on(on: date, jurisdiction: str = SUPPLIER_JURISDICTION) -> Rates:
    """Every rate in force on `on`: one query, whatever the number of lines."""
    rows = db.session.execute(
        sa.select(TaxRate.tax_category, TaxRate.rate_percent).where(
            TaxRate.jurisdiction == jurisdiction,
            TaxRate.valid_from <= on,
            sa.or_(TaxRate.valid_to.is_(None), TaxRate.valid_to >= on),
        )
    ).all()
    return Rates(on, {category: percent for category, percent in rows})


def add_rate(
    tax_category: str,
    jurisdiction: str,
    rate_percent: Decimal,
    valid_from: date,
    valid_to: date | None = None,
) -> TaxRate:
    """Record a rate; refused when it overlaps another of the same category and jurisdiction.
    A rate that changes on a date is recorded by closing the old one the day before
    (`change_rate`). The caller commits."""
    if tax_category not in TAX_CATEGORIES or jurisdiction not in JURISDICTIONS:
        raise ServiceError(_("Unknown tax category or jurisdiction."))
    if not Decimal(0) <= rate_percent < HUNDRED:
        raise ServiceError(_("A VAT rate is at least 0 and below 100 percent."))
    if valid_to is not None and valid_to < valid_from:
        raise ServiceError(_("A rate ends on or after the day it starts."))
    overlapping = db.session.scalar(
        sa.select(TaxRate.id)
        .where(
            TaxRate.tax_category == tax_category,
            TaxRate.jurisdiction == jurisdiction,
            sa.or_(TaxRate.valid_to.is_(None), TaxRate.valid_to >= valid_from),
            TaxRate.valid_from <= (valid_to or date.max),
        )
        .limit(1)
    )
    if overlapping is not None:
        raise ServiceError(
            _("Another rate of this tax category is in force on some of these days.")
        )
    rate = TaxRate(
        tax_category=tax_category,
        jurisdiction=jurisdiction,
        rate_percent=rate_percent,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    db.session.add(rate)
    db.session.flush()
    return rate


def change_rate(
    tax_category: str, jurisdiction: str, rate_percent: Decimal, from_day: date
) -> TaxRate:
    """A new rate from `from_day` on: the open-ended rate in force then ends the day before.
    Orders placed before keep the rate they snapshot. The caller commits."""
    current = db.session.scalar(
        sa.select(TaxRate).where(
            TaxRate.tax_category == tax_category,
            TaxRate.jurisdiction == jurisdiction,
            TaxRate.valid_from < from_day,
            TaxRate.valid_to.is_(None),
        )
    )
    if current is not None:
        current.valid_to = date.fromordinal(from_day.toordinal() - 1)
        db.session.flush()
    return add_rate(tax_category, jurisdiction, rate_percent, from_day)


def seed_standard_rates() -> int:
    """The standard rates (tax.models.STANDARD_RATES) where none of their category and
    jurisdiction is recorded: for the demo and a fresh database. Returns how many it added."""
    known = set(db.session.execute(sa.select(TaxRate.tax_category, TaxRate.jurisdiction)).all())
    added = 0
    for category, jurisdiction, percent, valid_from in STANDARD_RATES:
        if (category, jurisdiction) not in known:
            add_rate(category, jurisdiction, percent, valid_from)
            added += 1
    return added


# The rule


def tax_line(gross: Money, rate: Rate) -> TaxedLine:
    """The line whose total (VAT included) is `gross`, taxed at `rate`: net = gross / (1 +
    rate) rounded half-up to the minor unit, VAT = gross - net."""
    net = quantize(gross.amount * HUNDRED / (HUNDRED + rate.rate_percent), gross.currency)
    return TaxedLine(
        rate.tax_category,
        rate.rate_percent,
        Money(net, gross.currency),
        Money(gross.amount - net, gross.currency),
        gross,
    )


class _Taxed(Protocol):
    rate_percent: Decimal
    net: Money
    vat: Money
    gross: Money


def vat_by_rate(lines: Iterable[_Taxed]) -> list[VatTotal]:
    """The lines' net, VAT and gross summed by rate, the highest rate first."""
    totals: dict[Decimal, VatTotal] = {}
    for line in lines:
        key = line.rate_percent.normalize()
        seen = totals.get(key)
        totals[key] = (
            VatTotal(line.rate_percent, line.net, line.vat, line.gross)
            if seen is None
            else VatTotal(
                seen.rate_percent, seen.net + line.net, seen.vat + line.vat, seen.gross + line.gross
            )
        )
    return [totals[key] for key in sorted(totals, reverse=True)]


def summary(lines: Iterable[_Taxed], currency: str) -> VatSummary:
    """Net, VAT by rate and gross of `lines` (all in `currency`)."""
    by_rate = vat_by_rate(lines)
    zero = Money(Decimal(0), currency)
    net, vat, gross = zero, zero, zero
    for total in by_rate:
        net, vat, gross = net + total.net, vat + total.vat, gross + total.gross
    return VatSummary(tuple(by_rate), net, vat, gross)


def summary_of_totals(by_rate: Sequence[VatTotal], currency: str) -> VatSummary:
    """The summary of a milestone's part (split_vat) or any list of totals by rate."""
    return summary(by_rate, currency)


# Schedules and invoices


class _Milestone(Protocol):
    id: int
    share_percent: Decimal
    amount: Decimal
    currency: str


def split_vat_by_shares(
    order_vat: Sequence[VatTotal], shares: Sequence[Decimal], amounts: Sequence[Money]
) -> list[list[VatTotal]]:
    """Each milestone's net, VAT and gross by rate, when milestones of `shares` (percent,
    adding up to 100) of amounts `amounts` (the schedule's, adding up to the order's gross)
    split an order whose VAT by rate is `order_vat`.

    VAT and gross of each rate split by the shares with the schedule's own rule
    (core.shares.split), so each rate's VAT and gross over the milestones add up to the
    order's exactly; the rate with the largest gross takes what the milestone's amount leaves,
    so the parts of a milestone add up to its amount; net = gross - VAT."""
    if not order_vat:
        return [[] for _ in shares]
    main = max(range(len(order_vat)), key=lambda i: order_vat[i].gross.amount)
    vats = [split(total.vat, shares) for total in order_vat]
    grosses = [split(total.gross, shares) for total in order_vat]
    parts = []
    for m, amount in enumerate(amounts):
        others = sum((grosses[r][m].amount for r in range(len(order_vat)) if r != main), Decimal(0))
        grosses[main][m] = Money(amount.amount - others, amount.currency)
        parts.append(
            [
                VatTotal(
                    total.rate_percent,
                    grosses[r][m] - vats[r][m],
                    vats[r][m],
                    grosses[r][m],
                )
                for r, total in enumerate(order_vat)
            ]
        )
    return parts


def split_vat(
    order_vat: Sequence[VatTotal], milestones: Sequence[_Milestone]
) -> dict[int, list[VatTotal]]:
    """{milestone id: its net, VAT and gross by rate} for an order's schedule: what an invoice
    (a milestone that fell due) shows and books. Per rate, the milestones add up to
    `order_vat` exactly. Empty for a schedule whose shares do not add up to 100 (none made
    by placement): nothing to split by."""
    shares = [m.share_percent for m in milestones]
    if not shares or any(share <= 0 for share in shares) or sum(shares) != HUNDRED:
        return {}
    parts = split_vat_by_shares(
        order_vat, shares, [Money(m.amount, m.currency) for m in milestones]
    )
    return {m.id: part for m, part in zip(milestones, parts, strict=True)}


# Priced lines (a cart, a checkout) and order lines (their snapshot)


def taxed_priced_lines(lines: Iterable, treatment: str, rates: Rates) -> list[TaxedLine]:
    """The VAT of priced lines (contracts.pricing.PricedLine: `.item.tax_category`,
    `.line_total`) for an account of `treatment`; lines without a price are left out.
    Raises NoRateInForce when a line's rate is not recorded."""
    return [
        tax_line(line.line_total, rates.for_line(treatment, line.item.tax_category))
        for line in lines
        if line.line_total is not None
    ]


def priced_summary(lines: Iterable, treatment: str, on: date, currency: str) -> VatSummary | None:
    """The VAT summary of priced lines at the rates in force `on` (one query); None when a
    rate is missing (placing the order then refuses with why)."""
    try:
        return summary(taxed_priced_lines(lines, treatment, rates_on(on)), currency)
    except NoRateInForce:
        return None


def order_summary(lines: Iterable, currency: str) -> VatSummary | None:
    """The VAT summary of an order from its lines' snapshots (ordering.models.OrderLine:
    `.taxed_in(currency)`); None for an order placed before VAT was recorded (or with no
    lines to tell)."""
    taxed = [line.taxed_in(currency) for line in lines]
    if not taxed or any(line is None for line in taxed):
        return None
    return summary(taxed, currency)
