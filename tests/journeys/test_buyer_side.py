"""The buyer side's personas in Debian's Chromium, in English and in Chinese (issue 19): Globex's
buyer orders by quick order and pays the deposit by card, also on a phone; Acme's approver
approves a colleague's order above her limit; Initech's administrator adds a user, changes a
spending limit and adds an address. axe-core checks every page a journey passes.

Every journey works on its own: PO numbers, e-mails and labels are new on each run, the cart
is emptied first, and nothing counts rows the other journeys add."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from portal.extensions import db
from tests.support.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "demo-password"

#: <html lang> of a page in each of the journeys' languages, and the portal's locale.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
LOCALE = {"en": "en", "zh": "zh_Hans"}

#: The card a payment by Stripe's test card is made with (the card element's fields).
TEST_CARD = {
    "number": "4242424242424242",
    "exp_month": "12",
    "exp_year": "34",
    "cvc": "123",
    "postal_code": "60601",
}


@pytest.fixture
def phone(browser, site, language):
    """A phone's page, 390 px wide, asking for `language` (a failure screenshots it too)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        extra_http_headers={"Accept-Language": _accept_language(language)},
    )
    page = context.new_page()
    page.base = site[1]
    page.language = language
    yield page
    context.close()


def _accept_language(language):
    return {"en": "en-GB,en;q=0.9", "zh": "zh-CN,zh;q=0.9"}[language]


# -- what every step checks ---------------------------------------------------------------------


def said(site, language, message, **values):
    """`message` as the portal says it in `language`."""
    app = site[0]
    with app.test_request_context(), force_locale(LOCALE[language]):
        return gettext(message, **values)


def passes(page, where):
    """The page is in the journey's language and axe finds nothing serious on it."""
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[page.language])
    assert_accessible(page, f"{where} ({page.language})")


def fits_the_screen(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the phone"


def new_mark(language):
    return f"{language.upper()}-{uuid.uuid4().hex[:8].upper()}"


def sign_in(page, slug, email, site):
    """From the account's landing page, as the person would."""
    page.goto(f"{page.base}/a/{slug}/")
    expect(page.locator("h2", has_text=said(site, page.language, "Sign in to your portal")))
    passes(page, f"{slug}'s landing page, signed out")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator(f"[data-user-email='{email}']")).to_be_attached()


def sign_out(page, site):
    page.get_by_role("button", name=said(site, page.language, "Sign out")).click()
    expect(page.locator("input[name=password]")).to_be_visible()


def nav(page, site, label):
    page.locator("nav").get_by_role("link", name=said(site, page.language, label), exact=True).click()


def empty_cart(page, site, slug):
    """Whatever an earlier, failed run left in the cart goes."""
    page.goto(f"{page.base}/a/{slug}/cart")
    lines = page.locator(".cart-line")
    for left in range(lines.count(), 0, -1):
        lines.first.get_by_role("button", name=said(site, page.language, "Remove")).click()
        expect(lines).to_have_count(left - 1)


def quick_order(page, site, text):
    page.fill("#quick-order textarea[name=lines]", text)
    page.locator("#quick-order button[type=submit]").click()


def place_order(page, site, slug, po_number):
    page.locator("#checkout").click()
    page.wait_for_url(f"{page.base}/a/{slug}/checkout")
    expect(page.locator("h1")).to_have_text(said(site, page.language, "Checkout"))
    passes(page, "checkout")
    page.fill("input[name=po_number]", po_number)
    page.get_by_role("button", name=said(site, page.language, "Place order")).click()
    page.wait_for_url(f"{page.base}/a/{slug}/orders/*")
    order = page.locator("[data-order-number]").first
    expect(order).to_be_visible()
    return order


def money(amount):
    return f"{amount:,.2f}"


# -- the buyer ----------------------------------------------------------------------------------


