"""Every page of every persona of the demo, in Chromium at a phone's width (390 px) and a
desktop's (1280 px): no horizontal overflow, no console error, no CSP violation and no failed
request. The pages are the GET rules of app.url_map, filled with ids from the demo data; a page
is a persona's when it answers them 200 with HTML (403 and 404 are refusals, redirects lead to
pages visited in their own right), and every page must be some persona's. Two personas browse
with a Chinese (zh-CN) browser and must be shown every page in Chinese: Qingdao's buyer 王芳 and
its inside-sales rep 陈静; to keep the run short they walk their own account's pages only."""

import os
import re
from datetime import timedelta
from functools import cache

import pytest
import sqlalchemy as sa

from portal.accounts.models import Address, KeyAccount, User
from portal.api import webhook_services, webhooks
from portal.api.models import EVENT_TYPES, WebhookEndpoint
from portal.auth import password_links
from portal.cart import services as cart
from portal.cart.models import OrderList
from portal.catalog.models import Product
from portal.contracts.models import Contract, PaymentTerm, PriceRule
from portal.contracts.services import today_for
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.hotline import services as hotline
from portal.hotline.models import HotlineRequest, Lead
from portal.ordering import placement
from portal.ordering.models import LetterOfCredit, Order
from portal.payments import invoices, statement_services
from portal.payments import services as payments
from portal.payments.models import BankStatementLine
from portal.pipeline.models import Visit
from portal.quotes.models import Quote, QuoteVersion
from tests.support.bank import camt053, entry
from tests.support.card_payments import stripe_settings
from tests.support.live import demo_site
from tests.support.quotes import accepted_quote
from tests.support.web import token_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_transaction,
    # When Chromium cuts a request short (a favicon as the next page loads), the live server's
    # thread leaves the static file to the garbage collector, which warns wherever a test is.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO name=.*/static/"
        ":pytest.PytestUnraisableExceptionWarning"
    ),
]

#: Who signs in (None: nobody), with the role that makes each one a persona of its own.
PERSONAS = {
    None: "anonymous",
    "buyer@acme.example": "buyer",
    "buyer@globex.example": "buyer (card payments)",
    "approver@acme.example": "approver",
    "admin@initech.example": "customer_admin",
    "admin@northwind.example": "account_admin",
    "manager@northwind.example": "sales_manager",
    "director@northwind.example": "sales_director",
    "inside@northwind.example": "inside_sales",
    "field@northwind.example": "field_sales",
    "callcenter@northwind.example": "call_center",
    "finance@northwind.example": "finance",
    "sysadmin@northwind.example": "sysadmin",
    "wangfang@qingdao.example": "buyer (Chinese)",
    "chen@northwind.example": "inside_sales (Chinese)",
}
#: The personas whose browser asks for Chinese, as a zh-CN Chrome does, with the one account
#: whose pages they walk (their own; Qingdao is 陈静's as its rep).
CHINESE_PERSONAS = {
    "wangfang@qingdao.example": "qingdao",
    "chen@northwind.example": "qingdao",
}
CHINESE_BROWSER = "zh-CN,zh;q=0.9"
WIDTHS = (390, 1280)
#: GET rules that serve files, not pages (the demo's products have no images).
#: ... and a PunchOut start link, which opens once within minutes of its setup request and
#: signs its user in (tests/api/test_punchout.py opens it and its refusal page).
NOT_PAGES = {"static", "bootstrap.static", "catalog.product_image", "punchout.start"}

#: Several lines, and a word too long for a phone's line: notes must keep their line breaks
#: (an inline style the CSP blocks lost them) and stay inside the page.
NOTE = "Call after 14:00.\nAsk for the ward manager.\nReference: " + "X" * 60


