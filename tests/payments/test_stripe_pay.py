"""The pay page, idempotency keys, saved cards and their charges on due dates, the CSRF
exemption of the webhook only, no card data anywhere, and the loopback guard
(SECURITY.md 21, 30, 33, 34)."""

import re
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.contracts.services import today_for
from portal.extensions import csrf, db
from portal.ordering.models import Milestone
from portal.payments import cards
from portal.payments.models import CardPayment, SavedCard
from tests import factories
from tests.support.card_payments import (
    card_payment_of,
    deposit_order,
    installment_terms,
    milestones_of,
    requests_seen,
    set_up_card,
    setup_secret_for,
    stripe_settings,
)
from tests.support.network import NETWORK_VIOLATIONS
from tests.support.ordering import place
from tests.support.web import make_config, signed_in


def intent_creations(base: str) -> list[str | None]:
    return [
        r["idempotency_key"]
        for r in requests_seen(base)
        if r["method"] == "POST" and r["path"] == "/v1/payment_intents"
    ]


@pytest.fixture
def fresh_log(localstripe):
    import urllib.request

    request = urllib.request.Request(f"{localstripe}/_config/requests", method="DELETE")  # noqa: S310
    urllib.request.urlopen(request, timeout=5).read()  # noqa: S310
    return localstripe


# Idempotency (SECURITY.md 30)


def test_one_payment_intent_per_milestone_with_a_stable_key_across_reloads_and_retries(
    shop,
    stripe_web,
    fresh_log,
):
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    url = f"/a/acme/invoices/{deposit.id}/pay"
    for _ in range(3):  # reloads: a GET asks Stripe for nothing
        assert client.get(url).status_code == 200
    assert intent_creations(fresh_log) == []
    for _ in range(2):  # double clicks (with a payment method Stripe then refuses)
        client.post(url, data={"payment_method": "pm_unknown"})
    key = f"portal-{order.number}-milestone-{deposit.id}-attempt-1"
    assert intent_creations(fresh_log) == [key]
    card = card_payment_of(deposit)
    assert (card.idempotency_key, card.amount, card.currency) == (key, deposit.amount, "CNY")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardPayment)) == 1

    # A retry after a crash between Stripe's answer and our commit asks with the same key.
    db.session.delete(card)
    db.session.commit()
    client.post(url, data={"payment_method": "pm_unknown"})
    assert intent_creations(fresh_log) == [key, key]


def test_a_new_attempt_gets_a_new_key_when_the_amount_due_changed(
    shop,
    stripe_web,
    fresh_log,
    stripe_on,
):
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    url = f"/a/acme/invoices/{deposit.id}/pay"
    client.post(url, data={"payment_method": "pm_unknown"})
    deposit.paid_amount = Decimal("1000.00")  # as a remittance would (allocation left out)
    db.session.commit()
    client.post(url, data={"payment_method": "pm_unknown"})
    first, second = intent_creations(fresh_log)
    assert first.endswith("-attempt-1") and second.endswith("-attempt-2")
    assert card_payment_of(deposit).amount == Decimal("4201.75")


# The pay page


def test_the_pay_page_has_no_card_field_and_loads_stripe_from_the_configured_origin(
    shop,
    stripe_web,
    localstripe,
):
    """SECURITY.md 33: the card goes into Stripe's element; the form holds Stripe's ids only."""
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    page = client.get(f"/a/acme/invoices/{deposit.id}/pay")
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', page.text))
    assert "payment_method" in names
    assert names <= {"csrf_token", "payment_method", "saved_card", "save_card", "milestone_id"}
    # The CSRF token and other random values could spell "cvv" by chance: leave them out.
    text = re.sub(r'(value|content|nonce)="[^"]*"', "", page.text)
    assert not re.search(r"card.?number|cvc|cvv|exp_month|exp_year", text, re.I)
    assert 'id="card-element"' in page.text
    assert f'<script src="{localstripe}/js.stripe.com/v3/"></script>' in page.text
    assert "/static/js/pay.js" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe}" in csp
    assert "'unsafe-inline'" not in csp


