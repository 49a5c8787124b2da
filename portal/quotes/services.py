"""Quote rules: the buyer's request, the rep's draft and its submission, the price approval and
the sign-offs that send it, the buyer's answers, and the deadline sweep (DESIGN.md section 4,
"Quotes"; the state machine is in quotes.models). Each public function commits once or raises
ServiceError and writes nothing. Every change touches the quote's row, whose version
(core.versioning) makes two people acting on the same quote at once a Conflict, not a lost
step."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.accounts.queries import is_active_buyer_of
from portal.contracts.services import today_for
from portal.core import audit
from portal.core.access import HOTLINE_STAFF
from portal.core.dates import format_day
from portal.core.db import db_session_dialect, utcnow
from portal.core.errors import ServiceError
from portal.core.permissions import INSIDE_SALES, SALES_MANAGER
from portal.core.versioning import check_version, commit, touch
from portal.extensions import db
from portal.hotline.notices import active_ids
from portal.quotes import notices
from portal.quotes.answers import accept, ask_for_changes, ask_to_renew, reject
from portal.quotes.labels import STAFF_STATUS_LABELS
from portal.quotes.models import (
    DEPARTMENTS,
    Quote,
    QuoteLine,
    QuoteSignOff,
    QuoteVersion,
)
from portal.quotes.pricing import (
    MAX_LINES,
    DraftLine,
    RequestLine,
    checked_request,
    priced_draft,
    text,
)
from portal.quotes.review import (
    decide_price,
    required_departments,
    sign_off,
    submit,
    waiting_for,
)
from portal.quotes.rows import latest_of, lines_of
from portal.quotes.steps import (
    account_of,
    add_lines,
    check_valid_until,
    event,
    is_expired,
    lose,
    lost_reason,
    next_number,
    one_step,
    require_worker,
    route_quote,
)

__all__ = [
    "MAX_LINES",
    "DraftLine",
    "RequestLine",
    "accept",
    "ask_for_changes",
    "ask_to_renew",
    "decide_price",
    "is_expired",
    "mark_lost",
    "reassign",
    "reject",
    "request_quote",
    "required_departments",
    "save_draft",
    "sign_off",
    "starting_lines",
    "starting_valid_until",
    "submit",
    "sweep_deadlines",
    "waiting_for",
]

#: The latest a buyer may want the goods by, from today.
MAX_WANTED_DAYS = 730
#: A new draft's validity when no sent answer's still holds: this many days from today.
DEFAULT_VALID_DAYS = 30


# The buyer's request


def request_quote(
    requested_by: User,
    account: KeyAccount,
    lines: list[RequestLine],
    *,
    wanted_by: date | None = None,
    note: str = "",
    started_by: User | None = None,
    now: datetime | None = None,
    token: str | None = None,
) -> Quote:
    """Version 1, the buyer's request (sent at once), routed to a rep with a deadline; the rep
    (or the team) is told. `started_by`: the member of staff who took it down for a caller.

    `token` is the request form's one-time token: the same form sent again (Back and send, a
    double click, two concurrent submits) gets the quote the first one made, and nobody is
    told twice (as ordering.placement does for a checkout)."""
    account_id = account.id  # still readable when a clash has ended the transaction
    if token and (existing := _quote_with_token(account_id, token)) is not None:
        return existing
    if started_by is not None and started_by.role not in HOTLINE_STAFF:
        raise ServiceError(_("Only hotline staff take a request for quote down for a caller."))
    if not is_active_buyer_of(requested_by, account.id):
        raise ServiceError(
            _("A request for quote is for one of the account's active buyers."), "requested_by"
        )
    now = now or utcnow()
    today = account.local_date(now)
    if wanted_by is not None and not today <= wanted_by <= today + timedelta(MAX_WANTED_DAYS):
        raise ServiceError(
            _(
                "The date you want the goods by must be from today (%(today)s) to two years ahead.",
                today=format_day(today),
            ),
            "wanted_by",
        )
    note = text(note, "note")
    values = checked_request(lines, account.currency)
    quote = Quote(
        account_id=account.id,
        number=next_number(today.year),
        created_at=now,
        requested_by_id=requested_by.id,
        started_by_id=started_by.id if started_by else None,
        due_at=now,
        wanted_by=wanted_by,
        note=note,
        status="requested",
        currency=account.currency,
        request_token=token or None,
    )
    db.session.add(quote)
    try:
        db.session.flush()
    except IntegrityError as error:
        return _requested_meanwhile(account_id, token, error)
    version = QuoteVersion(
        quote_id=quote.id,
        account_id=account.id,
        number=1,
        side="buyer",
        status="sent",
        author_id=requested_by.id,
        created_at=now,
        sent_at=now,
        note=note,
    )
    db.session.add(version)
    db.session.flush()
    add_lines(version, values)
    # Who asked (and who took it down) is shown from the quote, in the reader's language.
    event(quote, started_by or requested_by, "requested", version=version)
    notices.tell_new_request(quote, account, route_quote(quote, account, now))
    if started_by is not None:
        notices.tell_buyer_taken_down(quote, account, started_by)
    try:
        db.session.commit()
    except IntegrityError as error:
        return _requested_meanwhile(account_id, token, error)
    return quote


def _quote_with_token(account_id: int, token: str) -> Quote | None:
    return db.session.scalar(
        sa.select(Quote).where(Quote.account_id == account_id, Quote.request_token == token)
    )


def _requested_meanwhile(account_id: int, token: str | None, error: IntegrityError) -> Quote:
    """The quote a concurrent submit of the same form committed in between, whether the clash
    shows at the INSERT (flush) or at commit. Any other integrity error stands."""
    db.session.rollback()
    if token and (existing := _quote_with_token(account_id, token)) is not None:
        return existing
    raise error


# The rep's draft


def starting_lines(quote: Quote) -> list[DraftLine]:
    """What a new draft starts from: the lines of the supplier draft being worked on, else of
    the buyer's latest version (their quantities), each at the price the latest sent supplier
    version quoted for its SKU (an answer to a change request starts from the last answer),
    or the contract price (None) when none was quoted."""
    latest = latest_of(quote)
    if latest is None:
        return []
    if latest.side == "supplier" and latest.status == "draft":
        return [
            DraftLine(line.sku, line.quantity, line.unit_price_amount, line.comment)
            for line in lines_of(latest)
        ]
    buyer = latest_of(quote, side="buyer")
    quoted = _quoted_prices(quote)
    return [
        DraftLine(line.sku, line.quantity, quoted.get(line.sku), "") for line in lines_of(buyer)
    ]


def starting_valid_until(quote: Quote, today: date) -> date:
    """A new draft's validity: the latest sent supplier version's, while it is still after
    `today` (the account's), else DEFAULT_VALID_DAYS from today."""
    sent = latest_of(quote, side="supplier", sent_only=True)
    if sent is not None and sent.valid_until is not None and sent.valid_until > today:
        return sent.valid_until
    return today + timedelta(days=DEFAULT_VALID_DAYS)


def _quoted_prices(quote: Quote) -> dict[str, Decimal]:
    """Each SKU's unit price in the latest sent supplier version (the first line of a SKU)."""
    sent = latest_of(quote, side="supplier", sent_only=True)
    prices: dict[str, Decimal] = {}
    for line in lines_of(sent) if sent is not None else []:
        if line.unit_price_amount is not None:
            prices.setdefault(line.sku, line.unit_price_amount)
    return prices


@one_step
def save_draft(
    actor: User,
    quote: Quote,
    lines: list[DraftLine],
    *,
    valid_until: date,
    terms: str = "",
    note: str = "",
    departments: Iterable[str] = (),
    expected_version: int | None = None,
) -> QuoteVersion:
    """Write the rep's answer as a draft: a new supplier version, or the draft being worked on
    with its lines replaced. Prices start at the contract price and are snapshotted with it.
    A version in review or sent is never touched."""
    check_version(quote, expected_version)
    require_worker(actor, quote)
    if quote.status != "requested":
        raise ServiceError(_draft_refusal(quote))
    departments = tuple(dict.fromkeys(departments or ()))
    unknown = [d for d in departments if d not in DEPARTMENTS]
    if unknown:
        raise ServiceError(_("Choose departments from the list."), "departments")
    account = account_of(quote)
    check_valid_until(valid_until, account)
    terms = text(terms, "terms")
    note = text(note, "note")
    priced, contract_terms = priced_draft(actor, account, lines, today_for(account))
    if contract_terms.currency != quote.currency:
        raise ServiceError(
            _(
                "The account's contract is in %(currency)s; the quote was asked in %(asked)s.",
                currency=contract_terms.currency,
                asked=quote.currency,
            )
        )
    latest = latest_of(quote, fresh=True)
    if latest is not None and latest.side == "supplier" and latest.status == "draft":
        version = latest
        db.session.execute(sa.delete(QuoteLine).where(QuoteLine.version_id == version.id))
        db.session.execute(sa.delete(QuoteSignOff).where(QuoteSignOff.version_id == version.id))
        db.session.expire(version, ["lines", "sign_offs"])
        version.author_id = actor.id
    else:
        version = QuoteVersion(
            quote_id=quote.id,
            account_id=quote.account_id,
            number=(latest.number if latest else 0) + 1,
            side="supplier",
            status="draft",
            author_id=actor.id,
        )
        db.session.add(version)
    version.valid_until = valid_until
    version.terms = terms
    version.note = note
    version.total_amount = priced.total
    version.depth_percent = priced.depth
    version.needs_approval = priced.needs_approval
    version.approved_by_id = None
    version.approved_at = None
    db.session.flush()
    add_lines(version, priced.lines)
    # The departments the rep ticked wait on the draft; submit adds those the rules need.
    db.session.add_all(
        QuoteSignOff(version_id=version.id, account_id=quote.account_id, department=d)
        for d in departments
    )
    touch(quote)
    commit()
    return version


def _draft_refusal(quote: Quote) -> str:
    if quote.status == "in_review":
        return _("Version is in review: it cannot be changed now.")
    if quote.status == "sent":
        return _("The buyer has the sent version: it is never changed. Wait for their answer.")
    return _(
        "Quote %(number)s is closed (%(status)s): no new version.",
        number=quote.number,
        status=STAFF_STATUS_LABELS.get(quote.status, quote.status),
    )


# Staff


@one_step
def mark_lost(
    actor: User,
    quote: Quote,
    reason: str,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    """Staff close an open quote with a reason; the buyer is told. Audited."""
    check_version(quote, expected_version)
    require_worker(actor, quote)
    reason = lost_reason(reason)
    comment = text(comment, "comment")
    old = quote.status
    lose(quote, actor, reason, comment)
    audit.record(
        actor,
        "quote.lost",
        f"quote:{quote.number}",
        {"status": (old, "lost"), "reason": (None, reason)},
        comment,
    )
    notices.tell_buyer_lost(quote, account_of(quote), actor, comment)
    commit()


@one_step
def reassign(
    actor: User,
    quote: Quote,
    to: User | None,
    reason: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Give the quote to another active inside-sales rep, saying why; they are told."""
    check_version(quote, expected_version)
    require_worker(actor, quote)
    reason = text(reason, "reason")
    if not reason:
        raise ServiceError(_("Say why."), "reason")
    if to is None or to.role != INSIDE_SALES or not to.is_active:
        raise ServiceError(_("Choose an active inside-sales colleague."), "assignee_id")
    if to.id == quote.assignee_id:
        raise ServiceError(_("The quote is already assigned to %(email)s.", email=to.email))
    quote.assignee_id = to.id
    event(
        quote,
        actor,
        "reassigned",
        assignee=to,
        text=reason,
    )
    notices.tell_assignee(quote, account_of(quote), to, reason)
    commit()


# Deadlines


def sweep_deadlines(now: datetime | None = None) -> str:
    """Escalate each quote waiting for the rep past its deadline to the sales managers, once;
    commits."""
    now = now or utcnow()
    query = (
        sa.select(Quote)
        .where(
            # Unanswered: the rep's turn, or a version still in review the buyer cannot see.
            Quote.status.in_(("requested", "in_review")),
            Quote.due_at < now,
            Quote.escalated_at.is_(None),
        )
        .order_by(Quote.id)
    )
    if db_session_dialect() == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Quote)
    overdue = list(db.session.scalars(query))
    managers = active_ids(SALES_MANAGER)
    accounts = {
        a.id: a
        for a in db.session.scalars(
            sa.select(KeyAccount).where(KeyAccount.id.in_({q.account_id for q in overdue}))
        )
    }
    if overdue:
        # Not through the quote's version: an escalation is no edit, and must not make a rep's
        # draft form, open meanwhile, a Conflict.
        db.session.execute(
            sa.update(Quote)
            .where(Quote.id.in_([q.id for q in overdue]))
            .values(escalated_at=now)
            .execution_options(synchronize_session="fetch")
        )
    for quote in overdue:
        event(quote, None, "escalated")
        notices.tell_overdue(quote, accounts[quote.account_id], managers)
    db.session.commit()
    return f"overdue quotes escalated: {len(overdue)}"
