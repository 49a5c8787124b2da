"""KPIs per rep and team and the coverage by stage, on the hand-made world of
tests/support/kpis.py read on 5 Dec 2026: every figure worked out by hand, the periods, and a
constant number of statements."""

from datetime import date
from decimal import Decimal

import pytest

from portal.insights import kpis as kpi_reads
from portal.insights.periods import period_of
from tests import factories
from tests.support.kpis import NOW, TODAY, build_world, sales
from tests.support.web import count_queries

D = Decimal
#: Statements of a KPI read, whatever the number of reps, accounts and rows.
STATEMENTS = 11


@pytest.fixture
def world(app):
    return build_world()


def read(key=None):
    return kpi_reads.kpis(period_of(key, TODAY), now=NOW)


def rep(kpis, email):
    [row] = [r for r in kpis.reps if r.user.email == email]
    return row


def test_the_default_period_is_the_last_twelve_complete_months():
    period = period_of(None, TODAY)
    assert (period.key, period.start, period.end) == ("t12m", date(2025, 12, 1), date(2026, 12, 1))
    assert period.last_day == date(2026, 11, 30)
    assert period_of("nonsense", TODAY).key == "t12m"


@pytest.mark.parametrize(
    ("key", "start", "end", "last_day"),
    [
        ("this_quarter", date(2026, 10, 1), date(2027, 1, 1), date(2026, 12, 5)),
        ("last_quarter", date(2026, 7, 1), date(2026, 10, 1), date(2026, 9, 30)),
        ("this_year", date(2026, 1, 1), date(2027, 1, 1), date(2026, 12, 5)),
    ],
)
def test_the_other_periods(key, start, end, last_day):
    period = period_of(key, TODAY)
    assert (period.start, period.end, period.last_day) == (start, end, last_day)


def test_both_reps_of_an_account_are_credited_with_its_sales_in_the_reporting_currency(world):
    kpis = read()

    ina, fay, ivo = (rep(kpis, f"{n}@northwind.example") for n in ("inside", "field", "inside2"))
    # Ina: Acme 1,000 + 2,000 and Initech 500 (November; December is after the period)
    assert (ina.sales.net, ina.sales.orders) == (D("3500.00"), 6)
    # Fay: Acme 3,000 and Globex USD 100 x 7.10
    assert (fay.sales.net, fay.sales.orders) == (D("3710.00"), 6)
    assert (ivo.sales.net, ivo.sales.orders) == (D("710.00"), 1)
    assert (ina.inside_accounts, ina.field_accounts) == (3, 0)
    assert (fay.inside_accounts, fay.field_accounts) == (0, 3)
    assert kpis.currency == "CNY"


def test_margin_counts_only_the_sales_whose_cost_is_known(world):
    kpis = read()

    ina, fay, ivo = (rep(kpis, f"{n}@northwind.example") for n in ("inside", "field", "inside2"))
    # (1,800 - 1,500) / 1,800 over 1,800 of 3,500
    assert (ina.sales.margin_percent, ina.sales.costed_percent) == (D("16.67"), D("51.43"))
    # (2,510 - 1,855) / 2,510 over 2,510 of 3,710
    assert (fay.sales.margin_percent, fay.sales.costed_percent) == (D("26.10"), D("67.65"))
    assert (ivo.sales.margin_percent, ivo.sales.costed_percent) == (D("50.00"), D("100.00"))


def test_quotes_count_when_decided_in_the_period_for_their_rep(world):
    ina = rep(read(), "inside@northwind.example")

    assert (ina.activity.quotes_won, ina.activity.quotes_lost) == (2, 1)
    assert ina.activity.win_rate_percent == D("66.67")


def test_a_hotline_deadline_is_met_by_closing_the_request_by_it(world):
    kpis = read()

    ina, ivo = rep(kpis, "inside@northwind.example"), rep(kpis, "inside2@northwind.example")
    # met: closed before it; closed at it. Missed: claimed and called before it but closed
    # after; still open. Not judged: the deadline ahead, the one before the period.
    assert (ina.activity.hotline_due, ina.activity.hotline_met) == (4, 2)
    assert ina.activity.hotline_met_percent == D("50.00")
    assert (ivo.activity.hotline_due, ivo.activity.hotline_met) == (1, 1)


