"""Letters of credit that do not cover their order (too small, another currency) are registered
as "not covering" with the reason, expired ones refused; a registered letter can be amended or
voided, each change audited."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.ordering import gate
from portal.ordering.models import LetterOfCredit
from portal.payments import services
from tests.support.payments import TOTAL, letter, refused, today_for_acme
from tests.support.web import signed_in

FINANCE = "finance@northwind.example"


def form(**changes) -> dict:
    details = letter(**changes)
    return {
        "issuing_bank": details.issuing_bank,
        "number": details.number,
        "currency": details.currency,
        "amount": f"{details.amount:f}",
        "expires_on": details.expires_on.isoformat(),
        "latest_shipment_on": details.latest_shipment_on.isoformat(),
        "required_documents": details.required_documents,
    }


def the_letter() -> LetterOfCredit:
    return db.session.scalars(
        sa.select(LetterOfCredit).execution_options(populate_existing=True)
    ).one()


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": TOTAL - Decimal("0.01")}, "covers only CN¥17,339.14 of CN¥17,339.15"),
        ({"currency": "USD", "amount": Decimal("2500.00")}, "is in USD; the order is in CNY"),
    ],
)
def test_a_short_or_foreign_letter_is_registered_as_not_covering_with_the_reason(
    web, shop, lc_order, staff, changes, reason
):
    client = signed_in(web, FINANCE)
    url = f"/staff/orders/{lc_order.number}/letter-of-credit"
    page = client.post(url, data=form(**changes), follow_redirects=True).text
    assert "It does not cover the order:" in page and reason in page
    assert 'data-letter-status="not_covering"' in page
    assert the_letter().number == "LC-123"
    assert any(reason in text for text in gate.release_blockers(lc_order))


def test_an_expired_letter_is_refused_at_registration(web, shop, lc_order, staff):
    client = signed_in(web, FINANCE)
    yesterday = today_for_acme() - timedelta(days=1)
    page = client.post(
        f"/staff/orders/{lc_order.number}/letter-of-credit",
        data=form(expires_on=yesterday, latest_shipment_on=yesterday),
    ).text
    assert "has expired already" in page
    assert db.session.scalars(sa.select(LetterOfCredit)).all() == []


def test_a_letter_amended_by_the_bank_covers_the_order_and_the_change_is_audited(
    web, shop, lc_order, staff
):
    services.register_letter_of_credit(staff["finance"], lc_order, letter(amount=Decimal("9000")))
    registered = the_letter()
    assert gate.release_blockers(lc_order) != []
    client = signed_in(web, FINANCE)
    url = f"/staff/orders/{lc_order.number}/letter-of-credit/{registered.id}"
    assert 'value="9000.00"' in client.get(url).text or 'value="9000' in client.get(url).text
    page = client.post(url, data=form(amount=TOTAL), follow_redirects=True).text
    assert "Letter of credit LC-123 amended." in page
    assert 'data-letter-status="covering"' in page
    assert the_letter().amount == TOTAL
    assert gate.release_blockers(lc_order) == []
    (event,) = audit("order.letter_of_credit_amended")
    assert event.changes["amount"] == ["9000", "17339.15"]
    assert event.actor_id == staff["finance"].id
    # Nothing changed: refused, nothing audited.
    refused(
        lambda: services.amend_letter_of_credit(staff["finance"], lc_order, the_letter(), letter()),
        "Nothing was changed",
    )


def test_a_voided_letter_covers_nothing_stays_on_record_and_is_audited(web, shop, lc_order, staff):
    services.register_letter_of_credit(staff["finance"], lc_order, letter())
    registered = the_letter()
    assert gate.release_blockers(lc_order) == []
    client = signed_in(web, FINANCE)
    void = f"/staff/orders/{lc_order.number}/letter-of-credit/{registered.id}/void"
    client.post(void, data={"reason": ""})
    assert not the_letter().is_void
    page = client.post(void, data={"reason": "Cancelled by the bank."}, follow_redirects=True)
    assert 'data-letter-status="void"' in page.text and "Cancelled by the bank." in page.text
    assert the_letter().is_void
    assert gate.release_blockers(lc_order) == [
        "No registered letter of credit covers CN¥17,339.15."
    ]
    (event,) = audit("order.letter_of_credit_voided")
    assert event.reason == "Cancelled by the bank."
    refused(
        lambda: services.amend_letter_of_credit(
            staff["finance"], lc_order, the_letter(), letter(amount=TOTAL + 1)
        ),
        "void letter of credit is not amended",
    )
