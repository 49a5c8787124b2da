"""What a quote's departments and lost reasons are called (lazy: pages and e-mails translate
them for their reader)."""

from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

DEPARTMENT_LABELS = {
    "product": _l("product"),
    "legal": _l("legal"),
    "finance": _l("finance"),
}
#: What each department signs off.
DEPARTMENT_PURPOSES = {
    "product": _l("availability and lead time"),
    "legal": _l("non-standard terms"),
    "finance": _l("payment term and credit"),
}
LOST_REASON_LABELS = {
    "price": _l("price"),
    "timing": _l("timing"),
    "competitor": _l("went to a competitor"),
    "no_longer_needed": _l("no longer needed"),
    "other": _l("other"),
}


def department_label(department: str) -> str:
    return str(DEPARTMENT_LABELS.get(department, department))


def lost_reason_label(reason: str | None) -> str:
    return str(LOST_REASON_LABELS.get(reason, reason or ""))


def depth_text(depth: Decimal | None) -> str:
    """A depth below list as the reader writes numbers, to a tenth: "23.3"."""
    return "" if depth is None else format_decimal(depth, format="0.0")
