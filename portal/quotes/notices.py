"""Who hears of each step of a quote, and what their notice and e-mail say: the rep of a new
request or answer, the approvers and signers of a submitted version, the author of a rejected
price, the buyer of a sent version or a closed quote, the sales managers of an overdue one.
Each recipient reads it in their own language (lazy strings, `later`). In the caller's
transaction."""

from flask_babel import lazy_gettext as _l

from portal.accounts.models import KeyAccount, User
from portal.core.dates import format_day, format_moment
from portal.core.money import format_money
from portal.core.permissions import INSIDE_SALES, SALES_MANAGER
from portal.hotline.notices import active_ids
from portal.notifications.services import later, notify
from portal.quotes.models import Quote, QuoteVersion
from portal.quotes.permissions import SIGNERS
from portal.quotes.words import department_label, depth_text, lost_reason_label


def staff_link(quote: Quote) -> str:
    return f"/staff/quotes/{quote.number}"


def buyer_link(quote: Quote, account: KeyAccount) -> str:
    return f"/a/{account.slug}/quotes/{quote.number}"


def _rep_or_team(quote: Quote) -> list[int]:
    """The quote's rep; the inside-sales team and the sales managers when it has none."""
    return [quote.assignee_id] if quote.assignee_id else active_ids(INSIDE_SALES, SALES_MANAGER)


def tell_new_request(quote: Quote, account: KeyAccount, assignee: User | None) -> None:
    """A new request for quote for its rep, or the team when nobody was available."""
    if assignee is not None:
        text = _l(
            "New request for quote %(number)s from %(account)s: due %(due)s",
            number=quote.number,
            account=account.name,
            due=later(format_moment, quote.due_at, account.time_zone, labelled=True),
        )
    else:
        text = _l(
            "Request for quote %(number)s from %(account)s waits in the team queue: nobody "
            "is available to take it (due %(due)s)",
            number=quote.number,
            account=account.name,
            due=later(format_moment, quote.due_at, account.time_zone, labelled=True),
        )
    notify(
        _rep_or_team(quote),
        text,
        staff_link(quote),
        email="notice",
        dedupe_key=f"quote_requested:{quote.id}:{quote.due_at.isoformat()}",
    )


def tell_buyer_taken_down(quote: Quote, account: KeyAccount, staff: User) -> None:
    """A request staff took down for a caller: the buyer gets it in writing, with its number."""
    notify(
        [quote.requested_by_id],
        _l(
            "%(name)s of Northwind took down your request for quote %(number)s; we answer by "
            "%(due)s",
            name=staff.name,
            number=quote.number,
            due=later(format_moment, quote.due_at, account.time_zone, labelled=True),
        ),
        buyer_link(quote, account),
        email="notice",
    )


def tell_assignee(quote: Quote, account: KeyAccount, assignee: User, reason: str) -> None:
    notify(
        [assignee.id],
        _l(
            "Quote %(number)s of %(account)s is now yours: %(reason)s",
            number=quote.number,
            account=account.name,
            reason=reason,
        ),
        staff_link(quote),
        email="notice",
    )


def tell_buyer_answered(quote: Quote, account: KeyAccount, text) -> None:
    """The buyer accepted, rejected, asked for changes or a renewal: the rep hears of it."""
    notify(_rep_or_team(quote), text, staff_link(quote), email="notice")


def tell_reviewers(
    quote: Quote,
    account: KeyAccount,
    version: QuoteVersion,
    approvers: list[int],
    signers: dict[str, list[int]],
) -> None:
    """A submitted version: those who approve its price, and the signers of each department."""
    about = f"quote:{quote.id}:{version.number}"
    if version.needs_approval:
        notify(
            approvers,
            _l(
                "Quote %(number)s for %(account)s waits for your price approval: "
                "%(depth)s%% below list, beyond its author's authority",
                number=quote.number,
                account=account.name,
                depth=later(depth_text, version.depth_percent),
            ),
            staff_link(quote),
            email="notice",
            about=f"{about}:price",
        )
    for department, user_ids in signers.items():
        notify(
            user_ids,
            _l(
                "Quote %(number)s for %(account)s waits for your %(department)s sign-off",
                number=quote.number,
                account=account.name,
                department=later(department_label, department),
            ),
            staff_link(quote),
            email="notice",
            about=f"{about}:{department}",
        )


def signers_of(department: str, except_user: int | None) -> list[int]:
    return [u for u in active_ids(*SIGNERS[department]) if u != except_user]


def tell_price_rejected(
    quote: Quote, account: KeyAccount, version: QuoteVersion, actor: User, comment: str
) -> None:
    notify(
        [version.author_id],
        _l(
            "The price of quote %(number)s for %(account)s was not approved by %(name)s: "
            "%(comment)s",
            number=quote.number,
            account=account.name,
            name=actor.name,
            comment=comment,
        ),
        staff_link(quote),
        email="notice",
    )


def tell_sent(quote: Quote, account: KeyAccount, version: QuoteVersion) -> None:
    """The buyer gets the quote: its number, total and validity, with a link; the rep hears
    that it went out."""
    notify(
        [quote.requested_by_id],
        _l(
            "Your quote %(number)s is ready: %(total)s, valid until %(day)s",
            number=quote.number,
            total=later(format_money, version.total_amount, quote.currency),
            day=later(format_day, version.valid_until),
        ),
        buyer_link(quote, account),
        email="quote_sent",
        dedupe_key=f"quote_sent:{quote.id}:{version.number}",
        number=quote.number,
        version_number=version.number,
        account_name=account.name,
        total=later(format_money, version.total_amount, quote.currency),
        valid_until=later(format_day, version.valid_until),
        note=version.note,
        terms=version.terms,
    )
    notify(
        [u for u in {version.author_id, quote.assignee_id} if u],
        _l(
            "Quote %(number)s for %(account)s was approved, signed off and sent to the buyer",
            number=quote.number,
            account=account.name,
        ),
        staff_link(quote),
    )


def tell_buyer_lost(quote: Quote, account: KeyAccount, actor: User, comment: str) -> None:
    """Staff closed the quote: the buyer hears why."""
    notify(
        [quote.requested_by_id],
        _l(
            "Quote %(number)s was closed by %(name)s (%(reason)s). %(comment)s",
            number=quote.number,
            name=actor.name,
            reason=later(lost_reason_label, quote.lost_reason),
            comment=comment,
        ),
        buyer_link(quote, account),
        email="notice",
    )


def tell_overdue(quote: Quote, account: KeyAccount, managers: list[int]) -> None:
    notify(
        managers,
        _l(
            "Quote %(number)s of %(account)s is overdue: the answer was due %(due)s",
            number=quote.number,
            account=account.name,
            due=later(format_moment, quote.due_at, account.time_zone, labelled=True),
        ),
        staff_link(quote),
        email="notice",
        dedupe_key=f"quote_overdue:{quote.id}:{quote.due_at.isoformat()}",
    )
