"""The insights dashboard at /staff/insights: who opens it, the account table's sorting, filters
and pages, the charts' figures, the exports, and a constant number of statements."""

import csv
import html
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest

from portal.extensions import db
from portal.insights import charts, stages
from portal.insights.models import StageRules
from tests import factories
from tests.support.dashboard import AS_OF, a_small_world, account_with_figures
from tests.support.web import count_queries, signed_in

PAGE = "/staff/insights"


def staff(role: str):
    return factories.StaffFactory(role=role, email=f"{role}@northwind.example")


def slugs_in(response) -> list[str]:
    return re.findall(r'data-account-slug="([^"]+)"', response.get_data(as_text=True))


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize(
    "role, status",
    [
        ("sales_manager", 200),
        ("sales_director", 200),
        ("account_admin", 200),
        ("inside_sales", 200),
        ("field_sales", 200),
        ("finance", 403),
        ("call_center", 403),
        ("sysadmin", 403),
    ],
)
def test_insight_readers_open_the_dashboard_and_other_staff_are_refused(web, role, status):
    account_with_figures("Acme Hospital Group", "acme")
    client = signed_in(web, staff(role).email)
    assert client.get(PAGE).status_code == status
    assert client.get(f"{PAGE}/accounts.csv").status_code == status
    assert client.get(f"{PAGE}/stages.xlsx").status_code == status
    nav = client.get("/staff/").get_data(as_text=True)
    assert (f'href="{PAGE}"' in nav) == (status == 200)


def test_a_buyer_gets_not_found_and_a_visitor_is_sent_to_sign_in(web):
    account = account_with_figures("Acme Hospital Group", "acme")
    buyer = factories.UserFactory(account=account)
    assert signed_in(web, buyer.email).get(PAGE).status_code == 404
    assert "/login" in web.test_client().get(PAGE).headers["Location"]


def test_the_table_lists_best_sales_first_and_sorts_by_a_chosen_column(web):
    for name, slug, t12m in [
        ("Beta", "beta", "300.00"),
        ("alpha", "alpha", "100.00"),
        ("Gamma", "gamma", "200.00"),
    ]:
        account_with_figures(name, slug, t12m=t12m)
    client = signed_in(web, staff("sales_manager").email)
    assert slugs_in(client.get(PAGE)) == ["beta", "gamma", "alpha"]
    assert slugs_in(client.get(f"{PAGE}?sort=t12m&dir=asc")) == ["alpha", "gamma", "beta"]
    # names sort as people read them, whatever their case; text columns start A to Z
    assert slugs_in(client.get(f"{PAGE}?sort=account")) == ["alpha", "beta", "gamma"]
    assert slugs_in(client.get(f"{PAGE}?sort=account&dir=desc")) == ["gamma", "beta", "alpha"]


def test_an_unknown_sort_or_direction_is_ignored(web):
    account_with_figures("Beta", "beta", t12m="300.00")
    account_with_figures("Alpha", "alpha", t12m="100.00")
    client = signed_in(web, staff("sales_manager").email)
    for query in ["sort=name;drop%20table%20users", "sort=__class__&dir=sideways", "dir=1"]:
        response = client.get(f"{PAGE}?{query}")
        assert response.status_code == 200
        assert slugs_in(response) == ["beta", "alpha"]


def test_unknown_figures_sort_last_both_ways(web):
    account_with_figures("Known", "known", share="20.00")
    account_with_figures("Unknown", "unknown")
    account_with_figures("Small", "small", share="5.00")
    client = signed_in(web, staff("sales_manager").email)
    assert slugs_in(client.get(f"{PAGE}?sort=wallet_share")) == ["known", "small", "unknown"]
    assert slugs_in(client.get(f"{PAGE}?sort=wallet_share&dir=asc")) == [
        "small",
        "known",
        "unknown",
    ]


