"""The finance desk through HTTP, as finance@northwind.example: payments due and overdue,
bank remittances in parts, letters of credit, and releasing the orders whose gate is clear."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.services import today_for
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.ordering.models import LetterOfCredit, Milestone, Order
from portal.payments.models import Payment
from tests import factories
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, confirm, milestones, ship
from tests.support.web import count_queries, login, signed_in

# The finance desk groups payments by how overdue they are today:
# CI runs these at several clocks and zones.
pytestmark = pytest.mark.date_sensitive

FINANCE = "finance@northwind.example"


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def payments_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Payment))


def remittance_form(account, parts: dict, amount=None, reference="CMB 2026-0001", **extra):
    data = {
        "amount": amount or str(sum(Decimal(v.replace(",", "")) for v in parts.values())),
        "received_on": today_for(account).isoformat(),
        "reference": reference,
    }
    data |= {f"part-{m.id}": v for m, v in parts.items()}
    return data | extra


def rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]*)"', html)


# The Done-when flow


def test_finance_records_a_net_30_payment_in_two_parts_and_releases_the_order_it_frees(
    web, shop, net30, staff
):
    # Given a second Acme order, confirmed, that the credit limit cannot carry until the
    # shipped order's Net 30 payment comes in
    other = confirm(place(shop, DONE_WHEN), staff)
    shop.contract.credit_limit_amount = Decimal("30000.00")
    db.session.commit()
    [due] = milestones(net30)
    finance = signed_in(web, FINANCE)

    # The desk lists the Net 30 payment as due in 30 days, and nothing is ready for release
    desk = finance.get("/staff/finance").data.decode()
    assert f'data-milestone-id="{due.id}"' in desk
    assert f'data-due-on="{(today_for(shop.account) + timedelta(days=30)).isoformat()}"' in desk
    assert 'data-releasable-count="0"' in desk

    # When finance records the first part of the transfer
    form = finance.get("/staff/finance/remittances/new?account=acme").data.decode()
    assert f'name="part-{due.id}"' in form
    response = finance.post(
        "/staff/finance/remittances/new?account=acme",
        data=remittance_form(shop.account, {due: "3,000.00"}, reference="CMB 2026-0001"),
    )
    assert (response.status_code, response.location) == (303, "/staff/finance?account=acme")
    page = finance.get(f"/staff/orders/{other.number}").data.decode()
    assert "Exceeds available credit by CN¥1,678.30." in page

    # And the second
    response = finance.post(
        "/staff/finance/remittances/new?account=acme",
        data=remittance_form(shop.account, {due: "1678.30"}, reference="CMB 2026-0002"),
        follow_redirects=True,
    )
    assert "Transfer CMB 2026-0002 of CN¥1,678.30 from Acme Hospital Group recorded." in (
        response.data.decode()
    )

    # Then the shipped order's page shows both transfers and what is paid
    page = finance.get(f"/staff/orders/{net30.number}").data.decode()
    assert rows(page, "data-payment-reference") == ["CMB 2026-0001", "CMB 2026-0002"]
    assert "CN¥4,678.30" in page
    assert fresh(Milestone, due.id).paid_amount == Decimal("4678.30")

    # And the other order's gate is clear: the desk offers its release, and it goes
    desk = finance.get("/staff/finance").data.decode()
    assert 'data-releasable-count="1"' in desk
    assert f'data-order-number="{other.number}"' in desk
    assert f'action="/staff/orders/{other.number}/release"' in desk
    response = finance.post(f"/staff/orders/{other.number}/release", follow_redirects=True)
    assert b"Order released to production." in response.data
    assert fresh(Order, other.id).status == "released"


def test_finance_registers_a_letter_of_credit_and_releases_the_lc_order(web, shop, lc_order):
    finance = signed_in(web, FINANCE)
    page = finance.get(f"/staff/orders/{lc_order.number}").data.decode()
    assert "No registered letter of credit covers CN¥17,339.15." in page
    assert 'data-action="register-letter-of-credit"' in page
    today = today_for(shop.account)
    data = {
        "issuing_bank": "Bank of China, Shanghai Branch",
        "number": "LC-123",
        "currency": "CNY",
        "amount": "17339.15",
        "expires_on": (today + timedelta(days=90)).isoformat(),
        "latest_shipment_on": (today + timedelta(days=60)).isoformat(),
        "required_documents": "Commercial invoice\nBill of lading",
    }
    url = f"/staff/orders/{lc_order.number}/letter-of-credit"
    assert '<option selected value="CNY">' in finance.get(url).data.decode()

    # A letter of credit that has expired already is refused, and nothing is written
    expired = finance.post(url, data=data | {"expires_on": (today - timedelta(days=1)).isoformat()})
    assert expired.status_code == 200
    assert "This letter of credit has expired already" in expired.data.decode()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterOfCredit)) == 0

    # A short one is registered, but the order stays blocked, saying why
    short = finance.post(url, data=data | {"number": "LC-100", "amount": "17000.00"})
    assert (short.status_code, short.location) == (303, f"/staff/orders/{lc_order.number}")
    page = finance.get(f"/staff/orders/{lc_order.number}").data.decode()
    assert "Letter of credit LC-100 covers only CN¥17,000.00 of CN¥17,339.15." in page
    assert 'data-releasable-count="0"' in finance.get("/staff/finance").data.decode()

    # When one that covers the order is registered
    response = finance.post(url, data=data, follow_redirects=True)
    assert b"Letter of credit LC-123 registered for order" in response.data

    # Then the order page shows it and nothing blocks the release
    page = response.data.decode()
    assert rows(page, "data-letter-number") == ["LC-100", "LC-123"]
    assert 'data-blocker-count="0"' in page
    assert "Nothing blocks the release." in page
    desk = finance.get("/staff/finance").data.decode()
    assert f'action="/staff/orders/{lc_order.number}/release"' in desk
    finance.post(f"/staff/orders/{lc_order.number}/release")
    assert fresh(Order, lc_order.id).status == "released"


# Refusals through the forms


def test_the_letter_of_credit_form_refuses_an_order_not_under_lc_terms(web, net30):
    finance = signed_in(web, FINANCE)
    url = f"/staff/orders/{net30.number}/letter-of-credit"

    response = finance.get(url)
    assert (response.status_code, response.location) == (302, f"/staff/orders/{net30.number}")
    page = finance.get(response.location).data.decode()
    assert "is not under letter-of-credit terms" in page
    assert 'data-action="register-letter-of-credit"' not in page
    assert finance.post(url, data={"number": "LC-1"}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterOfCredit)) == 0


def test_bad_remittances_are_refused_with_a_message_and_nothing_is_written(web, shop, net30):
    [due] = milestones(net30)
    other_account = factories.MilestoneFactory(amount=Decimal("100.00"))
    finance = signed_in(web, FINANCE)
    url = "/staff/finance/remittances/new?account=acme"

    def post(parts, **extra) -> str:
        response = finance.post(url, data=remittance_form(shop.account, parts, **extra))
        assert response.status_code == 200, response.location
        return response.data.decode()

    assert "“ten” is not an amount" in post({due: "ten"}, amount="10")
    assert "has only CN¥17,339.15 unpaid" in post({due: "17339.16"})
    assert "The parts add up to 100.00, not to the 100.01 received." in post(
        {due: "100.00"}, amount="100.01"
    )
    assert "at most the currency&#39;s decimals" in post({due: "0.001"})
    assert "cannot lie in the future" in post(
        {due: "1.00"}, received_on=(today_for(shop.account) + timedelta(days=1)).isoformat()
    )
    page = post({due: "1.00", other_account: "1.00"})
    assert "this account&#39;s orders only" in page
    page = post({due: "1.00"}, reference="")
    assert "This field is required." in page
    assert 'value="1.00"' in page  # what finance typed is kept
    assert payments_count() == 0
    assert fresh(Milestone, due.id).paid_amount == 0


def test_a_duplicate_bank_reference_is_refused_on_the_form(web, shop, net30):
    [due] = milestones(net30)
    finance = signed_in(web, FINANCE)
    url = "/staff/finance/remittances/new?account=acme"
    finance.post(url, data=remittance_form(shop.account, {due: "100.00"}, reference="CMB-9"))

    again = finance.post(
        url, data=remittance_form(shop.account, {due: "100.00"}, reference="cmb-9")
    )

    assert "A transfer with the reference CMB-9 is already recorded" in again.data.decode()
    assert payments_count() == 1
    assert fresh(Milestone, due.id).paid_amount == Decimal("100.00")


def test_the_remittance_form_without_an_account_asks_for_one(web, shop, finance):
    finance = signed_in(web, FINANCE)
    page = finance.get("/staff/finance/remittances/new").data.decode()
    assert '<option value="acme">Acme Hospital Group</option>' in page
    assert finance.get("/staff/finance/remittances/new?account=nope").status_code == 404


# The desk


def test_the_desk_groups_overdue_payments_by_account_oldest_first(web, shop, staff, net30):
    today = today_for(shop.account)
    [late] = milestones(net30)
    late.due_on = today - timedelta(days=12)
    older = ship(place(shop, DONE_WHEN), staff)
    [oldest] = milestones(older)
    oldest.due_on = today - timedelta(days=40)
    paid = ship(place(shop, DONE_WHEN), staff)
    [done] = milestones(paid)
    done.paid_amount = done.amount
    undated = confirm(place(shop, DONE_WHEN), staff)  # due 30 days after a shipment to come
    globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    globex_due = factories.MilestoneFactory(
        order=factories.OrderFactory(contract=factories.ContractFactory(account=globex)),
        amount=Decimal("500.00"),
        paid_amount=Decimal("100.00"),
        due_on=today - timedelta(days=3),
    )
    db.session.commit()

    desk = signed_in(web, FINANCE).get("/staff/finance").data.decode()

    assert rows(desk, "data-account-slug") == ["acme", "globex"]
    assert rows(desk, "data-milestone-id") == [str(oldest.id), str(late.id), str(globex_due.id)]
    assert rows(desk, "data-days-overdue") == ["40", "12", "3"]
    assert rows(desk, "data-paid") == ["0.00", "0.00", "100.00"]
    due_numbers = rows(desk, 'tr class="[^"]*" data-milestone-id="[^"]*" data-order-number')
    assert undated.number not in due_numbers and paid.number not in due_numbers
    filtered = signed_in(web, FINANCE).get("/staff/finance?account=globex").data.decode()
    assert rows(filtered, "data-milestone-id") == [str(globex_due.id)]


def test_sales_managers_see_the_desk_but_record_and_release_nothing(web, shop, net30, lc_order):
    factories.StaffFactory(role="sales_manager", email="manager@northwind.example")
    page = signed_in(web, "manager@northwind.example").get("/staff/finance").data.decode()
    assert f'data-milestone-id="{milestones(net30)[0].id}"' in page
    assert 'data-action="record-remittance"' not in page
    assert "/remittances/new" not in page
    assert "credit-hold-form" not in page
    order_page = signed_in(web, "manager@northwind.example").get(f"/staff/orders/{lc_order.number}")
    assert b'data-action="register-letter-of-credit"' not in order_page.data


def test_the_desk_issues_as_many_statements_for_60_payments_as_for_6(web, shop, staff):
    client = signed_in(web, FINANCE)
    today = today_for(shop.account)
    accounts = [shop.account] + [factories.AccountFactory() for _ in range(3)]

    def statements() -> int:
        client.get("/staff/finance")  # warm up: the session's last-seen time settles
        with count_queries() as issued:
            assert client.get("/staff/finance").status_code == 200
        return len(issued)

    contracts = [shop.contract] + [factories.ContractFactory(account=a) for a in accounts[1:]]

    def add(n: int) -> None:
        for i in range(n):
            order = factories.OrderFactory(contract=contracts[i % len(contracts)], status="shipped")
            factories.MilestoneFactory(order=order, due_on=today - timedelta(days=i))

    add(6)
    six = statements()
    add(54)
    sixty = statements()
    assert sixty == six
    assert sixty <= 8


# Amounts as finance types them (core.numbers)


def test_a_remittance_typed_with_a_decimal_comma_is_refused_and_nothing_is_written(
    web, shop, net30
):
    [due] = milestones(net30)
    finance = signed_in(web, FINANCE)
    url = "/staff/finance/remittances/new?account=acme"
    for amount, part, message in (
        ("17339,15", "17339.15", "“17339,15”: use a point for decimals and type 17339.15 "),
        ("17339.15", "17339,15", "“17339,15”: use a point for decimals and type 17339.15 "),
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
        ("17339,15", "“17339,15”: use a point for decimals and type 17339.15 "),
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


def test_a_buyer_without_invoices_is_not_told_that_every_invoice_is_paid(app):
    seed_demo(history=False)  # Initech has ordered nothing yet
    client = app.test_client()
    login(client, "buyer@initech.example", DEMO_PASSWORD)
    page = client.get("/a/initech/invoices").get_data(as_text=True)
    assert "No invoices yet" in page
    assert "every invoice is paid" not in page
