"""The sales manager's day in Chromium (issue 19): the key-account insights dashboard with its
charts drawn and their figures as tables, the accounts filtered by stage, and a drill-down to
one account's figures, which agree with the dashboard's."""

import pytest

from tests.support.staff_journeys import checked, sign_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

#: Each chart's canvas as Chart.js drew it: (id, drawn).
CHARTS = """() => Array.from(document.querySelectorAll("canvas[data-chart-data]"),
  (canvas) => [canvas.id, !!Chart.getChart(canvas)])"""


def test_the_manager_reads_the_insights_and_drills_down_to_an_account(journey):
    page = journey
    sign_in(page, "manager@northwind.example")
    submit(page, page.locator("nav.navbar a[href$='/staff/insights']"), "the insights dashboard")
    page.wait_for_load_state("load")
    charts = page.evaluate(CHARTS)
    assert len(charts) == 6 and all(drawn for _, drawn in charts), charts
    # Each chart's figures as a table, open, for those who do not read charts
    for summary in page.locator("details.chart-table > summary").all():
        summary.click()
    assert page.locator("details.chart-table[open] table[data-table]").count() >= 5
    checked(page, "the insights dashboard with the charts' tables")

    # The accounts in expansion, then the first of them, in detail
    rows = page.locator("table.insights-accounts tbody tr[data-account-slug]")
    assert rows.count() >= 2
    page.select_option("form.insights-filter select[name=stage]", "expansion")
    submit(page, page.locator("form.insights-filter button[type=submit]"), "accounts in expansion")
    stages = {row.get_attribute("data-stage") for row in rows.all()}
    assert stages == {"expansion"}
    first = rows.first
    slug, t12m = first.get_attribute("data-account-slug"), first.get_attribute("data-t12m")
    submit(page, first.locator("th a"), "an account's insights")
    assert page.locator(f"[data-account-slug='{slug}'] [data-stage=expansion]").count() == 1
    assert page.locator("[data-sales-t12m]").get_attribute("data-sales-t12m") == t12m
    assert page.locator("#stage-reason").inner_text().strip()
