"""Nothing lost between two tabs (SECURITY.md 37): a payment term, a contract or a price rule
saved in one tab gives the other tab's save a conflict that keeps what was typed and says what
changed."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.models import Contract, PaymentTerm, PriceRule, TermMilestone
from portal.contracts.services import seed_payment_terms
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests import factories
from tests.support.tabs import Tab, differences, form_of, saved_by
from tests.support.web import login, reload, signed_in


def test_two_tabs_saving_one_payment_term_the_second_gets_a_conflict_that_keeps_its_input(web):
    editor = factories.StaffFactory(role="account_admin")
    seed_payment_terms()
    db.session.commit()
    term = db.session.scalar(sa.select(PaymentTerm).where(PaymentTerm.code == "net30"))
    client = signed_in(web, editor.email)
    url = f"/staff/payment-terms/{term.id}"
    first, second = Tab(client, url), Tab(client, url)
    # Only a milestone changes in the first tab: the term's version changes all the same.
    assert first.save(**{"milestones-0-days": "45"}).status_code == 302
    response = second.save(name="Net 30 days")
    assert response.status_code == 409
    found = differences(response)
    assert found["Name"] == ("Net 30 days", "Net 30")
    assert found["Milestones 1: Days"] == ("30", "45")
    assert saved_by(response) == [editor.email]
    kept = form_of(response.get_data(as_text=True))
    assert (kept["name"], kept["milestones-0-days"]) == ("Net 30 days", "30")
    assert reload(term).name == "Net 30"
    days = sa.select(TermMilestone.days).where(TermMilestone.payment_term_id == term.id)
    assert db.session.scalars(days).all() == [45]


@pytest.fixture
def demo(app):
    seed_demo(history=False)
    first, second = app.test_client(), app.test_client()
    login(first, "manager@northwind.example", DEMO_PASSWORD)
    login(second, "director@northwind.example", DEMO_PASSWORD)
    contract = db.session.scalar(sa.select(Contract).where(Contract.number == "NW-ACME-01"))
    return first, second, contract


def test_two_people_saving_one_contract_the_second_gets_a_conflict_that_keeps_its_input(demo):
    manager, director, contract = demo
    url = f"/staff/contracts/{contract.id}/edit"
    first, second = Tab(manager, url), Tab(director, url)
    assert first.save(credit_limit="600000.00").status_code == 302
    response = second.save(notes="Renegotiated in December.")
    assert response.status_code == 409
    found = differences(response)
    assert found["Credit limit"] == ("500000.00", "600000.00")
    assert found["Notes"] == ("Renegotiated in December.", "(empty)")
    assert saved_by(response) == ["manager@northwind.example"]
    assert form_of(response.get_data(as_text=True))["notes"] == "Renegotiated in December."
    contract = reload(contract)
    assert (contract.credit_limit_amount, contract.notes) == (Decimal("600000.00"), "")


def test_two_people_saving_one_price_rule_the_second_keeps_its_typed_price(demo):
    manager, director, contract = demo
    rule = db.session.scalar(
        sa.select(PriceRule).where(
            PriceRule.contract_id == contract.id,
            PriceRule.kind == "percent_off",
            PriceRule.product_id.is_not(None),
        )
    )
    url = f"/staff/contracts/{contract.id}/rules/{rule.id}"
    first, second = Tab(manager, url), Tab(director, url)
    assert first.save(value="16", reason="Match the tender.").status_code == 302
    response = second.save(value="17", reason="Volume promise.")
    assert response.status_code == 409
    assert differences(response) == {"Value": ("17", "16")}
    kept = form_of(response.get_data(as_text=True))
    assert (kept["value"], kept["reason"]) == ("17", "Volume promise.")
    assert reload(rule).value == Decimal("16")
