"""Invoices and the account statement as PDF, for the buyer and for staff. The routes join the
payments blueprint (views.bp); what a document shows is built in payments.documents, the same
for the page and the PDF."""

from flask import Response

from portal.accounts import queries as account_queries
from portal.contracts.services import today_for
from portal.core.access import restricted
from portal.core.pdf import content_disposition
from portal.payments import documents, invoices
from portal.payments.views import bp

# --- buyer: documents of their own account (another account's are a 404) ---
#   GET  /a/<slug>/invoices/<invoice_number>.pdf   download_invoice_pdf           BUYER_ROLES
#   GET  /a/<slug>/statement.pdf          download_statement_pdf         BUYER_ROLES
# --- staff ---
#   GET  /staff/invoices/<invoice_number>.pdf      download_staff_invoice_pdf     AMOUNT_READERS
#   GET  /staff/accounts/<slug>/statement.pdf      download_staff_statement_pdf   STATEMENT_READERS


def pdf_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype=documents.PDF)
    response.headers["Content-Disposition"] = content_disposition(filename)
    # A document says what an account owes: no shared cache keeps it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/a/<slug>/invoices/<invoice_number>.pdf")
@restricted
def download_invoice_pdf(slug, invoice_number):
    account = account_queries.account_or_404(slug)
    milestone = invoices.invoice_or_404(invoice_number, account_id=account.id)
    return pdf_response(
        documents.invoice_pdf(milestone), documents.invoice_filename(invoice_number)
    )


@bp.get("/a/<slug>/statement.pdf")
@restricted
def download_statement_pdf(slug):
    account = account_queries.account_or_404(slug)
    return _statement_response(account)


@bp.get("/staff/invoices/<invoice_number>.pdf")
@restricted
def download_staff_invoice_pdf(invoice_number):
    milestone = invoices.invoice_or_404(invoice_number)
    return pdf_response(
        documents.invoice_pdf(milestone), documents.invoice_filename(invoice_number)
    )


@bp.get("/staff/accounts/<slug>/statement.pdf")
@restricted
def download_staff_statement_pdf(slug):
    account = account_queries.account_or_404(slug)
    return _statement_response(account)


def _statement_response(account) -> Response:
    """The account's statement as of its today, as a PDF download."""
    today = today_for(account)
    return pdf_response(
        documents.statement_pdf(account, today), documents.statement_filename(account, today)
    )
