"""Payment terms as milestones: the standard terms, and how a total splits into a schedule."""

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.core.money import Money, minor_digits

HUNDRED = Decimal(100)

#: The terms of DESIGN.md section 4: code -> (name, needs a letter of credit,
#: [(label, share in percent, event, days after the event)]).
STANDARD_TERMS = {
    "net30": ("Net 30", False, [("Payment", "100", "shipment", 30)]),
    "deposit30": (
        "30% deposit, balance on delivery",
        False,
        [("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
    ),
    "installments3": (
        "3 installments",
        False,
        [
            ("Installment 1", "34", "order", 0),
            ("Installment 2", "33", "order", 30),
            ("Installment 3", "33", "order", 60),
        ],
    ),
    "advance": ("Cash in advance", False, [("Payment in advance", "100", "order", 0)]),
    "delivery": ("Pay on delivery", False, [("Payment on delivery", "100", "delivery", 0)]),
    "letter_of_credit": ("Letter of credit", True, [("Letter of credit", "100", "order", 0)]),
}


#: The standard terms' wording (their names and milestone labels, as stored and as orders keep
#: them) in the reader's language; wording that staff typed themselves shows as typed.
STANDARD_WORDING = {
    "Net 30": _l("Net 30"),
    "Net 60": _l("Net 60"),
    "30% deposit, balance on delivery": _l("30 percent deposit, balance on delivery"),
    "3 installments": _l("3 installments"),
    "Cash in advance": _l("Cash in advance"),
    "Pay on delivery": _l("Pay on delivery"),
    "Letter of credit": _l("Letter of credit"),
    "Payment": _l("Payment"),
    "Deposit": _l("Deposit"),
    "Balance": _l("Balance"),
    "Installment 1": _l("Installment 1"),
    "Installment 2": _l("Installment 2"),
    "Installment 3": _l("Installment 3"),
    "Payment in advance": _l("Payment in advance"),
    "Payment on delivery": _l("Payment on delivery"),
}


def term_text(text: str | None) -> str:
    """A term's name or a milestone's label as the reader says it: the standard wording in
    their language (English readers see it as stored), anything else as typed."""
    locale = get_locale()
    if not text or locale is None or locale.language == "en":
        return text or ""
    return str(STANDARD_WORDING.get(text, text))


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