def test_the_buyer_orders_by_quick_order_and_pays_the_deposit_by_card(journey, phone, site):
    """Globex's buyer: landing, catalog at the contract's prices, quick order, checkout under
    the 30% deposit term, the deposit paid with Stripe's test card, the order showing it paid;
    the catalog and the order again on a phone."""
    page, language = journey, journey.language
    sign_in(page, "globex", "buyer@globex.example", site)
    expect(page.locator("h2", has_text=said(site, language, "Welcome, %(name)s", name=_name(site, "buyer@globex.example")))).to_be_visible()
    passes(page, "Globex's landing page, signed in")
    empty_cart(page, site, "globex")

    # The catalog shows the contract's price (Laptops 12% off) beside the list price.
    nav(page, site, "Catalog")
    expect(page.locator("h1")).to_have_text(said(site, language, "Catalog"))
    page.fill("#q", "NW-LT14")
    page.locator("form[role=search] button[type=submit]").click()
    laptop = page.locator("article[data-sku='NW-LT14']")
    expect(laptop).to_have_count(1)
    unit = Decimal(laptop.get_attribute("data-unit-price"))
    assert unit < Decimal(laptop.get_attribute("data-list-price"))
    expect(laptop.locator(".price-now")).to_contain_text(money(unit))
    expect(laptop.locator(".saving-badge")).to_be_visible()
    passes(page, "catalog")

    # Quick order, as pasted from a spreadsheet.
    nav(page, site, "Cart")
    quick_order(page, site, "NW-LT14\t2\nnw-dock, 3")
    laptops = page.locator(".cart-line[data-sku='NW-LT14']")
    expect(laptops).to_have_attribute("data-qty", "2")
    assert Decimal(laptops.get_attribute("data-line-total")) == 2 * unit
    expect(page.locator(".cart-line[data-sku='NW-DOCK']")).to_have_attribute("data-qty", "3")
    total = Decimal(page.locator("#cart-total").get_attribute("data-cart-total"))
    passes(page, "cart")

    # Checkout: the account's term is fixed, a 30% deposit at order and the balance on delivery.
    po_number = f"PO-{new_mark(language)}"
    page.locator("#checkout").click()
    page.wait_for_url(f"{page.base}/a/globex/checkout")
    schedule = page.locator("[data-schedule=preview] .schedule-line")
    expect(schedule).to_have_count(2)
    expect(schedule.first).to_have_attribute("data-share", "30")
    expect(schedule.first).to_have_attribute("data-event", "order")
    assert Decimal(schedule.first.get_attribute("data-amount")) == (total * 3 / 10).quantize(
        Decimal("0.01")
    )
    expect(page.locator("#needs-approval")).to_have_count(0)
    passes(page, "checkout")
    page.fill("input[name=po_number]", po_number)
    page.get_by_role("button", name=said(site, language, "Place order")).click()
    page.wait_for_url(f"{page.base}/a/globex/orders/*")
    order = page.locator(".order-header")
    expect(order).to_have_attribute("data-order-status", "submitted")
    assert Decimal(order.get_attribute("data-order-total")) == total
    number = order.get_attribute("data-order-number")
    expect(page.locator("main")).to_contain_text(po_number)
    expect(page.locator("h1")).to_have_text(said(site, language, "Order %(number)s", number=number))
    passes(page, "the order just placed")

    # The deposit by card, in Stripe's card element (localstripe's stand-in).
    page.locator("a[data-pay-milestone]").first.click()
    page.wait_for_url(f"{page.base}/a/globex/invoices/*/pay")
    summary = page.locator("#pay-summary")
    expect(summary).to_have_attribute("data-order-number", number)
    deposit = Decimal(summary.get_attribute("data-amount"))
    assert deposit == Decimal(schedule_amount := str((total * 3 / 10).quantize(Decimal("0.01"))))
    card = page.locator("#card-element")
    expect(card.locator("input[placeholder=number]")).to_be_visible()
    passes(page, "pay by card")
    for name, value in TEST_CARD.items():
        card.locator(f"input[placeholder={name}]").fill(value)
    page.locator("#pay-button").click()
    expect(page.locator("#card-payment")).to_have_attribute("data-paid", "true", timeout=20_000)
    expect(page.locator("#card-payment [role=status]")).to_have_text(
        said(site, language, "Paid. Thank you: Stripe confirmed your card payment.")
    )
    passes(page, "card payment paid")

    # The order shows its deposit paid, and nothing more to pay by card now.
    page.get_by_role("link", name=said(site, language, "Order %(number)s", number=number)).click()
    page.wait_for_url(f"{page.base}/a/globex/orders/{number}")
    paid = page.locator("[data-schedule=order] .schedule-line").first
    expect(paid).to_have_attribute("data-paid", "true")
    expect(paid).to_have_attribute("data-amount", schedule_amount)
    expect(paid.locator(".badge")).to_have_text(said(site, language, "paid"))
    expect(page.locator("[data-schedule=order] .schedule-line[data-paid=false]")).to_have_count(1)
    expect(page.locator("a[data-pay-milestone]")).to_have_count(0)
    passes(page, "the order with its deposit paid")

    # Among the invoices, the deposit's is paid (overdue ones of other orders show beside it).
    nav(page, site, "Invoices")
    invoice = page.locator(f"tr[data-invoice-number^='{number}-']")
    expect(invoice).to_have_count(1)
    expect(invoice).to_have_attribute("data-status", "paid")
    expect(invoice).to_contain_text(po_number)
    passes(page, "invoices")

    # On a phone: the catalog and the order.
    sign_in(phone, "globex", "buyer@globex.example", site)
    fits_the_screen(phone)
    phone.goto(f"{phone.base}/a/globex/catalog?q=NW-LT14")
    expect(phone.locator("article[data-sku='NW-LT14'] .price-now")).to_contain_text(money(unit))
    fits_the_screen(phone)
    passes(phone, "catalog on a phone")
    phone.goto(f"{phone.base}/a/globex/orders/{number}")
    expect(phone.locator(".order-header")).to_have_attribute("data-order-number", number)
    expect(phone.locator("[data-schedule=order] .schedule-line").first).to_have_attribute(
        "data-paid", "true"
    )
    fits_the_screen(phone)
    passes(phone, "the order on a phone")


def _name(site, email):
    from portal.accounts.models import User

    with site[0].app_context():
        return db.session.scalar(sa.select(User.name).where(User.email == email))
