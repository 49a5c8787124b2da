"""The API's quotes: the buyer asks for a quote, reads the account's quotes with the versions a
buyer sees (their side's, and the supplier's once sent) and answers the sent one: accept,
reject, ask for changes. The same queries, figures and services as the buyer's quote pages
(quotes.queries, quotes.figures, quotes.services). Joins the api blueprint."""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import BaseModel, Field, field_validator

from portal.api import pagination
from portal.api.pagination import PageQuery
from portal.api.payment_views import VatOut, caller_account, vat_out
from portal.api.shapes import MoneyOut, money, money_or_none
from portal.api.spec import ApiProblem, Header, operation
from portal.api.views import bp
from portal.cart.models import MAX_QUANTITY
from portal.contracts.services import today_for
from portal.core import numbers
from portal.quotes import figures, queries, services
from portal.quotes.forms import MAX_NOTE
from portal.quotes.models import LOST_REASONS, QUOTE_STATUSES, Quote
from portal.quotes.permissions import buyer_versions
from portal.quotes.pricing import MAX_LINES

# --- buyer: their own account's quotes (another account's are a 404) ---
#   GET   /api/v1/quotes?cursor=&limit=                 list_quotes          BUYER_ROLES
#   POST  /api/v1/quotes                                request_quote        BUYER_ROLES
#   GET   /api/v1/quotes/<quote_number>                 show_quote           BUYER_ROLES
#   POST  /api/v1/quotes/<quote_number>/accept          accept_quote         BUYER_ROLES
#   POST  /api/v1/quotes/<quote_number>/reject          reject_quote         BUYER_ROLES
#   POST  /api/v1/quotes/<quote_number>/changes         ask_for_quote_changes BUYER_ROLES

TAG = "quotes"
IDEMPOTENCY = Header(
    "Idempotency-Key",
    "Send the same key again (a retry) to get the quote the first request made, not a second.",
)


# --- what is sent ---


def _quantity(value, minimum: int) -> int:
    """A quantity as the forms read it: a whole number, or a string with full-width digits
    and thousands commas (a decimal comma is refused, saying what to type)."""
    if isinstance(value, bool):
        raise ValueError(_("Write a quantity."))
    try:
        return numbers.parse_quantity(str(value), minimum=minimum, maximum=MAX_QUANTITY)
    except numbers.NumberError as error:
        raise ValueError(error.message) from None


class QuoteLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=40, examples=["NW-LT14"])
    quantity: int | str = Field(
        description="Whole units: a number, or a string as typed (２００, 1,000).",
        examples=[200],
    )
    #: The unit price the buyer hopes for, gross, in the account's currency.
    target_price: str | None = Field(
        None,
        max_length=40,
        description="A decimal string with a point (6500.00); a decimal comma is refused.",
        examples=["6500.00"],
    )
    comment: str = Field("", max_length=MAX_NOTE)

    @field_validator("quantity")
    @classmethod
    def _whole_units(cls, value):
        return _quantity(value, minimum=1)

    @field_validator("target_price")
    @classmethod
    def _amount(cls, value):
        if value is None or not value.strip():
            return None
        try:
            amount = numbers.parse_amount(value)
        except numbers.NumberError as error:
            raise ValueError(error.message) from None
        if amount <= 0:
            raise ValueError(_("A target price is more than 0."))
        return str(amount)

    def request_line(self) -> services.RequestLine:
        target = Decimal(self.target_price) if self.target_price else None
        return services.RequestLine(self.sku, self.quantity, target, self.comment.strip())


class QuoteRequestIn(BaseModel):
    """A request for quote, as the quote request page takes it."""

    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    #: The date the buyer wants the goods by (today to two years ahead).
    wanted_by: date | None = None
    note: str = Field("", max_length=MAX_NOTE)


class AcceptIn(BaseModel):
    #: The number of the sent version being accepted (the latest one the buyer read).
    version: int = Field(ge=1, le=10_000)


