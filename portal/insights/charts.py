"""The dashboard's charts, each as the data Chart.js draws (static/js/insights.js reads it as
JSON from the canvas's data-chart-data attribute) and as a table (shown below the chart, and
exported as CSV or XLSX): one `Chart` per name in CHARTS, built from the reads of
insights.queries.

Amounts of accounts in different currencies are added up in the reporting currency, at the
rate the worker's own ranking used for each currency (its T12M in the reporting currency over
its T12M in its own); a currency without that rate is left out of the chart, and the page
says so."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.core.dates import format_month
from portal.core.money import quantize
from portal.hotline.models import LEAD_STATUSES
from portal.insights import queries
from portal.insights.models import STAGES
from portal.insights.stages import STAGE_LABELS
from portal.pipeline.forms import STAGE_LABELS as PIPELINE_LABELS

#: Every chart of the dashboard, in page order: its name (the table's export URL and the
#: id of its elements).
CHARTS = ("sales_accounts", "sales_teams", "stages", "wallet_share", "deadlines", "pipeline")
#: How many rows of a chart's table the page shows (the export has them all): the wallet share
#: has a row per account with an estimate, thousands of them.
PAGE_ROWS = 25


@dataclass
class Chart:
    """One chart: what Chart.js draws (`spec`) and the same figures as a table."""

    name: str
    title: str
    explanation: str
    #: insights.js's recipe: {"type", "labels", "datasets": [{"label", "data", ...}], ...}
    spec: dict
    #: core.exports columns: (csv name, header, kind).
    columns: list = field(default_factory=list)
    #: core.exports rows: (values, currency of its money cells).
    rows: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rows

    @property
    def page_rows(self) -> list:
        """The rows the page shows; `len(rows) - PAGE_ROWS` more are in the export."""
        return self.rows[:PAGE_ROWS]


@dataclass
class Dashboard:
    as_of: date | None
    currency: str
    #: Currencies whose amounts could not be converted (no T12M to read the rate from).
    unconverted: list[str]
    charts: list[Chart]

    def chart(self, name: str) -> Chart:
        return next(chart for chart in self.charts if chart.name == name)


def dashboard(only: str | None = None) -> Dashboard:
    """Every chart (or only the one named, for its export)."""
    overview = queries.overview()
    currency = queries.reporting_currency()
    unconverted: set[str] = set()
    builders = {
        "sales_accounts": lambda: _sales_charts(overview, currency, unconverted),
        "sales_teams": lambda: _sales_charts(overview, currency, unconverted),
        "stages": lambda: [_stages_chart(currency)],
        "wallet_share": lambda: [_wallet_chart(overview, currency, unconverted)],
        "deadlines": lambda: [_deadlines_chart()],
        "pipeline": lambda: [_pipeline_chart(overview, currency, unconverted)],
    }
    charts: list[Chart] = []
    for name in [only] if only else CHARTS:
        if name not in {chart.name for chart in charts}:
            charts.extend(builders[name]())
    return Dashboard(overview.as_of, currency, sorted(unconverted), charts)


def _convert(amount, from_currency, overview, currency, unconverted) -> Decimal | None:
    rate = overview.rates.get(from_currency)
    if rate is None:
        unconverted.add(from_currency)
        return None
    return quantize(Decimal(amount) * rate, currency)


def chart_months(as_of: date | None) -> list[date]:
    """The complete months before `as_of`'s month, oldest first (queries.MONTHS of them)."""
    if as_of is None:
        return []
    index = as_of.year * 12 + as_of.month - 1  # as_of's month, counted from year 0
    return [
        date((index - back) // 12, (index - back) % 12 + 1, 1)
        for back in range(queries.MONTHS, 0, -1)
    ]


def _sales_charts(overview, currency, unconverted) -> list[Chart]:
    months = chart_months(overview.as_of)
    top = queries.top_accounts()
    rows = queries.monthly_sales(months[0], months[-1], [a.id for a in top]) if months else []
    teams = queries.team_names() if rows else {}
    by_account: dict[tuple, Decimal] = {}
    by_team: dict[tuple, Decimal] = {}
    for month, row_currency, bucket, team_id, amount in rows:
        converted = _convert(amount, row_currency, overview, currency, unconverted)
        if converted is None:
            continue
        by_account[month, bucket] = by_account.get((month, bucket), Decimal(0)) + converted
        by_team[month, team_id] = by_team.get((month, team_id), Decimal(0)) + converted
    series = [(a.id, a.name, a.slug) for a in top]
    if any(bucket is None for _month, bucket in by_account):
        series.append((None, _("Other accounts"), "others"))
    team_series = [
        (team_id, teams[team_id], f"team_{team_id}")
        for team_id in sorted({t for _m, t in by_team if t is not None}, key=lambda t: teams[t])
    ]
    if any(team_id is None for _month, team_id in by_team):
        team_series.append((None, _("No team"), "no_team"))
    return [
        _monthly_chart(
            "sales_accounts",
            _("Sales by month, top accounts"),
            ngettext(
                "Net sales per month of the %(num)d account with the best trailing-12-month "
                "sales, the others added up, in %(currency)s.",
                "Net sales per month of the %(num)d accounts with the best trailing-12-month "
                "sales, the others added up, in %(currency)s.",
                queries.TOP_ACCOUNTS,
                currency=currency,
            ),
            months,
            series,
            by_account,
            currency,
            with_total=True,
        ),
        _monthly_chart(
            "sales_teams",
            _("Sales by month per team"),
            _(
                "Net sales per month of each team's accounts (an account's team is its "
                "inside-sales rep's, else its field-sales rep's), in %(currency)s.",
                currency=currency,
            ),
            months,
            team_series,
            by_team,
            currency,
            with_total=True,
        ),
    ]


def _monthly_chart(name, title, explanation, months, series, sums, currency, with_total):
    columns = [("month", _("Month"), "date")]
    columns += [(csv_name, label, "money") for _key, label, csv_name in series]
    if with_total:
        columns.append(("total", _("Total"), "money"))
    rows = []
    if sums:
        for month in months:
            values = [sums.get((month, key), Decimal(0)) for key, _label, _csv in series]
            rows.append(([month, *values, sum(values, Decimal(0))], currency))
    spec = {
        "type": "bar",
        "stacked": True,
        "value": "money",
        "currency": currency,
        "labels": [format_month(month) for month in months] if rows else [],
        "datasets": [
            {"label": str(label), "data": [float(row[0][1 + i]) for row in rows]}
            for i, (_key, label, _csv) in enumerate(series)
        ],
    }
    return Chart(name, title, explanation, spec, columns, rows)


def _stages_chart(currency) -> Chart:
    found = {
        stage: (count, at_risk, t12m) for stage, count, at_risk, t12m in queries.stage_counts()
    }
    columns = [
        ("stage", _("Stage"), "text"),
        ("accounts", _("Accounts"), "int"),
        ("at_risk", _("Of which at risk"), "int"),
        ("sales_t12m", _("Sales, last 12 months"), "money"),
    ]
    rows = [
        (
            [
                str(STAGE_LABELS[stage]),
                found[stage][0],
                int(found[stage][1] or 0),
                quantize(Decimal(found[stage][2] or 0), currency),
            ],
            currency,
        )
        for stage in STAGES
        if stage in found
    ]
    spec = {
        "type": "doughnut",
        "value": "count",
        "labels": [row[0][0] for row in rows],
        "keys": [stage for stage in STAGES if stage in found],
        "datasets": [{"label": _("Accounts"), "data": [row[0][1] for row in rows]}],
    }
    return Chart(
        "stages",
        _("Accounts by stage"),
        _("How many accounts are in each stage, and how many of them are at risk."),
        spec,
        columns,
        rows,
    )


def _wallet_chart(overview, currency, unconverted) -> Chart:
    columns = [
        ("account", _("Account"), "text"),
        ("stage", _("Stage"), "text"),
        ("currency", _("Currency"), "text"),
        ("spend_estimate", _("Estimated annual spend"), "money"),
        ("sales_t12m", _("Sales, last 12 months"), "money"),
        ("wallet_share_percent", _("Wallet share (%)"), "percent"),
        (
            "spend_estimate_reporting",
            _("Estimated spend in %(currency)s, rounded", currency=currency),
            "int",
        ),
    ]
    rows, points = [], {stage: [] for stage in STAGES}
    stage_names = {stage: str(label) for stage, label in STAGE_LABELS.items()}
    for name, _slug, stage, row_currency, t12m, spend, share in queries.wallet_points():
        converted = _convert(spend, row_currency, overview, currency, unconverted)
        whole = None if converted is None else int(converted.to_integral_value(ROUND_HALF_UP))
        rows.append(
            (
                [name, stage_names[stage], row_currency, spend, t12m, share, whole],
                row_currency,
            )
        )
        if whole is not None and share is not None:
            points[stage].append({"x": whole, "y": float(share), "label": name})
    spec = {
        "type": "scatter",
        "value": "percent",
        "currency": currency,
        "x_title": _("Estimated annual spend (%(currency)s)", currency=currency),
        "y_title": _("Wallet share (%)"),
        "datasets": [
            {"label": str(STAGE_LABELS[stage]), "key": stage, "data": points[stage]}
            for stage in STAGES
        ],
    }
    return Chart(
        "wallet_share",
        _("Wallet share against estimated spend"),
        _(
            "Each account with a spend estimate: what it is estimated to spend a year (across, "
            "in %(currency)s) and the share of it that it buys from us (up).",
            currency=currency,
        ),
        spec,
        columns,
        rows,
    )


def _deadlines_chart() -> Chart:
    accounts, (due, met) = queries.deadline_rows()
    columns = [
        ("account", _("Account"), "text"),
        ("due", _("Requests due"), "int"),
        ("met", _("Answered in time"), "int"),
        ("missed", _("Late"), "int"),
        ("met_percent", _("Deadlines met (%)"), "percent"),
    ]
    rows = [
        ([name, row_due, row_met, row_due - row_met, _percent(row_met, row_due)], "")
        for name, _slug, row_due, row_met in accounts
    ]
    # The chart draws the accounts (the total would dwarf them); the table adds the total.
    spec = {
        "type": "bar",
        "horizontal": True,
        "stacked": True,
        "value": "count",
        "labels": [row[0][0] for row in rows],
        "datasets": [
            {"label": _("Answered in time"), "key": "met", "data": [row[0][2] for row in rows]},
            {"label": _("Late"), "key": "missed", "data": [row[0][3] for row in rows]},
        ],
    }
    if due:
        rows.append(([_("All accounts"), due, met, due - met, _percent(met, due)], ""))
    return Chart(
        "deadlines",
        _("Hotline deadlines met"),
        ngettext(
            "Hotline requests due in each account's last 12 months and how many were answered "
            "by their deadline: the %(num)d account with the most, then all accounts.",
            "Hotline requests due in each account's last 12 months and how many were answered "
            "by their deadline: the %(num)d accounts with the most, then all accounts.",
            queries.DEADLINE_ACCOUNTS,
        ),
        spec,
        columns,
        rows,
    )


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _pipeline_chart(overview, currency, unconverted) -> Chart:
    columns = [
        ("stage", _("Stage"), "text"),
        ("currency", _("Currency"), "text"),
        ("leads", _("Leads"), "int"),
        ("value", _("Value"), "money"),
        ("weighted_value", _("Weighted value"), "money"),
    ]
    found = sorted(
        queries.pipeline_sums(),
        key=lambda row: (LEAD_STATUSES.index(row[0]), row[1] or ""),
    )
    rows = []
    value = {status: Decimal(0) for status in LEAD_STATUSES}
    weighted = dict(value)
    for status, row_currency, count, amount, weight in found:
        rows.append(
            (
                [str(PIPELINE_LABELS[status]), row_currency or "", count, amount, weight],
                row_currency or currency,
            )
        )
        if not row_currency or not amount:
            continue
        converted = _convert(amount, row_currency, overview, currency, unconverted)
        converted_weight = _convert(weight, row_currency, overview, currency, unconverted)
        if converted is not None:
            value[status] += converted
            weighted[status] += converted_weight
    spec = {
        "type": "bar",
        "value": "money",
        "currency": currency,
        "labels": [str(PIPELINE_LABELS[status]) for status in LEAD_STATUSES],
        "datasets": [
            {"label": _("Value"), "data": [float(value[s]) for s in LEAD_STATUSES]},
            {
                "label": _("Weighted value (× probability)"),
                "data": [float(weighted[s]) for s in LEAD_STATUSES],
            },
        ],
    }
    return Chart(
        "pipeline",
        _("Pipeline by stage"),
        _(
            "The leads in each stage: their value and their value weighted by the chance of "
            "winning them, in %(currency)s (the table gives each currency's own).",
            currency=currency,
        ),
        spec,
        columns,
        rows,
    )