def add_what_the_demo_lacks():
    """Full carts and an order list made of each, an order waiting for approval, one under a
    letter of credit, a request that became a lead and one that became a sample request, so the
    tables of those pages have rows."""
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    for email, items in [
        ("buyer@lotus.example", [("NW-SRV2", 2)]),
        ("buyer@acme.example", [("NW-LT14", 8)]),  # above Alice's spending limit
    ]:
        buyer = users[email]
        account = db.session.get(KeyAccount, buyer.account_id)
        address_id = db.session.scalar(
            sa.select(sa.func.min(Address.id)).where(Address.account_id == account.id)
        )
        order = placement.place_order(
            buyer, account, placement.Checkout(ship_to_address_id=address_id), email, items=items
        )
        if order.needs_letter_of_credit:  # registered, so that finance can amend it
            today = today_for(account)
            payments.register_letter_of_credit(
                users["finance@northwind.example"],
                order,
                payments.LetterOfCreditDetails(
                    "Bank of Shenzhen",
                    "LC-PAGES-1",
                    order.currency,
                    order.total.amount,
                    today + timedelta(days=60),
                    today + timedelta(days=30),
                    "Commercial invoice, bill of lading",
                ),
            )
    for email, items in [
        ("buyer@acme.example", [("NW-LT14", 2), ("NW-MN27", 1), ("NW-DOCK", 3)]),
        ("buyer@globex.example", [("NW-LT14", 1), ("NW-MN27", 12)]),
    ]:
        buyer = users[email]
        account = db.session.get(KeyAccount, buyer.account_id)
        cart.add_available(buyer, account, items)
        db.session.commit()
        cart.save_order_list(buyer, account, "Monthly office order")  # a shared order list
        db.session.commit()
    for email, outcome, sku in [
        ("buyer@acme.example", "purchase_plan", None),
        ("buyer@globex.example", "evaluation_unit", "NW-LT14"),
    ]:
        buyer = users[email]
        account = db.session.get(KeyAccount, buyer.account_id)
        filed = hotline.file_request(
            buyer,
            account,
            topic="quote",
            description=NOTE,
            phone=buyer.phone,
            callback_window="any",
        )
        worker = db.session.get(User, filed.assignee_id)
        hotline.claim(worker, filed)
        hotline.close(worker, filed, outcome, NOTE, sku=sku, quantity=1 if sku else None)
    # An accepted quote to order from (the demo's 200 x NW-LT14 at 6,900.00).
    accepted_quote("acme", [("NW-LT14", 200, "6900.00")])
    # A visit to Acme planned by its field-sales rep (the visits pages have a row).
    acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    if acme.field_sales_rep_id is not None:
        db.session.add(
            Visit(
                account_id=acme.id,
                owner_id=acme.field_sales_rep_id,
                planned_on=today_for(acme) + timedelta(days=3),
                contact_name="Alice",
                purpose=NOTE,
            )
        )
        db.session.commit()
    # Initech's webhooks: an endpoint whose receiver is down, with a test event tried once.
    initech = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "initech"))
    endpoint, _secret = webhook_services.create_endpoint(
        users["admin@initech.example"],
        initech,
        webhook_services.EndpointValues("http://127.0.0.1:9/hooks", EVENT_TYPES, NOTE[:100]),
    )
    webhook_services.send_test_event(users["admin@initech.example"], endpoint)
    webhooks.deliver_due()
    # A bank statement whose line matches no invoice: the queue and its line page have rows.
    statement_services.upload_statement(
        users["finance@northwind.example"],
        "statement.xml",
        camt053([entry("888.00", NOTE, bank_reference="PAGES-1")]),
    )