def test_a_post_carrying_card_data_is_refused_and_nothing_keeps_it(shop, stripe_web):
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    client.get(f"/a/acme/invoices/{deposit.id}/pay")
    response = client.post(
        f"/a/acme/invoices/{deposit.id}/pay",
        data={"payment_method": "4242424242424242", "card_number": "4242424242424242"},
    )
    assert response.status_code == 200
    assert "Enter your card in the card box" in response.text
    assert "4242424242424242" not in response.text
    assert card_payment_of(deposit) is None  # nothing opened at Stripe, nothing kept


def test_another_accounts_milestone_is_a_404(shop, stripe_web):
    order, deposit = deposit_order(shop)
    globex = factories.AccountFactory(slug="globex")
    factories.UserFactory(account=globex, email="buyer@globex.example")
    client = signed_in(stripe_web, "buyer@globex.example")
    for url in (
        f"/a/globex/invoices/{deposit.id}/pay",
        f"/a/acme/invoices/{deposit.id}/pay",
        f"/a/globex/invoices/{deposit.id}/card-payment",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/a/globex/invoices/{deposit.id}/pay").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardPayment)) == 0


def test_a_milestone_not_yet_due_or_paid_offers_no_card_payment(shop, stripe_web, stripe_on):
    order, deposit = deposit_order(shop)
    balance = milestones_of(order)[1]  # due on delivery: not due yet
    client = signed_in(stripe_web, "buyer@acme.example")
    response = client.get(f"/a/acme/invoices/{balance.id}/pay")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/a/acme/invoices")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardPayment)) == 0
    with stripe_web.test_request_context("/a/acme/invoices"):
        assert cards.card_payment_link(balance, order) is None
        assert cards.card_payment_link(deposit, order) == f"/a/acme/invoices/{deposit.id}/pay"


def test_without_stripe_settings_there_is_no_card_payment(shop, web):
    order, deposit = deposit_order(shop)
    client = signed_in(web, "buyer@acme.example")
    assert client.get(f"/a/acme/invoices/{deposit.id}/pay").status_code == 302
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 404


# CSRF (SECURITY.md 21)


def test_the_webhook_is_the_only_csrf_exempt_view(app):
    """... with the machines' cXML PunchOut endpoints, authenticated by the connection's
    shared secret (tests/api/test_punchout_security.py), and the JSON API, which a cookie
    never authenticates (tests/api/test_foundation.py)."""
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    assert exempt == {"payments.receive_stripe_webhook", "punchout.setup", "punchout.order"}
    assert csrf._exempt_blueprints == {app.blueprints["api"]}


def test_with_csrf_on_the_pay_form_needs_its_token_and_the_webhook_its_signature(
    shop,
    app,
    localstripe,
):
    from tests.support.card_payments import made_up_event, send_event

    order, deposit = deposit_order(shop)
    protected = create_app(
        make_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            WTF_CSRF_ENABLED=True,
            **stripe_settings(localstripe),
        )
    )
    client = protected.test_client()
    login_page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    from tests.support.web import PASSWORD

    client.post(
        "/login", data={"email": "buyer@acme.example", "password": PASSWORD, "csrf_token": token}
    )
    assert client.get(f"/a/acme/invoices/{deposit.id}/pay").status_code == 200
    response = client.post(f"/a/acme/invoices/{deposit.id}/pay", data={"payment_method": "pm_x"})
    assert response.status_code == 400
    assert client.post(f"/a/acme/invoices/{deposit.id}/card-setup").status_code == 400
    assert card_payment_of(deposit) is None
    webhook = protected.test_client()
    assert send_event(webhook, made_up_event("customer.created", {})).status_code == 200
    assert webhook.post("/webhooks/stripe", data=b"{}").status_code == 400


# Saved cards and the charges on due dates


