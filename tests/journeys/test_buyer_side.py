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

from portal.accounts.models import User
from portal.contracts.terms import term_text
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


#: Every page's footer, as a reader of each language sees it.
FOOTER = {"en": "Key-account portal", "zh": "大客户门户"}


# -- what the person sees ------------------------------------------------------------------------


def said(site, language, message, **values):
    """`message` as the portal says it in `language`."""
    with site[0].test_request_context(), force_locale(LOCALE[language]):
        return gettext(message, **values)


def term_said(site, language, name):
    """A standard payment term's name or milestone label as the portal says it in `language`."""
    with site[0].test_request_context(), force_locale(LOCALE[language]):
        return term_text(name)


def name_of(site, email):
    with site[0].app_context():
        return db.session.scalar(sa.select(User.name).where(User.email == email))


def passes(page, where):
    """The page speaks the journey's language, and axe finds nothing serious on it."""
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[page.language])
    expect(page.locator("footer")).to_contain_text(FOOTER[page.language])
    assert_accessible(page, f"{where} ({page.language})")


def fits_the_screen(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the phone"


def new_mark(language):
    """A mark no other run has: for PO numbers, e-mails and labels."""
    return f"{language.upper()}-{uuid.uuid4().hex[:8].upper()}"


def money(amount):
    return f"{amount:,.2f}"


# -- what the person does ------------------------------------------------------------------------


def sign_in(page, site, slug, email):
    """On the account's landing page, as the person would."""
    page.goto(f"{page.base}/a/{slug}/")
    heading = page.get_by_role("heading", name=said(site, page.language, "Sign in to your portal"))
    expect(heading).to_be_visible()
    passes(page, f"{slug}'s landing page, signed out")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator(f"[data-user-email='{email}']")).to_be_attached()  # folded on a phone


def sign_out(page, site):
    page.get_by_role("button", name=said(site, page.language, "Sign out")).click()
    expect(page.locator("input[name=password]")).to_be_visible()


def nav(page, site, label):
    """Follow the menu's link `label`."""
    name = said(site, page.language, label)
    page.locator("nav").get_by_role("link", name=name, exact=True).click()


def empty_cart(page, site, slug):
    """Whatever an earlier, failed run left in the cart goes."""
    page.goto(f"{page.base}/a/{slug}/cart")
    lines = page.locator(".cart-line")
    for left in range(lines.count(), 0, -1):
        lines.first.get_by_role("button", name=said(site, page.language, "Remove")).click()
        expect(lines).to_have_count(left - 1)


def quick_order(page, text):
    """Type or paste `SKU quantity` lines into the cart's quick order."""
    page.fill("#quick-order textarea[name=lines]", text)
    page.locator("#quick-order button[type=submit]").click()


def go_to_checkout(page, site, slug):
    page.locator("#checkout").click()
    page.wait_for_url(f"{page.base}/a/{slug}/checkout")
    expect(page.locator("h1")).to_have_text(said(site, page.language, "Checkout"))


def place_order(page, site, slug, po_number):
    """Place the order at checkout: the order's page (its header) comes back."""
    page.fill("input[name=po_number]", po_number)
    page.get_by_role("button", name=said(site, page.language, "Place order")).click()
    page.wait_for_url(f"{page.base}/a/{slug}/orders/*")
    return page.locator(".order-header")


# -- the buyer ----------------------------------------------------------------------------------


