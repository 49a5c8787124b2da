"""Numbers people type: amounts, percentages and quantities, read one way by every form and
every import (forms through core.forms' number fields, imports by calling these functions).

How a number is read:

- Full-width characters from Chinese input methods read as their plain forms (core.inputs'
  plain_width): １２３４．５０, １，２３４, ５０％, the ideographic space; so do the ideographic
  full stop 。 (typed for a point: １２。５ is 12.5) and the minus sign and dashes (−, －).
- The point is the decimal separator. A comma separates thousands, and only that: every comma
  is followed by exactly three digits and the first group has one to three digits, not starting
  with 0 (1,150.50; 1,234,567). Any other comma is refused with what to type: `1150,50` and
  `1.150,50` are most likely 1150.50 in a European spreadsheet, but 115,050 to a reader of
  English, so the person types `1150.50` rather than the portal guessing.
- No exponents (1e9), no spaces, underscores or other separators inside, no digits of other
  scripts, no NaN or Infinity.
- Amounts and percentages fit the Amount column (core.db): below MAX_AMOUNT, at most
  Amount.PLACES decimals. Whether an amount may be negative, zero, or have more decimals than
  its currency is for the services to say.
- Quantities are whole numbers from `minimum` to `maximum` ("2.0" is 2).

Each function raises NumberError, whose message (translated) quotes what was typed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.core.db import Amount
from portal.core.inputs import plain_width

#: Amounts typed by a person stay below this: the Amount column holds 15 digits before the
#: point (and on SQLite 9.2e14 in all), and sums of many amounts must fit it too.
MAX_AMOUNT = Decimal(10) ** 12

_DIGITS_AND_SEPARATORS = re.compile(r"[0-9.,]+")
_PLAIN_NUMBER = re.compile(r"[0-9]+\.?[0-9]*|\.[0-9]+")
_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]+")
_EUROPEAN = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+")
_EXPONENT = re.compile(r"[0-9.][eE][+-]?[0-9]")
#: Characters of the typed text quoted back in a message.
_QUOTED = 24


class NumberError(ValueError):
    """What was typed is not a number of the kind asked for; `message` says what to type."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_amount(text: str) -> Decimal:
    """An amount such as `1,150.50`, `1150.50` or `１１５０．５０`."""
    return _bounded(_decimal(text, _not_an_amount), text)


def parse_percent(text: str) -> Decimal:
    """A percentage such as `12.5`, `12.5%` or `５０％` (the number, not the fraction)."""
    number = plain_width(text).strip().removesuffix("%")
    return _bounded(_decimal(number, _not_a_percentage, typed=text), text)


def parse_quantity(text: str, *, minimum: int = 1, maximum: int) -> int:
    """A whole number of units from `minimum` to `maximum`, such as `2`, `1,000` or `２`."""
    if not plain_width(text).strip():
        raise NumberError(_("Write a quantity."))
    try:
        value = _decimal(text, _not_a_quantity)
    except NumberError:
        # A decimal comma or an exponent in a quantity is no number of units either.
        raise NumberError(_not_a_quantity(text)) from None
    if value > maximum:
        raise NumberError(_("The quantity must be at most %(max)s.", max=format_decimal(maximum)))
    if value != value.to_integral_value():
        raise NumberError(
            _(
                "Quantities are whole units: “%(text)s” is not a whole number.",
                text=_quoted(text),
            )
        )
    if value < minimum:
        if minimum == 1:
            raise NumberError(_("The quantity must be at least 1."))
        raise NumberError(_("The quantity must be at least %(min)d.", min=minimum))
    return int(value)


def _decimal(text: str, not_a_number, *, typed: str | None = None) -> Decimal:
    """The number `text` writes, by the rules of the module docstring; `not_a_number(typed)`
    is the message for text that is no number at all."""
    typed = text if typed is None else typed
    text = plain_width(text).strip()
    sign = text[:1] if text[:1] in ("+", "-") else ""
    body = text[len(sign) :].strip() if sign else text
    if not body:
        raise NumberError(not_a_number(typed) if typed.strip() else _("Type a number."))
    if _EXPONENT.search(body):
        raise NumberError(
            _(
                "“%(text)s”: write the number out in digits, without an exponent.",
                text=_quoted(typed),
            )
        )
    if not _DIGITS_AND_SEPARATORS.fullmatch(body):
        raise NumberError(not_a_number(typed))
    if "," in body:
        if _THOUSANDS.fullmatch(body):
            body = body.replace(",", "")
        elif _DECIMAL_COMMA.fullmatch(body) or _EUROPEAN.fullmatch(body):
            suggestion = sign.replace("+", "") + body.replace(".", "").replace(",", ".")
            raise NumberError(
                _(
                    "“%(text)s”: use a point for decimals and type %(suggestion)s (a comma "
                    "only separates thousands, as in 1,150.50).",
                    text=_quoted(typed),
                    suggestion=suggestion,
                )
            )
        else:
            raise NumberError(not_a_number(typed))
    if not _PLAIN_NUMBER.fullmatch(body):
        raise NumberError(not_a_number(typed))
    value = Decimal(body)  # digits and at most one point: always a finite Decimal
    return -value if sign == "-" else value


def _bounded(value: Decimal, typed: str) -> Decimal:
    """`value` when the Amount column holds it; else NumberError."""
    if abs(value) >= MAX_AMOUNT:
        raise NumberError(
            _(
                "“%(text)s” is too large: amounts stay below %(max)s.",
                text=_quoted(typed),
                max=format_decimal(MAX_AMOUNT),
            )
        )
    if value != value.quantize(Decimal(1).scaleb(-Amount.PLACES)):
        raise NumberError(
            _("“%(text)s” has more than %(n)d decimals.", text=_quoted(typed), n=Amount.PLACES)
        )
    return value


def _not_an_amount(typed: str) -> str:
    return _("“%(text)s” is not an amount: type it as 1150.50 or 1,150.50.", text=_quoted(typed))


def _not_a_percentage(typed: str) -> str:
    return _("“%(text)s” is not a percentage: type it as 12.5 or 12.5%%.", text=_quoted(typed))


def _not_a_quantity(typed: str) -> str:
    return _(
        "“%(text)s” is not a quantity: write a whole number of units, such as 2.",
        text=_quoted(typed),
    )


def _quoted(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _QUOTED else text[: _QUOTED - 1] + "…"
