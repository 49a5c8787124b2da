"""Every persona's day in Debian's Chromium, in English and in Chinese (issue 19): one demo
site for the whole directory (card payments through localstripe, the insights' figures), a
page per test in the test's language, and axe-core on the pages a journey passes
(tests/support/axe.py). A failing journey leaves screenshots in test-results/screenshots/
(tests/fixtures/browser.py)."""

import pytest

from tests.support.dashboard import figures_for_the_demo
from tests.support.live import demo_site_with_stripe

#: What a browser set to each language sends.
ACCEPT_LANGUAGE = {"en": "en-GB,en;q=0.9", "zh": "zh-CN,zh;q=0.9"}


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """(app, base URL) of the demo that every journey walks through."""
    path = tmp_path_factory.mktemp("journeys") / "demo.db"
    with demo_site_with_stripe(path, figures_for_the_demo, LANGUAGES=["en", "zh_Hans"]) as site:
        yield site


@pytest.fixture(params=["en", "zh"])
def language(request):
    return request.param


@pytest.fixture
def journey(browser, site, language):
    """A fresh browser page at 1280 px that asks for `language`, with `.base` the site's URL."""
    yield from _page(browser, site, language, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser, site, language):
    """The same on a phone, 390 px wide (a failure screenshots it too)."""
    yield from _page(
        browser,
        site,
        language,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )


def _page(browser, site, language, **options):
    context = browser.new_context(
        extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE[language]}, **options
    )
    page = context.new_page()
    page.base = site[1]
    page.language = language
    yield page
    context.close()
