"""The finance desk: milestones due and overdue, bank remittances, letters of credit, and the
orders whose release gate is clear."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.contracts.services import today_for
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.csvfiles import csv_download
from portal.core.forms import validated
from portal.core.hooks import subscribe
from portal.core.inputs import bounded_int
from portal.core.money import format_money
from portal.extensions import db
from portal.ordering import permissions as ordering_permissions
from portal.ordering import queries as ordering_queries
from portal.ordering.forms import CreditHoldForm, OrderActionForm
from portal.ordering.models import LetterOfCredit
from portal.payments import cards, documents, invoices, permissions, queries, refunds, services
from portal.payments.forms import (
    PART,
    FinanceFilterForm,
    LetterOfCreditForm,
    RefundSentForm,
    RemittanceForm,
    VoidLetterOfCreditForm,
)
from portal.payments.models import Refund
from portal.tax import fapiao_queries
from portal.tax.fapiao_forms import IssuedFapiaoForm
from portal.tax.fapiao_permissions import can_record_fapiao
from portal.tax.supplier import supplier

bp = Blueprint("payments", __name__)

# --- staff: finance desk ---
#   GET       /staff/finance                           show_finance_desk          DESK_VIEWERS
#   GET POST  /staff/finance/remittances/new?account=  record_remittance          RECORDERS
#   GET POST  /staff/orders/<number>/letter-of-credit  register_letter_of_credit  RECORDERS
#   GET POST  /staff/orders/<number>/letter-of-credit/<letter_id>  amend_letter_of_credit RECORDERS
#   POST /staff/orders/<number>/letter-of-credit/<letter_id>/void  void_letter_of_credit  RECORDERS
#   POST      /staff/finance/refunds/<refund_id>/sent  record_refund_sent         RECORDERS
# Credit hold and release post to ordering.set_credit_hold and ordering.release_order.
# --- buyer: invoices (another account's invoice is a 404) ---
#   GET       /a/<slug>/invoices                       list_invoices              BUYER_ROLES
#   GET       /a/<slug>/invoices.csv                   export_invoices            BUYER_ROLES
#   GET       /a/<slug>/invoices/<invoice_number>      show_invoice               BUYER_ROLES
#   GET       /staff/invoices/<invoice_number>         show_staff_invoice         AMOUNT_READERS
# An invoice is a milestone that fell due (payments.invoices). Joining this blueprint, each with
# its own table: pay by card (card_views.py), invoice and statement PDFs (document_views.py),
# fapiao issued (fapiao_views.py), receivables (receivables_views.py) and bank statements
# (statement_views.py).


@bp.get("/staff/finance")
@restricted
def show_finance_desk():
    form = FinanceFilterForm(request.args, accounts=queries.accounts())
    slug = form.account_slug()
    groups, cut = queries.due_by_account(slug)
    releasable, confirmed = queries.releasable_orders()
    return render_template(
        "payments/desk.html",
        form=form,
        slug=slug,
        groups=groups,
        cut=cut,
        releasable=releasable,
        confirmed=confirmed,
        candidates=queries.RELEASE_CANDIDATES,
        can_record=permissions.can_record_payments(current_user),
        can_release=ordering_permissions.can_release_orders(current_user),
        can_hold=ordering_permissions.can_set_credit_hold(current_user),
        action_form=OrderActionForm(),
        hold_form=CreditHoldForm(),
        flagged=queries.flagged_card_payments(),
        refunds_owed=refunds.refunds_owed(),
        refund_form=RefundSentForm(formdata=None),
    )


@bp.post("/staff/finance/refunds/<int:refund_id>/sent")
@restricted
def record_refund_sent(refund_id):
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        abort(404)
    form = RefundSentForm()
    if validated(form, _("Give the bank's reference and the day the refund was sent.")):
        with refusal_shown():
            refunds.record_bank_refund(current_user, refund, form.reference.data, form.sent_on.data)
            flash(
                _(
                    "Refund of %(amount)s recorded as sent.",
                    amount=format_money(refund.amount, refund.currency),
                ),
                "success",
            )
    return redirect(url_for(".show_finance_desk"), 303)


@bp.route("/staff/finance/remittances/new", methods=["GET", "POST"])
@restricted
def record_remittance():
    slug = request.args.get("account", "")
    if not slug:
        return render_template("payments/choose_account.html", accounts=queries.accounts())
    account = account_queries.account_or_404(slug)
    milestones = queries.open_milestones_of(account)
    form = RemittanceForm(milestones=milestones)
    if form.validate_on_submit():
        with refusal_shown(form):
            payment = services.record_remittance(current_user, account, form.remittance())
            flash(
                _(
                    "Transfer %(reference)s of %(amount)s from %(name)s recorded.",
                    reference=payment.reference,
                    amount=format_money(payment.amount, payment.currency),
                    name=account.name,
                ),
                "success",
            )
            return redirect(url_for(".show_finance_desk", account=account.slug), 303)
        # Refused: what the page shows is read again after the rollback.
        milestones = queries.open_milestones_of(account)
    return render_template(
        "payments/remittance_form.html",
        account=account,
        milestones=milestones,
        form=form,
        part=PART,
    )


@bp.route("/staff/orders/<number>/letter-of-credit", methods=["GET", "POST"])
@restricted
def register_letter_of_credit(number):
    order = ordering_queries.order_or_404(number, with_details=True)
    back = redirect(
        url_for("ordering.show_staff_order", number=order.number),
        303 if request.method == "POST" else 302,
    )
    if (refusal := services.letter_of_credit_refusal(order)) is not None:
        flash(refusal, "danger")
        return back
    form = LetterOfCreditForm()
    if request.method == "GET":
        form.currency.data = order.currency
    elif form.validate_on_submit():
        with refusal_shown(form):
            letter = services.register_letter_of_credit(current_user, order, form.details())
            _flash_coverage(
                _(
                    "Letter of credit %(number)s registered for order %(order)s.",
                    number=letter.number,
                    order=order.number,
                ),
                services.letter_of_credit_shortfalls(order, letter),
            )
            return back
        # Refused: what the page shows is read again after the rollback.
        order = ordering_queries.order_or_404(number, with_details=True)
    return render_template("payments/letter_of_credit_form.html", order=order, form=form)


def _flash_coverage(done: str, shortfalls: list[str]) -> None:
    if shortfalls:
        flash(
            done + " " + _("It does not cover the order:") + " " + " ".join(shortfalls), "warning"
        )
    else:
        flash(done, "success")


def _letter_or_404(number: str, letter_id: int):
    order = ordering_queries.order_or_404(number, with_details=True)
    letter = db.session.get(LetterOfCredit, letter_id)
    if letter is None or letter.order_id != order.id:
        abort(404)
    return order, letter


@bp.route("/staff/orders/<number>/letter-of-credit/<int:letter_id>", methods=["GET", "POST"])
@restricted
def amend_letter_of_credit(number, letter_id):
    order, letter = _letter_or_404(number, letter_id)
    back = url_for("ordering.show_staff_order", number=order.number)
    form = LetterOfCreditForm(obj=letter if request.method == "GET" else None)
    if request.method == "GET":
        form.amount.data = f"{letter.amount:f}"
    elif form.validate_on_submit():
        with refusal_shown(form):
            shortfalls = services.amend_letter_of_credit(
                current_user, order, letter, form.details()
            )
            _flash_coverage(
                _("Letter of credit %(number)s amended.", number=letter.number), shortfalls
            )
            return redirect(back, 303)
        order, letter = _letter_or_404(number, letter_id)
    return render_template(
        "payments/letter_of_credit_form.html", order=order, form=form, letter=letter
    )


@bp.post("/staff/orders/<number>/letter-of-credit/<int:letter_id>/void")
@restricted
def void_letter_of_credit(number, letter_id):
    order, letter = _letter_or_404(number, letter_id)
    form = VoidLetterOfCreditForm()
    if validated(form, _("Say why the letter of credit is void, in at most 2000 characters.")):
        with refusal_shown():
            services.void_letter_of_credit(current_user, order, letter, form.reason.data)
            flash(_("Letter of credit %(number)s is void.", number=letter.number), "success")
    return redirect(url_for("ordering.show_staff_order", number=order.number), 303)


@bp.get("/a/<slug>/invoices")
@restricted
def list_invoices(slug):
    account = account_queries.account_or_404(slug)
    status = request.args.get("status")
    status = status if status in invoices.FILTERS else None
    today = today_for(account)
    statement = invoices.statement(
        account, today, status=status, page=request.args.get("page", 1, type=bounded_int)
    )
    return render_template(
        "payments/invoices.html",
        account=account,
        statement=statement,
        status=status,
        filters=invoices.FILTERS,
        ageing=documents.ageing(account, today),
        ageing_columns=documents.AGEING_COLUMNS,
        payee=supplier(),
        pay_links=cards.card_payment_links(
            None,
            (row.milestone for row in statement.page.items if row.status in ("open", "overdue")),
        ),
        fapiao=fapiao_queries.fapiao_of(row.milestone.id for row in statement.page.items),
    )


@bp.get("/a/<slug>/invoices.csv")
@restricted
def export_invoices(slug):
    account = account_queries.account_or_404(slug)
    rows = invoices.all_invoices(account, today_for(account), request.args.get("status"))
    filename = f"{account.slug}-statement-{today_for(account).isoformat()}.csv"
    return csv_download(invoices.statement_csv(rows), filename)


@bp.get("/a/<slug>/invoices/<invoice_number>")
@restricted
def show_invoice(slug, invoice_number):
    account = account_queries.account_or_404(slug)
    milestone = invoices.invoice_or_404(invoice_number, account_id=account.id)
    return render_template(
        "payments/invoice.html", **documents.invoice_document(milestone), is_staff_view=False
    )


@bp.get("/staff/invoices/<invoice_number>")
@restricted
def show_staff_invoice(invoice_number):
    milestone = invoices.invoice_or_404(invoice_number)
    document = documents.invoice_document(milestone)
    fapiao_form = None
    if can_record_fapiao(current_user):
        fapiao_form = IssuedFapiaoForm.for_invoice(
            document["fapiao"].issued,
            milestone.amount,
            milestone.currency,
            milestone.order.fapiao_type,
        )
    return render_template(
        "payments/invoice.html", **document, is_staff_view=True, fapiao_form=fapiao_form
    )


@bp.record_once
def _subscribe(state):
    """Money received for an order that ordering cancels goes back (payments.refunds)."""
    subscribe(state.app, "order.cancelled", refunds.start_refunds)
    subscribe(state.app, "order.committed", refunds.on_order_committed)
