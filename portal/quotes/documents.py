"""A quote version as a document (报价单), "as for invoices" (payments.documents): ONE function
builds what it shows (`version_document`), and core.pdf turns the template
(templates/documents/quote.html) into a PDF in the reader's language.

The document names the supplier (tax.supplier), the account and the buyer it is for, the quote
number and version, when it was sent and how long its prices hold, its lines with quantity, unit
price and line total, net, VAT by rate and gross, the non-standard terms and the note, the
payment term of the account's contract, the departments' sign-offs (会签) and the price
approval (价格审批). A buyer reads the versions the buyer sees: their own side's, and the
supplier's once sent; staff read drafts too, marked DRAFT.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from portal.catalog.models import Category, Product
from portal.contracts.models import Contract, PaymentTerm
from portal.contracts.services import today_for
from portal.core.money import Money, quantize
from portal.core.pdf import render_pdf
from portal.extensions import db
from portal.quotes.models import Quote, QuoteLine, QuoteSignOff, QuoteVersion
from portal.tax import services as tax
from portal.tax.models import DEFAULT_TAX_CATEGORY
from portal.tax.supplier import supplier

PDF = "application/pdf"

#: The departments that sign a supplier version off, in the reader's language.
DEPARTMENT_LABELS = {
    "product": _l("Product management"),
    "legal": _l("Legal"),
    "finance": _l("Finance"),
}


@dataclass(frozen=True)
class Figures:
    """A version's lines with their totals (None: a line without a price, such as a buyer's),
    its VAT summary and gross total (None when no line is priced or a rate is missing)."""

    lines: list[tuple[QuoteLine, Money | None]]
    vat: tax.VatSummary | None
    total: Money | None


def version_or_404(number: str, version_number: int, account_id: int | None = None) -> QuoteVersion:
    """Version `version_number` of quote `number` with everything its document shows (two
    statements and one for the lines' products); of `account_id`'s quotes only, when given
    (another account's quote is a 404)."""
    where = [Quote.number == number, QuoteVersion.number == version_number]
    if account_id is not None:
        where.append(Quote.account_id == account_id)
    version = db.session.scalar(
        sa.select(QuoteVersion)
        .join(QuoteVersion.quote)
        .options(
            joinedload(QuoteVersion.quote).options(
                joinedload(Quote.account),
                joinedload(Quote.requested_by),
                joinedload(Quote.assignee),
            ),
            joinedload(QuoteVersion.author),
            joinedload(QuoteVersion.approved_by),
            joinedload(QuoteVersion.accepted_by),
            selectinload(QuoteVersion.lines),
            selectinload(QuoteVersion.sign_offs).joinedload(QuoteSignOff.signed_by),
        )
        .where(*where)
    )
    if version is None:
        abort(404)
    return version


def buyer_sees(version: QuoteVersion) -> bool:
    """Whether the buyer's side may read `version`: their own side's, and a supplier version
    once sent (a draft or one in review is the supplier's business)."""
    return version.side == "buyer" or version.status == "sent"


def version_figures(version: QuoteVersion, currency: str, tax_treatment: str, on: date) -> Figures:
    """Line totals (unit price x quantity, rounded half-up), VAT by rate and gross of a
    version at the rates in force `on` (one query for the rates, one for the lines' tax
    categories)."""
    categories = _tax_categories({line.product_id for line in version.lines if line.product_id})
    lines, taxed = [], []
    rates = tax.rates_on(on)
    missing_rate = False
    for line in version.lines:
        if line.unit_price_amount is None:
            lines.append((line, None))
            continue
        gross = Money(quantize(line.unit_price_amount * line.quantity, currency), currency)
        lines.append((line, gross))
        category = categories.get(line.product_id, DEFAULT_TAX_CATEGORY)
        try:
            taxed.append(tax.tax_line(gross, rates.for_line(tax_treatment, category)))
        except tax.NoRateInForce:
            missing_rate = True
    priced = [total for _, total in lines if total is not None]
    if not priced:
        return Figures(lines, None, None)
    total = sum(priced[1:], priced[0])
    vat = None if missing_rate else tax.summary(taxed, currency)
    return Figures(lines, vat, total)


def _tax_categories(product_ids: set[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    rows = db.session.execute(
        sa.select(Product.id, Category.tax_category)
        .join(Category, Category.id == Product.category_id)
        .where(Product.id.in_(product_ids))
    )
    return dict(rows.all())


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


def version_document(version: QuoteVersion, today: date | None = None) -> dict:
    """The context of templates/documents/quote.html: `version` loaded as `version_or_404`
    loads it. `today` (default: the account's today) dates the VAT rates and whether the
    validity has passed."""
    quote = version.quote
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
        "contract": _contract(account.id),
        "is_draft": version.status != "sent",
        "is_expired": version.valid_until is not None and version.valid_until < today,
        "departments": DEPARTMENT_LABELS,
    }


def version_pdf(version: QuoteVersion, today: date | None = None) -> bytes:
    """The version as a PDF, in the locale in force."""
    return render_pdf("documents/quote.html", **version_document(version, today))


def version_filename(number: str, version_number: int) -> str:
    return f"quote-{number}-v{version_number}.pdf"
