"""Money: a Decimal amount that always travels with its currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision
from flask_babel import format_currency

#: Currencies the portal trades in.
CURRENCIES = ("CNY", "USD", "EUR", "JPY", "GBP", "HKD")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@cache
def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


@cache
def _minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit: the one place where money is rounded."""
    return amount.quantize(_minor_unit(currency), rounding=ROUND_HALF_UP)


def plain(amount: Decimal, currency: str) -> str:
    """A plain decimal string in the currency's minor unit, such as 7650.00: for data-
    attributes (DESIGN.md section 5) and form fields."""
    return f"{quantize(amount, currency):f}"


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` in `currency` as text for the current locale, such as CNY 7,650.00 or
    ¥7,650.00: the one way money becomes text in pages, messages, notices and e-mails."""
    return format_currency(amount, currency)


def to_minor(amount: Decimal, currency: str) -> int:
    """Integer minor units (cents; yen as they are). Refuses sub-minor-unit amounts."""
    digits = minor_digits(currency)
    if amount != quantize(amount, currency):
        raise ValueError(f"{amount} has more than {digits} decimals for {currency}")
    return int(amount.scaleb(digits))


def parse_amount(text: str) -> Decimal:
    """A user-typed amount such as '50,000.00' as a Decimal; ValueError when it is not one."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal):
            raise TypeError(f"Money needs a Decimal amount, not {type(self.amount).__name__}")
        if self.currency not in CURRENCIES:
            raise ValueError(f"unknown currency {self.currency!r}")

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)
