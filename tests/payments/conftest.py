"""The ordering shop, with finance staff and orders ready to be paid: an Acme Net 30 order
shipped (its payment due in 30 days) and an order under letter-of-credit terms."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.services import today_for
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering import services as ordering
from portal.ordering.models import Milestone, Order
from portal.payments import services
from tests import factories
from tests.ordering.conftest import Shop, place, shop  # noqa: F401  (the shop fixture)

#: 2 x 7,650.00 + 2,039.15 = 17,339.15 CNY.
DONE_WHEN = [("NW-LT14", 2), ("NW-MN27", 1)]
TOTAL = Decimal("17339.15")


@pytest.fixture
def staff():
    """One member of staff per role that matters here, as <role>@northwind.example."""
    return {
        role: factories.StaffFactory(
            role=role, email=f"{role}@northwind.example", name=role.replace("_", " ").title()
        )
        for role in ("finance", "inside_sales", "sales_manager", "account_admin")
    }


@pytest.fixture
def finance(staff):
    return staff["finance"]


def milestones(order: Order) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone).where(Milestone.order_id == order.id).order_by(Milestone.position)
        )
    )


def confirm(order: Order, staff) -> Order:
    ordering.confirm_order(staff["inside_sales"], order)
    return order


def ship(order: Order, staff) -> Order:
    """Confirm, release and ship the order: its Net 30 payment gets its due date."""
    confirm(order, staff)
    ordering.release_order(staff["finance"], order)
    ordering.ship_order(staff["inside_sales"], order, "SF Express", "SF1234567890")
    return order


@pytest.fixture
def net30(shop, staff) -> Order:  # noqa: F811
    """An Acme Net 30 order of 17,339.15 CNY, shipped today: due in 30 days."""
    return ship(place(shop, DONE_WHEN), staff)


def letter_of_credit_terms(the_shop: Shop) -> None:
    the_shop.contract.payment_term = factories.PaymentTermFactory(
        name="Letter of credit",
        needs_letter_of_credit=True,
        milestones=[("Letter of credit", "100", "order", 0)],
    )
    db.session.commit()


@pytest.fixture
def lc_order(shop, staff) -> Order:  # noqa: F811
    """A confirmed order of 17,339.15 CNY under letter-of-credit terms."""
    letter_of_credit_terms(shop)
    return confirm(place(shop, DONE_WHEN), staff)


def letter(**changes) -> services.LetterOfCreditDetails:
    today = today_for_acme()
    values = {
        "issuing_bank": "Bank of China, Shanghai Branch",
        "number": "LC-123",
        "currency": "CNY",
        "amount": TOTAL,
        "expires_on": today + timedelta(days=90),
        "latest_shipment_on": today + timedelta(days=60),
        "required_documents": "Commercial invoice\nBill of lading\nPacking list",
    }
    values.update(changes)
    return services.LetterOfCreditDetails(**values)


def today_for_acme():
    from portal.accounts.models import KeyAccount

    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    return today_for(account)


def refused(call, match: str) -> ServiceError:
    """Call, expect a refusal whose message matches, and roll back as the views do."""
    with pytest.raises(ServiceError, match=match) as error:
        call()
    db.session.rollback()
    return error.value