def test_the_filters_pick_stage_platinum_risk_team_rep_and_name(web):
    world = a_small_world(6)  # stages cycle a, e, r; even accounts have the inside rep
    account_with_figures("青岛海尔医院", "qingdao", tier="platinum", is_at_risk=True)
    client = signed_in(web, staff("sales_manager").email)

    def shown(query):
        return sorted(slugs_in(client.get(f"{PAGE}?{query}")))

    assert shown("stage=retention") == ["acct-002", "acct-005"]
    assert shown("platinum=1") == ["qingdao"]
    assert shown("at_risk=1") == ["qingdao"]
    assert shown(f"team={world['north'].id}") == ["acct-000", "acct-002", "acct-004"]
    assert shown(f"rep={world['inside'].id}") == ["acct-000", "acct-002", "acct-004"]
    assert shown("q=%E9%9D%92%E5%B2%9B") == ["qingdao"]  # 青岛
    assert shown("q=ACCT-00") == [f"acct-00{i}" for i in range(6)]
    assert shown("q=100%25") == []  # a % is a character, not a wildcard
    assert shown("stage=nonsense") == sorted([a.slug for a in world["accounts"]] + ["qingdao"])


def test_the_team_filter_falls_back_to_the_field_reps_team(web):
    world = a_small_world(3)
    client = signed_in(web, staff("sales_manager").email)
    assert sorted(slugs_in(client.get(f"{PAGE}?team={world['south'].id}"))) == ["acct-001"]


def test_the_table_shows_fifty_accounts_a_page(web):
    with factories.committed_once():
        for i in range(51):
            account_with_figures(f"Account {i:03d}", f"acct-{i:03d}", t12m=f"{1000 + i}.00")
    client = signed_in(web, staff("sales_manager").email)
    assert len(slugs_in(client.get(PAGE))) == 50
    assert slugs_in(client.get(f"{PAGE}?page=2")) == ["acct-000"]
    assert slugs_in(client.get(f"{PAGE}?page=99")) == ["acct-000"]  # past the end: the last
    assert slugs_in(client.get(f"{PAGE}?page=abc"))[0] == "acct-050"


def test_the_account_links_to_its_insights_page(web):
    account_with_figures("Acme Hospital Group", "acme")
    page = signed_in(web, staff("sales_manager").email).get(PAGE).get_data(as_text=True)
    assert f'href="{PAGE}/accounts/acme"' in page


def test_the_page_reads_a_constant_number_of_statements(web):
    client = signed_in(web, staff("sales_manager").email)

    with factories.committed_once():
        a_small_world(3)
    with count_queries() as queries:
        assert client.get(PAGE).status_code == 200
    few = len(queries)
    with factories.committed_once():
        for i in range(30):
            account_with_figures(f"More {i}", f"more-{i}", months=3, due=2, met=1)
    with count_queries() as queries:
        assert client.get(PAGE).status_code == 200
    assert len(queries) == few
    assert few == 13, "the user, 9 reads for the charts, 1 for the table, 2 for its filters"
    assert not any("FROM orders" in q or "JOIN orders" in q for q in queries)


def test_the_csv_export_has_every_filtered_row_in_the_tables_order(web):
    with factories.committed_once():
        for i in range(55):
            account_with_figures(
                f"Account {i:03d}",
                f"acct-{i:03d}",
                t12m=f"{1000 + i}.00",
                stage="retention" if i % 5 == 0 else "expansion",
            )
    client = signed_in(web, staff("sales_manager").email)
    response = client.get(f"{PAGE}/accounts.csv?stage=expansion&sort=account&dir=desc")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = csv_rows(response)
    expected = [f"acct-{i:03d}" for i in reversed(range(55)) if i % 5]
    assert [row["slug"] for row in rows] == expected  # 44 rows: all, not one page
    assert rows[0]["sales_t12m"] == "1054.00"
    assert rows[0]["stage"] == "Expansion"
    assert rows[0]["as_of"] == AS_OF.isoformat()


def test_the_xlsx_export_has_the_filtered_rows_with_amounts_as_numbers(web):
    account_with_figures("Platinum One", "plat", tier="platinum", t12m="5000.00")
    account_with_figures("Standard", "std")
    client = signed_in(web, staff("sales_manager").email)
    response = client.get(f"{PAGE}/accounts.xlsx?platinum=1")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Slug", "Account", "Stage", "Reason")
    assert [row[0] for row in rows[1:]] == ["plat"]
    assert rows[1][8] == 5000 and rows[1][6] == 1


