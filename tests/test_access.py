"""Who may call which URL (SECURITY.md 14, 16), built from app.url_map so no route is missed."""

import re
import urllib.request
from decimal import Decimal

import pytest

from portal import create_app
from portal.accounts.services import apply_logo
from portal.catalog.services import checked_image
from portal.core.permissions import (
    ACCOUNT_EDITORS,
    APPROVER,
    BUYER_ROLES,
    CUSTOMER_ADMIN,
    ROLES,
    SALES_DIRECTOR,
    SALES_MANAGER,
    STAFF_ROLES,
    SYSADMIN,
)
from portal.demo import demo_logo
from portal.extensions import db
from portal.hotline.permissions import (
    HOTLINE_STAFF,
    HOTLINE_WORKERS,
    LEAD_VIEWERS,
    SAMPLE_VIEWERS,
)
from portal.payments.models import CardPayment
from tests import factories
from tests.support.card_payments import client_for, requests_seen, stripe_settings
from tests.support.web import login, make_config

PUBLIC = "public"

#: Every endpoint and who may call it. A new route must be added here, with its permission.
EXPECTED = {
    "home.index": PUBLIC,
    "home.landing": PUBLIC,
    "home.healthz": PUBLIC,
    "home.readyz": PUBLIC,
    "home.staff_dashboard": STAFF_ROLES,
    "home.read_staff_notices": STAFF_ROLES,
    "auth.login": PUBLIC,
    "auth.logout": ROLES,
    "auth.change_password": ROLES,
    "auth.forgot_password": PUBLIC,
    "auth.set_password_from_link": PUBLIC,
    "accounts.list_accounts": STAFF_ROLES,
    "accounts.create_account": ACCOUNT_EDITORS,
    "accounts.edit_account": ACCOUNT_EDITORS,
    "accounts.staff_create_user": ACCOUNT_EDITORS,
    "accounts.staff_edit_user": ACCOUNT_EDITORS,
    "accounts.staff_set_password": ACCOUNT_EDITORS,
    "accounts.staff_add_address": ACCOUNT_EDITORS,
    "accounts.staff_remove_address": ACCOUNT_EDITORS,
    "accounts.list_staff_users": (SYSADMIN,),
    "accounts.create_staff_user": (SYSADMIN,),
    "accounts.edit_staff_user": (SYSADMIN,),
    "accounts.logo": PUBLIC,
    "accounts.theme": PUBLIC,
    "accounts.list_users": (CUSTOMER_ADMIN,),
    "accounts.create_user": (CUSTOMER_ADMIN,),
    "accounts.edit_user": (CUSTOMER_ADMIN,),
    "accounts.set_password": (CUSTOMER_ADMIN,),
    "accounts.add_address": (CUSTOMER_ADMIN,),
    "accounts.remove_address": (CUSTOMER_ADMIN,),
    "catalog.list_products": STAFF_ROLES,
    "catalog.create_product": ACCOUNT_EDITORS,
    "catalog.edit_product": ACCOUNT_EDITORS,
    "catalog.import_products": ACCOUNT_EDITORS,
    "catalog.product_image": PUBLIC,
    "contracts.browse_catalog": BUYER_ROLES,
    "contracts.show_product": BUYER_ROLES,
    "contracts.list_contracts": STAFF_ROLES,
    "contracts.create_contract": ACCOUNT_EDITORS,
    "contracts.show_contract": STAFF_ROLES,
    "contracts.edit_contract": ACCOUNT_EDITORS,
    "contracts.create_rule": ACCOUNT_EDITORS,
    "contracts.edit_rule": ACCOUNT_EDITORS,
    "contracts.remove_rule": ACCOUNT_EDITORS,
    "contracts.import_rules": ACCOUNT_EDITORS,
    "contracts.export_rules": ACCOUNT_EDITORS,
    "contracts.list_proposals": ACCOUNT_EDITORS,
    "contracts.decide_proposal": (SALES_MANAGER, SALES_DIRECTOR),
    "contracts.audit_trail": (*ACCOUNT_EDITORS, SYSADMIN),
    # cart (cart pages, quick order, CSV upload, order lists)
    "cart.show_cart": BUYER_ROLES,
    "cart.add_to_cart": BUYER_ROLES,
    "cart.update_cart": BUYER_ROLES,
    "cart.quick_order": BUYER_ROLES,
    "cart.upload_cart": BUYER_ROLES,
    "cart.save_order_list": BUYER_ROLES,
    "cart.add_order_list": BUYER_ROLES,
    "cart.remove_order_list": BUYER_ROLES,
    "ordering.reorder": BUYER_ROLES,  # the cart helper's view in ordering
    # ordering: buyer (checkout, orders, approvals, notices, reorder)
    "ordering.checkout": BUYER_ROLES,
    "ordering.list_orders": BUYER_ROLES,
    "ordering.show_order": BUYER_ROLES,
    "ordering.cancel_order": BUYER_ROLES,
    "ordering.list_approvals": (APPROVER, CUSTOMER_ADMIN),
    "ordering.decide_order": (APPROVER, CUSTOMER_ADMIN),
    "ordering.read_notices": BUYER_ROLES,
    # ordering: staff (order desk, credit hold) and contracts: payment terms
    "ordering.list_staff_orders": STAFF_ROLES,
    "ordering.show_staff_order": STAFF_ROLES,
    **{
        f"ordering.{action}": (
            "inside_sales",
            "account_admin",
            "sales_manager",
            "sales_director",
            "finance",
        )
        for action in (
            "confirm_order",
            "hold_order",
            "resume_order",
            "ship_order",
            "deliver_order",
            "close_order",
            "cancel_order_by_staff",
        )
    },
    "ordering.release_order": ("finance", "sales_director"),
    "ordering.place_order_for_buyer": ("inside_sales", "sales_manager", "sales_director"),
    "ordering.record_decision": ("inside_sales", "sales_manager", "sales_director"),
    "ordering.set_credit_hold": ("finance",),
    "contracts.list_terms": STAFF_ROLES,
    "contracts.create_term": ACCOUNT_EDITORS,
    "contracts.edit_term": ACCOUNT_EDITORS,
    # payments (finance desk: remittances, letters of credit; read only for sales managers)
    "payments.show_finance_desk": ("finance", SALES_MANAGER, SALES_DIRECTOR),
    "payments.record_remittance": ("finance",),
    "payments.register_letter_of_credit": ("finance",),
    "payments.record_refund_sent": ("finance",),
    "payments.amend_letter_of_credit": ("finance",),
    "payments.void_letter_of_credit": ("finance",),
    # payments: invoices (the buyer's statement and printable invoices; finance prints them too)
    "payments.list_invoices": BUYER_ROLES,
    "payments.export_invoices": BUYER_ROLES,
    "payments.show_invoice": BUYER_ROLES,
    "payments.show_staff_invoice": STAFF_ROLES,
    # payments: stripe (pay by card, its return page, saved cards; Stripe's signed webhook)
    "payments.pay_by_card": BUYER_ROLES,
    "payments.start_card_setup": BUYER_ROLES,
    "payments.show_card_payment": BUYER_ROLES,
    "payments.remove_saved_card": BUYER_ROLES,
    "payments.receive_stripe_webhook": PUBLIC,
    # hotline: the buyer's form and survey; the staff queue, leads, sample units, availability
    "hotline.file_request": BUYER_ROLES,
    "hotline.answer_survey": BUYER_ROLES,
    "hotline.show_queue": HOTLINE_STAFF,
    "hotline.file_for_caller": HOTLINE_STAFF,
    "hotline.show_request": HOTLINE_STAFF,
    "hotline.claim_request": HOTLINE_WORKERS,
    "hotline.log_call": HOTLINE_WORKERS,
    "hotline.reassign_request": HOTLINE_WORKERS,
    "hotline.close_request": HOTLINE_WORKERS,
    "hotline.list_leads": LEAD_VIEWERS,
    "hotline.update_lead": LEAD_VIEWERS,
    "hotline.list_samples": SAMPLE_VIEWERS,
    "hotline.move_sample": HOTLINE_WORKERS,
    "hotline.set_availability": STAFF_ROLES,
    # hotline: customer care (due lists, an account's tasks and contact log)
    "hotline.show_care": HOTLINE_WORKERS,
    "hotline.log_due_contact": HOTLINE_WORKERS,
    "hotline.show_account_care": HOTLINE_WORKERS,
    "hotline.add_care_task": HOTLINE_WORKERS,
    "hotline.deactivate_care_task": HOTLINE_WORKERS,
    "hotline.log_account_contact": HOTLINE_WORKERS,
    # notifications: the e-mail outbox (dead letters and retries)
    "notifications.show_outbox": (SYSADMIN,),
    "notifications.retry_message": (SYSADMIN,),
    # lookup (the call centre's search; the account 360 view, fields by role)
    "lookup.look_up": (
        "call_center",
        "inside_sales",
        "sales_manager",
        "sales_director",
        "account_admin",
        "finance",
    ),
    "lookup.show_account": STAFF_ROLES,
}

