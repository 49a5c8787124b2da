"""A quote version as a document (报价单), "as for invoices" (payments.documents): ONE function
builds what it shows (`version_document`), and core.pdf turns the template
(templates/documents/quote.html) into a PDF in the reader's language.

The document names the supplier (tax.supplier), the account and the buyer it is for, the quote
number and version, when it was sent and how long its prices hold, its lines with quantity, unit
price and line total, net, VAT by rate and gross (quotes.figures), the non-standard terms and
the note, the payment term of the account's contract, the departments' sign-offs (会签) and the
price approval (价格审批). A buyer reads the versions the buyer sees: their own side's, and the
supplier's once sent; staff read drafts too, marked DRAFT.
"""

from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.contracts.models import Contract, PaymentTerm
from portal.contracts.services import today_for
from portal.core.pdf import render_pdf
from portal.extensions import db
from portal.quotes import queries
from portal.quotes.figures import version_figures
from portal.quotes.labels import DEPARTMENT_LABELS
from portal.quotes.models import Quote, QuoteVersion
from portal.tax.supplier import supplier

PDF = "application/pdf"


def version_or_404(
    number: str, version_number: int, account_id: int | None = None
) -> tuple[Quote, QuoteVersion]:
    """Quote `number`, loaded whole (queries), and its version `version_number`; of
    `account_id`'s quotes only, when given (another account's quote is a 404)."""
    if account_id is None:
        quote = queries.quote_by_number(number)
    else:
        quote = queries.quote_of_account(account_id, number)
    version = next(
        (v for v in (quote.versions if quote else ()) if v.number == version_number), None
    )
    if version is None:
        abort(404)
    return quote, version


def buyer_sees(version: QuoteVersion) -> bool:
    """Whether the buyer's side may read `version`: their own side's, and a supplier version
    once sent (a draft or one in review is the supplier's business)."""
    return version.side == "buyer" or version.status == "sent"


def _contract(account_id: int) -> Contract | None:
    """The account's active contract with its payment term's milestones (what the quote's
    order would be paid by)."""
    return db.session.scalar(
        sa.select(Contract)
        .options(joinedload(Contract.payment_term).selectinload(PaymentTerm.milestones))
        .where(Contract.account_id == account_id, Contract.status == "active")
        .order_by(Contract.valid_from.desc())
        .limit(1)
    )


def version_document(
    quote: Quote, version: QuoteVersion, today: date | None = None, *, for_staff: bool = False
) -> dict:
    """The context of templates/documents/quote.html: `quote` and its `version` as
    `version_or_404` loads them (one query more here: the contract and its payment term).
    `today` (default: the account's today) dates the VAT rates and whether the validity has
    passed. The price approval, and how far below list it went, is for staff only (`for_staff`):
    the buyer's copy names the departments' sign-offs."""
    account = quote.account
    today = today or today_for(account)
    figures = version_figures(version, quote.currency, account.tax_treatment, today)
    return {
        "supplier": supplier(),
        "account": account,
        "quote": quote,
        "version": version,
        "buyer": quote.requested_by,
        "rep": quote.assignee or version.author,
        "figures": figures,
        # The deepest discount below list of a line priced under its contract price, to one
        # decimal (what the price approval was for); None when no line is.
        "depth": max(
            (f.depth for f in figures.lines if f.is_below_contract and f.depth is not None),
            default=None,
        ),
        "contract": _contract(account.id),
        "is_draft": version.status != "sent",
        "is_expired": version.valid_until is not None and version.valid_until < today,
        "departments": DEPARTMENT_LABELS,
        "for_staff": for_staff,
    }


def version_pdf(
    quote: Quote, version: QuoteVersion, today: date | None = None, *, for_staff: bool = False
) -> bytes:
    """The version as a PDF, in the locale in force."""
    return render_pdf(
        "documents/quote.html", **version_document(quote, version, today, for_staff=for_staff)
    )


def version_filename(number: str, version_number: int) -> str:
    return f"quote-{number}-v{version_number}.pdf"