def test_the_table_and_its_exports_give_each_accounts_stage_reason(web):
    account_with_figures("Acme Hospital Group", "acme", stage="retention", share="62.50")
    account_with_figures("Beta Clinics", "beta", stage="expansion", share="18.00")
    client = signed_in(web, staff("sales_manager").email)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    # under the stage badge, with the rules' thresholds (DESIGN's defaults: none saved)
    assert "wallet share 62.5% ≥ 50%: retention" in page
    assert "wallet share 18% ≥ 10% and < 50%: expansion" in page
    rows = {row["slug"]: row for row in csv_rows(client.get(f"{PAGE}/accounts.csv"))}
    assert rows["acme"]["stage_reason"] == "wallet share 62.5% ≥ 50%: retention"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{PAGE}/accounts.xlsx").data)).active
    header, *lines = sheet.iter_rows(values_only=True)
    reasons = {line[0]: line[header.index("Reason")] for line in lines}
    assert reasons["beta"] == "wallet share 18% ≥ 10% and < 50%: expansion"


def test_the_stage_reason_reads_the_saved_rules(web):
    rules = StageRules(id=1, version=1, **stages.defaults())
    rules.retention_from_percent = Decimal(60)
    db.session.add(rules)
    db.session.commit()
    account_with_figures("Acme Hospital Group", "acme", stage="retention", share="62.50")
    client = signed_in(web, staff("sales_manager").email)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert "wallet share 62.5% ≥ 60%: retention" in page


def test_an_account_name_like_a_formula_is_exported_as_text(web):
    account_with_figures('=HYPERLINK("http://evil.example","x")', "evil", due=2, met=1)
    client = signed_in(web, staff("sales_manager").email)
    [row] = csv_rows(client.get(f"{PAGE}/accounts.csv"))
    assert row["account"].startswith("'=")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{PAGE}/accounts.xlsx").data)).active
    assert sheet["B2"].value.startswith("'=") and sheet["B2"].data_type == "s"
    deadlines = csv_rows(client.get(f"{PAGE}/deadlines.csv"))
    assert deadlines[0]["account"].startswith("'=")


def test_a_name_with_quotes_and_tags_stays_data_in_the_charts_attribute(web):
    name = 'O\'Brien </script><b>"x"</b>'
    account_with_figures(name, "obrien", due=3, met=2)
    page = signed_in(web, staff("sales_manager").email).get(PAGE).get_data(as_text=True)
    [data] = re.findall(r'id="chart-deadlines"[^>]* data-chart-data=\'([^\']*)\'', page)
    assert "<" not in data and "'" not in data
    assert json.loads(html.unescape(data))["labels"] == [name]


def test_each_charts_table_exports(web):
    with factories.committed_once():
        a_small_world(3)
    client = signed_in(web, staff("sales_manager").email)
    for name in charts.CHARTS:
        for file_format in ("csv", "xlsx"):
            response = client.get(f"{PAGE}/{name}.{file_format}")
            assert response.status_code == 200, name
            assert f"{name.replace('_', '-')}-" in response.headers["Content-Disposition"]
    assert client.get(f"{PAGE}/orders.csv").status_code == 404
    assert client.get(f"{PAGE}/stages.pdf").status_code == 404
    stages = csv_rows(client.get(f"{PAGE}/stages.csv"))
    assert [(r["stage"], r["accounts"]) for r in stages] == [
        ("Acquisition", "1"),
        ("Expansion", "1"),
        ("Retention", "1"),
    ]