def test_surveys_answered_in_the_period_count_for_the_assignee(world):
    kpis = read()

    ina, ivo = rep(kpis, "inside@northwind.example"), rep(kpis, "inside2@northwind.example")
    assert (ina.activity.survey_count, ina.activity.survey_average) == (2, D("4.50"))
    assert (ivo.activity.survey_count, ivo.activity.survey_average) == (0, None)


def test_care_due_dates_are_rebuilt_from_the_contacts_and_overdue_tasks_count_as_late(world):
    ina = rep(read(), "inside@northwind.example")

    # Acme's call: on time, late, on time (its due Saturday moved to Monday); the first contact
    # is not judged. Initech's weekly check: overdue since 20 November.
    assert (ina.activity.care_due, ina.activity.care_on_time) == (4, 2)
    assert ina.activity.care_on_time_percent == D("50.00")


def test_a_team_counts_each_account_once_and_adds_up_its_members_activity(world):
    kpis = read()

    east, no_team = kpis.teams
    assert (east.team.name, east.members) == ("East desk", 2)
    # Acme 3,000 + Initech 500 + Globex 710: Acme once though both its reps are in the team
    assert (east.sales.net, east.sales.orders) == (D("4210.00"), 7)
    assert east.sales.margin_percent == D("26.10")
    assert (east.activity.quotes_won, east.activity.hotline_due) == (2, 4)
    assert (no_team.team, no_team.members, no_team.sales.net) == (None, 1, D("710.00"))


def test_reps_without_accounts_or_work_in_the_period_are_not_listed(world):
    emails = [r.user.email for r in read().reps]

    assert emails == [f"{n}@northwind.example" for n in ("field", "inside", "inside2")]


def test_coverage_counts_accounts_per_rep_in_each_stage(world):
    rows = {(c.stage): c for c in read().coverage}

    assert list(rows) == ["acquisition", "expansion", "retention", None]
    assert (rows["acquisition"].accounts, rows["acquisition"].per_inside_rep) == (0, None)
    assert (rows["expansion"].accounts, rows["expansion"].per_field_rep) == (1, D("1.0"))
    retention = rows["retention"]
    assert (retention.accounts, retention.inside_reps, retention.field_reps) == (2, 1, 1)
    assert (retention.per_inside_rep, retention.per_field_rep) == (D("2.0"), D("2.0"))
    unstaged = rows[None]
    assert (unstaged.accounts, unstaged.per_inside_rep) == (1, D("1.0"))
    assert unstaged.per_field_rep is None
    assert unstaged.without_field == 1


def test_another_period_reads_other_months(world):
    kpis = read("last_quarter")  # July to September 2026

    ina = rep(kpis, "inside@northwind.example")
    assert ina.sales.net == D("0")
    assert (ina.activity.hotline_due, ina.activity.hotline_met) == (1, 0)


def test_the_statements_stay_the_same_however_many_reps_and_accounts(world):
    with count_queries() as statements:
        read()
    assert len(statements) == STATEMENTS

    with factories.committed_once():
        for _ in range(5):
            inside = factories.StaffFactory(role="inside_sales", team=factories.TeamFactory())
            account = factories.AccountFactory(inside_sales_rep=inside, currency="USD")
            sales(account, date(2026, 5, 1), "10.00", 1)
            factories.HotlineRequestFactory(account=account, assignee=inside, due_at=NOW)
            task = factories.CareTaskFactory(account=account, next_due_on=date(2026, 11, 2))
            factories.CareContactFactory(task=task, by=inside)
    with count_queries() as statements:
        kpis = read()
    assert len(statements) == STATEMENTS
    assert len(kpis.reps) == 8 and len(kpis.teams) == 7


def test_nothing_to_count_gives_empty_tables(app):
    kpis = read()

    assert (kpis.reps, kpis.teams) == ([], [])
    assert [c.accounts for c in kpis.coverage] == [0, 0, 0]
