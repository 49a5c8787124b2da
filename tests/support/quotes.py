"""The demo world for quote tests: the demo data seeded, its accounts and users by name, and
helpers that take a quote through its steps."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Category, Product
from portal.contracts.services import today_for
from portal.core.db import utcnow
from portal.demo import seed_demo
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.quotes import services
from portal.quotes.models import (
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteNumberCounter,
    QuoteSignOff,
    QuoteVersion,
)
from portal.quotes.services import DraftLine, RequestLine


@dataclass
class World:
    acme: KeyAccount
    qingdao: KeyAccount
    globex: KeyAccount
    buyer: User  # buyer@acme.example
    approver: User  # approver@acme.example (an Acme buyer-side approver)
    other_buyer: User  # buyer@globex.example
    wangfang: User  # a Chinese-speaking buyer of qingdao
    inside: User  # Acme's rep, authority 0
    inside2: User  # Acme's backup rep
    chen: User  # qingdao's rep, Chinese-speaking
    manager: User  # authority 25%
    director: User  # authority 40%
    admin: User  # account admin, authority 10%
    finance: User
    field: User
    callcenter: User
    sysadmin: User


def user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def account(slug: str) -> KeyAccount:
    return db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == slug))


def demo_world() -> World:
    seed_demo(quotes=False, history=False)
    staff = {
        name: user(f"{name}@northwind.example")
        for name in (
            "inside",
            "inside2",
            "chen",
            "manager",
            "director",
            "admin",
            "finance",
            "field",
            "callcenter",
            "sysadmin",
        )
    }
    return World(
        acme=account("acme"),
        qingdao=account("qingdao"),
        globex=account("globex"),
        buyer=user("buyer@acme.example"),
        approver=user("approver@acme.example"),
        other_buyer=user("buyer@globex.example"),
        wangfang=user("wangfang@qingdao.example"),
        **staff,
    )


def ask(world: World, lines=None, **kwargs) -> Quote:
    """Acme's buyer asks for 200 x NW-LT14 (the demo's project)."""
    return services.request_quote(
        world.buyer,
        world.acme,
        lines or [RequestLine("NW-LT14", 200, Decimal("6500.00"), "tender price")],
        **kwargs,
    )


def valid_until(acct: KeyAccount, days: int = 30):
    return today_for(acct) + timedelta(days=days)


def draft(world: World, quote: Quote, price="6900.00", actor=None, **kwargs) -> QuoteVersion:
    """The rep quotes 200 x NW-LT14 at `price` (None: the contract price)."""
    kwargs.setdefault("valid_until", valid_until(world.acme))
    lines = kwargs.pop("lines", None)
    if lines is None:
        lines = [DraftLine("NW-LT14", 200, Decimal(price) if price else None)]
    return services.save_draft(actor or world.inside, quote, lines, **kwargs)


def versions(quote: Quote) -> list[QuoteVersion]:
    return list(
        db.session.scalars(
            sa.select(QuoteVersion)
            .where(QuoteVersion.quote_id == quote.id)
            .order_by(QuoteVersion.number)
        )
    )


def event_kinds(quote: Quote) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(QuoteEvent.kind)
            .where(QuoteEvent.quote_id == quote.id)
            .order_by(QuoteEvent.id)
        )
    )


def mails_to(address: str, about: str = "") -> list[OutboxMessage]:
    """The e-mails queued for `address` (whose subject names `about`), oldest first."""
    query = sa.select(OutboxMessage).where(OutboxMessage.to_address == address)
    if about:
        query = query.where(OutboxMessage.subject.contains(about))
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def sent_quote(world: World, days: int = 30, quantity: int = 2) -> Quote:
    """A quote of Acme sent to its buyer: `quantity` x NW-LT14 at the contract price, valid
    for `days` from today, signed off for product by the account admin."""
    quote = ask(world, lines=[RequestLine("NW-LT14", quantity)])
    draft(
        world,
        quote,
        lines=[DraftLine("NW-LT14", quantity)],
        valid_until=valid_until(world.acme, days),
    )
    services.submit(world.inside, quote)
    services.sign_off(world.admin, quote, "product")
    assert quote.status == "sent"
    return quote


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
