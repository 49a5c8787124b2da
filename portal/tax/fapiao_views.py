"""Fapiao: the account's invoicing details (its customer admin's page and the staff page,
where finance verifies them) and finance's red-letter fapiao. Fapiao issued against an invoice
are recorded on the staff invoice page (payments.fapiao_views)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.queries import account_or_404
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.forms import validated
from portal.core.hooks import subscribe
from portal.core.permissions import require
from portal.core.versioning import Conflict, answer, conflict_seen
from portal.tax import fapiao, fapiao_queries
from portal.tax.fapiao_forms import (
    FapiaoDetailsForm,
    RedLetterForm,
    StaffFapiaoDetailsForm,
    VerifyForm,
)
from portal.tax.fapiao_permissions import (
    can_keep_fapiao_details,
    can_set_fapiao_types,
    can_verify_fapiao_details,
)

bp = Blueprint("fapiao", __name__)

# --- buyer side (a buyer of another account gets 404 from account_or_404) ---
#   GET POST  /a/<slug>/fapiao-details                      edit_details          CUSTOMER_ADMIN
# --- staff ---
#   GET POST  /staff/accounts/<slug>/fapiao-details         staff_edit_details    FAPIAO_KEEPERS
#   POST      /staff/accounts/<slug>/fapiao-details/verify  verify_details        FINANCE
#   GET       /staff/finance/red-letter-fapiao              list_red_letters      FINANCE
#   POST      /staff/fapiao/<fapiao_id>/red-letter          record_red_letter     FINANCE
# The details form carries its version (core.versioning, SECURITY.md 37); a change of a detail
# after finance verified them makes them unverified again (tax.fapiao.save_details).


@bp.route("/a/<slug>/fapiao-details", methods=["GET", "POST"])
@restricted
def edit_details(slug):
    return _details_page(slug, FapiaoDetailsForm, url_for(".edit_details", slug=slug))


@bp.route("/staff/accounts/<slug>/fapiao-details", methods=["GET", "POST"])
@restricted
def staff_edit_details(slug):
    return _details_page(slug, StaffFapiaoDetailsForm, url_for(".staff_edit_details", slug=slug))


def _details_page(slug, form_class, here):
    account = account_or_404(slug)
    require(can_keep_fapiao_details(current_user, account))
    details = fapiao_queries.details_of(account.id)
    form = form_class(obj=details)
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            fapiao.save_details(
                current_user,
                account,
                form.values(),
                form.expected_version(),
                may_set_types=can_set_fapiao_types(current_user),
            )
            flash(_("Fapiao details saved."), "success")
            return redirect(here, 303)
        details = fapiao_queries.details_of(account.id)
        if details is not None:
            conflict = conflict_seen(
                refused,
                form,
                lambda: form_class(formdata=None, obj=details),
                details,
                fapiao.target(account),
            )
    return answer(
        "fapiao/details.html",
        conflict,
        account=account,
        details=details,
        form=form,
        verify_form=VerifyForm(formdata=None, obj=details),
        can_verify=can_verify_fapiao_details(current_user),
        can_set_types=can_set_fapiao_types(current_user),
    )


@bp.post("/staff/accounts/<slug>/fapiao-details/verify")
@restricted
def verify_details(slug):
    account = account_or_404(slug)
    form = VerifyForm()
    with refusal_shown():
        fapiao.verify_details(current_user, account, form.expected_version())
        flash(_("Fapiao details of %(name)s verified.", name=account.name), "success")
    return redirect(url_for(".staff_edit_details", slug=slug), 303)


@bp.get("/staff/finance/red-letter-fapiao")
@restricted
def list_red_letters():
    return render_template(
        "fapiao/red_letters.html",
        rows=fapiao_queries.red_letters_to_issue(),
        form=RedLetterForm(formdata=None),
    )


@bp.post("/staff/fapiao/<int:fapiao_id>/red-letter")
@restricted
def record_red_letter(fapiao_id):
    issued = fapiao_queries.fapiao_or_none(fapiao_id)
    if issued is None:
        abort(404)
    form = RedLetterForm()
    if validated(form, _("Give the red-letter fapiao's number and the day it was issued.")):
        with refusal_shown():
            fapiao.record_red_letter(
                current_user, issued, form.red_letter_number.data, form.red_letter_issued_on.data
            )
            flash(
                _("Red-letter fapiao recorded against fapiao %(number)s.", number=issued.number),
                "success",
            )
    return redirect(url_for(".list_red_letters"), 303)


@bp.record_once
def _subscribe(state):
    """A cancelled order's fapiao need red-letter fapiao (tax.fapiao.ask_for_red_letters)."""
    subscribe(state.app, "order.cancelled", fapiao.ask_for_red_letters)
