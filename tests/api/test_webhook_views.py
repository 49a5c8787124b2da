"""The customer admin's webhook pages: add an endpoint and see its secret once, change,
disable, roll the secret, delete (fresh sign-in), deliveries with their attempts, redeliver,
send a test event; only the account's own customer admin, another account's ids a 404, and a
constant number of statements per page."""

import re
import socket

import pytest
import requests
import sqlalchemy as sa

from portal.api import webhook_services, webhooks
from portal.api.models import WebhookEndpoint
from portal.core.audit import AuditEvent
from portal.core.reauth import SIGNED_IN_AT
from portal.extensions import db
from tests import factories
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN
from tests.support.web import count_queries, signed_in
from tests.support.webhooks import add_endpoint, deliveries

ADMIN = "admin@acme.example"
PAGE = "/a/acme/settings/webhooks"


def secret_on(html: str) -> str:
    [secret] = re.findall(r'data-webhook-secret="(whsec_[^"]+)"', html)
    return secret


def endpoints() -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .order_by(WebhookEndpoint.id)
            .execution_options(populate_existing=True)
        )
    )


def audited(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def globex():
    with factories.committed_once():
        account = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
        return {
            "account": account,
            "admin": factories.UserFactory(
                account=account, email="admin@globex.example", role="customer_admin"
            ),
        }


def test_the_customer_admin_adds_an_endpoint_and_sees_its_secret_once(web, admin, receiver):
    client = signed_in(web, ADMIN)
    assert "Webhooks" in client.get("/a/acme/users").get_data(as_text=True)  # navigation
    assert client.get(f"{PAGE}/new").status_code == 200
    answer = client.post(
        f"{PAGE}/new",
        data={
            "url": receiver.url,
            "events": ["order.status_changed", "payment.received"],
            "description": "Our ERP",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    [endpoint] = endpoints()
    assert secret_on(answer.get_data(as_text=True)) == endpoint.secret
    assert endpoint.events == ["order.status_changed", "payment.received"]
    assert endpoint.created_by_id == admin.id
    assert [e.target for e in audited("webhook.create")] == [f"webhook:{endpoint.id}"]
    assert endpoint.secret not in str(
        [e.changes for e in db.session.scalars(sa.select(AuditEvent))]
    )
    # The list shows the endpoint, never its secret
    html = client.get(PAGE).get_data(as_text=True)
    assert receiver.url in html and endpoint.secret not in html
    assert endpoint.secret not in client.get(f"{PAGE}/{endpoint.id}").get_data(as_text=True)


def test_a_refused_url_or_no_event_adds_nothing(web, admin, monkeypatch):
    client = signed_in(web, ADMIN)
    monkeypatch.setitem(web.config, "WEBHOOK_ALLOW_PRIVATE", False)
    answer = client.post(
        f"{PAGE}/new", data={"url": "https://169.254.169.254/latest", "events": ["invoice.issued"]}
    )
    assert answer.status_code == 200 and "not a public address" in answer.get_data(as_text=True)
    answer = client.post(f"{PAGE}/new", data={"url": "https://203.0.113.7/hooks"})
    assert "Choose at least one event." in answer.get_data(as_text=True)
    # A bad URL and no event: both errors show at once
    html = client.post(f"{PAGE}/new", data={"url": "ftp://203.0.113.7/hooks"}).get_data(
        as_text=True
    )
    assert "Choose at least one event." in html and "The URL must start with https://." in html
    assert endpoints() == []


def test_a_disabled_endpoint_s_pending_deliveries_say_they_are_paused(web, shop, admin, receiver):
    endpoint, _ = add_endpoint(admin, shop.account, receiver.url)
    place(shop, DONE_WHEN)
    client = signed_in(web, ADMIN)
    html = client.get(f"{PAGE}/{endpoint.id}").get_data(as_text=True)
    assert "next attempt" in html and "paused while the endpoint is disabled" not in html
    client.post(f"{PAGE}/{endpoint.id}/active", data={"active": "0"})
    html = client.get(f"{PAGE}/{endpoint.id}").get_data(as_text=True)
    assert "paused while the endpoint is disabled" in html and "next attempt" not in html


def test_the_roll_secret_button_is_an_outline_with_contrast(web, admin, receiver):
    add_endpoint(admin, admin.account, receiver.url)
    html = signed_in(web, ADMIN).get(PAGE).get_data(as_text=True)
    [button] = re.findall(r"<button[^>]*data-roll-secret[^>]*>", html)
    assert "btn-outline-dark" in button and "warning" not in button


def test_reloading_the_new_endpoint_s_secret_page_adds_no_second_endpoint(web, admin, receiver):
    client = signed_in(web, ADMIN)
    data = {"url": receiver.url, "events": ["invoice.issued"]}
    shown = secret_on(client.post(f"{PAGE}/new", data=data).get_data(as_text=True))
    again = client.post(f"{PAGE}/new", data=data)  # the browser's reload
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "data-webhook-secret" not in html
    assert f"An endpoint with this URL exists already: {receiver.url}" in html
    [endpoint] = endpoints()
    assert endpoint.secret == shown
    # Disabled, its URL may be added again; the old one then cannot be enabled beside it.
    client.post(f"{PAGE}/{endpoint.id}/active", data={"active": "0"})
    assert client.post(f"{PAGE}/new", data=data).status_code == 200
    assert len(endpoints()) == 2
    client.post(f"{PAGE}/{endpoint.id}/active", data={"active": "1"})
    assert [e.is_active for e in endpoints()] == [False, True]


def test_adding_rolling_and_deleting_ask_for_a_fresh_sign_in(web, admin, receiver):
    endpoint, _ = add_endpoint(admin, admin.account, receiver.url)
    client = signed_in(web, ADMIN)
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = 0  # typed long ago
    for url, data in [
        (f"{PAGE}/new", {"url": receiver.url, "events": ["invoice.issued"]}),
        (f"{PAGE}/{endpoint.id}/secret", {}),
        (f"{PAGE}/{endpoint.id}/delete", {}),
        (f"{PAGE}/{endpoint.id}/edit", {"url": receiver.url, "events": ["invoice.issued"]}),
    ]:
        answer = client.post(url, data=data)
        assert answer.status_code == 401, url
    [same] = endpoints()
    assert (same.secret, same.events, same.version) == (endpoint.secret, endpoint.events, 1)


def test_edit_disable_roll_and_delete(web, admin, receiver):
    endpoint, old_secret = add_endpoint(admin, admin.account, receiver.url)
    client = signed_in(web, ADMIN)
    assert client.get(f"{PAGE}/{endpoint.id}/edit").status_code == 200
    answer = client.post(
        f"{PAGE}/{endpoint.id}/edit",
        data={
            "url": receiver.url,
            "events": ["quote.answered"],
            "description": "Quotes",
            "version": "1",
        },
    )
    assert answer.status_code == 303
    [endpoint] = endpoints()
    assert (endpoint.events, endpoint.description) == (["quote.answered"], "Quotes")
    client.post(f"{PAGE}/{endpoint.id}/active", data={"active": "0"})
    assert endpoints()[0].is_active is False
    client.post(f"{PAGE}/{endpoint.id}/active", data={"active": "1"})
    assert endpoints()[0].is_active is True
    assert f'name="version" value="{endpoints()[0].version}"' in client.get(PAGE).get_data(
        as_text=True
    )
    answer = client.post(f"{PAGE}/{endpoint.id}/secret", data={"version": endpoints()[0].version})
    new_secret = secret_on(answer.get_data(as_text=True))
    assert new_secret != old_secret and endpoints()[0].secret == new_secret
    assert len(audited("webhook.roll_secret")) == 1
    assert client.post(f"{PAGE}/{endpoint.id}/delete").status_code == 303
    assert endpoints() == [] and len(audited("webhook.delete")) == 1


def test_deliveries_with_their_attempts_redeliver_and_test_event(web, shop, admin, receiver):
    endpoint, _ = add_endpoint(admin, shop.account, receiver.url)
    receiver.answers = [500]
    place(shop, DONE_WHEN)
    webhooks.deliver_due()
    client = signed_in(web, ADMIN)
    html = client.get(f"{PAGE}/{endpoint.id}").get_data(as_text=True)
    [delivery] = deliveries(endpoint)
    assert f'data-delivery-id="{delivery.id}" data-status="pending"' in html
    assert 'data-attempt-status="500"' in html and "receiver is down" in html
    assert "Redeliver" not in html  # pending: it is queued already
    # A test event, delivered: the page offers to deliver it again
    assert client.post(f"{PAGE}/{endpoint.id}/test").status_code == 303
    webhooks.deliver_due()
    test_delivery = deliveries(endpoint)[-1]
    assert test_delivery.status == "delivered"
    html = client.get(f"{PAGE}/{endpoint.id}").get_data(as_text=True)
    assert html.index(f'data-delivery-id="{test_delivery.id}"') < html.index(
        f'data-delivery-id="{delivery.id}"'
    )  # newest first
    answer = client.post(f"{PAGE}/{endpoint.id}/deliveries/{test_delivery.id}")
    assert answer.status_code == 303
    assert deliveries(endpoint)[-1].status == "pending"
    assert len(audited("webhook.redeliver")) == 1


def test_another_account_s_endpoints_and_deliveries_are_not_found(
    web, shop, admin, globex, receiver
):
    theirs, secret = add_endpoint(globex["admin"], globex["account"], receiver.url)
    their_delivery = webhook_services.send_test_event(globex["admin"], theirs)
    client = signed_in(web, ADMIN)
    base = f"{PAGE}/{theirs.id}"
    for url in (base, f"{base}/edit"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"{base}/edit",
        f"{base}/active",
        f"{base}/secret",
        f"{base}/delete",
        f"{base}/test",
        f"{base}/deliveries/{their_delivery.id}",
    ):
        assert client.post(url, data={"active": "0"}).status_code == 404, url
    # Nor under their slug
    assert client.get("/a/globex/settings/webhooks").status_code == 404
    assert client.get(f"/a/globex/settings/webhooks/{theirs.id}").status_code == 404
    [same] = [e for e in endpoints() if e.id == theirs.id]
    assert (same.secret, same.is_active) == (secret, True)
    assert len(deliveries(theirs)) == 1


def test_only_the_customer_admin_opens_the_pages(web, shop, admin):
    for email in (shop.buyer.email, shop.approver.email):
        assert signed_in(web, email).get(PAGE).status_code == 404


def test_a_failed_attempt_shows_a_short_reason_not_the_library_s_error(web, shop, admin, caplog):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    endpoint, _ = add_endpoint(admin, shop.account, f"http://127.0.0.1:{port}/hooks")
    place(shop, DONE_WHEN)
    webhooks.deliver_due()
    [delivery] = deliveries(endpoint)
    assert delivery.last_error == webhooks.CONNECT
    html = signed_in(web, ADMIN).get(f"{PAGE}/{endpoint.id}").get_data(as_text=True)
    assert 'data-attempt-failure="connect"' in html
    assert "Could not connect to the endpoint." in html
    for detail in ("ConnectionError", "Errno", "Max retries", "Pinned"):
        assert detail not in html
    assert "ConnectionError" in caplog.text  # the server log keeps the detail


def test_a_connection_s_failure_has_its_kind():
    assert webhooks.failure_kind(requests.exceptions.SSLError("bad cert")) == webhooks.TLS
    assert webhooks.failure_kind(requests.exceptions.ConnectTimeout()) == webhooks.TIMEOUT
    assert webhooks.failure_kind(requests.exceptions.ReadTimeout()) == webhooks.TIMEOUT
    assert webhooks.failure_kind(requests.exceptions.ConnectionError()) == webhooks.CONNECT


def test_the_pages_issue_a_constant_number_of_statements(web, shop, admin, receiver):
    client = signed_in(web, ADMIN)
    first, _ = add_endpoint(admin, shop.account, receiver.url)

    def statements(url):
        client.get(url)  # warm up
        with count_queries() as issued:
            assert client.get(url).status_code == 200
        return len(issued)

    receiver.answers = [500]
    place(shop, DONE_WHEN)
    webhooks.deliver_due()
    few = statements(PAGE), statements(f"{PAGE}/{first.id}")
    for n in range(3):
        add_endpoint(admin, shop.account, f"{receiver.url}/{n}")
    receiver.answers = [500, 500, 500]
    place(shop, DONE_WHEN)
    place(shop, DONE_WHEN)
    webhooks.deliver_due()
    for delivery in deliveries(first):
        delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    webhooks.deliver_due()
    many = statements(PAGE), statements(f"{PAGE}/{first.id}")
    assert len(deliveries(first)) == 3
    assert many == few


def test_reloading_the_rolled_secret_s_page_rolls_nothing(web, admin, receiver):
    endpoint, _ = add_endpoint(admin, admin.account, receiver.url)
    client = signed_in(web, ADMIN)
    data = {"version": str(endpoint.version)}
    shown = secret_on(client.post(f"{PAGE}/{endpoint.id}/secret", data=data).get_data(as_text=True))
    # The browser's reload sends the same form again: the secret shown stays the live one.
    again = client.post(f"{PAGE}/{endpoint.id}/secret", data=data, follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "The secret was already changed; roll it again if you did not copy it." in html
    assert "data-webhook-secret" not in html
    assert endpoints()[0].secret == shown and len(audited("webhook.roll_secret")) == 1
    # A form without a version rolls nothing either.
    client.post(f"{PAGE}/{endpoint.id}/secret")
    assert endpoints()[0].secret == shown


def test_an_edit_based_on_an_older_version_is_a_conflict(web, admin, receiver):
    endpoint, _ = add_endpoint(admin, admin.account, receiver.url, description="First")
    client = signed_in(web, ADMIN)
    data = {"url": receiver.url, "events": ["invoice.issued"], "description": "Mine"}
    assert (
        client.post(f"{PAGE}/{endpoint.id}/edit", data={**data, "version": "1"}).status_code == 303
    )
    answer = client.post(
        f"{PAGE}/{endpoint.id}/edit", data={**data, "description": "Stale", "version": "1"}
    )
    assert answer.status_code == 409 and "data-conflict" in answer.get_data(as_text=True)
    assert endpoints()[0].description == "Mine"
