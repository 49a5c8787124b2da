"""Amounts finance types at the desk (a remittance, its parts, a letter of credit), read as
core.numbers reads every amount."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.services import today_for
from portal.extensions import db
from portal.ordering.models import LetterOfCredit, Milestone
from tests.payments.test_views import FINANCE, fresh, payments_count, remittance_form
from tests.support.payments import milestones
from tests.support.web import signed_in

pytestmark = pytest.mark.date_sensitive

DECIMAL_COMMA = "use a point for decimals and type"


def test_a_remittance_typed_with_a_decimal_comma_is_refused_and_nothing_is_written(
    web, shop, net30
):
    [due] = milestones(net30)
    finance = signed_in(web, FINANCE)
    url = "/staff/finance/remittances/new?account=acme"
    for amount, part, message in (
        ("17339,15", "17339.15", f"“17339,15”: {DECIMAL_COMMA} 17339.15 "),
        ("17339.15", "17339,15", f"“17339,15”: {DECIMAL_COMMA} 17339.15 "),
        ("1e4", "1e4", "without an exponent"),
        ("999999999999999999999", "1.00", "is too large"),
    ):
        data = remittance_form(shop.account, {due: part}, amount=amount)
        response = finance.post(url, data=data)
        assert response.status_code == 200, (amount, part)
        assert message in response.get_data(as_text=True), (amount, part)
    assert payments_count() == 0

    data = remittance_form(shop.account, {due: "１７，３３９．１５"}, amount="17,339.15")
    assert finance.post(url, data=data).status_code in (302, 303)
    assert fresh(Milestone, due.id).paid_amount == Decimal("17339.15")


def test_a_letter_of_credit_amount_is_read_as_every_amount_is(web, shop, lc_order):
    finance = signed_in(web, FINANCE)
    today = today_for(shop.account)
    data = {
        "issuing_bank": "Bank of China, Shanghai Branch",
        "number": "LC-123",
        "currency": "CNY",
        "expires_on": (today + timedelta(days=90)).isoformat(),
        "latest_shipment_on": (today + timedelta(days=60)).isoformat(),
        "required_documents": "Commercial invoice",
    }
    url = f"/staff/orders/{lc_order.number}/letter-of-credit"
    for typed, message in (
        ("17339,15", f"“17339,15”: {DECIMAL_COMMA} 17339.15 "),
        ("2e4", "without an exponent"),
        ("999999999999999999999", "is too large"),
    ):
        response = finance.post(url, data=data | {"amount": typed})
        assert response.status_code == 200, typed
        assert message in response.get_data(as_text=True), typed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterOfCredit)) == 0

    assert finance.post(url, data=data | {"amount": "１７，３３９．１５"}).status_code == 303
    letter = db.session.scalar(sa.select(LetterOfCredit))
    assert letter.amount == Decimal("17339.15")
