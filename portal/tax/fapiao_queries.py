"""Fapiao: the reads. An account's details; the fapiao issued on invoices; the red-letter
fapiao finance has to issue. Each a constant number of statements."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount
from portal.extensions import db
from portal.tax.fapiao_models import RED_LETTER_NEEDED, FapiaoDetails, IssuedFapiao


def details_of(account_id: int) -> FapiaoDetails | None:
    """The account's fapiao details (with who verified them), or None: none kept yet."""
    return db.session.scalar(
        sa.select(FapiaoDetails)
        .options(joinedload(FapiaoDetails.verified_by))
        .where(FapiaoDetails.account_id == account_id)
    )


def fapiao_of(milestone_ids: Iterable[int]) -> dict[int, list[IssuedFapiao]]:
    """milestone id -> the fapiao issued on that invoice, oldest first: one statement."""
    ids = list(milestone_ids)
    found: dict[int, list[IssuedFapiao]] = {}
    if not ids:
        return found
    for fapiao in db.session.scalars(
        sa.select(IssuedFapiao)
        .where(IssuedFapiao.milestone_id.in_(ids))
        .order_by(IssuedFapiao.issued_on, IssuedFapiao.id)
    ):
        found.setdefault(fapiao.milestone_id, []).append(fapiao)
    return found


@dataclass(frozen=True)
class InvoiceFapiao:
    """What an invoice shows of fapiao: the buyer's details and the fapiao issued on it."""

    details: FapiaoDetails | None
    issued: list[IssuedFapiao] = field(default_factory=list)


def invoice_fapiao(account_id: int, milestone_id: int) -> InvoiceFapiao:
    """The fapiao block of one invoice: two statements."""
    return InvoiceFapiao(details_of(account_id), fapiao_of([milestone_id]).get(milestone_id, []))


@dataclass(frozen=True)
class RedLetterRow:
    fapiao: IssuedFapiao
    account_name: str
    account_slug: str


def red_letters_to_issue() -> list[RedLetterRow]:
    """The fapiao whose order was cancelled or refunded, waiting for their red-letter fapiao,
    oldest request first: one statement."""
    rows = db.session.execute(
        sa.select(IssuedFapiao, KeyAccount.name, KeyAccount.slug)
        .join(KeyAccount, KeyAccount.id == IssuedFapiao.account_id)
        .where(IssuedFapiao.status == RED_LETTER_NEEDED)
        .order_by(IssuedFapiao.red_letter_needed_at, IssuedFapiao.id)
    ).all()
    return [RedLetterRow(fapiao, name, slug) for fapiao, name, slug in rows]


def fapiao_or_none(fapiao_id: int) -> IssuedFapiao | None:
    return db.session.get(IssuedFapiao, fapiao_id)
