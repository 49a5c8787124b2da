"""The KPI and forecast tables as core.exports tables (columns, rows), for the CSV and XLSX
downloads: the same figures as the pages, amounts in the reporting currency."""

from flask_babel import lazy_gettext as _l

from portal.core.permissions import role_label
from portal.insights import stages
from portal.insights.forecast import Forecast
from portal.insights.kpis import Kpis, RepRow, TeamRow
from portal.insights.periods import cents

STAGE_LABELS = {**stages.STAGE_LABELS, None: _l("Not staged yet")}
KPI_TABLES = ("reps", "teams", "coverage")
FORECAST_TABLES = ("quarters", "backtest")

_FIGURES = [
    ("sales", _l("Sales"), "money"),
    ("orders", _l("Orders"), "int"),
    ("margin_percent", _l("Margin %"), "percent"),
    ("costed_percent", _l("Sales with known cost %"), "percent"),
    ("quotes_won", _l("Quotes won"), "int"),
    ("quotes_lost", _l("Quotes lost"), "int"),
    ("win_rate_percent", _l("Quote win rate %"), "percent"),
    ("hotline_due", _l("Hotline deadlines"), "int"),
    ("hotline_met", _l("Hotline deadlines met"), "int"),
    ("hotline_met_percent", _l("Hotline deadlines met %"), "percent"),
    ("care_due", _l("Care tasks due"), "int"),
    ("care_on_time", _l("Care tasks on time"), "int"),
    ("care_on_time_percent", _l("Care tasks on time %"), "percent"),
    ("survey_count", _l("Survey answers"), "int"),
    ("survey_average", _l("Survey average (1-5)"), "percent"),
]


def stage_label(stage: str | None) -> str:
    return str(STAGE_LABELS[stage])


def _figures(row: RepRow | TeamRow) -> list:
    sales, act = row.sales, row.activity
    return [
        cents(sales.net),
        sales.orders,
        sales.margin_percent,
        sales.costed_percent,
        act.quotes_won,
        act.quotes_lost,
        act.win_rate_percent,
        act.hotline_due,
        act.hotline_met,
        act.hotline_met_percent,
        act.care_due,
        act.care_on_time,
        act.care_on_time_percent,
        act.survey_count,
        act.survey_average,
    ]


def kpi_table(kpis: Kpis, table: str):
    """(title, columns, rows) of one of KPI_TABLES."""
    currency = kpis.currency
    if table == "reps":
        columns = [
            ("name", _l("Rep"), "text"),
            ("email", _l("E-mail"), "text"),
            ("role", _l("Role"), "text"),
            ("team", _l("Team"), "text"),
            ("accounts_inside", _l("Accounts as inside sales"), "int"),
            ("accounts_field", _l("Accounts as field sales"), "int"),
            *_FIGURES,
        ]
        rows = [
            (
                [
                    r.user.name,
                    r.user.email,
                    role_label(r.user.role),
                    r.team_name or "",
                    r.inside_accounts,
                    r.field_accounts,
                    *_figures(r),
                ],
                currency,
            )
            for r in kpis.reps
        ]
        return _l("KPIs per rep"), columns, rows
    if table == "teams":
        columns = [
            ("team", _l("Team"), "text"),
            ("reps", _l("Reps"), "int"),
            *_FIGURES,
        ]
        rows = [
            ([t.team.name if t.team else str(_l("No team")), t.members, *_figures(t)], currency)
            for t in kpis.teams
        ]
        return _l("KPIs per team"), columns, rows
    columns = [
        ("stage", _l("Stage"), "text"),
        ("accounts", _l("Accounts"), "int"),
        ("inside_sales_reps", _l("Inside-sales reps"), "int"),
        ("accounts_per_inside_sales_rep", _l("Accounts per inside-sales rep"), "percent"),
        ("without_inside_sales_rep", _l("Accounts without inside-sales rep"), "int"),
        ("field_sales_reps", _l("Field-sales reps"), "int"),
        ("accounts_per_field_sales_rep", _l("Accounts per field-sales rep"), "percent"),
        ("without_field_sales_rep", _l("Accounts without field-sales rep"), "int"),
    ]
    rows = [
        (
            [
                stage_label(c.stage),
                c.accounts,
                c.inside_reps,
                c.per_inside_rep,
                c.without_inside,
                c.field_reps,
                c.per_field_rep,
                c.without_field,
            ],
            currency,
        )
        for c in kpis.coverage
    ]
    return _l("Coverage by stage"), columns, rows


def forecast_table(made: Forecast, table: str):
    """(title, columns, rows) of one of FORECAST_TABLES."""
    currency = made.currency
    if table == "quarters":
        columns = [
            ("quarter", _l("Quarter"), "text"),
            ("from_history", _l("From history"), "money"),
            ("weighted_pipeline", _l("Weighted pipeline"), "money"),
            ("leads", _l("Leads counted"), "int"),
            ("total", _l("Forecast"), "money"),
        ]
        rows = [
            ([q.name, q.from_history, q.pipeline, q.leads, q.total], currency)
            for q in made.quarters
        ]
        return _l("Forecast"), columns, rows
    columns = [
        ("quarter", _l("Quarter"), "text"),
        ("forecast", _l("Forecast"), "money"),
        ("actual", _l("Actual"), "money"),
        ("error", _l("Error"), "money"),
        ("absolute_error_percent", _l("Absolute error %"), "percent"),
    ]
    rows = [
        ([r.name, r.forecast, r.actual, r.error, r.error_percent], currency)
        for r in made.backtest.rows
    ]
    return _l("Back-test"), columns, rows
