"""A quote's versions and a version's sign-offs as the services and permissions read them: what
a page already loaded (quotes.queries eager-loads them), else one query; `fresh` always reads
the database (the services' steps, which must see what they wrote).

After each step (steps.one_step) `forget` expires what was loaded of the quote, so that reads
later in the same session see the step's writes."""

import sqlalchemy as sa

from portal.extensions import db
from portal.quotes.models import Quote, QuoteLine, QuoteSignOff, QuoteVersion


def _loaded(record, name: str) -> bool:
    return name not in sa.inspect(record).unloaded


def versions_of(quote: Quote, fresh: bool = False) -> list[QuoteVersion]:
    """The quote's versions, oldest first."""
    if not fresh and _loaded(quote, "versions"):
        return list(quote.versions)
    return list(
        db.session.scalars(
            sa.select(QuoteVersion)
            .where(QuoteVersion.quote_id == quote.id)
            .order_by(QuoteVersion.number)
        )
    )


def latest_of(
    quote: Quote, side: str | None = None, sent_only: bool = False, fresh: bool = False
) -> QuoteVersion | None:
    """The newest version of the quote (of one side, and only a sent one, if asked)."""
    for version in reversed(versions_of(quote, fresh)):
        if side is not None and version.side != side:
            continue
        if sent_only and version.status != "sent":
            continue
        return version
    return None


def sign_offs_of(version: QuoteVersion, fresh: bool = False) -> list[QuoteSignOff]:
    """The departments the version needs (or, on a draft, that the rep ticked)."""
    if not fresh and _loaded(version, "sign_offs"):
        return list(version.sign_offs)
    return list(
        db.session.scalars(
            sa.select(QuoteSignOff)
            .where(QuoteSignOff.version_id == version.id)
            .order_by(QuoteSignOff.id)
        )
    )


def lines_of(version: QuoteVersion, fresh: bool = False) -> list[QuoteLine]:
    if not fresh and _loaded(version, "lines"):
        return list(version.lines)
    return list(
        db.session.scalars(
            sa.select(QuoteLine)
            .where(QuoteLine.version_id == version.id)
            .order_by(QuoteLine.position)
        )
    )


def forget(quote: Quote) -> None:
    """Expire the quote's loaded versions and events, and its versions' lines and sign-offs:
    the next read loads them again (a step changed them)."""
    for record in list(db.session.identity_map.values()):
        if isinstance(record, QuoteVersion) and record.quote_id == quote.id:
            db.session.expire(record, ["lines", "sign_offs"])
    if quote in db.session:
        db.session.expire(quote, ["versions", "events"])
