"""Through Debian's Chromium: the insights dashboard's charts are drawn by the vendored Chart.js
under the portal's CSP, without a console error or a CSP violation, on a phone and on a
desktop, in English and in Chinese."""

import pytest

from tests.support.dashboard import figures_for_the_demo
from tests.support.glyphs import save_screenshot, screenshot_folder
from tests.support.live import demo_site

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

CHART_VERSION = "4.6.2"
#: Each chart's canvas: drawn by Chart.js, and not blank (some pixel is painted).
CANVASES = """() => Array.from(document.querySelectorAll("canvas[data-chart-data]"), (canvas) => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {
    id: canvas.id,
    drawn: !!chart,
    type: chart ? chart.config.type : null,
    labels: chart ? chart.data.labels.map(String) : [],
    width: canvas.clientWidth,
    painted: painted,
  };
})"""
#: Listens for CSP violations before any script of the page runs.
CSP_LISTENER = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("live-insights") / "live.db"
    with demo_site(path, figures_for_the_demo, LANGUAGES=["en", "zh_Hans"]) as (_, base):
        yield base


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    return screenshot_folder(tmp_path_factory)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_manager_sees_every_chart_drawn_without_errors(
    browser, live_server, screenshots, width, language
):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        extra_http_headers={"Accept-Language": f"{language},en;q=0.5"},
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(CSP_LISTENER)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "manager@northwind.example")
        page.fill("input[name=password]", "demo-password")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/staff/insights")
        page.wait_for_load_state("load")
        save_screenshot(page, screenshots, f"insights-{language}-{width}")
        assert page.evaluate("Chart.version") == CHART_VERSION
        canvases = page.evaluate(CANVASES)
        assert [c["id"] for c in canvases] == [
            "chart-sales_accounts",
            "chart-sales_teams",
            "chart-stages",
            "chart-wallet_share",
            "chart-deadlines",
            "chart-pipeline",
        ]
        for canvas in canvases:
            assert canvas["drawn"] and canvas["painted"] > 500, canvas
            assert 0 < canvas["width"] <= width, canvas
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        months = next(c for c in canvases if c["id"] == "chart-sales_accounts")["labels"]
        assert len(months) == 24
        assert months[-1] == ("2026年11月" if language == "zh-CN" else "Nov 2026")
        assert page.evaluate("window.__violations") == []
        assert errors == []
        # the account table is there, and exports as it is filtered
        assert page.locator("table.insights-accounts tbody tr").count() > 0
        with page.expect_download() as download:
            page.click("[data-export=accounts-csv]")
        assert download.value.suggested_filename.startswith("accounts-")
    finally:
        context.close()


def test_on_a_phone_the_estimates_table_scrolls_inside_its_card(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "manager@northwind.example")
        page.fill("input[name=password]", "demo-password")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/staff/insights/accounts/acme")
        page.fill("#estimate-form input[name=amount]", "12,500,000.00")
        page.fill(
            "#estimate-form input[name=source]",
            "Annual report 2025 of the group, page 42 (procurement budget for IT hardware)",
        )
        page.click("#estimate-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#estimates tr[data-estimate-id]").count() >= 1
        box = page.evaluate(
            """() => {
              const card = document.querySelector('#estimates');
              const table = card.querySelector('table');
              const frame = table.closest('.table-responsive');
              return {
                card: card.getBoundingClientRect().right,
                frame: frame && card.contains(frame) ? frame.getBoundingClientRect().right : null,
              };
            }"""
        )
        assert box["frame"] is not None and box["frame"] <= box["card"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
