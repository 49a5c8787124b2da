"""The buyer's answers to a sent version: accept, reject, ask for changes, ask to renew an
expired one. Each commits once or raises ServiceError and writes nothing."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.contracts.services import today_for
from portal.core.dates import format_day
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.money import format_money
from portal.core.versioning import check_version, commit
from portal.extensions import db
from portal.notifications.services import later, settle
from portal.quotes import notices
from portal.quotes.models import (
    Quote,
    QuoteVersion,
)
from portal.quotes.permissions import (
    can_answer,
)
from portal.quotes.pricing import (
    RequestLine,
    checked_request,
    text,
)
from portal.quotes.rows import latest_of
from portal.quotes.steps import (
    account_of,
    add_lines,
    back_to_rep,
    due_text,
    event,
    is_expired,
    lose,
    lost_reason,
    one_step,
)
from portal.quotes.words import lost_reason_label


def _require_buyer(buyer: User, quote: Quote) -> None:
    if not buyer.is_buyer_side or buyer.account_id != quote.account_id or not buyer.is_active:
        raise ServiceError(_("Only the account's buyers answer its quotes."))


def _sent_version(buyer: User, quote: Quote) -> QuoteVersion:
    _require_buyer(buyer, quote)
    if not can_answer(buyer, quote):
        raise ServiceError(_("Quote %(number)s waits for no answer of yours.", number=quote.number))
    return latest_of(quote, side="supplier", sent_only=True, fresh=True)


@one_step
def accept(
    buyer: User, quote: Quote, version_number: int, *, expected_version: int | None = None
) -> None:
    """Accept the latest sent version (the one the buyer saw: `version_number`), while valid."""
    check_version(quote, expected_version)
    version = _sent_version(buyer, quote)
    if version is None or version.number != version_number:
        raise ServiceError(_("There is a newer version of this quote: read it before you accept."))
    account = account_of(quote)
    if is_expired(quote, today_for(account), fresh=True):
        raise ServiceError(
            _(
                "This quote expired on %(day)s: ask for a renewal instead.",
                day=format_day(version.valid_until),
            )
        )
    settle(notices.buyer_turn(quote))
    version.accepted_at = utcnow()
    version.accepted_by_id = buyer.id
    quote.status = "accepted"
    event(quote, buyer, "accepted", version=version)
    notices.tell_buyer_answered(
        quote,
        account,
        _l(
            "%(name)s of %(account)s accepted quote %(number)s (%(total)s)",
            name=buyer.name,
            account=account.name,
            number=quote.number,
            total=later(format_money, version.total_amount, quote.currency),
        ),
    )
    commit()


@one_step
def reject(
    buyer: User,
    quote: Quote,
    reason: str,
    comment: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    """The buyer turns the quote down with a reason: it is lost."""
    check_version(quote, expected_version)
    version = _sent_version(buyer, quote)
    reason = lost_reason(reason)
    comment = text(comment, "comment")
    lose(quote, buyer, reason, comment, version)
    account = account_of(quote)
    notices.tell_buyer_answered(
        quote,
        account,
        _l(
            "%(name)s of %(account)s rejected quote %(number)s (%(reason)s). %(comment)s",
            name=buyer.name,
            account=account.name,
            number=quote.number,
            reason=later(lost_reason_label, reason),
            comment=comment,
        ),
    )
    commit()


@one_step
def ask_for_changes(
    buyer: User,
    quote: Quote,
    lines: list[RequestLine],
    note: str = "",
    *,
    expected_version: int | None = None,
) -> QuoteVersion:
    """A new buyer version with the lines as the buyer wants them now; the rep's turn again."""
    check_version(quote, expected_version)
    _sent_version(buyer, quote)
    account = account_of(quote)
    note = text(note, "note")
    values = checked_request(lines, quote.currency)
    settle(notices.buyer_turn(quote))
    now = utcnow()
    latest = latest_of(quote, fresh=True)
    version = QuoteVersion(
        quote_id=quote.id,
        account_id=quote.account_id,
        number=latest.number + 1,
        side="buyer",
        status="sent",
        author_id=buyer.id,
        created_at=now,
        sent_at=now,
        note=note,
    )
    db.session.add(version)
    db.session.flush()
    add_lines(version, values)
    back_to_rep(quote, now)
    event(quote, buyer, "changes_requested", version=version, text=note)
    notices.tell_buyer_answered(
        quote,
        account,
        _l(
            "%(name)s of %(account)s asks for changes to quote %(number)s: due %(due)s",
            name=buyer.name,
            account=account.name,
            number=quote.number,
            due=later(due_text, quote.due_at, account.time_zone),
        ),
    )
    commit()
    return version


@one_step
def ask_to_renew(
    buyer: User, quote: Quote, note: str = "", *, expected_version: int | None = None
) -> None:
    """The buyer asks for an expired quote to be quoted again; the rep's turn again."""
    check_version(quote, expected_version)
    _require_buyer(buyer, quote)
    account = account_of(quote)
    if not is_expired(quote, today_for(account), fresh=True):
        raise ServiceError(_("Only an expired quote can be renewed."))
    note = text(note, "note")
    settle(notices.buyer_turn(quote))
    back_to_rep(quote, utcnow())
    event(quote, buyer, "renewal_requested", text=note)
    notices.tell_buyer_answered(
        quote,
        account,
        _l(
            "%(name)s of %(account)s asks to renew expired quote %(number)s: due %(due)s",
            name=buyer.name,
            account=account.name,
            number=quote.number,
            due=later(due_text, quote.due_at, account.time_zone),
        ),
    )
    commit()
