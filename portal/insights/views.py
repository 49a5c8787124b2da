"""The key-account insights pages: the dashboard (charts and the account table) and its
exports. Reads in insights.queries and insights.charts; the account pages and settings join this
blueprint from insights.account_views, the KPI and forecast pages from insights.kpi_views, both
imported by register_blueprints."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from portal.core.access import restricted
from portal.core.exports import table_response
from portal.insights import charts, queries
from portal.insights.tables import ACCOUNT_COLUMNS, SORT_LABELS, account_cells

bp = Blueprint("insights", __name__)

TABLES = ("accounts", *charts.CHARTS)
FORMATS = ("csv", "xlsx")

# --- staff: the dashboard ---
#   GET  /staff/insights                            dashboard      INSIGHT_READERS
#   GET  /staff/insights/<table>.<file_format>      export_table   INSIGHT_READERS
# The table is `accounts` (the account table, with the dashboard's filters and order:
# ?stage=&platinum=1&at_risk=1&team=&rep=&q=&sort=&dir=) or a chart's (charts.CHARTS); the
# format csv or xlsx.


@bp.get("/staff/insights")
@restricted
def dashboard():
    filters = queries.filters_from(request.args)
    return render_template(
        "insights/dashboard.html",
        board=charts.dashboard(),
        filters=filters,
        table=queries.account_page(filters),
        choices=queries.filter_choices(),
        stages=charts.STAGE_LABELS,
        sort_labels=SORT_LABELS,
        tables=TABLES,
    )


@bp.get("/staff/insights/<table>.<file_format>")
@restricted
def export_table(table, file_format):
    if table not in TABLES or file_format not in FORMATS:
        abort(404)
    if table == "accounts":
        filters = queries.filters_from(request.args)
        rows = [account_cells(row) for row in queries.all_account_rows(filters)]
        return table_response(file_format, "accounts", _("Accounts"), ACCOUNT_COLUMNS, rows)
    chart = charts.dashboard(only=table).chart(table)
    return table_response(
        file_format, table.replace("_", "-"), chart.title, chart.columns, chart.rows
    )
