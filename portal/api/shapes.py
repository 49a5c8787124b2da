"""Shapes every part of the API shares: money, and the input of a money amount or quantity."""

from decimal import Decimal

from pydantic import BaseModel, Field

from portal.core.money import plain


class MoneyOut(BaseModel):
    """An amount with its currency; the amount is a decimal string, exact to the minor unit."""

    amount: str = Field(pattern=r"^-?\d+(\.\d+)?$", examples=["1250.00"])
    currency: str = Field(min_length=3, max_length=3, examples=["CNY"])


def money(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(amount=plain(amount, currency), currency=currency)


def money_or_none(amount: Decimal | None, currency: str | None) -> MoneyOut | None:
    return None if amount is None or currency is None else money(amount, currency)
