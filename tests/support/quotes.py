"""Quotes (报价单) built directly as rows, in the state a test needs, without the services:
an accepted quote to order from, for instance."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Category, Product
from portal.contracts.services import today_for
from portal.core.db import utcnow
from portal.extensions import db
from portal.quotes.models import (
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteNumberCounter,
    QuoteSignOff,
    QuoteVersion,
)


def accepted_quote(
    account_slug: str,
    lines: list[tuple[str, int, str]] = (("NW-LT14", 200, "6900.00"),),
    *,
    valid_until: date | None = None,
    buyer: User | None = None,
    assignee: User | None = None,
    status: str = "accepted",
) -> Quote:
    """A quote of the account that its buyer asked for (version 1: the request) and accepted
    (version 2: the supplier's answer at the (SKU, quantity, unit price) `lines`, valid until
    `valid_until`, 30 days from the account's today unless given, signed off by product),
    with its history (requested, sent, accepted). The products must exist. `status` may say
    otherwise (e.g. "sent": answered, not accepted yet); `assignee` is the rep who answered it
    (None: the team queue). Committed."""
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == account_slug))
    buyer = buyer or db.session.scalar(
        sa.select(User).where(User.account_id == account.id).order_by(User.id).limit(1)
    )
    today = today_for(account)
    now = utcnow()
    quote = Quote(
        account_id=account.id,
        number=_next_number(today.year),
        requested_by_id=buyer.id if buyer else None,
        assignee_id=assignee.id if assignee else None,
        due_at=now + timedelta(days=1),
        status=status,
        currency="CNY",
        value_amount=sum(Decimal(price) * quantity for _, quantity, price in lines),
    )
    db.session.add(quote)
    db.session.flush()
    products = {
        product.sku: (product, tax_category)
        for product, tax_category in db.session.execute(
            sa.select(Product, Category.tax_category)
            .join(Category, Category.id == Product.category_id)
            .where(Product.sku.in_([sku for sku, _, _ in lines]))
        )
    }
    request = _version(quote, 1, "buyer", buyer, now)
    answer = _version(quote, 2, "supplier", assignee, now)
    answer.valid_until = valid_until or today + timedelta(days=30)
    answer.total_amount = quote.value_amount
    if status in ("accepted", "ordered"):
        answer.accepted_at = now
        answer.accepted_by_id = buyer.id if buyer else None
    for position, (sku, quantity, price) in enumerate(lines, start=1):
        product, tax_category = products[sku]
        for version, unit_price in ((request, None), (answer, Decimal(price))):
            db.session.add(
                QuoteLine(
                    account_id=account.id,
                    version_id=version.id,
                    position=position,
                    product_id=product.id,
                    sku=sku,
                    name=product.name,
                    name_zh=product.name_zh or "",
                    quantity=quantity,
                    tax_category=tax_category,
                    unit_price_amount=unit_price,
                )
            )
    db.session.add(
        QuoteSignOff(
            account_id=account.id, version_id=answer.id, department="product", signed_at=now
        )
    )
    steps = [("requested", 1, buyer), ("sent", 2, assignee)]
    if answer.accepted_at is not None:
        steps.append(("accepted", 2, buyer))
    for kind, number, actor in steps:
        db.session.add(
            QuoteEvent(
                account_id=account.id,
                quote_id=quote.id,
                version_number=number,
                at=now,
                actor_id=actor.id if actor else None,
                kind=kind,
            )
        )
    db.session.commit()
    return quote


def _version(quote: Quote, number: int, side: str, author: User | None, now) -> QuoteVersion:
    version = QuoteVersion(
        account_id=quote.account_id,
        quote_id=quote.id,
        number=number,
        side=side,
        status="sent",
        author_id=author.id if author else None,
        sent_at=now,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _next_number(year: int) -> str:
    counter = db.session.get(QuoteNumberCounter, year)
    if counter is None:
        counter = QuoteNumberCounter(year=year, last=0)
        db.session.add(counter)
    counter.last += 1
    db.session.flush()
    return f"Q-{year}-{counter.last:06d}"