class RejectIn(BaseModel):
    reason: Literal[LOST_REASONS]
    comment: str = Field("", max_length=MAX_NOTE)


class ChangesIn(BaseModel):
    """What should change; without `lines` the offer's lines are asked for again as they are
    (as the page's change form starts)."""

    comment: str = Field("", max_length=MAX_NOTE)
    lines: list[QuoteLineIn] | None = Field(None, min_length=1, max_length=MAX_LINES)


# --- what is answered ---


class QuoteLineOut(BaseModel):
    position: int
    sku: str
    name: str
    name_zh: str
    quantity: int
    #: The buyer's target unit price (on the buyer's versions).
    target_price: MoneyOut | None
    comment: str
    #: The quoted unit price and line total (on the supplier's versions).
    unit_price: MoneyOut | None
    line_total: MoneyOut | None


class QuoteVersionOut(BaseModel):
    """One side's word: the buyer's request or change request, or the supplier's answer."""

    number: int
    side: Literal["buyer", "supplier"]
    sent_at: datetime | None
    note: str
    #: The supplier's: the last day its prices hold, and terms that differ from the contract.
    valid_until: date | None
    terms: str
    total: MoneyOut | None
    vat: VatOut | None
    accepted_at: datetime | None
    lines: list[QuoteLineOut]


class QuoteSummaryOut(BaseModel):
    number: str
    status: Literal[QUOTE_STATUSES]
    requested_at: datetime
    wanted_by: date | None
    #: When the supplier's next answer is due.
    answer_due_at: datetime
    #: The latest sent supplier version: its number, validity and total.
    offer_version: int | None
    valid_until: date | None
    total: MoneyOut | None
    is_expired: bool


class QuoteOut(QuoteSummaryOut):
    """A quote with the versions a buyer sees, newest last."""

    note: str
    versions: list[QuoteVersionOut]


class QuotePage(pagination.Page[QuoteSummaryOut]):
    pass


def _summary_fields(quote: Quote, today: date) -> dict:
    offer = quote.latest(side="supplier", sent_only=True)
    return {
        "number": quote.number,
        "status": quote.status,
        "requested_at": quote.created_at,
        "wanted_by": quote.wanted_by,
        "answer_due_at": quote.due_at,
        "offer_version": offer.number if offer else None,
        "valid_until": offer.valid_until if offer else None,
        "total": money_or_none(offer.total_amount, quote.currency) if offer else None,
        "is_expired": services.is_expired(quote, today),
    }


def _line(figure, currency: str) -> QuoteLineOut:
    line = figure.line
    return QuoteLineOut(
        position=line.position,
        sku=line.sku,
        name=line.name,
        name_zh=line.name_zh,
        quantity=line.quantity,
        target_price=money_or_none(line.target_price_amount, currency),
        comment=line.comment,
        unit_price=_money(figure.unit_price),
        line_total=_money(figure.line_total),
    )


def _money(value) -> MoneyOut | None:
    return None if value is None else money(value.amount, value.currency)


def quote_out(quote: Quote, account) -> QuoteOut:
    today = today_for(account)
    found = figures.quote_figures(quote, account.tax_treatment, today)
    versions = []
    for version in buyer_versions(quote):
        shown = found[version.id]
        versions.append(
            QuoteVersionOut(
                number=version.number,
                side=version.side,
                sent_at=version.sent_at,
                note=version.note,
                valid_until=version.valid_until,
                terms=version.terms,
                total=_money(shown.total),
                vat=vat_out(shown.vat),
                accepted_at=version.accepted_at,
                lines=[_line(figure, quote.currency) for figure in shown.lines],
            )
        )
    return QuoteOut(**_summary_fields(quote, today), note=quote.note, versions=versions)


def _quote_or_404(account, number: str) -> Quote:
    quote = queries.quote_of_account(account.id, number)
    if quote is None:
        raise ApiProblem(404)
    return quote


# --- operations ---