def test_sales_by_month_draws_the_top_accounts_and_adds_up_the_others(app, web):
    with factories.committed_once():
        for i in range(10):
            account_with_figures(f"Account {i}", f"acct-{i}", t12m=f"{1000 * (i + 1)}.00", months=2)
        # a USD account, its T12M worth 7x in CNY by the worker's ranking
        account_with_figures(
            "Dollar",
            "dollar",
            currency="USD",
            t12m="100.00",
            reporting="700.00",
            months=1,
            monthly="10.00",
        )
    with app.test_request_context():
        board = charts.dashboard()
    chart = board.chart("sales_accounts")
    names = [d["label"] for d in chart.spec["datasets"]]
    assert names == [f"Account {i}" for i in range(9, 1, -1)] + ["Other accounts"]
    assert len(chart.spec["labels"]) == 24 and chart.spec["labels"][-1] == "Nov 2026"
    last = chart.rows[-1][0]
    # the 8 best: 1,000 each; the others: accounts 0 and 1, and 10 USD at 7
    assert last[1:9] == [Decimal("1000.00")] * 8
    assert last[9] == Decimal("2070.00") and last[10] == Decimal("10070.00")
    teams = board.chart("sales_teams")
    assert [d["label"] for d in teams.spec["datasets"]] == ["No team"]
    assert board.unconverted == []


def test_pipeline_by_stage_adds_value_and_weighted_value(app):
    world = a_small_world(1)
    factories.LeadFactory(
        account=world["accounts"][0],
        status="proposal",
        value_amount=Decimal("1000.00"),
        currency="CNY",
        probability_percent=None,
    )
    with app.test_request_context():
        chart = charts.dashboard(only="pipeline").chart("pipeline")
    value, weighted = chart.spec["datasets"]
    proposal = chart.spec["labels"].index("Proposal")
    assert value["data"][proposal] == 6000.0
    assert weighted["data"][proposal] == 2500.0  # no probability weighs nothing
    assert value["data"][chart.spec["labels"].index("Negotiation")] == 0.0


def test_deadlines_met_lists_accounts_and_the_total(app):
    account_with_figures("Late", "late", due=10, met=5)
    account_with_figures("Punctual", "punctual", due=4, met=4)
    account_with_figures("Quiet", "quiet")
    with app.test_request_context():
        chart = charts.dashboard(only="deadlines").chart("deadlines")
    assert [row[0] for row in chart.rows] == [
        ["Late", 10, 5, 5, Decimal("50.00")],
        ["Punctual", 4, 4, 0, Decimal("100.00")],
        ["All accounts", 14, 9, 5, Decimal("64.29")],
    ]


def test_wallet_share_plots_accounts_with_an_estimate_by_stage(app):
    account_with_figures("Estimated", "est", spend="200000.00", share="50.00", stage="retention")
    account_with_figures("Unknown", "unknown")
    with app.test_request_context():
        chart = charts.dashboard(only="wallet_share").chart("wallet_share")
    retention = next(d for d in chart.spec["datasets"] if d["key"] == "retention")
    assert retention["data"] == [{"x": 200000, "y": 50.0, "label": "Estimated"}]
    assert len(chart.rows) == 1


def test_an_empty_portal_shows_the_page_without_charts(web):
    client = signed_in(web, staff("sales_manager").email)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="no-figures"' in page and "<canvas" not in page


def test_the_dashboard_speaks_chinese(web):
    account_with_figures("青岛海尔医院", "qingdao", months=3)
    manager = staff("sales_manager")
    client = signed_in(web, manager.email)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = client.get(PAGE).get_data(as_text=True)
    assert "2026年11月" in page  # the months of the charts, as Chinese readers write them
    assert "青岛海尔医院" in page


def test_a_long_chart_table_shows_its_first_rows_and_exports_them_all(web):
    with factories.committed_once():
        for i in range(30):
            account_with_figures(f"Est {i:02d}", f"est-{i:02d}", spend=f"{1000 + i}.00", share="9")
    client = signed_in(web, staff("sales_manager").email)
    page = client.get(PAGE).get_data(as_text=True)
    table = page.split('data-table="wallet_share"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + charts.PAGE_ROWS
    assert "The first 25 rows of 30" in page
    assert len(csv_rows(client.get(f"{PAGE}/wallet_share.csv"))) == 30
