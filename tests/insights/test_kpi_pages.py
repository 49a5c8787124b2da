"""The KPI and forecast pages: what managers see (the figures of tests/support/kpis.py, the
period picker, the method beside the forecast), who else may open them, a constant number of
statements, and the CSV and XLSX exports of each table."""

import csv
import io

import openpyxl
import pytest
import time_machine

from tests import factories
from tests.support.kpis import NOW, build_world
from tests.support.web import count_queries, signed_in

MANAGER = "manager@northwind.example"
PAGES = ["/staff/insights/kpis", "/staff/insights/forecast"]
EXPORTS = [
    "/staff/insights/kpis.csv?table=reps",
    "/staff/insights/kpis.xlsx?table=teams",
    "/staff/insights/forecast.csv?table=quarters",
    "/staff/insights/forecast.xlsx?table=backtest",
]


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(web, world, frozen):
    return signed_in(web, MANAGER)


def test_the_kpi_page_shows_each_rep_and_team_with_their_figures(manager):
    page = manager.get("/staff/insights/kpis").get_data(as_text=True)

    assert 'data-rep="inside@northwind.example"' in page
    assert 'data-sales="3500.00" data-orders="6" data-margin="16.67" data-win-rate="66.67" ' \
        'data-hotline-met="50.00" data-care-on-time="50.00" data-survey="4.50"' in page  # fmt: skip
    assert 'data-team="East desk" data-members="2" data-sales="4210.00"' in page
    assert 'data-stage="retention" data-accounts="2" data-per-inside-rep="2.0"' in page
    assert 'id="engineers-not-tracked"' in page
    assert 'data-start="2025-12-01" data-end="2026-12-01"' in page
    assert 'href="/staff/insights/kpis.csv?table=reps&amp;period=t12m"' in page


def test_the_period_picker_reads_another_period(manager):
    page = manager.get("/staff/insights/kpis?period=last_quarter").get_data(as_text=True)

    assert 'data-start="2026-07-01" data-end="2026-10-01"' in page
    assert '<option value="last_quarter" selected>' in page
    assert 'data-rep="inside@northwind.example" data-role="inside_sales"' in page
    assert 'data-sales="0.00"' in page


def test_the_forecast_page_writes_its_method_beside_the_numbers(manager):
    page = manager.get("/staff/insights/forecast").get_data(as_text=True)

    assert 'id="forecast-method"' in page
    assert "same quarter a year before" in page
    assert 'data-quarter="2027-Q1"' in page and 'data-quarter="2027-Q2"' in page
    for quarter in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"):
        assert f'data-quarter="{quarter}" data-forecast=' in page
    assert 'id="backtest-summary"' in page


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_issue_a_constant_number_of_statements(web, world, frozen, path):
    client = signed_in(web, MANAGER)
    with count_queries() as few:
        assert client.get(path).status_code == 200
    with factories.committed_once():
        for _ in range(5):
            inside = factories.StaffFactory(role="inside_sales", team=factories.TeamFactory())
            account = factories.AccountFactory(inside_sales_rep=inside)
            factories.MonthlySalesFactory(account=account)
            factories.LeadFactory(account=account)
    with count_queries() as more:
        assert client.get(path).status_code == 200
    assert len(more) == len(few)


@pytest.mark.parametrize("email", ["director@northwind.example"])
def test_directors_open_them_too(web, world, frozen, email):
    factories.StaffFactory(email=email, role="sales_director")
    client = signed_in(web, email)
    for path in PAGES + EXPORTS:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["inside_sales", "field_sales", "account_admin", "sysadmin"])
def test_other_staff_are_refused(web, world, role):
    factories.StaffFactory(email=f"other-{role}@northwind.example", role=role)
    client = signed_in(web, f"other-{role}@northwind.example")
    for path in PAGES + EXPORTS:
        assert client.get(path).status_code == 403, path


def test_buyers_get_404_and_visitors_are_sent_to_sign_in(web, world, client):
    factories.UserFactory(account=world.acme, email="buyer@acme.example")
    buyer = signed_in(web, "buyer@acme.example")
    for path in PAGES + EXPORTS:
        assert buyer.get(path).status_code == 404, path
        assert client.get(path).status_code == 302, path


def test_the_reps_table_exports_as_csv(manager):
    response = manager.get("/staff/insights/kpis.csv?table=reps&period=t12m")

    assert response.status_code == 200
    assert "kpis-reps-t12m-2026-12-05.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    ina = next(r for r in rows if r["email"] == "inside@northwind.example")
    assert (ina["sales"], ina["orders"], ina["margin_percent"]) == ("3500.00", "6", "16.67")
    assert ina["quotes_won"] == "2"
    assert (ina["win_rate_percent"], ina["survey_average"]) == ("66.67", "4.50")
    assert (ina["accounts_inside"], ina["team"]) == ("3", "East desk")


@pytest.mark.parametrize(
    ("path", "header", "first"),
    [
        ("/staff/insights/kpis.xlsx?table=teams", "Team", "East desk"),
        ("/staff/insights/kpis.xlsx?table=coverage", "Stage", "Acquisition"),
        ("/staff/insights/forecast.xlsx?table=quarters", "Quarter", "2027-Q1"),
        ("/staff/insights/forecast.xlsx?table=backtest", "Quarter", "2025-Q4"),
    ],
)
def test_the_tables_export_as_xlsx(manager, path, header, first):
    response = manager.get(path)

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert (sheet["A1"].value, sheet["A2"].value) == (header, first)


def test_the_forecast_exports_its_quarters_as_csv(manager):
    text = manager.get("/staff/insights/forecast.csv?table=backtest").get_data(as_text=True)

    header = text.lstrip("\ufeff").splitlines()[0]
    assert header == "quarter,forecast,actual,error,absolute_error_percent"


@pytest.mark.parametrize(
    "path",
    [
        "/staff/insights/kpis.csv?table=orders",
        "/staff/insights/forecast.xlsx?table=reps",
        "/staff/insights/kpis.pdf?table=reps",
        "/staff/insights/forecast.json",
    ],
)
def test_an_unknown_table_or_format_is_404(manager, path):
    assert manager.get(path).status_code == 404
