"""Fapiao issued against an invoice, recorded by finance on the staff invoice page (the fapiao
themselves are tax's: tax.fapiao)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.invoice_numbers import invoice_number
from portal.core.money import Money, format_money
from portal.ordering.models import Milestone
from portal.payments import documents, invoices
from portal.payments.views import bp
from portal.tax import fapiao
from portal.tax.fapiao_forms import IssuedFapiaoForm

#   POST      /staff/invoices/<invoice_number>/fapiao  record_fapiao  RECORDERS


def invoice_of(milestone: Milestone) -> fapiao.Invoice:
    """The invoice as tax records fapiao against it."""
    order = milestone.order
    return fapiao.Invoice(
        account_id=milestone.account_id,
        order_id=order.id,
        milestone_id=milestone.id,
        number=invoice_number(order.number, milestone.position),
        amount=Money(milestone.amount, milestone.currency),
        is_cancelled=order.status == "cancelled",
    )


@bp.post("/staff/invoices/<invoice_number>/fapiao")
@restricted
def record_fapiao(invoice_number):
    milestone = invoices.invoice_or_404(invoice_number)
    form = IssuedFapiaoForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            issued = fapiao.record_fapiao(current_user, invoice_of(milestone), form.fapiao())
            flash(
                _(
                    "Fapiao %(number)s of %(amount)s recorded.",
                    number=issued.number,
                    amount=format_money(issued.amount, issued.currency),
                ),
                "success",
            )
            return redirect(url_for(".show_staff_invoice", invoice_number=invoice_number), 303)
        milestone = invoices.invoice_or_404(invoice_number)
    return render_template(
        "payments/invoice.html",
        **documents.invoice_document(milestone),
        is_staff_view=True,
        fapiao_form=form,
    ), 400
