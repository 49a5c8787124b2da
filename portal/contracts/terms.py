"""Payment terms as milestones: the standard terms, and how a total splits into a schedule."""

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.core.shares import split  # noqa: F401  (the schedule's rule lives in core)

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
