"""The demo's quotes (data.QUOTES), one in each state of the pipeline, written as rows as the
quote services would leave them: the buyer's request (version 1), routed like a hotline request;
the rep's answer priced from the contract (its price and why snapshotted on each line), with
the price approval and sign-offs it needed; the buyer's acceptance or the loss; the history.
Idempotent: a quote is found again by the buyer's note. Dates count back from the seeding day.
"""

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.contracts.pricing import explain, price_lines
from portal.contracts.services import today_for
from portal.core.db import utcnow
from portal.core.locales import seen_by
from portal.core.money import quantize
from portal.demo.data import QUOTES
from portal.extensions import db
from portal.hotline import services as hotline
from portal.notifications.services import reader_settings
from portal.quotes.models import (
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteNumberCounter,
    QuoteSignOff,
    QuoteVersion,
)

HUNDRED = Decimal(100)


def seed_demo_quotes(staff: dict[str, User]) -> int:
    """Write the quotes of data.QUOTES that are missing; returns how many (each commits)."""
    created = 0
    for spec in QUOTES:
        if db.session.scalar(sa.select(Quote.id).where(Quote.note == spec["note"])):
            continue
        buyer = db.session.scalar(sa.select(User).where(User.email == spec["buyer"]))
        account = db.session.get(KeyAccount, buyer.account_id)
        with seen_by(*reader_settings(buyer)):  # what the portal writes, in the buyer's words
            _write_quote(spec, buyer, account, staff)
        db.session.commit()
        created += 1
    return created


def _write_quote(spec: dict, buyer: User, account: KeyAccount, staff: dict[str, User]) -> Quote:
    now = utcnow()
    today = today_for(account)
    asked = now - timedelta(days=spec["asked"], minutes=90)
    rep, why = hotline.route(account, today)
    wanted_in = spec["wanted_in"]
    quote = Quote(
        account_id=account.id,
        number=_next_number(account.local_date(asked).year),
        created_at=asked,
        requested_by_id=buyer.id,
        assignee_id=rep.id if rep else None,
        due_at=hotline.due_at_for(account, asked),
        wanted_by=today + timedelta(days=wanted_in) if wanted_in is not None else None,
        note=spec["note"],
        status="requested",
        currency=account.currency,
    )
    db.session.add(quote)
    db.session.flush()
    events = [
        _event(quote, asked, "requested", buyer, version=1),
        _event(quote, asked, "routed", None, assignee=rep, text=why),
    ]
    request = _version(quote, 1, "buyer", buyer, asked, status="sent", sent_at=asked)
    pricing = price_lines(account.id, [(line[0], line[1]) for line in spec["lines"]], today)
    for position, ((_sku, quantity, target, _, comment), priced) in enumerate(
        zip(spec["lines"], pricing.lines, strict=True), start=1
    ):
        line = _line(request, position, priced, quantity, comment)
        line.target_price_amount = target
    answer = spec["answer"]
    if answer is not None:
        version = _write_answer(quote, answer, spec["lines"], pricing, rep, staff, events, now)
        if spec["outcome"] is not None:
            _write_outcome(quote, version, spec["outcome"], buyer, events, now)
    db.session.add_all(events)
    return quote