def test_a_card_is_saved_only_with_consent_and_later_installments_are_charged_when_due(
    shop,
    stripe_web,
    localstripe,
    stripe_on,
    app,
):
    installment_terms(shop)
    order = place(shop, [("NW-LT14", 2), ("NW-MN27", 1)])
    first, second, third = milestones_of(order)
    client = signed_in(stripe_web, "buyer@acme.example")
    url = f"/a/acme/invoices/{first.id}/pay"

    method = set_up_card(localstripe, setup_secret_for(client, url))
    client.post(url, data={"payment_method": method, "save_card": "y"})
    [saved] = db.session.scalars(sa.select(SavedCard)).all()
    assert (saved.brand, saved.last4, saved.exp_year) == ("visa", "4242", 2034)
    assert saved.consented_by_id == shop.buyer.id and saved.is_active
    assert saved.stripe_payment_method_id == method
    assert client.post(f"/a/acme/invoices/{first.id}/card-payment").status_code == 303
    assert milestones_of(order)[0].is_paid

    today = today_for(shop.account)
    assert cards.charge_saved_cards(today).charged == 0  # nothing else due yet
    run = cards.charge_saved_cards(today + timedelta(days=30))
    assert (run.charged, run.failed) == (1, 0)
    paid = [m.is_paid for m in milestones_of(order)]
    assert paid == [True, True, False]
    second_card = card_payment_of(second)
    assert second_card.saved_card_id == saved.id and second_card.status == "succeeded"
    # Running again charges nothing twice.
    assert cards.charge_saved_cards(today + timedelta(days=30)).charged == 0

    # The buyer removes the card: the third installment is not charged.
    response = client.post(f"/a/acme/saved-cards/{saved.id}/remove")
    assert response.status_code == 303
    assert cards.charge_saved_cards(today + timedelta(days=60)).charged == 0
    assert not milestones_of(order)[2].is_paid


def test_no_consent_no_saved_card(shop, stripe_web, localstripe):
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    url = f"/a/acme/invoices/{deposit.id}/pay"
    method = set_up_card(localstripe, setup_secret_for(client, url))
    client.post(url, data={"payment_method": method})
    assert db.session.scalars(sa.select(SavedCard)).all() == []


def test_the_charge_command_runs(app, stripe_on):
    result = app.test_cli_runner().invoke(args=["charge-saved-cards"])
    assert result.exit_code == 0, result.output
    assert "Saved cards: 0 charged" in result.output


# The loopback guard (SECURITY.md 34)


def test_a_connection_beyond_loopback_is_refused():
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="loopback"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never answered, never tried
    assert [address for address, _test in NETWORK_VIOLATIONS] == [("192.0.2.1", 443)]
    NETWORK_VIOLATIONS.clear()  # this test meant it; any other would fail


def test_the_stripe_client_pointed_elsewhere_is_refused_and_noticed(app):
    import stripe

    client = stripe.StripeClient(
        "sk_test_nothing", base_addresses={"api": "http://192.0.2.7"}, max_network_retries=0
    )
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.list()
    assert [address for address, _test in NETWORK_VIOLATIONS] == [("192.0.2.7", 80)]
    NETWORK_VIOLATIONS.clear()


@pytest.mark.parametrize(
    "settings",
    [
        {"STRIPE_API_BASE": "http://127.0.0.1:8421"},
        {"STRIPE_JS_URL": "http://localhost:8421/js.stripe.com/v3/"},
        {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": ""},
    ],
)
def test_production_refuses_the_emulator_and_unverifiable_webhooks(settings):
    from portal.config import ConfigError, check_stripe

    config = {
        "STRIPE_API_BASE": None,
        "STRIPE_JS_URL": "https://js.stripe.com/v3/",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        **settings,
    }
    with pytest.raises(ConfigError):
        check_stripe(config)
    check_stripe(
        {**config, **dict.fromkeys(settings)} | {"STRIPE_JS_URL": "https://js.stripe.com/v3/"}
    )


def test_the_buyers_order_page_offers_to_pay_what_is_due_by_card(app, shop):
    """Only what is due and unpaid gets a "pay by card" button, and only with Stripe set up."""
    term = factories.PaymentTermFactory(
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)]
    )
    shop.contract.payment_term_id = term.id
    db.session.commit()
    order = place(shop, [("NW-LT14", 1)])
    deposit, balance = db.session.scalars(
        sa.select(Milestone).where(Milestone.order_id == order.id).order_by(Milestone.position)
    )
    url = f"/a/acme/orders/{order.number}"

    plain = signed_in(
        create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"])), shop.buyer.email
    )
    assert b"data-pay-milestone" not in plain.get(url).data

    configured = create_app(
        make_config(app.config["SQLALCHEMY_DATABASE_URI"], **stripe_settings("http://127.0.0.1:9"))
    )
    page = signed_in(configured, shop.buyer.email).get(url).get_data(as_text=True)
    assert f'data-pay-milestone="{deposit.id}"' in page
    assert f'data-pay-milestone="{balance.id}"' not in page  # not due before delivery
    assert f"/a/acme/invoices/{deposit.id}/pay" in page
