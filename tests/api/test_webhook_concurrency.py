"""Workers side by side deliver each webhook once: each claims its delivery with FOR UPDATE
SKIP LOCKED (PostgreSQL) or under the write lock (SQLite), and marks it in the same
transaction; and one round of the worker delivers what is due."""

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from portal.api import webhooks
from portal.api.models import WebhookDelivery
from portal.extensions import db
from portal.worker import run_worker
from tests import factories
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN
from tests.support.webhooks import add_endpoint, deliveries, verify

DELIVERIES = 40


@pytest.mark.no_transaction
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_workers_at_once_deliver_each_event_once(database, request, receiver):
    app = request.getfixturevalue("pg_app" if database == "postgresql" else "sqlite_app")
    with app.app_context():
        account = factories.AccountFactory(slug=f"acme-{database}")
        endpoint = factories.WebhookEndpointFactory(account=account, url=receiver.url)
        for _ in range(DELIVERIES):
            factories.WebhookDeliveryFactory(endpoint=endpoint, status="pending", attempts=0)
        db.session.commit()
        secret = endpoint.secret
        db.session.remove()
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                webhooks.deliver_due()
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    ids = Counter(r.headers["Portal-Event-Id"] for r in receiver.received)
    assert len(ids) == DELIVERIES and set(ids.values()) == {1}
    assert all(verify(secret, r.headers["Portal-Signature"], r.body) for r in receiver.received)
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint.id)
        ).all()
        db.session.remove()
    assert Counter(statuses) == {"delivered": DELIVERIES}


def test_one_round_of_the_worker_delivers_the_due_webhooks(app, shop, admin, receiver):
    endpoint, secret = add_endpoint(admin, shop.account, receiver.url)
    place(shop, DONE_WHEN)
    run_worker(app, once=True, sweeps=[])
    [request] = receiver.received
    assert verify(secret, request.headers["Portal-Signature"], request.body)
    assert [d.status for d in deliveries(endpoint)] == ["delivered"]
