"""The API's payment documents: an order's payment schedule, the account's invoices and each
invoice's PDF, as the buyer's pages show them; nothing of another account's."""

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.contracts.services import today_for
from portal.extensions import db
from portal.payments import invoices
from tests import factories
from tests.support.api import bearer, issue_token
from tests.support.api_conformance import conforms
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, TOTAL, ship
from tests.support.pdfs import flat, pdf_text
from tests.support.web import count_queries

# Invoices are open or overdue by the account's today.
pytestmark = pytest.mark.date_sensitive


@pytest.fixture
def staff():
    with factories.committed_once():
        return {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example")
            for role in ("finance", "inside_sales", "call_center")
        }


@pytest.fixture
def shipped(shop, staff):
    """An Acme Net 30 order of 17,339.15 CNY, shipped today: its invoice is due in 30 days."""
    return ship(place(shop, DONE_WHEN), staff)


@pytest.fixture
def globex_buyer():
    with factories.committed_once():
        globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
        return factories.UserFactory(account=globex, email="buyer@globex.example")


def token_of(user, *scopes):
    return bearer(issue_token(user, scopes or ("read",)))


# The schedule


def test_the_schedule_shows_each_milestone_as_the_order_page_does(client, shop, shipped):
    answer = client.get(f"/api/v1/orders/{shipped.number}/schedule", headers=token_of(shop.buyer))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["total"] == {"amount": "17339.15", "currency": "CNY"}
    [payment] = body["milestones"]
    today = today_for(shop.account)
    assert payment["amount"] == {"amount": "17339.15", "currency": "CNY"}
    assert payment["paid"]["amount"] == "0.00" and payment["outstanding"]["amount"] == "17339.15"
    assert payment["due_on"] == (today + timedelta(days=30)).isoformat()
    assert payment["status"] == "open"
    assert payment["invoice_number"] == f"{shipped.number}-1"
    # Its VAT: 13% on the goods, as the DESIGN's example says.
    [rate] = payment["vat"]
    assert (rate["rate_percent"], rate["vat"]["amount"]) == ("13", "1994.77")
    conforms(client, answer, "/api/v1/orders/{number}/schedule")


def test_a_milestone_not_yet_due_is_scheduled(client, shop, staff):
    order = place(shop, DONE_WHEN)
    answer = client.get(f"/api/v1/orders/{order.number}/schedule", headers=token_of(shop.buyer))
    [payment] = answer.get_json()["milestones"]
    assert (payment["status"], payment["due_on"], payment["invoice_number"]) == (
        "scheduled",
        None,
        None,
    )
    conforms(client, answer, "/api/v1/orders/{number}/schedule")


def test_another_accounts_order_is_a_404(client, shipped, globex_buyer):
    answer = client.get(f"/api/v1/orders/{shipped.number}/schedule", headers=token_of(globex_buyer))
    assert answer.status_code == 404
    assert shipped.number not in answer.get_data(as_text=True)


def test_schedule_status_follows_the_invoice_status(shop, shipped):
    """The service both the schedule and the invoices read."""
    from tests.support.payments import milestones

    [m] = milestones(shipped)
    today = today_for(shop.account)
    assert invoices.schedule_status(m, shipped, today) == invoices.OPEN
    assert invoices.schedule_status(m, shipped, m.due_on + timedelta(days=1)) == invoices.OVERDUE
    m.due_on = None
    assert invoices.schedule_status(m, shipped, today) == invoices.SCHEDULED
    m.paid_amount = m.amount
    assert invoices.schedule_status(m, shipped, today) == invoices.PAID
    db.session.rollback()


# Invoices


def test_an_invoice_shows_net_vat_gross_paid_and_outstanding(client, shop, shipped):
    number = f"{shipped.number}-1"
    answer = client.get(f"/api/v1/invoices/{number}", headers=token_of(shop.buyer))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["number"] == number and body["order_number"] == shipped.number
    assert body["vat"]["net"]["amount"] == "15344.38"
    assert body["vat"]["vat"]["amount"] == "1994.77"
    assert body["vat"]["gross"]["amount"] == "17339.15"
    assert body["outstanding"]["amount"] == "17339.15" and body["status"] == "open"
    assert body["fapiao"] == []
    conforms(client, answer, "/api/v1/invoices/{invoice_number}")


