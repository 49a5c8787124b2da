"""One OrderRequest posted twice at once (a procurement system retrying while the first is
still in flight) makes one order, and both get the same answer (SECURITY.md 35, 49), on
PostgreSQL and on SQLite, each request in its own session as in production."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.api import connections
from portal.api.models import PunchoutPayload
from portal.catalog.models import Product
from portal.extensions import db
from portal.ordering.models import Order
from tests import factories
from tests.support.concurrency import WAIT, at_once, no_errors
from tests.support.cxml import CXML, IDENTITY, order_request, status_of

pytestmark = pytest.mark.no_transaction


def seed(app) -> tuple[str, int, str]:
    """Acme-like: NW-LT14 at 7,650.00 and NW-MN27 at 2,039.15 (CNY), a buyer without a limit,
    an address, and its procurement system's connection; (secret, account id, identity)."""
    with app.app_context():
        tag = uuid.uuid4().hex[:8]
        account = factories.AccountFactory(slug=f"race-{tag}")
        contract = factories.ContractFactory(account=account)
        for sku, price in (("NW-LT14", "7650.00"), ("NW-MN27", "2039.15")):
            product = db.session.scalar(sa.select(Product).where(Product.sku == sku))
            product = product or factories.ProductFactory(sku=sku)
            factories.PriceRuleFactory(
                contract=contract, product=product, kind="fixed", value=Decimal(price)
            )
        buyer = factories.UserFactory(account=account, email=f"buyer-{tag}@race.example")
        factories.AddressFactory(account=account)
        values = connections.ConnectionValues(
            "SAP Ariba", "NetworkId", f"{IDENTITY}-{tag}", buyer.id
        )
        _, secret = connections.create_connection(factories.StaffFactory(), account, values)
        return secret, account.id, f"{IDENTITY}-{tag}"


@pytest.fixture(params=["pg_app", "sqlite_app"])
def own_app(request):
    return request.getfixturevalue(request.param)


def test_an_order_request_posted_twice_at_once_makes_one_order(own_app):
    secret, account_id, identity = seed(own_app)
    body = order_request(secret, f"twice-{uuid.uuid4().hex}").replace(
        IDENTITY.encode(), identity.encode()
    )
    clients = [own_app.test_client() for _ in range(2)]

    def posting(client):
        def call(barrier):
            barrier.wait(WAIT)
            return client.post("/punchout/order", data=body, content_type=CXML)

        return call

    answers = at_once([posting(c) for c in clients])

    no_errors(answers)
    assert [a.status_code for a in answers] == [200, 200], [a.data for a in answers]
    assert answers[0].data == answers[1].data
    assert status_of(answers[0].data)[0] == 200
    with own_app.app_context():
        orders = db.session.scalars(sa.select(Order).where(Order.account_id == account_id)).all()
        assert [o.po_number for o in orders] == ["PO-4711"]
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(PunchoutPayload)
                .where(PunchoutPayload.account_id == account_id)
            )
            == 1
        )
