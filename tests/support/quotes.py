"""The demo world for quote tests: the demo data seeded, its accounts and users by name, and
helpers that take a quote through its steps."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.demo import seed_demo
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.quotes import services
from portal.quotes.models import Quote, QuoteEvent, QuoteVersion
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
    seed_demo()
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
