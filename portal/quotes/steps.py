"""What the quote services share: a step of the history, the quote's account, its number,
its lines, routing and deadlines, who works it, its validity and how it is lost."""

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import KeyAccount, User
from portal.contracts.models import Contract
from portal.contracts.services import today_for
from portal.core.dates import format_day, format_moment
from portal.core.db import db_session_dialect, utcnow
from portal.core.errors import ServiceError
from portal.core.versioning import Conflict
from portal.extensions import db
from portal.hotline.services import due_at_for, is_available, route
from portal.notifications.services import settle
from portal.quotes import notices
from portal.quotes.models import (
    DEPARTMENTS,
    LOST_REASONS,
    OPEN_STATUSES,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteNumberCounter,
    QuoteVersion,
)
from portal.quotes.permissions import (
    can_work_quote,
)
from portal.quotes.rows import forget, latest_of


def one_step(verb: Callable) -> Callable:
    """A service of one transaction: a change of the quote's row that someone else saved first
    (at a flush as at the commit) is a Conflict, and nothing of it is kept."""

    @wraps(verb)
    def step(*args, **kwargs):
        try:
            done = verb(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise Conflict() from None
        for value in (*args, *kwargs.values()):
            if isinstance(value, Quote):
                forget(value)
        return done

    return step


def event(quote: Quote, actor: User | None, kind: str, *, version=None, assignee=None, text=""):
    db.session.add(
        QuoteEvent(
            quote_id=quote.id,
            account_id=quote.account_id,
            at=utcnow(),
            version_number=version.number if version is not None else None,
            actor_id=actor.id if actor else None,
            kind=kind,
            assignee_id=assignee.id if assignee else None,
            text=text,
        )
    )


def account_of(quote: Quote) -> KeyAccount:
    return db.session.get(KeyAccount, quote.account_id)


def next_number(year: int) -> str:
    """Q-<year>-<6 digits>, counted per year; the counter row stays locked until commit."""
    insert = (postgresql.insert if db_session_dialect() == "postgresql" else sqlite.insert)(
        QuoteNumberCounter
    )
    db.session.execute(insert.values(year=year, last=0).on_conflict_do_nothing())
    last = db.session.scalar(
        sa.update(QuoteNumberCounter)
        .where(QuoteNumberCounter.year == year)
        .values(last=QuoteNumberCounter.last + 1)
        .returning(QuoteNumberCounter.last)
    )
    return f"Q-{year}-{last:06d}"


def add_lines(version: QuoteVersion, values: list[dict]) -> None:
    db.session.add_all(
        QuoteLine(version_id=version.id, account_id=version.account_id, **line) for line in values
    )


def route_quote(quote: Quote, account: KeyAccount, now: datetime) -> User | None:
    """Route the quote like a hotline request and give it a new deadline; the caller tells
    the assignee (returned; None: left in the team queue)."""
    assignee, reason = route(account, account.local_date(now))
    quote.assignee_id = assignee.id if assignee else None
    quote.due_at = due_at_for(account, now)
    quote.escalated_at = None
    event(quote, None, "routed", assignee=assignee, text=reason)
    return assignee


def require_worker(actor: User, quote: Quote) -> None:
    if not can_work_quote(actor, quote):
        if quote.status not in OPEN_STATUSES:
            raise ServiceError(_("Quote %(number)s is closed.", number=quote.number))
        raise ServiceError(_("Only inside sales and sales managers work quotes."))


def contract_of(account: KeyAccount) -> Contract | None:
    return db.session.scalar(
        sa.select(Contract).where(Contract.account_id == account.id, Contract.status == "active")
    )


def check_valid_until(valid_until: date | None, account: KeyAccount) -> None:
    if not isinstance(valid_until, date):
        raise ServiceError(_("Say until when the prices hold."), "valid_until")
    today = today_for(account)
    if valid_until <= today:
        raise ServiceError(
            _("The quote must be valid after today (%(today)s).", today=format_day(today)),
            "valid_until",
        )
    contract = contract_of(account)
    if contract is not None and valid_until > contract.valid_to:
        raise ServiceError(
            _(
                "The quote cannot be valid after its contract %(number)s ends (%(day)s).",
                number=contract.number,
                day=format_day(contract.valid_to),
            ),
            "valid_until",
        )


# The buyer's answers


def is_expired(quote: Quote, today: date, *, fresh: bool = False) -> bool:
    """A sent or accepted quote whose latest sent supplier version's validity ended before
    `today` (the account's)."""
    if quote.status not in ("sent", "accepted"):
        return False
    version = latest_of(quote, side="supplier", sent_only=True, fresh=fresh)
    return version is not None and version.valid_until is not None and version.valid_until < today


def lost_reason(reason: str) -> str:
    if reason not in LOST_REASONS:
        raise ServiceError(_("Choose a reason."), "reason")
    return reason


def lose(quote: Quote, actor: User, reason: str, comment: str, version=None) -> None:
    quote.status = "lost"
    quote.lost_reason = reason
    quote.lost_comment = comment
    quote.lost_at = utcnow()
    quote.lost_by_id = actor.id
    settle(notices.rep_turn(quote))
    settle(notices.buyer_turn(quote))
    latest = latest_of(quote, fresh=True)
    if latest is not None and latest.status == "in_review":
        # Nobody approves or signs off a lost quote's version: their notices are done with.
        for what in ("price", *DEPARTMENTS):
            settle(f"quote:{quote.id}:{latest.number}:{what}")
    # The reason is shown from quote.lost_reason in the reader's language; only the comment
    # is stored.
    event(quote, actor, "lost", version=version, text=comment)


def back_to_rep(quote: Quote, now: datetime) -> None:
    """The rep's turn again, with a new deadline (and no escalation yet); routed again when
    its rep is away now."""
    account = account_of(quote)
    quote.status = "requested"
    rep = db.session.get(User, quote.assignee_id) if quote.assignee_id else None
    if not is_available(rep, account.local_date(now)):
        route_quote(quote, account, now)
    quote.due_at = due_at_for(account, now)
    quote.escalated_at = None


def due_text(moment: datetime, zone: str) -> str:
    return format_moment(moment, zone, labelled=True)