def arguments(account: KeyAccount) -> dict[str, object]:
    """A real value for each URL argument of `account`'s pages (None: it has none)."""

    def first(query):
        return db.session.scalar(query.limit(1))

    contract_id = first(
        sa.select(Contract.id).where(Contract.account_id == account.id).order_by(Contract.id)
    )
    rows = invoices.all_invoices(account, today_for(account))
    user = db.session.scalar(
        sa.select(User).where(User.account_id == account.id).order_by(User.id.desc()).limit(1)
    )
    quote = first(sa.select(Quote).where(Quote.account_id == account.id).order_by(Quote.id))
    quote_version = quote and first(
        sa.select(sa.func.max(QuoteVersion.number)).where(
            QuoteVersion.quote_id == quote.id,
            sa.or_(QuoteVersion.side == "buyer", QuoteVersion.status == "sent"),
        )
    )
    return {
        "slug": account.slug,
        "number": first(
            sa.select(Order.number).where(Order.account_id == account.id).order_by(Order.id)
        ),
        "invoice_number": rows[0].number if rows else None,
        "milestone_id": rows[0].milestone.id if rows else None,
        "user_id": user.id,
        "staff_id": first(sa.select(User.id).where(User.account_id.is_(None)).order_by(User.id)),
        # The page a reset link opens (the link stays valid until a password is set).
        "token": password_links.link_for(user, password_links.RESET).rsplit("/", 1)[1],
        "request_id": first(
            sa.select(HotlineRequest.id)
            .where(HotlineRequest.account_id == account.id)
            .order_by(HotlineRequest.id.desc())
        ),
        "contract_id": contract_id,
        "rule_id": first(
            sa.select(PriceRule.id)
            .where(PriceRule.contract_id == contract_id)
            .order_by(PriceRule.id)
        ),
        "sku": first(sa.select(Product.sku).order_by(Product.id)),
        "term_id": first(sa.select(PaymentTerm.id).order_by(PaymentTerm.id)),
        "letter_id": first(
            sa.select(LetterOfCredit.id)
            .join(Order, Order.id == LetterOfCredit.order_id)
            .where(Order.account_id == account.id)
        ),
        "address_id": first(
            sa.select(Address.id).where(Address.account_id == account.id).order_by(Address.id)
        ),
        "list_id": first(
            sa.select(OrderList.id).where(OrderList.account_id == account.id).order_by(OrderList.id)
        ),
        "line_id": first(sa.select(BankStatementLine.id).order_by(BankStatementLine.id)),
        # The account's demo quote and its latest version the buyer sees (their own request,
        # or the supplier's once sent): its PDF opens for the buyer and for staff.
        "quote_number": quote.number if quote else None,
        "version": quote_version,
        # insights: the dashboard's account table as CSV
        "table": "accounts",
        "file_format": "csv",
        "lead_id": first(sa.select(Lead.id).where(Lead.account_id == account.id).order_by(Lead.id)),
        "visit_id": first(
            sa.select(Visit.id).where(Visit.account_id == account.id).order_by(Visit.id)
        ),
        "endpoint_id": first(
            sa.select(WebhookEndpoint.id)
            .where(WebhookEndpoint.account_id == account.id)
            .order_by(WebhookEndpoint.id)
        ),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory, localstripe):
    path = tmp_path_factory.mktemp("pages") / "pages.db"
    settings = {**stripe_settings(localstripe), "LANGUAGES": ["en", "zh_Hans"]}
    with demo_site(path, add_what_the_demo_lacks, **settings) as (app, base):
        with app.app_context():
            accounts = db.session.scalars(sa.select(KeyAccount).order_by(KeyAccount.id)).all()
            app.page_arguments = {a.slug: arguments(a) for a in accounts}
            app.own_slug = {
                email: slug
                for email, slug in db.session.execute(
                    sa.select(User.email, KeyAccount.slug).join(
                        KeyAccount, KeyAccount.id == User.account_id
                    )
                )
            }
        yield app, base


def candidate_urls(app, email) -> dict[str, list[str]]:
    """endpoint -> URLs of each GET rule, one per account that has a value for each argument:
    the persona's own account first, then the others (a Chinese persona: its own only)."""
    slugs = sorted(app.page_arguments, key=lambda slug: slug != app.own_slug.get(email))
    if email in CHINESE_PERSONAS:
        slugs = [CHINESE_PERSONAS[email]]
    urls = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        for slug in slugs:
            values = {name: app.page_arguments[slug].get(name) for name in rule.arguments}
            if None not in values.values():
                url = rule.build(values)[1]
                if url not in urls.setdefault(rule.endpoint, []):
                    urls[rule.endpoint].append(url)
    return urls


def signed_in_client(app, email):
    client = app.test_client()
    if email in CHINESE_PERSONAS:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE_BROWSER
    if email:
        token = token_in(client.get("/login"))
        answer = client.post(
            "/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 302, f"{email} could not sign in"
    return client


@cache
def _pages(app, email) -> tuple[dict[str, str], dict[str, str]]:
    """(endpoint -> URL of the persona's HTML pages, endpoint -> URL of what else answers it:
    files, and pages that send it elsewhere). Of a rule's URLs, the first that shows a page."""
    client = signed_in_client(app, email)
    pages, others = {}, {}
    for endpoint, urls in sorted(candidate_urls(app, email).items()):
        for url in urls:
            answer = client.get(url)
            assert answer.status_code < 500, f"{url} answers {answer.status_code} to {email}"
            if answer.status_code == 200 and answer.mimetype == "text/html":
                pages[endpoint] = url
                break
            if answer.status_code not in (403, 404):
                others.setdefault(endpoint, url)
    return pages, others


def test_every_get_rule_is_a_page_or_file_of_some_persona(site):
    app, _ = site
    served = set()
    for email in PERSONAS:
        pages, others = _pages(app, email)
        served |= pages.keys() | others.keys()
    get_rules = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    # A rule listed here has no value for an argument in arguments(), or no persona may open it.
    assert get_rules - NOT_PAGES - served == set()


#: Run in every page before its own scripts: CSP violations, as the browser reports them.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`
));
"""

#: The elements wider than the page reaches, deepest first, to say what overflows.
OVERFLOWING = """
width => Array.from(document.body.querySelectorAll('*'))
  .filter(el => el.getBoundingClientRect().right > width + 1)
  .filter(el => !Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 1))
  .slice(0, 3)
  .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`
             + ` to ${Math.round(el.getBoundingClientRect().right)}px`)
"""


#: What a buyer must reach without scrolling sideways, even inside a table: every button, field
#: and total (tables that only scroll would hide the cart's total and the Pay buttons).
OUT_OF_REACH = """
width => Array.from(document.querySelectorAll(
    'main .btn, main button, main input:not([type=hidden]), main select, main textarea, '
    + 'main [data-cart-total], main [data-order-total]'))
  .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden'))
  .filter(el => el.getBoundingClientRect().right > width + 1
             || el.getBoundingClientRect().left < -1)
  .slice(0, 3)
  .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${el.innerText || el.name}"`)
