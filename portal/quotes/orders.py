"""Ordering an accepted quote (报价单): once, before it expires, at exactly the prices and
quantities of the version the buyer accepted, through the normal checkout
(`ordering.placement.place_order`: ship-to, PO, delivery date, fapiao type, the spending-limit
approval, the credit check, the payment schedule, the one-time token).

Nothing of the checkout form sets a price or a quantity: the lines come from the accepted
version as stored. The checks run under the account lock that placement takes (placement asks
`_FromQuote.quoted` once it holds it), so two tabs ordering the same quote at once make one
order: the second finds the quote ordered and is refused, naming the order. The same form
submitted twice (one token) gets the order the first submit made, as any checkout does.

The quote is marked ordered (`order_id`, status `ordered`, an "ordered" event) by
`_FromQuote.placed`, which placement calls before its one commit: the order and the quote's
new state are written together or not at all. The rep it is assigned to is told; the buyer
gets the order's own e-mail, as for any order.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from portal.accounts.models import KeyAccount, User
from portal.contracts.pricing import explain
from portal.contracts.services import today_for
from portal.core.dates import format_day
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.notifications.services import notify
from portal.ordering import placement
from portal.ordering.models import Order
from portal.ordering.quoted import Quoted
from portal.quotes.models import Quote, QuoteEvent, QuoteVersion
from portal.quotes.steps import is_expired


def _with_lines(account_id: int, number: str) -> sa.Select:
    """The account's quote with its versions and their lines: what ordering it reads."""
    return (
        sa.select(Quote)
        .where(Quote.account_id == account_id, Quote.number == number)
        .options(selectinload(Quote.versions).selectinload(QuoteVersion.lines))
    )


def accepted_version(quote: Quote) -> QuoteVersion | None:
    """The supplier version the buyer accepted (one at most); None before that."""
    accepted = [v for v in quote.versions if v.side == "supplier" and v.accepted_at is not None]
    return accepted[-1] if accepted else None


def why_not_orderable(quote: Quote, today: date) -> str | None:
    """Why the quote cannot be ordered today, in a sentence; None when it can."""
    if quote.status == "ordered":
        return _(
            "Quote %(quote)s was ordered already: order %(order)s.",
            quote=quote.number,
            order=_order_number(quote.order_id) or "",
        )
    version = accepted_version(quote)
    if quote.status != "accepted" or version is None:
        return _("Quote %(quote)s can be ordered once you have accepted it.", quote=quote.number)
    if not version.lines or any(line.unit_price_amount is None for line in version.lines):
        return _(
            "Quote %(quote)s has a line without a price. Ask for a new quote.", quote=quote.number
        )
    if is_expired(quote, today):
        return _(
            "Quote %(quote)s expired on %(day)s and can no longer be ordered. Ask for it to be "
            "renewed on the quote's page.",
            quote=quote.number,
            day=format_day(version.valid_until),
        )
    return None


def quoted_lines(quote: Quote, version: QuoteVersion) -> Quoted:
    """The version's lines as ordering takes them: (SKU, quantity, quoted unit price)."""
    return Quoted(
        quote.number,
        version.number,
        tuple((line.sku, line.quantity, line.unit_price_amount) for line in version.lines),
        quote.currency,
    )


@dataclass(frozen=True)
class QuoteCheckout:
    """The checkout page of a quote: why it cannot be ordered (None: it can), what placing it
    would make (None when no version was accepted), and each line's price in words."""

    problem: str | None
    preview: placement.Preview | None
    explanations: list[str]


def checkout_of(buyer: User, account: KeyAccount, quote: Quote) -> QuoteCheckout:
    problem = why_not_orderable(quote, today_for(account))
    version = accepted_version(quote)
    if version is None or any(line.unit_price_amount is None for line in version.lines):
        return QuoteCheckout(problem, None, [])
    quoted = quoted_lines(quote, version)
    preview = placement.preview_checkout(buyer, account, quoted)
    pricing = preview.pricing
    return QuoteCheckout(
        problem or preview.problem,
        preview,
        [
            quoted.explanation() if line.has_price else explain(line, pricing.terms)
            for line in pricing.lines
        ],
    )


def order_quote(
    buyer: User, account: KeyAccount, quote: Quote, checkout: placement.Checkout, token: str
) -> Order:
    """Place the order of an accepted, unexpired quote not ordered yet, at its accepted
    version's prices and quantities, and mark the quote ordered, in one transaction; or refuse
    with a message and write nothing. The same `token` again gets the same order."""
    if quote.account_id != account.id:
        raise ServiceError(_("This quote is not one of your account's."))
    return placement.place_order(
        buyer, account, checkout, token, from_quote=_FromQuote(buyer, account, quote.number)
    )


@dataclass
class _FromQuote:
    """The quote as placement asks for it (ordering.quoted.QuoteSource)."""

    buyer: User
    account: KeyAccount
    number: str
    quote: Quote | None = None
    version: QuoteVersion | None = None

    def quoted(self) -> Quoted:
        # Read afresh under the lock: another tab may have ordered it a moment ago.
        quote = db.session.scalar(
            _with_lines(self.account.id, self.number).execution_options(populate_existing=True)
        )
        if quote is None:
            raise ServiceError(_("This quote is not one of your account's."))
        if (problem := why_not_orderable(quote, today_for(self.account))) is not None:
            raise ServiceError(problem)
        self.quote, self.version = quote, accepted_version(quote)
        return quoted_lines(quote, self.version)

    def placed(self, order: Order) -> None:
        quote = self.quote
        quote.order_id = order.id
        quote.status = "ordered"
        db.session.add(
            QuoteEvent(
                account_id=quote.account_id,
                quote_id=quote.id,
                version_number=self.version.number,
                actor_id=self.buyer.id,
                kind="ordered",
                # The order's number: the history shows it in the reader's language.
                text=order.number,
            )
        )
        # The rep who answered it hears, in their own language (a notice and an e-mail).
        notify(
            [quote.assignee_id],
            _l(
                "Quote %(quote)s was ordered: order %(order)s, %(account)s.",
                quote=quote.number,
                order=order.number,
                account=self.account.name,
            ),
            f"/staff/orders/{order.number}",
            email="notice",
        )


def _order_number(order_id: int | None) -> str | None:
    if order_id is None:
        return None
    return db.session.scalar(sa.select(Order.number).where(Order.id == order_id))