STATIC = {"static", "bootstrap.static"}
#: Routes whose ids name the supplier's catalog, shared by every account: nobody's secret; and
#: the password link, whose token is its own access check (tests/auth/test_password_links.py).
SHARED = {"catalog.product_image", "auth.set_password_from_link"}


def app_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()} - STATIC


def declared_access(app, endpoint):
    view = app.view_functions[endpoint]
    if getattr(view, "is_public", False):
        return PUBLIC
    return getattr(view, "allowed_roles", None)


def test_every_view_declares_who_may_call_it(app):
    undeclared = sorted(e for e in app_endpoints(app) if declared_access(app, e) is None)
    assert undeclared == [], f"views without @public or @allow: {undeclared}"


def test_every_endpoint_is_in_the_permission_matrix(app):
    assert app_endpoints(app) == set(EXPECTED)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_each_view_allows_exactly_the_roles_in_the_matrix(app, endpoint):
    expected = EXPECTED[endpoint]
    assert declared_access(app, endpoint) == (PUBLIC if expected == PUBLIC else frozenset(expected))


@pytest.fixture
def world():
    """Acme with a user, an address and users of every role; Globex with its own."""
    with factories.committed_once():
        acme = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
        apply_logo(acme, demo_logo("Acme Hospital Group", "#0b6e4f"))
        globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
        users = {}
        for role in ROLES:
            account = acme if role in BUYER_ROLES else None
            users[role] = factories.UserFactory(
                account=account, role=role, email=f"{role}@test.example", name=f"{role} person"
            )
        acme_rule = factories.PriceRuleFactory(
            contract=factories.ContractFactory(account=acme), value=Decimal("5")
        )
        acme_order = factories.OrderFactory(contract=acme_rule.contract, placed_by=users["buyer"])
        return {
            "acme": acme,
            "globex": globex,
            "users": users,
            "acme_user": users["buyer"],
            "acme_address": factories.AddressFactory(account=acme, lines="Acme Street 1"),
            "product": factories.ProductFactory(
                sku="NW-ACCESS1", **checked_image(demo_logo("Product", "#336699"))
            ),
            "acme_rule": acme_rule,
            "acme_order": acme_order,
            "acme_list": factories.OrderListFactory(account=acme),
            # payments: invoices (the order's payment, fallen due: invoice <order number>-1)
            "acme_invoice": factories.MilestoneFactory(
                order=acme_order,
                position=1,
                due_on=acme.local_date(),
                invoiced_on=acme.local_date(),
            ),
            # payments: a letter of credit registered for the order (amended or voided)
            "acme_letter": factories.LetterOfCreditFactory(order=acme_order),
            # payments: stripe (a card Acme saved for its installments)
            "acme_saved_card": factories.SavedCardFactory(account=acme),
            # hotline: a request of Acme's buyer, a lead, a sample unit, a care task; an e-mail
            "acme_request": factories.HotlineRequestFactory(account=acme, filed_by=users["buyer"]),
            "acme_lead": factories.LeadFactory(account=acme),
            "acme_sample": factories.SampleRequestFactory(account=acme),
            "acme_care_task": factories.CareTaskFactory(account=acme),
            "message": factories.OutboxMessageFactory(),
            "globex_admin": factories.UserFactory(
                account=globex, role=CUSTOMER_ADMIN, email="admin@globex.example"
            ),
            "globex_buyer": factories.UserFactory(account=globex, email="buyer@globex.example"),
        }