@bp.get("/quotes")
@operation(summary=_l("The account's quotes"), tag=TAG, query=PageQuery, response=QuotePage)
def list_quotes(query: PageQuery):
    """The account's quotes, newest first, each with its latest sent offer: its validity and
    total, and whether it expired."""
    account = caller_account()
    today = today_for(account)
    found, cursor = pagination.page_of(queries.account_quotes(account.id), Quote.id, query)
    return QuotePage(
        data=[QuoteSummaryOut(**_summary_fields(quote, today)) for quote in found],
        next_cursor=cursor,
    )


@bp.post("/quotes")
@operation(
    summary=_l("Ask for a quote"),
    tag=TAG,
    scope="order",
    body=QuoteRequestIn,
    response=QuoteOut,
    status=201,
    headers=(IDEMPOTENCY,),
)
def request_quote(body: QuoteRequestIn):
    """Ask for a project price for these lines (with target prices, a note and the date the
    goods are wanted by): routed to the account's rep with a deadline, as the quote request
    page does. The same Idempotency-Key again returns the quote the first request made."""
    account = caller_account()
    key = request.headers.get("Idempotency-Key", "").strip()
    quote = services.request_quote(
        current_user,
        account,
        [line.request_line() for line in body.lines],
        wanted_by=body.wanted_by,
        note=body.note.strip(),
        token=hashlib.sha256(key.encode()).hexdigest()[:32] if key else None,
    )
    return quote_out(_quote_or_404(account, quote.number), account), 201


@bp.get("/quotes/<quote_number>")
@operation(summary=_l("A quote"), tag=TAG, response=QuoteOut)
def show_quote(quote_number):
    """The quote with the versions a buyer sees: each with its lines, prices, total, VAT and
    validity (never a draft, nor the contract prices behind a price)."""
    account = caller_account()
    return quote_out(_quote_or_404(account, quote_number), account)


@bp.post("/quotes/<quote_number>/accept")
@operation(summary=_l("Accept a quote"), tag=TAG, scope="order", body=AcceptIn, response=QuoteOut)
def accept_quote(quote_number, body: AcceptIn):
    """Accept the sent version the buyer read (`version`), while it is valid; a newer version
    or an expired one is refused. Accepting the accepted version again changes nothing."""
    account = caller_account()
    quote = _quote_or_404(account, quote_number)
    accepted = next((v for v in quote.versions if v.accepted_at is not None), None)
    if accepted is None or accepted.number != body.version:
        services.accept(current_user, quote, body.version)
    return quote_out(_quote_or_404(account, quote_number), account)


@bp.post("/quotes/<quote_number>/reject")
@operation(summary=_l("Reject a quote"), tag=TAG, scope="order", body=RejectIn, response=QuoteOut)
def reject_quote(quote_number, body: RejectIn):
    """Turn the sent quote down with a reason (and a comment): it is lost."""
    account = caller_account()
    quote = _quote_or_404(account, quote_number)
    services.reject(current_user, quote, body.reason, body.comment.strip())
    return quote_out(_quote_or_404(account, quote_number), account)


@bp.post("/quotes/<quote_number>/changes")
@operation(
    summary=_l("Ask for changes to a quote"),
    tag=TAG,
    scope="order",
    body=ChangesIn,
    response=QuoteOut,
)
def ask_for_quote_changes(quote_number, body: ChangesIn):
    """Ask the rep for a new version: the lines as wanted now (without `lines`, the offer's
    lines as they are) and a comment. It is the rep's turn again."""
    account = caller_account()
    quote = _quote_or_404(account, quote_number)
    if body.lines is not None:
        lines = [line.request_line() for line in body.lines]
    else:
        offer = quote.latest(side="supplier", sent_only=True)
        lines = [
            services.RequestLine(line.sku, line.quantity) for line in (offer.lines if offer else ())
        ]
    services.ask_for_changes(current_user, quote, lines, note=body.comment.strip())
    return quote_out(_quote_or_404(account, quote_number), account)
