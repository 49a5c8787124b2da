"""The API's payment documents: an order's payment schedule, the account's invoices and each
invoice's PDF, read through the same queries and documents as the buyer's pages
(ordering.queries, payments.invoices, payments.documents). Joins the api blueprint."""

from datetime import date
from typing import Literal

from flask import Response
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import BaseModel, Field

from portal.accounts.models import KeyAccount
from portal.api import pagination
from portal.api.order_shapes import VatRateOut
from portal.api.pagination import PageQuery
from portal.api.shapes import MoneyOut, money
from portal.api.spec import ApiProblem, operation
from portal.api.views import bp
from portal.contracts.services import today_for
from portal.contracts.terms import term_text
from portal.core.pdf import content_disposition
from portal.extensions import db
from portal.ordering import queries as ordering_queries
from portal.ordering.models import Milestone
from portal.payments import documents, invoices
from portal.tax import fapiao_queries

# --- buyer: their own account's documents (another account's are a 404) ---
#   GET  /api/v1/orders/<number>/schedule              order_schedule  BUYER_ROLES
#   GET  /api/v1/invoices?status=&cursor=&limit=       list_invoices   BUYER_ROLES
#   GET  /api/v1/invoices/<invoice_number>             show_invoice    BUYER_ROLES
#   GET  /api/v1/invoices/<invoice_number>/pdf         invoice_pdf     BUYER_ROLES

TAG = "payments"


def caller_account() -> KeyAccount:
    """The buyer-side caller's own account (PAGES lets only buyer-side roles here)."""
    account = db.session.get(KeyAccount, current_user.account_id)
    if account is None:
        raise ApiProblem(404)
    return account


# --- shapes ---


class VatOut(BaseModel):
    """Net, VAT by rate (highest first) and gross."""

    by_rate: list[VatRateOut]
    net: MoneyOut
    vat: MoneyOut
    gross: MoneyOut


def vat_rates(totals) -> list[VatRateOut]:
    return [
        VatRateOut(
            rate_percent=f"{total.rate_percent.normalize():f}",
            net=money(total.net.amount, total.net.currency),
            vat=money(total.vat.amount, total.vat.currency),
            gross=money(total.gross.amount, total.gross.currency),
        )
        for total in totals
    ]


def vat_out(summary) -> VatOut | None:
    if summary is None:
        return None
    return VatOut(
        by_rate=vat_rates(summary.by_rate),
        net=money(summary.net.amount, summary.net.currency),
        vat=money(summary.vat.amount, summary.vat.currency),
        gross=money(summary.gross.amount, summary.gross.currency),
    )


#: Where a milestone or an invoice stands (payments.invoices).
STATUSES = (
    invoices.SCHEDULED,
    invoices.OPEN,
    invoices.OVERDUE,
    invoices.PAID,
    invoices.CANCELLED,
    invoices.REFUND_DUE,
    invoices.REFUNDED,
)


class MilestoneOut(BaseModel):
    """One payment of the schedule: its share, when it falls due and what is paid of it."""

    position: int
    label: str
    share_percent: str = Field(examples=["30"])
    #: The event it hangs on (order, shipment, delivery) and the days after it.
    event: str
    days: int
    amount: MoneyOut
    paid: MoneyOut
    refunded: MoneyOut
    #: What is still owed of it (nothing once the order was cancelled).
    outstanding: MoneyOut
    #: Null until the event it hangs on happened.
    due_on: date | None
    status: str = Field(
        description="scheduled (no due date yet), open, overdue, paid; for a cancelled "
        "order: cancelled, refund_due or refunded."
    )
    #: The invoice it became once it fell due.
    invoice_number: str | None
    #: Its share of the order's VAT by rate (empty for an order placed before VAT was kept).
    vat: list[VatRateOut]


class ScheduleOut(BaseModel):
    """An order's payment schedule, as the buyer's order page shows it."""

    order_number: str
    order_status: str
    total: MoneyOut
    #: The order was cancelled: nothing of the schedule is owed; money received goes back.
    is_void: bool
    milestones: list[MilestoneOut]


class InvoiceQuery(PageQuery):
    status: Literal[invoices.FILTERS] | None = Field(
        None, description="open (not paid in full, overdue ones too), overdue or paid."
    )


class FapiaoOut(BaseModel):
    """A fapiao finance issued on the invoice."""

    number: str
    issued_on: date
    fapiao_type: str
    amount: MoneyOut
    status: str


class InvoiceOut(BaseModel):
    """An invoice: a milestone of an order that fell due, paid quoting its number."""

    number: str
    order_number: str
    po_number: str
    label: str
    issued_on: date
    due_on: date
    #: The first day it counts as overdue, when it is.
    overdue_since: date | None
    status: str = Field(
        description="open, overdue, paid; for a cancelled order: cancelled, refund_due or refunded."
    )
    amount: MoneyOut
    paid: MoneyOut
    refunded: MoneyOut
    outstanding: MoneyOut
    #: Its net, VAT by rate and gross (null for an order placed before VAT was kept).
    vat: VatOut | None
    fapiao: list[FapiaoOut]