def test_the_buyer_orders_by_quick_order_and_pays_the_deposit_by_card(journey, phone, site):
    """Globex's buyer: landing page, catalog at the contract's prices, quick order, checkout
    under the account's term (a 30% deposit at order, the balance on delivery), the deposit
    paid with Stripe's test card, the order and the invoices showing it paid; then the catalog
    and the order on a phone."""
    page, language = journey, journey.language
    sign_in(page, site, "globex", "buyer@globex.example")
    welcome = said(site, language, "Welcome, %(name)s", name=name_of(site, "buyer@globex.example"))
    expect(page.get_by_role("heading", name=welcome)).to_be_visible()
    passes(page, "Globex's landing page, signed in")
    empty_cart(page, site, "globex")

    # The catalog: the contract's price (Laptops 12% off) beside the list price.
    nav(page, site, "Catalog")
    expect(page.locator("h1")).to_have_text(said(site, language, "Catalog"))
    page.get_by_label(said(site, language, "Search")).first.fill("NW-LT14")
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
    quick_order(page, "NW-LT14\t2\nnw-dock, 3")
    laptops = page.locator(".cart-line[data-sku='NW-LT14']")
    expect(laptops).to_have_attribute("data-qty", "2")
    assert Decimal(laptops.get_attribute("data-line-total")) == 2 * unit
    expect(page.locator(".cart-line[data-sku='NW-DOCK']")).to_have_attribute("data-qty", "3")
    total = Decimal(page.locator("#cart-total").get_attribute("data-cart-total"))
    deposit = str((total * Decimal("0.3")).quantize(Decimal("0.01")))
    passes(page, "cart")

    # Checkout under the account's term: it is the contract's, not the buyer's choice.
    go_to_checkout(page, site, "globex")
    term = term_said(site, language, "30% deposit, balance on delivery")
    expect(page.locator("main")).to_contain_text(term)
    schedule = page.locator("[data-schedule=preview] .schedule-line")
    expect(schedule).to_have_count(2)
    expect(schedule.first).to_have_attribute("data-share", "30")
    expect(schedule.first).to_have_attribute("data-event", "order")
    expect(schedule.first).to_have_attribute("data-amount", deposit)
    expect(page.locator("#needs-approval")).to_have_count(0)
    passes(page, "checkout")
    po_number = f"PO-{new_mark(language)}"
    order = place_order(page, site, "globex", po_number)
    expect(order).to_have_attribute("data-order-status", "submitted")
    assert Decimal(order.get_attribute("data-order-total")) == total
    number = order.get_attribute("data-order-number")
    expect(page.locator("h1")).to_have_text(said(site, language, "Order %(number)s", number=number))
    expect(page.locator("main")).to_contain_text(po_number)
    passes(page, "the order just placed")

    # The deposit by card, in Stripe's card element (localstripe's stand-in).
    page.locator("a[data-pay-milestone]").first.click()
    page.wait_for_url(f"{page.base}/a/globex/invoices/*/pay")
    summary = page.locator("#pay-summary")
    expect(summary).to_have_attribute("data-order-number", number)
    expect(summary).to_have_attribute("data-amount", deposit)
    expect(summary.locator("h2")).to_contain_text(term_said(site, language, "Deposit"))
    card = page.locator("#card-element")
    expect(card.locator("input[placeholder=number]")).to_be_visible()
    passes(page, "pay by card")
    for name, value in TEST_CARD.items():
        card.locator(f"input[placeholder={name}]").fill(value)
    page.locator("#pay-button").click()
    # The return page asks Stripe by itself, then shows the payment paid.
    expect(page.locator("#card-payment")).to_have_attribute("data-paid", "true", timeout=20_000)
    expect(page.locator("#card-payment [role=status]")).to_have_text(
        said(site, language, "Paid. Thank you: Stripe confirmed your card payment.")
    )
    passes(page, "card payment, paid")

    # The order shows its deposit paid, the balance open, and nothing to pay by card now.
    page.get_by_role("link", name=said(site, language, "Order %(number)s", number=number)).click()
    page.wait_for_url(f"{page.base}/a/globex/orders/{number}")
    milestones = page.locator("[data-schedule=order] .schedule-line")
    expect(milestones.first).to_have_attribute("data-paid", "true")
    expect(milestones.first).to_have_attribute("data-amount", deposit)
    expect(milestones.first.locator(".badge")).to_have_text(said(site, language, "paid"))
    expect(milestones.last).to_have_attribute("data-paid", "false")
    expect(page.locator("a[data-pay-milestone]")).to_have_count(0)
    passes(page, "the order with its deposit paid")

    # Among the invoices (overdue ones of older orders beside it), the deposit's is paid.
    nav(page, site, "Invoices")
    invoice = page.locator(f"tr[data-invoice-number^='{number}-']")
    expect(invoice).to_have_attribute("data-status", "paid")
    expect(invoice).to_contain_text(po_number)
    passes(page, "invoices")

    # On a phone: the landing page, the catalog and the order, each within the screen.
    sign_in(phone, site, "globex", "buyer@globex.example")
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


# -- the approver -------------------------------------------------------------------------------


