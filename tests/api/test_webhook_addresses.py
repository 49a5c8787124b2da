"""No request forgery through webhooks (SECURITY.md 50): in production only https:// URLs whose
host resolves to public addresses, checked at registration and again at each delivery, and the
POST goes to the address that was checked."""

import pytest

from portal.api import webhooks
from portal.api.addresses import RefusedAddress, is_public, pinned_session, resolve, url_problem
from portal.config import ConfigError, check_production
from portal.core.errors import ServiceError
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN
from tests.support.webhooks import add_endpoint, attempts, deliveries

REFUSED = [
    "http://webhooks.example.com/hooks",  # not https
    "https://127.0.0.1/hooks",
    "https://127.1.2.3:8443/hooks",
    "https://10.1.2.3/hooks",
    "https://172.16.0.5/hooks",
    "https://192.168.1.10/hooks",
    "https://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
    "https://100.64.0.1/hooks",  # shared address space
    "https://0.0.0.0/hooks",
    "https://224.0.0.1/hooks",
    "https://[::1]/hooks",
    "https://[fe80::1]/hooks",
    "https://[fc00::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",  # IPv4 loopback inside IPv6
    "https://localhost/hooks",  # a name that resolves to loopback
    "https://localhost./hooks",
    "https://user:pass@203.0.113.9/hooks",
    "ftp://203.0.113.9/hooks",
    "https:///hooks",
]


@pytest.mark.parametrize("url", REFUSED)
def test_production_refuses_the_url(url):
    with pytest.raises(RefusedAddress):
        resolve(url, allow_private=False)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.1", "192.168.0.1", "169.254.169.254", "::1", "fd00::1"]
)
def test_internal_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are(address):
    assert is_public(address)
    url = f"https://[{address}]/hooks" if ":" in address else f"https://{address}/hooks"
    assert resolve(url, allow_private=False) == address  # numeric: no lookup needed


def test_development_and_tests_may_post_to_loopback_over_http():
    assert url_problem("http://127.0.0.1:8000/hooks", allow_private=True) is None
    assert resolve("http://127.0.0.1:8000/hooks", allow_private=True) == "127.0.0.1"
    assert url_problem("ftp://127.0.0.1/", allow_private=True)


def test_production_refuses_to_allow_private_webhooks():
    production = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-0123456789",
        "RATELIMIT_STORAGE_URI": "redis://redis:6379/0",
    }
    check_production(production)
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE"):
        check_production({**production, "WEBHOOK_ALLOW_PRIVATE": True})


@pytest.mark.parametrize(
    "url",
    [
        "http://webhooks.example.com/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.8/hooks",
        "https://192.168.1.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://localhost/hooks",
    ],
)
def test_registration_refuses_internal_urls_in_production(app, shop, admin, monkeypatch, url):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    with pytest.raises(ServiceError) as refused:
        add_endpoint(admin, shop.account, url)
    assert refused.value.field == "url"


def test_each_delivery_checks_the_address_again(app, shop, admin, receiver, monkeypatch, caplog):
    # Registered where loopback was allowed (or a name that resolved elsewhere back then)
    endpoint, _ = add_endpoint(admin, shop.account, receiver.url)
    place(shop, DONE_WHEN)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    run = webhooks.deliver_due()
    assert run.deferred == 1 and receiver.received == []
    [delivery] = deliveries(endpoint)
    [attempt] = attempts(delivery)
    assert (attempt.status_code, attempt.error) == (None, webhooks.REFUSED)
    assert "https://" in caplog.text  # the detail, for the operator only


def test_a_name_resolving_to_loopback_is_refused_at_delivery(
    app, shop, admin, receiver, monkeypatch, caplog
):
    port = receiver.server.server_address[1]
    endpoint, _ = add_endpoint(admin, shop.account, f"https://localhost:{port}/hooks")
    place(shop, DONE_WHEN)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    webhooks.deliver_due()
    assert receiver.received == []
    [attempt] = attempts(deliveries(endpoint)[0])
    assert attempt.error == webhooks.REFUSED and "not a public address" in caplog.text


def test_the_post_goes_to_the_address_that_was_checked(receiver):
    """DNS rebinding: the host's name is not looked up again when connecting."""
    port = receiver.server.server_address[1]
    with pinned_session("127.0.0.1") as session:
        answer = session.post(f"http://hooks.rebinding.invalid:{port}/x", data=b"{}", timeout=5)
    assert answer.status_code == 200
    [request] = receiver.received
    assert request.headers["Host"] == f"hooks.rebinding.invalid:{port}"


def test_a_redirect_is_not_followed_but_a_failed_attempt(shop, admin, receiver):
    endpoint, _ = add_endpoint(admin, shop.account, receiver.url)
    receiver.answers = [307]
    place(shop, DONE_WHEN)
    assert webhooks.deliver_due().deferred == 1
    assert len(receiver.received) == 1
    [attempt] = attempts(deliveries(endpoint)[0])
    assert (attempt.status_code, attempt.error) == (307, "HTTP 307")
