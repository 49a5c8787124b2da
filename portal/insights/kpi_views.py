"""The KPI and forecast pages of the insights blueprint, and their CSV and XLSX exports. Reads
in insights.kpis and insights.forecast; export tables in insights.kpi_tables."""

from flask import abort, render_template, request

from portal.core.access import restricted
from portal.core.exports import table_response
from portal.insights import forecast as forecasting
from portal.insights import kpi_tables
from portal.insights import kpis as kpi_reads
from portal.insights.periods import PERIOD_LABELS, PERIODS, company_today, period_of
from portal.insights.views import bp

# --- staff: KPIs per rep and team, coverage by stage, the forecast (buyers get 404) ---
#   GET  /staff/insights/kpis?period=<key>                       kpis                  KPI_READERS
#   GET  /staff/insights/kpis.csv?table=<table>&period=<key>     export_kpis_csv       KPI_READERS
#   GET  /staff/insights/kpis.xlsx?table=<table>&period=<key>    export_kpis_xlsx      KPI_READERS
#   GET  /staff/insights/forecast                                forecast              KPI_READERS
#   GET  /staff/insights/forecast.csv?table=<table>              export_forecast_csv   KPI_READERS
#   GET  /staff/insights/forecast.xlsx?table=<table>             export_forecast_xlsx  KPI_READERS
# KPI tables: reps, teams, coverage; forecast tables: quarters, backtest. Another table: 404.


@bp.get("/staff/insights/kpis", endpoint="kpis")
@restricted
def show_kpis():
    return render_template(
        "insights/kpis.html",
        kpis=_kpis(),
        periods=PERIODS,
        period_labels=PERIOD_LABELS,
        stage_label=kpi_tables.stage_label,
    )


@bp.get("/staff/insights/kpis.csv")
@restricted
def export_kpis_csv():
    return _kpi_file("csv")


@bp.get("/staff/insights/kpis.xlsx")
@restricted
def export_kpis_xlsx():
    return _kpi_file("xlsx")


@bp.get("/staff/insights/forecast", endpoint="forecast")
@restricted
def show_forecast():
    return render_template(
        "insights/forecast.html",
        forecast=forecasting.forecast(company_today()),
        method_steps=forecasting.METHOD_STEPS,
    )


@bp.get("/staff/insights/forecast.csv")
@restricted
def export_forecast_csv():
    return _forecast_file("csv")


@bp.get("/staff/insights/forecast.xlsx")
@restricted
def export_forecast_xlsx():
    return _forecast_file("xlsx")


def _kpis():
    return kpi_reads.kpis(period_of(request.args.get("period"), company_today()))


def _kpi_file(file_format: str):
    table = _table(kpi_tables.KPI_TABLES)
    kpis = _kpis()
    title, columns, rows = kpi_tables.kpi_table(kpis, table)
    stem = f"kpis-{table}-{kpis.period.key.replace('_', '-')}"
    return table_response(file_format, stem, title, columns, rows)


def _forecast_file(file_format: str):
    table = _table(kpi_tables.FORECAST_TABLES)
    title, columns, rows = kpi_tables.forecast_table(forecasting.forecast(company_today()), table)
    return table_response(file_format, f"forecast-{table}", title, columns, rows)


def _table(tables: tuple[str, ...]) -> str:
    table = request.args.get("table", tables[0])
    if table not in tables:
        abort(404)
    return table
