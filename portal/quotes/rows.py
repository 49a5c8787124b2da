"""A quote's versions and a version's sign-offs as the services and permissions read them: what
a page already loaded (quotes.queries eager-loads them), else one query."""

import sqlalchemy as sa

from portal.extensions import db
from portal.quotes.models import Quote, QuoteLine, QuoteSignOff, QuoteVersion


def _loaded(record, name: str) -> bool:
    return name not in sa.inspect(record).unloaded


def versions_of(quote: Quote) -> list[QuoteVersion]:
    """The quote's versions, oldest first."""
    if _loaded(quote, "versions"):
        return list(quote.versions)
    return list(
        db.session.scalars(
            sa.select(QuoteVersion)
            .where(QuoteVersion.quote_id == quote.id)
            .order_by(QuoteVersion.number)
        )
    )


def latest_of(
    quote: Quote, side: str | None = None, sent_only: bool = False
) -> QuoteVersion | None:
    """The newest version of the quote (of one side, and only a sent one, if asked)."""
    for version in reversed(versions_of(quote)):
        if side is not None and version.side != side:
            continue
        if sent_only and version.status != "sent":
            continue
        return version
    return None


def sign_offs_of(version: QuoteVersion) -> list[QuoteSignOff]:
    """The departments the version needs (or, on a draft, that the rep ticked)."""
    if _loaded(version, "sign_offs"):
        return list(version.sign_offs)
    return list(
        db.session.scalars(
            sa.select(QuoteSignOff)
            .where(QuoteSignOff.version_id == version.id)
            .order_by(QuoteSignOff.id)
        )
    )


def lines_of(version: QuoteVersion) -> list[QuoteLine]:
    if _loaded(version, "lines"):
        return list(version.lines)
    return list(
        db.session.scalars(
            sa.select(QuoteLine)
            .where(QuoteLine.version_id == version.id)
            .order_by(QuoteLine.position)
        )
    )