def test_the_approver_approves_an_order_above_the_buyers_limit(journey, site):
    """Acme's buyer orders above her spending limit; the order waits; Acme's approver finds it
    on her landing page and in her approvals, approves it, and it goes ahead."""
    page, language = journey, journey.language
    sign_in(page, site, "acme", "buyer@acme.example")
    empty_cart(page, site, "acme")
    nav(page, site, "Cart")
    quick_order(page, "NW-LT14 10")
    expect(page.locator(".cart-line[data-sku='NW-LT14']")).to_have_attribute("data-qty", "10")
    go_to_checkout(page, site, "acme")
    expect(page.locator("#needs-approval")).to_be_visible()
    passes(page, "checkout above the spending limit")
    po_number = f"PO-{new_mark(language)}"
    order = place_order(page, site, "acme", po_number)
    expect(order).to_have_attribute("data-order-status", "pending_approval")
    number = order.get_attribute("data-order-number")
    passes(page, "the order waiting for approval")
    sign_out(page, site)

    sign_in(page, site, "acme", "approver@acme.example")
    waiting = page.locator(f".orders-waiting [data-order-number='{number}']")
    expect(waiting).to_be_visible()
    passes(page, "the approver's landing page")
    nav(page, site, "Approvals")
    expect(page.locator("h1")).to_have_text(said(site, language, "Orders waiting for approval"))
    card = page.locator(f".approval[data-order-number='{number}']")
    expect(card).to_contain_text(po_number)
    passes(page, "approvals")
    comment = f"Approved for the ward ({po_number})"
    card.get_by_role("textbox").fill(comment)
    card.get_by_role("button", name=said(site, language, "Approve")).click()
    expect(page.get_by_role("alert")).to_have_text(
        said(site, language, "Order %(number)s approved.", number=number)
    )
    expect(card).to_have_count(0)
    passes(page, "approvals after approving")

    nav(page, site, "Orders")
    page.get_by_role("link", name=number, exact=True).click()
    page.wait_for_url(f"{page.base}/a/acme/orders/{number}")
    expect(page.locator(".order-header")).to_have_attribute("data-order-status", "submitted")
    approved = page.locator(".order-timeline li", has=page.locator("[data-action=approved]"))
    expect(approved).to_contain_text(comment)
    expect(approved).to_contain_text(name_of(site, "approver@acme.example"))
    passes(page, "the approved order")


# -- the customer's administrator ---------------------------------------------------------------


def test_the_customer_admin_adds_a_user_sets_a_limit_and_adds_an_address(journey, site):
    """Initech's administrator adds a buyer with a spending limit, raises it, and adds a
    delivery address; each shows on the users and addresses page."""
    page, language = journey, journey.language
    mark = new_mark(language)
    email = f"buyer-{mark.lower()}@initech.example"
    sign_in(page, site, "initech", "admin@initech.example")
    nav(page, site, "Users and addresses")
    expect(page.locator("h1")).to_have_text(said(site, language, "Portal users"))
    passes(page, "users and addresses")

    page.get_by_role("link", name=said(site, language, "Add user")).click()
    expect(page.locator("h1")).to_have_text(said(site, language, "New user"))
    passes(page, "new user")
    page.get_by_label(said(site, language, "Name"), exact=True).fill(f"Journey Buyer {mark}")
    page.get_by_label(said(site, language, "E-mail"), exact=True).fill(email)
    page.locator("select[name=role]").select_option("buyer")
    page.get_by_label(said(site, language, "Spending limit")).fill("12345")
    page.get_by_role("button", name=said(site, language, "Save")).click()
    row = page.locator(f"tr[data-user-email='{email}']")
    expect(row).to_contain_text("12,345.00")
    expect(page.get_by_role("alert")).to_contain_text(email)
    passes(page, "users with the new user")

    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(said(site, language, "Edit %(email)s", email=email))
    passes(page, "edit user")
    page.get_by_label(said(site, language, "Spending limit")).fill("23456.50")
    page.get_by_role("button", name=said(site, language, "Save")).click()
    expect(page.get_by_role("alert")).to_have_text(
        said(site, language, "Changes to %(email)s saved.", email=email)
    )
    expect(row).to_contain_text("23,456.50")
    passes(page, "users with the limit changed")

    label = f"Dock {mark}"
    add = page.locator("form", has=page.locator("input[name=label]"))
    add.locator("input[name=label]").fill(label)
    add.locator("input[name=recipient_name]").fill("张伟")
    add.locator("input[name=recipient_phone]").fill("138 0013 8000")
    add.locator("select[name=province]").select_option("上海市")
    add.locator("input[name=city]").fill("上海市")
    add.locator("input[name=district]").fill("浦东新区")
    add.locator("textarea[name=lines]").fill("世纪大道 100 号")
    add.locator("input[name=postcode]").fill("200120")
    add.get_by_role("button", name=said(site, language, "Add address")).click()
    expect(page.get_by_role("alert")).to_have_text(said(site, language, "Address added."))
    expect(page.locator(".list-group-item", has_text=label)).to_contain_text("浦东新区")
    passes(page, "addresses with the new one")
