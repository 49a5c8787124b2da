"""A quote version as a PDF (报价单), for the buyer and for staff: what it shows is built in
quotes.documents. A buyer downloads their own side's versions and the supplier's once sent (a
draft or one in review is a 404, as is another account's quote); staff who see prices
download every version, drafts marked DRAFT."""

from flask import Blueprint, Response, abort

from portal.accounts import queries as account_queries
from portal.core.access import restricted
from portal.core.pdf import content_disposition
from portal.quotes import documents

bp = Blueprint("quote_documents", __name__)

# --- buyer: versions of their own account's quotes (another account's are a 404) ---
#   GET  /a/<slug>/quotes/<quote_number>/v<int:version>.pdf  download_quote_pdf  BUYER_ROLES
# --- staff ---
#   GET  /staff/quotes/<quote_number>/v<int:version>.pdf  download_staff_quote_pdf  AMOUNT_READERS


def pdf_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype=documents.PDF)
    response.headers["Content-Disposition"] = content_disposition(filename)
    # A quote names negotiated prices: no shared cache keeps it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/a/<slug>/quotes/<quote_number>/v<int:version>.pdf")
@restricted
def download_quote_pdf(slug, quote_number, version):
    account = account_queries.account_or_404(slug)
    quote, found = documents.version_or_404(quote_number, version, account_id=account.id)
    if not documents.buyer_sees(found):
        abort(404)
    return _pdf(quote, found, for_staff=False)


@bp.get("/staff/quotes/<quote_number>/v<int:version>.pdf")
@restricted
def download_staff_quote_pdf(quote_number, version):
    return _pdf(*documents.version_or_404(quote_number, version), for_staff=True)


def _pdf(quote, version, *, for_staff: bool) -> Response:
    return pdf_response(
        documents.version_pdf(quote, version, for_staff=for_staff),
        documents.version_filename(quote.number, version.number),
    )
