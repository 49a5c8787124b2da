"""The forecast: the method on a hand-made history, worked out by hand (growth held within its
bounds and only for accounts with two years of orders, younger ones at their average quarter),
the back-test's errors, MAPE and bias, and the forecast read from the database with the weighted
pipeline in the reporting currency."""

from datetime import date
from decimal import Decimal

import pytest

from portal.insights import forecast as forecasting
from portal.insights.forecast import account_forecast, backtest, forecast_quarter, growth_factor
from portal.insights.periods import add_months
from tests import factories
from tests.support.web import count_queries

D = Decimal


def months(start: date, end: date, amount: str) -> dict[date, Decimal]:
    """The same amount every month from `start` up to (not including) `end`."""
    found, month = {}, start
    while month < end:
        found[month] = D(amount)
        month = add_months(month, 1)
    return found


@pytest.fixture
def history():
    """Account a: 100 a month in 2024, 120 in 2025, 150 in 2026 (to September).
    Account b, new: 60 a month from July 2025.
    Account c, fast-growing: 10 a month in 2024, 40 in 2025, 50 in 2026: growth held at 1.5.
    Account d, younger than two years: 10 a month from July 2024, 40 in 2025."""
    return {
        "a": months(date(2024, 1, 1), date(2025, 1, 1), "100")
        | months(date(2025, 1, 1), date(2026, 1, 1), "120")
        | months(date(2026, 1, 1), date(2026, 10, 1), "150"),
        "b": months(date(2025, 7, 1), date(2026, 10, 1), "60"),
        "c": months(date(2024, 1, 1), date(2025, 1, 1), "10")
        | months(date(2025, 1, 1), date(2026, 1, 1), "40")
        | months(date(2026, 1, 1), date(2026, 10, 1), "50"),
    }


@pytest.fixture
def young():
    return months(date(2024, 7, 1), date(2025, 1, 1), "10") | months(
        date(2025, 1, 1), date(2026, 1, 1), "40"
    )


def test_growth_is_the_last_twelve_months_over_the_twelve_before_held_within_bounds(history):
    q1 = date(2026, 1, 1)
    assert growth_factor(history["a"], q1) == D("1.2")  # 1440 / 1200
    assert growth_factor(history["c"], q1) == D("1.5")  # 480 / 120 = 4, held at 1.5
    assert growth_factor(history["b"], q1) is None  # nothing in 2024
    assert growth_factor({date(2024, 1, 1): D(100)}, q1) == D("0.5")  # stopped ordering


def test_an_account_is_forecast_at_last_years_quarter_times_its_growth(history):
    q1 = date(2026, 1, 1)
    assert account_forecast(history["a"], q1, q1) == D("432")  # 360 x 1.2
    assert account_forecast(history["c"], q1, q1) == D("180")  # 120 x 1.5
    # new: its average quarter of its 6 months (Jul-Dec 2025: 6 x 60 = 360, / 6 x 3)
    assert account_forecast(history["b"], q1, q1) == D("180")


def test_an_account_younger_than_two_years_is_forecast_at_its_run_rate(young):
    q1 = date(2026, 1, 1)
    # first month July 2024, after January 2024 (24 months before): 2024 is only half its
    # history, so 480 / 60 = 8 is no growth: none, not 1.5
    assert growth_factor(young, q1) is None
    # its average quarter of 2025: 12 x 40 = 480, / 4 = 120 (not 2025-Q1's 120 x 1.5 = 180)
    assert account_forecast(young, q1, q1) == D("120")
    # from July 2026 it has two years: its growth is used
    origin = date(2026, 7, 1)
    # Jul 2025-Jun 2026: 6 x 40 = 240 (nothing in 2026) over Jul 2024-Jun 2025: 60 + 240 = 300
    assert growth_factor(young, origin) == D("0.8")


def test_only_the_months_before_the_origin_are_read(history):
    q2 = date(2026, 4, 1)
    # 2025-Q2 (360) x (Apr 2025-Mar 2026: 1530) / (Apr 2024-Mar 2025: 1260)
    assert account_forecast(history["a"], q2, q2).quantize(D("0.0001")) == D("437.1429")
    # from January only, Q2 is forecast as it was for Q1's origin
    assert account_forecast(history["a"], q2, date(2026, 1, 1)) == D("432")
    # b: Apr 2025-Mar 2026 is 9 months from July (540), / 9 x 3 = 180; c: 120 x 1.5
    assert forecast_quarter(history, q2) == D("797.14")  # 437.142857 + 180 + 180


def test_the_backtest_measures_each_quarter_against_what_was_sold(history):
    quarters = [date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)]
    result = backtest(history, quarters)

    assert [(r.name, r.forecast, r.actual) for r in result.rows] == [
        ("2026-Q1", D("792.00"), D("780.00")),  # 432 + 180 + 180; 450 + 180 + 150
        ("2026-Q2", D("797.14"), D("780.00")),
        ("2026-Q3", D("801.82"), D("780.00")),  # 441.818181 + 180 (720 / 4) + 180
    ]
    assert [r.error for r in result.rows] == [D("12.00"), D("17.14"), D("21.82")]
    # 12 / 780 = 1.538%; 17.14 / 780 = 2.197%; 21.82 / 780 = 2.797%
    assert [r.error_percent for r in result.rows] == [D("1.54"), D("2.20"), D("2.80")]
    # (12 + 17.14 + 21.82) / 780 / 3 = 50.96 / 2340 = 2.178%: here every error is too high,
    # so the bias (12 + 17.14 + 21.82) / 2340 is the same
    assert result.mape == D("2.18")
    assert result.bias == D("2.18")


