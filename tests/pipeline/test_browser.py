"""Through Debian's Chromium: on a phone, the leads list keeps its summary column readable and
scrolls sideways inside its frame instead of widening the page."""

import pytest

from tests.support.dashboard import figures_for_the_demo
from tests.support.live import demo_site

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

WIDTH = 390


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("live-pipeline") / "live.db"
    with demo_site(path, figures_for_the_demo) as (_, base):
        yield base


def test_on_a_phone_the_leads_summary_keeps_a_readable_width(browser, live_server):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "manager@northwind.example")
        page.fill("input[name=password]", "demo-password")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/staff/leads?tab=all")
        widths = page.evaluate(
            """() => Array.from(document.querySelectorAll('table.leads tbody tr[data-lead-id]'),
                 (row) => row.cells[1].getBoundingClientRect().width)"""
        )
        assert widths and min(widths) >= 180, widths
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    finally:
        context.close()
