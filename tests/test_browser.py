"""Through Debian's Chromium: a buyer signs in on their branded landing page, and orders by
quick order through checkout to the order page."""

import os

import pytest

from tests.support.live import demo_site

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The portal with the demo data, served on a free loopback port in a thread."""
    with demo_site(tmp_path_factory.mktemp("live") / "live.db") as (_, base):
        yield base


def screenshot(page, name):
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_a_buyer_signs_in_on_the_landing_page_and_sees_acme(page, live_server):
    page.goto(f"{live_server}/a/acme/")
    screenshot(page, "acme-anonymous")
    page.fill("input[name=email]", "buyer@acme.example")
    page.fill("input[name=password]", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/a/acme/")

    assert page.locator("h1").inner_text() == "Acme Hospital Group"
    assert "Welcome, Alice Buyer" in page.content()
    assert page.locator("[data-rep-email='inside@northwind.example']").is_visible()
    assert page.locator(".hotline-number").inner_text() == "+86 21 5555 0100"
    logo_width = page.eval_on_selector(".landing-logo", "img => img.naturalWidth")
    assert logo_width > 0
    navbar_colour = page.eval_on_selector(
        "nav.navbar", "el => getComputedStyle(el).backgroundColor"
    )
    assert navbar_colour == "rgb(11, 110, 79)"  # Acme's brand colour #0b6e4f
    screenshot(page, "acme-buyer")
    assert page.console_errors == []  # among others: no CSP violations


def test_a_wrong_password_shows_a_clear_message(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "buyer@acme.example")
    page.fill("input[name=password]", "not-the-password")
    page.click("main button[type=submit]")
    assert "The e-mail or password is not correct." in page.content()


def test_the_landing_page_fits_a_phone_screen(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server}/a/globex/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("input[name=email]").is_visible()
    screenshot(page, "globex-phone")
    context.close()


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_a_buyer_orders_by_quick_order_and_sees_the_order(page, live_server):
    sign_in(page, live_server, "buyer@acme.example")
    page.click("nav >> text=Catalog")
    laptop = page.locator("[data-sku='NW-LT14'][data-unit-price]").first
    assert laptop.get_attribute("data-unit-price") == "7650.00"
    assert laptop.get_attribute("data-list-price") == "8999.00"

    page.click("nav >> text=Cart")
    page.fill("textarea[name=lines]", "NW-LT14\t2\nnw-mn27, 1")
    page.click("#quick-order button[type=submit]")
    page.wait_for_load_state()
    lines = {
        line.get_attribute("data-sku"): (
            line.get_attribute("data-qty"),
            line.get_attribute("data-line-total"),
        )
        for line in page.locator(".cart-line").all()
    }
    assert lines == {"NW-LT14": ("2", "15300.00"), "NW-MN27": ("1", "2039.15")}
    screenshot(page, "acme-cart")

    page.click("#checkout")
    page.wait_for_url(f"{live_server}/a/acme/checkout")
    assert "30 days after shipment" in page.content()
    screenshot(page, "acme-checkout")
    page.fill("input[name=po_number]", "PO-4711")
    page.click("button:has-text('Place order')")
    page.wait_for_url(f"{live_server}/a/acme/orders/NW-*")

    order = page.locator("[data-order-number]")
    assert order.get_attribute("data-order-status") == "submitted"
    assert order.get_attribute("data-order-total") == "17339.15"
    assert "PO-4711" in page.content()
    screenshot(page, "acme-order")
    assert page.console_errors == []
