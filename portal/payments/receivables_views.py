"""Finance's receivables page: ageing by account and in total, DSO, the overdue invoices with
their reminders, and the exports. Reads in payments.receivables, files in
payments.receivables_files. The routes join the payments blueprint (views.bp)."""

from flask import render_template, request

from portal.core.access import restricted
from portal.core.exports import csv_response, xlsx_response
from portal.core.inputs import bounded_int
from portal.core.money import CURRENCIES
from portal.payments import receivables, receivables_files
from portal.payments.ageing import BUCKET_LABELS, BUCKET_NAMES
from portal.payments.views import bp

# --- staff: finance's receivables ---
#   GET  /staff/finance/receivables               show_receivables     DESK_VIEWERS
#   GET  /staff/finance/receivables/ageing.csv    export_ageing_csv    DESK_VIEWERS
#   GET  /staff/finance/receivables/ageing.xlsx   export_ageing_xlsx   DESK_VIEWERS
#   GET  /staff/finance/receivables/overdue.csv   export_overdue_csv   DESK_VIEWERS
#   GET  /staff/finance/receivables/overdue.xlsx  export_overdue_xlsx  DESK_VIEWERS
# Each takes the page's filters: ?account=<slug>&currency=<code>&overdue=1&sort=<order>.


@bp.get("/staff/finance/receivables")
@restricted
def show_receivables():
    accounts, filters = _selection()
    return render_template(
        "payments/receivables.html",
        accounts=accounts.all,
        filters=filters,
        currencies=CURRENCIES,
        sorts=receivables.SORTS,
        buckets=BUCKET_NAMES,
        bucket_labels=BUCKET_LABELS,
        dso_days=receivables.DSO_DAYS,
        ageing=receivables.ageing(accounts, filters),
        overdue=receivables.overdue_invoices(
            accounts, filters, request.args.get("page", 1, type=bounded_int)
        ),
    )


@bp.get("/staff/finance/receivables/ageing.csv")
@restricted
def export_ageing_csv():
    ageing = receivables.ageing(*_selection())
    return csv_response(receivables_files.ageing_csv(ageing), "receivables-ageing")


@bp.get("/staff/finance/receivables/ageing.xlsx")
@restricted
def export_ageing_xlsx():
    ageing = receivables.ageing(*_selection())
    return xlsx_response(receivables_files.ageing_xlsx(ageing), "receivables-ageing")


@bp.get("/staff/finance/receivables/overdue.csv")
@restricted
def export_overdue_csv():
    rows = receivables.all_overdue_invoices(*_selection())
    return csv_response(receivables_files.overdue_csv(rows), "receivables-overdue")


@bp.get("/staff/finance/receivables/overdue.xlsx")
@restricted
def export_overdue_xlsx():
    rows = receivables.all_overdue_invoices(*_selection())
    return xlsx_response(receivables_files.overdue_xlsx(rows), "receivables-overdue")


def _selection():
    """The accounts and the page's filters, as the page and each of its exports read them."""
    accounts = receivables.accounts()
    return accounts, receivables.filters_from(request.args, accounts)