def build_url(app, rule, world, slug="acme"):
    values = {
        "slug": slug,
        "user_id": world["acme_user"].id,
        "address_id": world["acme_address"].id,
        "sku": world["product"].sku,
        "contract_id": world["acme_rule"].contract_id,
        "rule_id": world["acme_rule"].id,
        "number": world["acme_order"].number,
        "list_id": world["acme_list"].id,
        "term_id": world["acme_rule"].contract.payment_term_id,
        "invoice_number": f"{world['acme_order'].number}-{world['acme_invoice'].position}",
        "milestone_id": world["acme_invoice"].id,
        "saved_card_id": world["acme_saved_card"].id,
        "request_id": world["acme_request"].id,
        "lead_id": world["acme_lead"].id,
        "sample_id": world["acme_sample"].id,
        "care_task_id": world["acme_care_task"].id,
        "message_id": world["message"].id,
        "refund_id": world.get("refund_id", 1),
        "letter_id": world["acme_letter"].id,
        "token": "not-a-valid-link",
        "staff_id": world["users"]["inside_sales"].id,
    }
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


def rules(app, method):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in STATIC and method in r.methods]


def test_anonymous_visitors_are_sent_to_sign_in_for_every_non_public_page(app, client, world):
    for rule in rules(app, "GET"):
        response = client.get(build_url(app, rule, world))
        if EXPECTED[rule.endpoint] == PUBLIC:
            assert response.status_code in (200, 302), rule
        else:
            assert response.status_code == 302, rule
            assert response.headers["Location"].startswith("/login?next="), rule


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(app, client, world, role):
    """GET pages: allowed roles get the page; buyer-side roles get 404, staff 403."""
    assert login(client, world["users"][role].email).status_code == 302
    denied = 404 if role in BUYER_ROLES else 403
    for rule in rules(app, "GET"):
        expected = EXPECTED[rule.endpoint]
        response = client.get(build_url(app, rule, world))
        if expected == PUBLIC or role in expected:
            assert response.status_code in (200, 302), (rule.endpoint, response.status_code)
        else:
            assert response.status_code == denied, (rule.endpoint, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_no_role_can_post_to_actions_outside_its_permissions(app, client, world, role):
    assert login(client, world["users"][role].email).status_code == 302
    denied = 404 if role in BUYER_ROLES else 403
    for rule in rules(app, "POST"):
        expected = EXPECTED[rule.endpoint]
        if expected == PUBLIC or role in expected:
            continue
        response = client.post(build_url(app, rule, world), data={"name": "Hacked"})
        assert response.status_code == denied, (rule.endpoint, response.status_code)
    assert world["acme"].name == "Acme Hospital Group"


@pytest.mark.parametrize("who", ["globex_buyer", "globex_admin"])
def test_another_accounts_users_get_404_on_every_acme_url(app, client, world, who):
    """SECURITY.md 14: every route that takes a slug or an id, with Acme's values, answers
    404 to Globex's users, with nothing of Acme in the body."""
    assert login(client, world[who].email).status_code == 302
    acme_markers = [b"Acme Hospital Group", b"Acme Street 1", b"buyer@test.example"]
    checked = 0
    for method in ("GET", "POST"):
        for rule in rules(app, method):
            if not rule.arguments or rule.endpoint in SHARED:
                continue
            for slug in ("acme", "globex"):
                if slug == "globex" and rule.arguments <= {"slug", "sku"}:
                    continue  # Globex's own page with no Acme ids in it (SKUs are shared)
                url = build_url(app, rule, world, slug=slug)
                response = client.open(url, method=method, data={"name": "Hacked"})
                assert response.status_code == 404, (method, url, response.status_code)
                for marker in acme_markers:
                    assert marker not in response.data, (method, url, marker)
                checked += 1
    assert checked >= 20
    assert world["acme_user"].name == "buyer person"


def test_404_pages_look_the_same_for_existing_and_unknown_accounts(client, world):
    login(client, world["globex_buyer"].email)
    existing = client.get("/a/acme/")
    unknown = client.get("/a/no-such-account/")
    # The request id differs, and so does the CSRF token once a second has passed between
    # the two requests (it carries a timestamp).
    strip = re.compile(rb'[0-9a-f]{32}|name="csrf_token" value="[^"]*"')
    assert existing.status_code == unknown.status_code == 404
    assert strip.sub(b"", existing.data) == strip.sub(b"", unknown.data)


# No state changes on GET (SECURITY.md 20): every GET route of every blueprint, called as every
# role (and anonymously), leaves every table as it was and asks Stripe for nothing. Writing the
# audit trail of sensitive reads (SECURITY.md 18) and the signed-in session's own bookkeeping
# are the reads' record, not a change of state.

#: Tables a read may write to: the audit of sensitive reads and the sign-in sessions.
READ_RECORDS = {"audit_events", "user_sessions"}


@pytest.fixture(scope="module")
def stripe_app(app, localstripe):
    return create_app(
        make_config(app.config["SQLALCHEMY_DATABASE_URI"], **stripe_settings(localstripe))
    )


def snapshot() -> dict[str, list]:
    """Every row of every table but READ_RECORDS, as read now."""
    db.session.expire_all()
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in READ_RECORDS:
            continue
        order = [*table.primary_key.columns] or [*table.columns]
        found[table.name] = [
            tuple(row) for row in db.session.execute(table.select().order_by(*order))
        ]
    return found


def forget_stripe_requests(base: str) -> None:
    request = urllib.request.Request(f"{base}/_config/requests", method="DELETE")  # noqa: S310
    urllib.request.urlopen(request, timeout=5).read()  # noqa: S310


def an_open_card_payment(base: str, milestone) -> None:
    """The buyer opened a card payment and left before paying: its return page has a
    payment to ask Stripe about."""
    intent = client_for(base).v1.payment_intents.create(
        params={"amount": 100, "currency": "cny", "payment_method_types": ["card"]}
    )
    db.session.add(
        CardPayment(
            account_id=milestone.account_id,
            milestone_id=milestone.id,
            stripe_id=intent.id,
            idempotency_key=f"test-{intent.id}",
            amount=Decimal("1.00"),
            currency="CNY",
        )
    )
    db.session.commit()


@pytest.mark.parametrize("role", [None, *ROLES])
def test_no_get_changes_a_row_or_calls_stripe(stripe_app, localstripe, world, role):
    an_open_card_payment(localstripe, world["acme_invoice"])
    client = stripe_app.test_client()
    if role is not None:
        assert login(client, world["users"][role].email).status_code == 302
    urls = {rule.endpoint: build_url(stripe_app, rule, world) for rule in rules(stripe_app, "GET")}
    before = snapshot()
    forget_stripe_requests(localstripe)
    for url in urls.values():
        status = client.get(url).status_code
        assert status < 500, (url, status)
    after = snapshot()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == [], f"GET requests as {role} changed {changed}"
    assert requests_seen(localstripe) == [], f"GET requests as {role} called Stripe"
    assert {"payments.pay_by_card", "payments.show_card_payment"} <= set(urls)
