"""A supplier version sent to the buyer reaches the account's webhooks as "quote.answered",
once it is sent (after its sign-offs), not when it is submitted."""

import pytest

from portal.api import webhooks
from portal.quotes import services
from portal.quotes.services import DraftLine, RequestLine
from tests import factories
from tests.support.quotes import ask, demo_world, draft, valid_until
from tests.support.webhooks import add_endpoint, deliveries, verify

# The version's validity is counted from today.
pytestmark = pytest.mark.date_sensitive


def test_a_quote_answered_reaches_the_customer_when_its_version_is_sent(receiver):
    world = demo_world()
    admin = factories.UserFactory(
        account=world.acme, email="webhooks@acme.example", role="customer_admin"
    )
    endpoint, secret = add_endpoint(admin, world.acme, receiver.url, events=("quote.answered",))
    quote = ask(world, lines=[RequestLine("NW-LT14", 2)])
    draft(world, quote, lines=[DraftLine("NW-LT14", 2)], valid_until=valid_until(world.acme, 30))
    # Submitted: waiting for its product sign-off, not yet the buyer's to see
    services.submit(world.inside, quote)
    assert deliveries(endpoint) == []
    # Signed off: sent to the buyer, and to the customer's system
    services.sign_off(world.admin, quote, "product")
    assert quote.status == "sent"
    webhooks.deliver_due()
    [request] = receiver.received
    assert verify(secret, request.headers["Portal-Signature"], request.body)
    body = request.json
    assert body["type"] == "quote.answered" and body["account"] == "acme"
    assert body["data"]["quote"] == {
        "number": quote.number,
        "version": 2,
        "status": "sent",
        "valid_until": valid_until(world.acme, 30).isoformat(),
        "total": {"amount": "15300.00", "currency": "CNY"},
    }