class InvoicePage(pagination.Page[InvoiceOut]):
    pass


def _share(value) -> str:
    return f"{value.normalize():f}"


def _milestone(m: Milestone, order, today: date, parts: dict) -> MilestoneOut:
    currency = m.currency
    row = invoices.InvoiceRow(m, order, invoices.schedule_status(m, order, today))
    return MilestoneOut(
        position=m.position,
        label=term_text(m.label),
        share_percent=_share(m.share_percent),
        event=m.event,
        days=m.days,
        amount=money(m.amount, currency),
        paid=money(m.paid_amount, currency),
        refunded=money(m.refunded_amount, currency),
        outstanding=money(row.open.amount, currency),
        due_on=m.due_on,
        status=row.status,
        invoice_number=row.number if m.invoiced_on is not None else None,
        vat=vat_rates(parts.get(m.id, [])),
    )


def _fapiao(issued) -> list[FapiaoOut]:
    return [
        FapiaoOut(
            number=f.number,
            issued_on=f.issued_on,
            fapiao_type=f.fapiao_type,
            amount=money(f.amount, f.currency),
            status=f.status,
        )
        for f in issued
    ]


def invoice_out(row: invoices.InvoiceRow, issued) -> InvoiceOut:
    m, currency = row.milestone, row.milestone.currency
    return InvoiceOut(
        number=row.number,
        order_number=row.order.number,
        po_number=row.order.po_number or "",
        label=term_text(m.label),
        issued_on=m.invoiced_on,
        due_on=m.due_on,
        overdue_since=row.overdue_since,
        status=row.status,
        amount=money(m.amount, currency),
        paid=money(m.paid_amount, currency),
        refunded=money(m.refunded_amount, currency),
        outstanding=money(row.open.amount, currency),
        vat=vat_out(row.vat),
        fapiao=_fapiao(issued),
    )


# --- operations ---


@bp.get("/orders/<number>/schedule")
@operation(summary=_l("An order's payment schedule"), tag=TAG, response=ScheduleOut)
def order_schedule(number):
    """The order's payment schedule, as its page shows it: each milestone's share, amount and
    VAT, when it falls due (null until the event it hangs on), what is paid and still owed,
    and the invoice it became. Another account's order is a 404."""
    account = caller_account()
    order = ordering_queries.order_or_404(number, account_id=account.id, with_details=True)
    today = today_for(account)
    parts = order.vat_by_milestone()
    return ScheduleOut(
        order_number=order.number,
        order_status=order.status,
        total=money(order.total_amount, order.currency),
        is_void=order.status == "cancelled",
        milestones=[_milestone(m, order, today, parts) for m in order.milestones],
    )


@bp.get("/invoices")
@operation(summary=_l("The account's invoices"), tag=TAG, query=InvoiceQuery, response=InvoicePage)
def list_invoices(query: InvoiceQuery):
    """The account's invoices, newest first, filtered as the invoices page filters them: open
    (not paid in full, overdue ones included), overdue or paid."""
    account = caller_account()
    today = today_for(account)
    statement = invoices.invoices_of(account.id, today, query.status)
    found, cursor = pagination.page_of(statement, Milestone.id, query)
    issued = fapiao_queries.fapiao_of(m.id for m in found)
    return InvoicePage(
        data=[invoice_out(invoices.invoice_row(m, today), issued.get(m.id, [])) for m in found],
        next_cursor=cursor,
    )


@bp.get("/invoices/<invoice_number>")
@operation(summary=_l("An invoice"), tag=TAG, response=InvoiceOut)
def show_invoice(invoice_number):
    """The invoice as its page shows it: numbers, dates, net, VAT by rate and gross, what is
    paid and outstanding, and the fapiao issued on it."""
    account = caller_account()
    milestone = invoices.invoice_or_404(invoice_number, account_id=account.id)
    document = documents.invoice_document(milestone)
    return invoice_out(document["invoice"], document["fapiao"].issued)


@bp.get("/invoices/<invoice_number>/pdf")
@operation(summary=_l("An invoice as a PDF"), tag=TAG, media=documents.PDF)
def invoice_pdf(invoice_number):
    """The same PDF the invoice page downloads."""
    account = caller_account()
    milestone = invoices.invoice_or_404(invoice_number, account_id=account.id)
    response = Response(documents.invoice_pdf(milestone), mimetype=documents.PDF)
    response.headers["Content-Disposition"] = content_disposition(
        documents.invoice_filename(invoice_number)
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
