"""Reads of quotes: a quote with everything its page shows, and an account's quotes."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteSignOff, QuoteVersion


def _whole_quote():
    """Loader options for a quote's page: versions with lines, sign-offs and people; events
    with their people; the people of the quote (a fixed handful of queries)."""
    return (
        joinedload(Quote.account),
        joinedload(Quote.requested_by),
        joinedload(Quote.started_by),
        joinedload(Quote.assignee),
        joinedload(Quote.lost_by),
        selectinload(Quote.versions).options(
            selectinload(QuoteVersion.lines),
            selectinload(QuoteVersion.sign_offs).joinedload(QuoteSignOff.signed_by),
            joinedload(QuoteVersion.author),
            joinedload(QuoteVersion.approved_by),
            joinedload(QuoteVersion.accepted_by),
        ),
        selectinload(Quote.events).options(
            joinedload(QuoteEvent.actor), joinedload(QuoteEvent.assignee)
        ),
    )


def quote_of_account(account_id: int, number: str) -> Quote | None:
    """The account's quote `number` with everything its page shows; None when the account has
    no such quote (a guessed number of another account's quote included)."""
    return db.session.scalar(
        sa.select(Quote)
        .where(Quote.account_id == account_id, Quote.number == number.strip().upper())
        .options(*_whole_quote())
    )


def quote_by_number(number: str) -> Quote | None:
    """Staff: any account's quote `number`, loaded as `quote_of_account` loads it."""
    return db.session.scalar(
        sa.select(Quote).where(Quote.number == number.strip().upper()).options(*_whole_quote())
    )


def quotes_of_account(account_id: int, limit: int | None = None) -> list[Quote]:
    """The account's quotes, newest first, with their rep, who asked and their versions
    (without lines: the list shows status, value and validity)."""
    query = account_quotes(account_id).order_by(Quote.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def account_quotes(account_id: int) -> sa.Select:
    """The account's quotes loaded as the list above loads them, in no order: for that list
    and the API's pages (newest first by id)."""
    return (
        sa.select(Quote)
        .where(Quote.account_id == account_id)
        .options(
            joinedload(Quote.assignee),
            joinedload(Quote.requested_by),
            selectinload(Quote.versions),
        )
    )


def line_counts(version_ids: list[int]) -> dict[int, int]:
    """How many lines each of these versions has (one query; a version without lines is
    missing from the answer)."""
    if not version_ids:
        return {}
    rows = db.session.execute(
        sa.select(QuoteLine.version_id, sa.func.count(QuoteLine.id))
        .where(QuoteLine.version_id.in_(version_ids))
        .group_by(QuoteLine.version_id)
    )
    return dict(rows.all())
