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
