"""Invoice numbers: an invoice is an order's payment milestone that fell due, numbered
<order number>-<position>, such as NW-2026-000003-1. The one place that writes and reads them
(the statement, the printable invoice, reminders, call-centre lookup, the pay page)."""

from __future__ import annotations

import re
from typing import NamedTuple

#: An order number (letters, digits and hyphens, as ordering numbers them) and a milestone's
#: position from 1 to 999.
_INVOICE_NUMBER = re.compile(r"(?P<order>[A-Z0-9-]{1,20})-(?P<position>[1-9][0-9]{0,2})")


class InvoiceNumber(NamedTuple):
    order_number: str
    position: int


def invoice_number(order_number: str, position: int) -> str:
    """The number of the invoice for milestone `position` of order `order_number`."""
    return f"{order_number}-{position}"


def parse_invoice_number(text: str) -> InvoiceNumber | None:
    """(order number, position) of an invoice number as written (upper case), or None when
    the text is not one."""
    found = _INVOICE_NUMBER.fullmatch(text)
    if found is None:
        return None
    return InvoiceNumber(found["order"], int(found["position"]))