def _write_answer(quote, answer, lines, pricing, rep, staff, events, now) -> QuoteVersion:
    """The rep's supplier version (2): priced, submitted, approved and signed as `answer` says;
    sent when all is done."""
    today = pricing.on
    submitted = now - timedelta(days=answer["submitted"], minutes=30)
    version = _version(
        quote,
        2,
        "supplier",
        rep,
        submitted,
        status=answer["status"],
        submitted_at=submitted,
        valid_until=today + timedelta(days=answer["valid_for"]),
        terms=answer.get("terms", ""),
        note=answer.get("note", ""),
    )
    total, depths = Decimal(0), []
    for position, ((_, quantity, _, price, _), priced) in enumerate(
        zip(lines, pricing.lines, strict=True), start=1
    ):
        line = _line(version, position, priced, quantity, "")
        line.unit_price_amount = price
        line.contract_price_amount = priced.unit_price.amount if priced.unit_price else None
        line.contract_explanation = explain(priced, pricing.terms)
        line.list_price_amount = priced.list_price.amount if priced.list_price else None
        total += quantize(price * quantity, quote.currency)
        below_contract = line.contract_price_amount and price < line.contract_price_amount
        if below_contract and line.list_price_amount:
            depths.append((line.list_price_amount - price) * HUNDRED / line.list_price_amount)
    version.total_amount = total
    # Kept to the column's places, rounded up (never below the true depth), as the services do.
    deepest = max(depths).quantize(Decimal("0.0001"), rounding=ROUND_CEILING) if depths else None
    version.depth_percent = deepest
    authority = rep.discount_authority_percent or Decimal(0)
    version.needs_approval = bool(depths) and max(depths) > authority
    events.append(_event(quote, submitted, "submitted", rep, version=2))
    approver = staff.get(answer["approved_by"]) if answer["approved_by"] else None
    if version.needs_approval and approver is not None:
        version.approved_by_id, version.approved_at = approver.id, submitted
        events.append(_event(quote, submitted, "price_approved", approver, version=2))
    for department, signer_key in answer["signed"].items():
        signer = staff.get(signer_key) if signer_key else None
        db.session.add(
            QuoteSignOff(
                account_id=quote.account_id,
                version_id=version.id,
                department=department,
                signed_by_id=signer.id if signer else None,
                signed_at=submitted if signer else None,
            )
        )
        if signer is not None:
            events.append(
                _event(quote, submitted, "signed_off", signer, version=2, text=department)
            )
    if answer["status"] == "sent":
        version.sent_at = now - timedelta(days=answer["sent"])
        quote.status, quote.value_amount = "sent", total
        events.append(_event(quote, version.sent_at, "sent", None, version=2))
    else:
        quote.status = "in_review"
    return version


def _write_outcome(quote, version, outcome, buyer, events, now) -> None:
    """The buyer's answer to the sent version: accepted, or rejected with a reason (lost)."""
    kind, days_ago, *why = outcome
    at = now - timedelta(days=days_ago)
    if kind == "accepted":
        version.accepted_at, version.accepted_by_id = at, buyer.id
        quote.status = "accepted"
        events.append(_event(quote, at, "accepted", buyer, version=2))
    else:
        reason, comment = why
        quote.status, quote.lost_reason, quote.lost_comment = "lost", reason, comment
        quote.lost_at, quote.lost_by_id = at, buyer.id
        events.append(_event(quote, at, "lost", buyer, version=2, text=comment))


def _next_number(year: int) -> str:
    """Q-<year>-<6 digits>, from the counter the quote services count with."""
    counter = db.session.get(QuoteNumberCounter, year)
    if counter is None:
        counter = QuoteNumberCounter(year=year, last=0)
        db.session.add(counter)
    counter.last += 1
    return f"Q-{year}-{counter.last:06d}"


def _version(quote: Quote, number: int, side: str, author, at: datetime, **values):
    version = QuoteVersion(
        account_id=quote.account_id,
        quote_id=quote.id,
        number=number,
        side=side,
        author_id=author.id if author else None,
        created_at=at,
        **values,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _line(version: QuoteVersion, position: int, priced, quantity: int, comment: str):
    item = priced.item
    line = QuoteLine(
        account_id=version.account_id,
        version_id=version.id,
        position=position,
        product_id=item.id,
        sku=item.sku,
        name=item.name,
        name_zh=item.name_zh or "",
        tax_category=item.tax_category,
        quantity=quantity,
        comment=comment,
    )
    db.session.add(line)
    return line


def _event(quote, at, kind, actor, *, version=None, assignee=None, text="") -> QuoteEvent:
    return QuoteEvent(
        account_id=quote.account_id,
        quote_id=quote.id,
        version_number=version,
        at=at,
        actor_id=actor.id if actor else None,
        kind=kind,
        assignee_id=assignee.id if assignee else None,
        text=text,
    )