def test_the_fapiao_issued_on_an_invoice_shows(client, shop, shipped):
    from tests.support.payments import milestones

    [m] = milestones(shipped)
    factories.IssuedFapiaoFactory(
        milestone=m,
        invoice_number=f"{shipped.number}-1",
        number="31000000012345678",
        amount=TOTAL,
    )
    db.session.commit()
    answer = client.get(f"/api/v1/invoices/{shipped.number}-1", headers=token_of(shop.buyer))
    [fapiao] = answer.get_json()["fapiao"]
    assert fapiao["number"] == "31000000012345678"
    conforms(client, answer, "/api/v1/invoices/{invoice_number}")


def test_the_pdf_is_the_invoice(client, shop, shipped):
    number = f"{shipped.number}-1"
    answer = client.get(f"/api/v1/invoices/{number}/pdf", headers=token_of(shop.buyer))
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF")
    assert number in flat(pdf_text(answer.data))
    assert "no-store" in answer.headers["Cache-Control"]


@pytest.mark.parametrize("suffix", ["", "/pdf"])
def test_another_accounts_invoice_is_a_404(client, shipped, globex_buyer, suffix):
    number = f"{shipped.number}-1"
    answer = client.get(f"/api/v1/invoices/{number}{suffix}", headers=token_of(globex_buyer))
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert number not in answer.get_data(as_text=True)


def test_the_list_pages_with_a_cursor_and_filters(client, shop, shipped, staff):
    second = ship(place(shop, DONE_WHEN), staff)
    headers = token_of(shop.buyer)
    first_page = client.get("/api/v1/invoices?limit=1", headers=headers)
    assert first_page.status_code == 200, first_page.get_data(as_text=True)
    conforms(client, first_page, "/api/v1/invoices")
    body = first_page.get_json()
    assert [i["number"] for i in body["data"]] == [f"{second.number}-1"]
    rest = client.get(f"/api/v1/invoices?limit=1&cursor={body['next_cursor']}", headers=headers)
    assert [i["number"] for i in rest.get_json()["data"]] == [f"{shipped.number}-1"]
    assert rest.get_json()["next_cursor"] is None
    paid = client.get("/api/v1/invoices?status=paid", headers=headers).get_json()
    assert paid["data"] == []
    assert client.get("/api/v1/invoices?status=nonsense", headers=headers).status_code == 422


def test_another_accounts_invoices_are_not_listed(client, shipped, globex_buyer):
    answer = client.get("/api/v1/invoices", headers=token_of(globex_buyer))
    assert answer.get_json() == {"data": [], "next_cursor": None}


def test_staff_tokens_do_not_read_a_buyers_documents(client, shipped, staff):
    """The call centre sees no amounts; the buyer's documents are the buyer side's."""
    for path in ("/api/v1/invoices", f"/api/v1/invoices/{shipped.number}-1"):
        answer = client.get(path, headers=token_of(staff["call_center"]))
        assert answer.status_code == 403
        assert "17339" not in answer.get_data(as_text=True)


def _invoices(shop, count):
    today = today_for(shop.account)
    for _ in range(count):
        order = factories.OrderFactory(contract=shop.contract, total_amount=Decimal("100.00"))
        factories.OrderLineFactory(order=order)
        factories.MilestoneFactory(order=order, position=1, due_on=today, invoiced_on=today)
    db.session.commit()


def test_the_list_issues_as_many_queries_for_30_invoices_as_for_3(client, shop):
    headers = token_of(shop.buyer)
    client.get("/api/v1/me", headers=headers)  # the token's first use is written once
    _invoices(shop, 3)
    with count_queries() as few:
        assert len(client.get("/api/v1/invoices", headers=headers).get_json()["data"]) == 3
    _invoices(shop, 27)
    with count_queries() as many:
        assert len(client.get("/api/v1/invoices", headers=headers).get_json()["data"]) == 30
    assert len(many) == len(few)
