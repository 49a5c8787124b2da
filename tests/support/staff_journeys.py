"""Steps the supplier staff's browser journeys share (tests/journeys/test_staff_*.py): signing
in and out through the pages, and visiting a page with axe-core's check on it, in the
journey's language."""

from __future__ import annotations

import re
import uuid

from tests.support.axe import assert_accessible

PASSWORD = "demo-password"
#: How long a step may wait for the page (Playwright's 30 s default makes a failure slow).
TIMEOUT_MS = 10_000

#: The `lang` of a page in each journey's language.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


def words(page, en: str, zh: str) -> str:
    """What the page says in the journey's language."""
    return zh if page.language == "zh" else en


def unique(prefix: str) -> str:
    """A marker of this run, to find what the journey made among what other tests made."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def checked(page, where: str) -> None:
    """The page is in the journey's language and has no serious or critical axe violation."""
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == HTML_LANG[page.language], where
    assert_accessible(page, f"{where} ({page.language}) {page.url}")


def visit(page, path: str, where: str) -> None:
    page.goto(page.base + path)
    checked(page, where)


def submit(page, button, where: str) -> None:
    """Click a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()
    checked(page, where)


def sign_in(page, email: str) -> None:
    """Through the sign-in page, as a person does; lands signed in as `email`."""
    page.set_default_timeout(TIMEOUT_MS)
    visit(page, "/login", "sign-in page")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    submit(page, page.locator("main button[type=submit]"), f"first page of {email}")
    assert page.locator(f"[data-user-email='{email}']").count() == 1, page.url


def sign_out(page) -> None:
    submit(page, page.locator("nav form[action$='/logout'] button"), "the page after signing out")
    assert page.locator("[data-user-email]").count() == 0


def flash(page) -> str:
    """The text of the page's messages (flashes)."""
    return " ".join(page.locator("main > .alert").all_inner_texts())


def amount_text(value: str) -> str:
    """A plain amount as the page shows it: 4159.20 as 4,159.20 (both locales group by 3)."""
    whole, _, cents = value.partition(".")
    return f"{int(whole):,}.{cents}" if cents else f"{int(whole):,}"


def order_number_in(url: str) -> str:
    found = re.search(r"/orders/(NW-\d{4}-\d+)", url)
    assert found, url
    return found.group(1)
