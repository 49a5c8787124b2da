"""Bank statements on the finance desk: upload the bank's statement, see what it paid, and
decide the lines that wait in the queue. The routes join the payments blueprint (views.bp)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.forms import validated
from portal.payments import permissions, queries, statement_queries, statement_services
from portal.payments.forms import PART, FinanceFilterForm
from portal.payments.statement_forms import (
    COLUMN_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    AssignLineForm,
    ReturnLineForm,
    StatementUploadForm,
)
from portal.payments.statements import ColumnMapping
from portal.payments.views import bp

# --- staff: bank statements ---
#   GET   /staff/finance/statements                         show_bank_statements   DESK_VIEWERS
#   POST  /staff/finance/statements                         upload_bank_statement  RECORDERS
#   GET   /staff/finance/statements/lines/<line_id>         show_bank_line         RECORDERS
#   POST  /staff/finance/statements/lines/<line_id>/assign  assign_bank_line       RECORDERS
#   POST  /staff/finance/statements/lines/<line_id>/return  return_bank_line       RECORDERS


def _statements_page(form: StatementUploadForm):
    lines, waiting = statement_queries.queued_lines()
    return render_template(
        "payments/bank_statements.html",
        form=form,
        labels=COLUMN_LABELS,
        lines=lines,
        waiting=waiting,
        statements=statement_queries.recent_statements(),
        can_record=permissions.can_record_payments(current_user),
        reasons=REASON_LABELS,
    )


@bp.get("/staff/finance/statements")
@restricted
def show_bank_statements():
    return _statements_page(StatementUploadForm(mappings=statement_queries.mappings()))


@bp.post("/staff/finance/statements")
@restricted
def upload_bank_statement():
    form = StatementUploadForm(mappings=statement_queries.mappings())
    if form.validate_on_submit():
        with refusal_shown(form):
            result = statement_services.upload_statement(
                current_user,
                form.file.data.filename or "",
                form.file.data.read(),
                _mapping(form),
            )
            _flash_result(result)
            return redirect(url_for(".show_bank_statements"), 303)
    return _statements_page(form), 422


def _mapping(form: StatementUploadForm) -> ColumnMapping | None:
    """The columns given now (saved under the name given), else the saved mapping chosen."""
    columns = form.columns()
    if columns["date"] or columns["amount"] or form.mapping_name.data:
        if form.mapping_name.data:
            statement_services.save_mapping(
                current_user, form.mapping_name.data, columns, form.currency.data or ""
            )
        return ColumnMapping(
            date=columns["date"],
            amount=columns["amount"],
            currency_column=columns["currency"],
            reference=columns["reference"],
            payer=columns["payer"],
            bank_reference=columns["bank_reference"],
            currency=form.currency.data or "",
        )
    saved = statement_queries.mapping_named(form.mapping.data or "")
    return statement_services.mapping_of(saved)


def _flash_result(result) -> None:
    if result.statement is None:
        flash(
            _(
                "Every credit line of this statement was uploaded before: nothing changed "
                "(lines uploaded before: %(repeated)d; debit lines ignored: %(debits)d).",
                repeated=result.duplicates,
                debits=result.debits,
            ),
            "info",
        )
        return
    flash(
        _(
            "Statement read. New credit lines: %(new)d; paid: %(applied)d; in the queue: "
            "%(queued)d; uploaded before: %(repeated)d; debit lines ignored: %(debits)d.",
            new=result.new,
            applied=result.applied,
            queued=result.queued,
            repeated=result.duplicates,
            debits=result.debits,
        ),
        "success",
    )


@bp.get("/staff/finance/statements/lines/<int:line_id>")
@restricted
def show_bank_line(line_id):
    return _line_page(line_id, request.args.get("account", ""))


def _line_page(line_id, slug, assign_form=None, return_form=None, status=200):
    line = statement_queries.line_or_404(line_id)
    accounts = queries.accounts()
    chooser = FinanceFilterForm(request.args, accounts=accounts)
    account = account_queries.account_or_404(slug) if slug else None
    milestones = queries.open_milestones_of(account) if account is not None else []
    return (
        render_template(
            "payments/bank_line.html",
            line=line,
            chooser=chooser,
            account=account,
            milestones=milestones,
            assign_form=assign_form or AssignLineForm(formdata=None, milestones=milestones),
            return_form=return_form or ReturnLineForm(formdata=None),
            part=PART,
            reasons=REASON_LABELS,
            statuses=STATUS_LABELS,
        ),
        status,
    )


@bp.post("/staff/finance/statements/lines/<int:line_id>/assign")
@restricted
def assign_bank_line(line_id):
    line = statement_queries.line_or_404(line_id)
    slug = request.args.get("account", "")
    account = account_queries.account_or_404(slug) if slug else None
    if account is None:
        flash(_("Choose the account the transfer came from."), "danger")
        return redirect(url_for(".show_bank_line", line_id=line.id), 303)
    form = AssignLineForm(milestones=queries.open_milestones_of(account))
    if form.validate_on_submit():
        with refusal_shown(form):
            statement_services.assign_line(
                current_user, line.id, account, dict(form.parts), form.note.data or ""
            )
            flash(
                _("The line is recorded as a transfer from %(name)s.", name=account.name),
                "success",
            )
            return redirect(url_for(".show_bank_statements"), 303)
    return _line_page(line.id, account.slug, assign_form=form, status=422)


@bp.post("/staff/finance/statements/lines/<int:line_id>/return")
@restricted
def return_bank_line(line_id):
    line = statement_queries.line_or_404(line_id)
    form = ReturnLineForm()
    if validated(form, _("Say why and how the money goes back, in at most 2000 characters.")):
        with refusal_shown():
            statement_services.return_line(current_user, line.id, form.note.data)
            flash(_("The line is marked as returned to the payer."), "success")
            return redirect(url_for(".show_bank_statements"), 303)
    return redirect(url_for(".show_bank_line", line_id=line.id), 303)