"""


def browser_page(browser, base, email, width):
    # What a zh-CN Chrome sends (Playwright's locale="zh-CN" would send "zh-CN" alone).
    headers = {"Accept-Language": CHINESE_BROWSER} if email in CHINESE_PERSONAS else {}
    context = browser.new_context(
        viewport={"width": width, "height": 900}, extra_http_headers=headers
    )
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.problems = []
    page.on(
        "console",
        lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"),
    )
    page.on("pageerror", lambda e: page.problems.append(f"script error: {e} {e.stack}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and page.problems.append(f"{r.status} for {r.url}"),
    )
    # A request that the next navigation cut short (ERR_ABORTED, often the favicon) did not fail.
    page.on(
        "requestfailed",
        lambda r: (
            r.failure != "net::ERR_ABORTED" and page.problems.append(f"failed: {r.url} {r.failure}")
        ),
    )
    if email:
        page.goto(f"{base}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{email} could not sign in"
    return page


def problems_of(page, url, width, buyer_side, language=None) -> list[str]:
    """What is wrong with the page at `url`; `language`: the one it must be in (its <html lang>
    starts with it), for a persona whose browser asks for one."""
    page.problems = []
    answer = page.goto(url)
    found = list(page.problems)
    if answer is None or answer.status >= 400:
        found.append(f"answered {answer and answer.status}")
    if language:
        shown_in = page.evaluate("document.documentElement.lang")
        if not shown_in.startswith(language):
            found.append(f"in {shown_in!r}, not {language}")
    found += [f"CSP: {v}" for v in page.evaluate("window.__csp")]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        wide = page.evaluate(OVERFLOWING, width)
        found.append(f"{scroll} px wide: {', '.join(wide)}")
    if buyer_side and width < 768:
        found += [f"out of reach: {e}" for e in page.evaluate(OUT_OF_REACH, width)]
    if found and os.environ.get("PORTAL_SCREENSHOTS"):  # to see what a person would
        name = re.sub(r"\W+", "-", url.split("//", 1)[1].split("/", 1)[1])
        page.screenshot(
            path=f"{os.environ['PORTAL_SCREENSHOTS']}/{width}-{name}.png", full_page=True
        )
    return found


@pytest.mark.parametrize("email", list(PERSONAS), ids=list(PERSONAS.values()))
def test_every_page_of_the_persona_fits_and_runs_clean(browser, site, email):
    app, base = site
    pages, _ = _pages(app, email)
    assert pages, f"{email} has no page"
    problems = []
    buyer_side = not email or not email.endswith("@northwind.example")
    language = "zh" if email in CHINESE_PERSONAS else None
    for width in WIDTHS:
        page = browser_page(browser, base, email, width)
        for endpoint, url in pages.items():
            problems += [
                f"{width} px {url} ({endpoint}): {p}"
                for p in problems_of(page, base + url, width, buyer_side, language)
            ]
        page.context.close()
    assert not problems, "\n".join(problems)


def test_the_checks_see_a_blocked_inline_style_a_missing_file_and_a_too_wide_page(browser, site):
    _, base = site
    page = browser_page(browser, base, None, 390)
    broken = (
        '<p style="color: red">inline style</p>'
        '<div class="text-nowrap">' + "W" * 100 + "</div>"
        '<img src="/static/img/missing.png" alt="">'
    )

    def serve_broken(route):
        answer = route.fetch()
        route.fulfill(response=answer, body=answer.text().replace("</main>", broken + "</main>"))

    page.route(f"{base}/login", serve_broken)
    found = problems_of(page, f"{base}/login", 390, buyer_side=True)
    page.context.close()
    assert any(p.startswith("CSP: style-src-attr blocked inline") for p in found), found
    assert any(p.startswith("console: Applying inline style violates") for p in found), found
    assert any(p.startswith("404 for ") and "missing.png" in p for p in found), found
    assert any(re.fullmatch(r"\d+ px wide: .*", p) for p in found), found
