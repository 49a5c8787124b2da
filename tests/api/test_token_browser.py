"""Through Chromium: a customer admin issues a token on the demo; only the scopes the chosen
user's role allows can be ticked; the value is shown once, selected on a click, and gone on
the next visit; nothing breaks the CSP."""

import pytest

from tests.support.live import demo_site

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("tokens") / "live.db") as (_, base):
        yield base


def test_a_customer_admin_issues_a_token_and_sees_it_once(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "admin@initech.example")
    page.fill("input[name=password]", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.click("nav >> text=API tokens")
    page.wait_for_url(f"{live_server}/a/initech/settings/tokens")

    approve = page.locator("input[name=scopes][value=approve]")
    page.select_option(
        "select[name=user_id]",
        label=page.locator(
            "select[name=user_id] option", has_text="buyer@initech.example"
        ).inner_text(),
    )
    assert approve.is_disabled()
    page.select_option(
        "select[name=user_id]",
        label=page.locator(
            "select[name=user_id] option", has_text="admin@initech.example"
        ).inner_text(),
    )
    assert approve.is_enabled()

    page.fill("input[name=name]", "SAP Ariba")
    page.check("input[name=scopes][value=order]")
    page.click("form[data-form=issue-token] button[type=submit]")
    plain = page.locator("[data-plain-token]").input_value()
    assert plain.startswith("kap_")
    page.click("[data-plain-token]")
    selected = page.evaluate(
        "() => { const f = document.activeElement;"
        " return f.value.substring(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == plain

    page.goto(f"{live_server}/a/initech/settings/tokens")
    assert plain not in page.content()
    assert page.locator("[data-token-status=live]").count() == 1
    assert page.console_errors == []


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_tokens_table_shows_status_and_revoke_on_a_phone_and_a_laptop(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "admin@initech.example")
    page.fill("input[name=password]", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/a/initech/settings/tokens")
    for name in ("kept", "to revoke"):
        page.fill("input[name=name]", name)
        page.click("form[data-form=issue-token] button[type=submit]")
        page.wait_for_load_state()
    page.goto(f"{live_server}/a/initech/settings/tokens")
    page.locator("tr", has_text="to revoke").locator("[data-action=revoke]").click()
    page.wait_for_load_state()
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/a/initech/settings/tokens")
        revoked = page.locator("tr[data-token-status=revoked]").first
        live = page.locator("tr[data-token-status=live]").first
        assert _in_view(page, revoked.locator("[data-status-cell] .badge")), width
        assert "revoked" in revoked.locator("[data-status-cell]").inner_text()
        assert _in_view(page, live.locator("[data-action=revoke]")), width
        for heading in ("Last used", "Status"):
            cell = live.locator("td").nth(6 if heading == "Last used" else 1)
            assert _in_view(page, cell), (width, heading)
    assert page.console_errors == []
