"""Quotes written as rows (no services): the buyer's request (version 1) and, unless told
otherwise, the supplier's answer (version 2) in the state a test needs, for tests that read
quotes (documents, pages) rather than move them."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Category, Product
from portal.core.db import utcnow
from portal.core.money import quantize
from portal.extensions import db
from portal.quotes.models import Quote, QuoteLine, QuoteSignOff, QuoteVersion

_numbers = itertools.count(900001)


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int
    #: The supplier's price (None: the buyer's request only).
    unit_price: Decimal | None = None
    target_price: Decimal | None = None
    comment: str = ""
    #: The contract's and the list price the supplier's price is measured against.
    contract_price: Decimal | None = None
    list_price: Decimal | None = None


def quote_rows(
    account: KeyAccount,
    requested_by: User,
    lines: list[Line],
    *,
    rep: User | None = None,
    supplier_status: str | None = "sent",
    valid_for_days: int = 30,
    terms: str = "",
    note: str = "",
    request_note: str = "",
    signed: dict[str, User | None] | None = None,
    approved_by: User | None = None,
    depth_percent: Decimal | None = None,
) -> Quote:
    """A quote of `account` for `requested_by`: version 1 the request (quantities, target
    prices); version 2 the supplier's answer at `supplier_status` ("draft", "in_review",
    "sent"; None: none yet), valid for `valid_for_days` from the account's today, signed off
    by `signed` ({department: signer, or None while waiting}; default: product by `rep`),
    with a price approval when `approved_by` or `depth_percent` is given. Committed."""
    now = utcnow()
    today = account.local_date()
    status = {None: "requested", "draft": "requested", "in_review": "in_review"}.get(
        supplier_status, "sent"
    )
    quote = Quote(
        account_id=account.id,
        number=f"Q-{today.year}-{next(_numbers):06d}",
        requested_by_id=requested_by.id,
        assignee_id=rep.id if rep else None,
        due_at=now + timedelta(hours=8),
        note=request_note,
        status=status,
        currency=account.currency,
    )
    db.session.add(quote)
    db.session.flush()
    request = _version(quote, 1, "buyer", "sent", requested_by, sent_at=now)
    for position, line in enumerate(lines, start=1):
        request_line = _line(request, position, line)
        request_line.target_price_amount = line.target_price
    if supplier_status is not None:
        answer = _version(
            quote,
            2,
            "supplier",
            supplier_status,
            rep,
            sent_at=now if supplier_status == "sent" else None,
            valid_until=today + timedelta(days=valid_for_days),
            terms=terms,
            note=note,
        )
        total = Decimal(0)
        for position, line in enumerate(lines, start=1):
            priced = _line(answer, position, line)
            priced.unit_price_amount = line.unit_price
            priced.contract_price_amount = line.contract_price
            priced.list_price_amount = line.list_price
            total += quantize(line.unit_price * line.quantity, account.currency)
        answer.total_amount = total
        answer.depth_percent = depth_percent
        answer.needs_approval = approved_by is not None or depth_percent is not None
        if approved_by is not None:
            answer.approved_by_id, answer.approved_at = approved_by.id, now
        if supplier_status != "draft":
            answer.submitted_at = now
            for department, signer in (signed or {"product": rep}).items():
                db.session.add(
                    QuoteSignOff(
                        account_id=account.id,
                        version_id=answer.id,
                        department=department,
                        signed_by_id=signer.id if signer else None,
                        signed_at=now if signer else None,
                    )
                )
        if supplier_status == "sent":
            quote.value_amount = total
    db.session.commit()
    return quote


def _version(quote, number, side, status, author, **values) -> QuoteVersion:
    version = QuoteVersion(
        account_id=quote.account_id,
        quote_id=quote.id,
        number=number,
        side=side,
        status=status,
        author_id=author.id if author else None,
        **values,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _line(version: QuoteVersion, position: int, line: Line) -> QuoteLine:
    row = QuoteLine(
        account_id=version.account_id,
        version_id=version.id,
        position=position,
        product_id=line.product.id,
        sku=line.product.sku,
        name=line.product.name,
        name_zh=line.product.name_zh or "",
        tax_category=db.session.scalar(
            sa.select(Category.tax_category).where(Category.id == line.product.category_id)
        ),
        quantity=line.quantity,
        comment=line.comment,
    )
    db.session.add(row)
    return row
