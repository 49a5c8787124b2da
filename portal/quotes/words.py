"""Words of a quote inside a sentence of a notice or a message ("waits for your product
sign-off"); the labels pages show are in quotes.labels."""

from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from portal.quotes.labels import LOST_REASON_LABELS

#: A department inside a sentence: "waits for your %(department)s sign-off".
DEPARTMENT_WORDS = {
    "product": _l("product"),
    "legal": _l("legal"),
    "finance": _l("finance"),
}


def department_label(department: str) -> str:
    return str(DEPARTMENT_WORDS.get(department, department))


def lost_reason_label(reason: str | None) -> str:
    return str(LOST_REASON_LABELS.get(reason, reason or ""))


def depth_text(depth: Decimal | None) -> str:
    """A depth below list as the reader writes numbers, to a tenth: "23.3"."""
    return "" if depth is None else format_decimal(depth, format="0.0")
