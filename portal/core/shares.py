"""Splitting an amount by shares to the cent: a payment schedule's milestones, and the VAT of
each milestone by rate (tax.services.split_vat), by one rule."""

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from portal.core.money import Money, minor_digits

HUNDRED = Decimal(100)


def split(total: Money, shares: Sequence[Decimal]) -> list[Money]:
    """The amount of each share of `total`, adding up to the total to the cent (SECURITY.md 41).

    Largest remainder: every share gets its exact amount rounded down to the currency's minor
    unit, and the cents left over go one each to the shares that lost most (the earlier on a
    tie). No amount is ever negative or off by more than one minor unit.
    """
    if not shares or any(share <= 0 for share in shares) or sum(shares) != HUNDRED:
        raise ValueError("shares must be positive and add up to 100")
    unit = Decimal(1).scaleb(-minor_digits(total.currency))
    exact = [total.amount * share / HUNDRED for share in shares]
    amounts = [(value / unit).to_integral_value(ROUND_FLOOR) * unit for value in exact]
    left = int((total.amount - sum(amounts, Decimal(0))) / unit)
    by_loss = sorted(range(len(shares)), key=lambda i: (amounts[i] - exact[i], i))
    for i in by_loss[:left]:
        amounts[i] += unit
    return [Money(amount, total.currency) for amount in amounts]
