"""Orders on their way to being paid: confirmed, shipped, under letter-of-credit terms; and
what the payments tests read back."""

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
from tests.support.ordering import Shop

#: 2 x 7,650.00 + 2,039.15 = 17,339.15 CNY.
DONE_WHEN = [("NW-LT14", 2), ("NW-MN27", 1)]
TOTAL = Decimal("17339.15")


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


def letter_of_credit_terms(the_shop: Shop) -> None:
    the_shop.contract.payment_term = factories.PaymentTermFactory(
        name="Letter of credit",
        needs_letter_of_credit=True,
        milestones=[("Letter of credit", "100", "order", 0)],
    )
    db.session.commit()


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