def test_a_quarter_that_sold_nothing_has_no_percentage_error():
    result = backtest({"a": {date(2025, 1, 1): D(90)}}, [date(2026, 1, 1)])

    [row] = result.rows
    assert (row.forecast, row.actual, row.error_percent) == (D("22.50"), D("0.00"), None)
    assert result.mape is None
    assert result.bias is None


def test_the_forecast_adds_the_weighted_open_leads_in_the_reporting_currency(app):
    with factories.committed_once():
        acme = factories.AccountFactory(currency="CNY")
        globex = factories.AccountFactory(currency="USD")
        for month in months(date(2023, 10, 1), date(2026, 10, 1), "0"):
            factories.MonthlySalesFactory(account=acme, month=month, net_amount=D("1000.00"))
            factories.MonthlySalesFactory(account=globex, month=month, net_amount=D("100.00"))
        lead = factories.LeadFactory
        lead(account=acme, value_amount=D("10000.00"), currency="CNY", probability_percent=50,
             expected_close_on=date(2027, 2, 10))  # fmt: skip
        # no currency of its own: the account's (USD), 200.00 x 7.10
        lead(account=globex, value_amount=D("1000.00"), probability_percent=20,
             expected_close_on=date(2027, 5, 1), status="negotiation")  # fmt: skip
        lead(account=acme, value_amount=D("9000.00"), currency="CNY", probability_percent=100,
             expected_close_on=date(2027, 2, 1), status="won")  # fmt: skip
        lead(account=acme, value_amount=D("9000.00"), currency="CNY", probability_percent=90,
             expected_close_on=date(2027, 2, 1), status="lost")  # fmt: skip
        lead(account=acme, probability_percent=50, expected_close_on=date(2027, 2, 1))  # no value
        lead(
            account=acme,
            value_amount=D("500.00"),
            currency="CNY",
            probability_percent=50,
            expected_close_on=date(2026, 11, 1),
        )  # fmt: skip  (this quarter)

    with count_queries() as statements:
        made = forecasting.forecast(date(2026, 10, 15))

    assert len(statements) == 2
    assert made.origin == date(2026, 10, 1)
    # flat history: growth 1, last year's quarter 3,000.00 CNY + 300.00 USD (2,130.00 CNY)
    assert [(q.name, q.from_history, q.pipeline, q.leads, q.total) for q in made.quarters] == [
        ("2027-Q1", D("5130.00"), D("5000.00"), 1, D("10130.00")),
        ("2027-Q2", D("5130.00"), D("1420.00"), 1, D("6550.00")),
    ]
    assert made.leads_left_out == 2
    assert [r.name for r in made.backtest.rows] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [r.forecast for r in made.backtest.rows] == [D("5130.00")] * 4
    assert (made.backtest.mape, made.backtest.bias) == (D("0.00"), D("0.00"))
    assert made.missing_rates == set()


def test_sales_in_a_currency_without_a_rate_are_left_out_and_named(app):
    factories.MonthlySalesFactory(
        account=factories.AccountFactory(currency="EUR"), month=date(2026, 1, 1), currency="EUR"
    )

    made = forecasting.forecast(date(2026, 10, 15))

    assert made.missing_rates == {"EUR"}
    assert made.backtest.rows[-1].actual == D("0.00")


def test_the_series_for_the_dashboard_holds_the_past_and_the_next_quarters(app):
    series = forecasting.forecast_series(date(2026, 10, 15))

    assert [point["quarter"] for point in series] == [
        "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2027-Q1", "2027-Q2",
    ]  # fmt: skip
    assert series[0]["actual"] == D("0.00") and series[0]["pipeline"] is None
    assert series[-1]["actual"] is None and series[-1]["pipeline"] == D("0.00")


def test_the_reporting_currency_needs_no_rate_of_its_own(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_RATES", {"USD": "7.00"})
    with factories.committed_once():
        factories.MonthlySalesFactory(month=date(2026, 1, 1), net_amount=D("100.00"))
        factories.MonthlySalesFactory(
            account=factories.AccountFactory(currency="USD"),
            month=date(2026, 1, 1),
            net_amount=D("100.00"),
        )

    history, missing = forecasting.monthly_history(date(2025, 1, 1))

    assert sorted(m[date(2026, 1, 1)] for m in history.values()) == [D("100.00"), D("700.00")]
    assert missing == set()


def test_the_history_read_starts_at_each_accounts_first_month(app):
    with factories.committed_once():
        old = factories.AccountFactory(currency="CNY")
        factories.MonthlySalesFactory(account=old, month=date(2023, 1, 1), net_amount=D("5.00"))
        factories.MonthlySalesFactory(account=old, month=date(2025, 6, 1), net_amount=D("7.00"))
        young = factories.AccountFactory(currency="CNY")
        factories.MonthlySalesFactory(account=young, month=date(2025, 3, 1), net_amount=D("9.00"))

    history, _missing = forecasting.monthly_history(date(2024, 1, 1))

    # the first month before those read is there, at zero: the account is old enough for growth
    assert history[old.id] == {date(2023, 1, 1): D(0), date(2025, 6, 1): D("7.00")}
    assert history[young.id] == {date(2025, 3, 1): D("9.00")}
