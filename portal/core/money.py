"""Money: a Decimal amount that always travels with its currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.numbers import (
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from flask_babel import format_currency, get_locale
from flask_babel import gettext as _

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


def to_minor(amount: Decimal, currency: str) -> int:
    """Integer minor units (cents; yen as they are). Refuses sub-minor-unit amounts."""
    digits = minor_digits(currency)
    if amount != quantize(amount, currency):
        raise ValueError(f"{amount} has more than {digits} decimals for {currency}")
    return int(amount.scaleb(digits))


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` in `currency` as text for the current locale, such as CN¥7,650.00 or
    ¥7,650.00: the one way money becomes text in pages, messages, notices and e-mails (the
    `money` and `amount` template filters call it).

    Byte for byte what flask_babel.format_currency gives, at a fraction of its cost: Babel looks
    up the locale's pattern and symbols (and the currency's plural name, unused) on every call,
    which made a third of a catalog page's rendering; here they are looked up once per locale
    and currency (`_shape`). Anything the shortcut does not cover goes to Babel itself.
    """
    locale = get_locale()
    shape = _shape(locale, currency) if locale is not None else None
    if shape is None or type(amount) is not Decimal or not amount.is_finite():
        return format_currency(amount, currency)
    # Babel's NumberPattern.apply for a plain pattern, step by step (same rounding context).
    value = amount.scaleb(0)
    is_negative = int(value.is_signed())
    whole, _, fraction = f"{abs(value).normalize().quantize(shape.quantum):f}".partition(".")
    whole = whole.rjust(shape.min_whole, "0")
    size, groups = shape.grouping[0], ""
    while len(whole) > size:
        groups = shape.group + whole[-size:] + groups
        whole = whole[:-size]
        size = shape.grouping[1]
    text = shape.prefixes[is_negative] + whole + groups
    if shape.digits:
        text += shape.decimal + (fraction or "0").ljust(shape.digits, "0")
    text += shape.suffixes[is_negative]
    if "'" in text:  # Babel unquotes literal text in patterns
        text = re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", text)
    return text


@dataclass(frozen=True, slots=True)
class _Shape:
    """How a locale writes amounts of a currency: its standard currency pattern, with the
    currency's symbol and digits and the locale's separators looked up once."""

    prefixes: tuple[str, str]
    suffixes: tuple[str, str]
    quantum: Decimal
    digits: int
    min_whole: int
    grouping: tuple[int, int]
    group: str
    decimal: str


@cache
def _shape(locale: Locale, currency: str) -> _Shape | None:
    """None for a pattern the shortcut does not cover (scaled, scientific, significant digits,
    currency names or codes): format_money leaves those to Babel."""
    pattern = locale.currency_formats["standard"]
    affixes = "".join((*pattern.prefix, *pattern.suffix))
    if (
        pattern.scale
        or pattern.exp_prec
        or "@" in pattern.pattern
        or not pattern.number_pattern
        or "¤¤" in affixes
    ):
        return None
    symbol = get_currency_symbol(currency, locale)
    digits = get_currency_precision(currency)
    return _Shape(
        prefixes=tuple(affix.replace("¤", symbol) for affix in pattern.prefix),
        suffixes=tuple(affix.replace("¤", symbol) for affix in pattern.suffix),
        quantum=Decimal(1).scaleb(-digits),
        digits=digits,
        min_whole=pattern.int_prec[0],
        grouping=pattern.grouping,
        group=get_group_symbol(locale, numbering_system="latn"),
        decimal=get_decimal_symbol(locale, numbering_system="latn"),
    )


#: Chinese capital numerals (大写) of cheques and invoices.
_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_PLACES = ("", "拾", "佰", "仟")
#: Groups of four digits: units, 万 (10^4), 亿 (10^8), 万亿 (10^12).
_CAPITAL_GROUPS = ("", "万", "亿", "万亿")


def capital_amount(amount: Decimal) -> str:
    """A CNY amount in Chinese capital numerals as cheques and invoices write it (the People's
    Bank of China's rules for filling in bills and settlement vouchers): 17339.15 ->
    壹万柒仟叁佰叁拾玖元壹角伍分, 100 -> 壹佰元整, 1000.50 -> 壹仟元伍角整, 0.05 -> 伍分,
    10010 -> 壹万零壹拾元整, 100000000.01 -> 壹亿元零壹分.

    元 ends the yuan; 整 follows when there are no 分; one 零 stands for each run of zeros
    inside the yuan (not for zeros before 万 or 亿 followed by a thousands digit, which the
    rules leave optional) and between 元 and 分 when there are no 角. Rounded half-up to the
    fen; a negative amount starts with 负. Up to 9,999,999,999,999,999.99."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError("capital_amount needs a finite Decimal")
    fen = int(quantize(abs(amount), "CNY").scaleb(2))
    yuan, jiao, fen = fen // 100, fen // 10 % 10, fen % 10
    if yuan >= 10**16:
        raise ValueError(f"{amount} is too large for capital numerals")
    text = _capital_integer(yuan)
    if yuan or not (jiao or fen):
        text = (text or _CAPITAL_DIGITS[0]) + "元"
    if jiao:
        text += _CAPITAL_DIGITS[jiao] + "角"
    elif fen and yuan:
        text += _CAPITAL_DIGITS[0]
    if fen:
        text += _CAPITAL_DIGITS[fen] + "分"
    else:
        text += "整"
    return ("负" if amount < 0 and (yuan or jiao or fen) else "") + text


def _capital_integer(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text, zeros = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if not group:
            zeros = bool(text)
            continue
        if text and (zeros or group < 1000):
            text += _CAPITAL_DIGITS[0]
        text += _capital_group(group) + _CAPITAL_GROUPS[index]
        zeros = False
    return text


def _capital_group(group: int) -> str:
    """1 to 9999 with its places: 1010 -> 壹仟零壹拾."""
    text, zeros = "", False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if not digit:
            zeros = bool(text)
            continue
        if zeros:
            text += _CAPITAL_DIGITS[0]
        text += _CAPITAL_DIGITS[digit] + _CAPITAL_PLACES[place]
        zeros = False
    return text


def capital_words(amount: Decimal | None, currency: str) -> str:
    """`amount` in capital numerals (大写) where the viewer's locale is Chinese and the
    currency is CNY, as invoices show it; otherwise ""."""
    locale = get_locale()
    if amount is None or currency != "CNY" or locale is None or locale.language != "zh":
        return ""
    return capital_amount(amount)


def decimals_problem(amount: Decimal, currency: str) -> str | None:
    """Why `amount` has too many decimals for `currency`, or None. (Amounts typed by people
    are read by core.numbers, which keeps them to the Amount column's size.)"""
    if quantize(amount, currency) == amount:
        return None
    digits = minor_digits(currency)
    if digits == 0:
        return _("%(currency)s amounts have no decimals.", currency=currency)
    return _(
        "%(currency)s amounts have at most %(digits)d decimals.", currency=currency, digits=digits
    )


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
