"""Invoices: a milestone that fell due is its order's invoice. When invoices appear under each
kind of term, the buyer's statement (filters, totals, CSV export), the printable invoice, and
that nothing of one account's invoices shows to another."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount
from portal.contracts.services import today_for
from portal.extensions import db
from portal.ordering import services as ordering
from portal.ordering.models import Milestone, Order
from portal.payments import invoices
from tests import factories
from tests.support.locales import reading_in
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, confirm, ship
from tests.support.web import count_queries, signed_in

# Invoices are open or overdue by today's date: CI runs these at several clocks and zones.
pytestmark = pytest.mark.date_sensitive

BUYER = "buyer@acme.example"


def milestones(order) -> list[Milestone]:
    """The order's milestones as they are now, with the order (for their invoice numbers)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.order_id == order.id)
            .options(joinedload(Milestone.order))
            .order_by(Milestone.position)
        )
    )


def use_term(shop, spec, name):
    shop.contract.payment_term = factories.PaymentTermFactory(name=name, milestones=spec)
    db.session.commit()


def invoice(order, position, *, due_in=0, paid="0", amount=None, label="Payment", issued=None):
    """A milestone of `order` that fell due `due_in` days from Acme's today (negative: in the
    past), as ordering would have left it."""
    today = today_for(db.session.get(KeyAccount, order.account_id))
    due_on = today + timedelta(days=due_in)
    amount = Decimal(amount) if amount is not None else order.total_amount
    return factories.MilestoneFactory(
        order=order,
        position=position,
        label=label,
        amount=amount,
        paid_amount=Decimal(paid),
        due_on=due_on,
        invoiced_on=issued or min(today, due_on),
    )


def rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]*)"', html)


# When invoices appear


def test_a_net_30_invoice_is_issued_at_shipment_not_at_order(shop, staff):
    # Given a Net 30 order just placed: its payment has no due date yet, so no invoice
    order = place(shop, DONE_WHEN)
    [payment] = milestones(order)
    assert (payment.invoiced_on, payment.invoice_number) == (None, None)
    today = today_for(shop.account)
    assert invoices.statement(shop.account, today).page.total == 0

    # When it ships
    ship(order, staff)

    # Then its invoice is numbered after the order, issued today and due in 30 days
    [payment] = milestones(order)
    assert payment.invoice_number == f"{order.number}-1"
    assert (payment.invoiced_on, payment.due_on) == (today, today + timedelta(days=30))
    [row] = invoices.statement(shop.account, today).page.items
    assert (row.number, row.status, row.open.amount) == (
        f"{order.number}-1",
        "open",
        order.total_amount,
    )


def test_a_deposit_is_invoiced_at_order_and_the_balance_at_delivery(shop, staff):
    use_term(
        shop,
        [("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
        "30% deposit, balance on delivery",
    )
    order = place(shop, DONE_WHEN)
    today = today_for(shop.account)
    deposit, balance = milestones(order)
    assert (deposit.invoice_number, deposit.invoiced_on, deposit.due_on) == (
        f"{order.number}-1",
        today,
        today,
    )
    assert balance.invoice_number is None
    assert [r.number for r in invoices.statement(shop.account, today).page.items] == [
        f"{order.number}-1"
    ]

    # The deposit paid, the order released, shipped and delivered: the balance falls due
    deposit.paid_amount = deposit.amount
    db.session.commit()
    ship(order, staff)
    ordering.deliver_order(staff["inside_sales"], order)
    deposit, balance = milestones(order)
    assert (balance.invoice_number, balance.invoiced_on, balance.due_on) == (
        f"{order.number}-2",
        today,
        today,
    )
    page = invoices.statement(shop.account, today).page
    assert [(r.number, r.status) for r in page.items] == [
        (f"{order.number}-2", "open"),
        (f"{order.number}-1", "paid"),
    ]


def test_three_installments_are_all_invoiced_at_order_with_their_own_due_dates(shop):
    use_term(
        shop,
        [("1st", "34", "order", 0), ("2nd", "33", "order", 30), ("3rd", "33", "order", 60)],
        "3 installments",
    )
    order = place(shop, DONE_WHEN)
    today = today_for(shop.account)
    assert [(m.invoice_number, m.invoiced_on, m.due_on) for m in milestones(order)] == [
        (f"{order.number}-1", today, today),
        (f"{order.number}-2", today, today + timedelta(days=30)),
        (f"{order.number}-3", today, today + timedelta(days=60)),
    ]
    statement = invoices.statement(shop.account, today)
    assert statement.page.total == 3
    [total] = statement.totals
    assert (total.currency, total.open.amount, total.overdue.amount) == (
        "CNY",
        order.total_amount,
        Decimal(0),
    )


# The statement


@pytest.fixture
def ledger(shop):
    """Acme invoices in every state, in CNY and USD, and one of Globex's."""
    cny = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer, status="shipped")
    usd = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.buyer, status="delivered", currency="USD"
    )
    cancelled = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.buyer, status="cancelled"
    )
    globex = factories.OrderFactory(status="shipped", total_amount=Decimal("999.00"))
    return {
        "paid": invoice(cny, 1, due_in=-40, amount="100.00", paid="100.00"),
        "overdue": invoice(cny, 2, due_in=-1, amount="250.50", paid="50.50"),
        "due_today": invoice(cny, 3, due_in=0, amount="300.00"),
        "future": invoice(cny, 4, due_in=30, amount="400.00"),
        "not_due": factories.MilestoneFactory(order=cny, position=5, amount=Decimal("7.00")),
        "usd_overdue": invoice(usd, 1, due_in=-10, amount="20.00"),
        "usd_open": invoice(usd, 2, due_in=5, amount="30.00"),
        "cancelled": invoice(cancelled, 1, due_in=-5, amount="55.00"),
        "globex": invoice(globex, 1, due_in=-3),
    }


def numbers(statement) -> set[str]:
    return {row.number for row in statement.page.items}


def number_of(milestone) -> str:
    return f"{db.session.get(Order, milestone.order_id).number}-{milestone.position}"


def test_the_statement_filters_open_overdue_and_paid_invoices(shop, ledger):
    today = today_for(shop.account)
    n = {key: number_of(m) for key, m in ledger.items() if key != "not_due"}

    every = invoices.statement(shop.account, today)
    assert numbers(every) == {n[k] for k in n if k != "globex"}
    status = {row.number: row.status for row in every.page.items}
    assert status[n["paid"]] == "paid"
    assert status[n["overdue"]] == status[n["usd_overdue"]] == "overdue"
    assert status[n["due_today"]] == status[n["future"]] == status[n["usd_open"]] == "open"
    assert status[n["cancelled"]] == "cancelled"

    opened = invoices.statement(shop.account, today, status="open")
    assert numbers(opened) == {
        n[k] for k in ("overdue", "due_today", "future", "usd_overdue", "usd_open")
    }
    overdue = invoices.statement(shop.account, today, status="overdue")
    assert numbers(overdue) == {n["overdue"], n["usd_overdue"]}
    [row] = [r for r in overdue.page.items if r.number == n["overdue"]]
    assert row.overdue_since == today  # due yesterday: overdue since today
    assert numbers(invoices.statement(shop.account, today, status="paid")) == {n["paid"]}
    # An unknown filter shows everything
    assert numbers(invoices.statement(shop.account, today, status="bogus")) == numbers(every)


def test_the_statement_totals_what_is_open_and_overdue_per_currency(shop, ledger):
    totals = invoices.statement(shop.account, today_for(shop.account)).totals
    assert [(t.currency, t.open.amount, t.overdue.amount) for t in totals] == [
        # 200.00 + 300.00 + 400.00 open, of which 200.00 overdue; the cancelled order's owes nothing
        ("CNY", Decimal("900.00"), Decimal("200.00")),
        ("USD", Decimal("50.00"), Decimal("20.00")),
    ]


def test_the_statement_page_carries_each_invoice_and_its_totals(web, shop, ledger):
    page = signed_in(web, BUYER).get("/a/acme/invoices")
    assert page.status_code == 200
    html = page.data.decode()
    overdue = number_of(ledger["overdue"])
    assert len(rows(html, "data-invoice-number")) == 7
    row = re.search(rf'<tr[^>]*data-invoice-number="{overdue}"[^>]*>', html).group(0)
    assert 'data-amount="250.50"' in row and 'data-paid="50.50"' in row
    assert f'data-due-on="{ledger["overdue"].due_on.isoformat()}"' in row
    assert 'data-status="overdue"' in row
    assert "overdue since" in html
    assert rows(html, "data-open") == ["900.00", "50.00"]
    assert rows(html, "data-overdue") == ["200.00", "20.00"]
    assert f'href="/a/acme/invoices/{overdue}"' in html
    assert number_of(ledger["globex"]) not in html

    paid_only = signed_in(web, BUYER).get("/a/acme/invoices?status=paid").data.decode()
    assert rows(paid_only, "data-status") == ["paid"]


def test_the_statement_is_newest_first_and_paginated(web, shop):
    order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer, status="shipped")
    today = today_for(shop.account)
    for position in range(1, 31):
        invoice(order, position, amount="1.00", issued=today - timedelta(days=position))
    client = signed_in(web, BUYER)
    first = rows(client.get("/a/acme/invoices").data.decode(), "data-invoice-number")
    second = rows(client.get("/a/acme/invoices?page=2").data.decode(), "data-invoice-number")
    assert first[:2] == [f"{order.number}-1", f"{order.number}-2"]
    assert len(first) == invoices.PER_PAGE and len(second) == 30 - invoices.PER_PAGE
    assert second[-1] == f"{order.number}-30"


def test_the_statement_issues_as_many_statements_for_100_invoices_as_for_10(web, shop):
    client = signed_in(web, BUYER)
    made = []

    def statements_with(total):
        for n in range(len(made), total):
            made.append(n)
            # Each on an order of its own, placed by someone else: a per-row load would show
            placer = factories.UserFactory(account=shop.account)
            order = factories.OrderFactory(contract=shop.contract, placed_by=placer)
            invoice(order, 1, due_in=n % 3 - 1, amount="10.00", paid="10.00" if n % 4 == 0 else "0")
        with count_queries() as statements:
            page = client.get("/a/acme/invoices")
        assert page.status_code == 200
        return len(statements), page.data.count(b"data-invoice-number=")

    ten, shown_ten = statements_with(10)
    hundred, shown_hundred = statements_with(100)
    assert (shown_ten, shown_hundred) == (10, invoices.PER_PAGE)
    assert ten == hundred
    # The session, the account, the count, the page, its orders' lines and milestones (VAT),
    # their fapiao, the totals and the ageing.
    assert hundred <= 9


def test_buyers_find_invoices_in_the_navbar(web, shop):
    page = signed_in(web, BUYER).get("/a/acme/orders").data.decode()
    assert 'href="/a/acme/invoices"' in page


# CSV export


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_statement_lists_every_invoice_with_its_amounts(web, shop, ledger):
    exported = csv_rows(signed_in(web, BUYER).get("/a/acme/invoices.csv"))
    assert len(exported) == 7
    assert list(exported[0]) == list(invoices.CSV_COLUMNS)
    by_number = {r["number"]: r for r in exported}
    overdue = by_number[number_of(ledger["overdue"])]
    order_number = number_of(ledger["overdue"]).rsplit("-", 1)[0]
    assert overdue == {
        "number": f"{order_number}-2",
        "order": order_number,
        "po_number": "",
        "label": "Payment",
        "issued": ledger["overdue"].invoiced_on.isoformat(),
        "due": ledger["overdue"].due_on.isoformat(),
        "currency": "CNY",
        "amount": "250.50",
        # A factory order's lines have no VAT snapshot: as placed before VAT was recorded.
        "net": "",
        "vat": "",
        "paid": "50.50",
        "refunded": "0.00",
        "open": "200.00",
        "status": "overdue",
    }
    assert by_number[number_of(ledger["cancelled"])]["open"] == "0.00"
    assert number_of(ledger["globex"]) not in by_number
    only_overdue = csv_rows(signed_in(web, BUYER).get("/a/acme/invoices.csv?status=overdue"))
    assert {r["status"] for r in only_overdue} == {"overdue"}


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_the_csv_statement_keeps_spreadsheets_from_running_formulas(web, shop, formula):
    order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer, po_number=formula)
    invoice(order, 1, label=formula[:60])
    [row] = csv_rows(signed_in(web, BUYER).get("/a/acme/invoices.csv"))
    assert row["po_number"] == "'" + formula
    assert row["label"] == "'" + formula[:60]


def test_the_csv_statement_is_utf_8(web, shop):
    order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer, po_number="采购-7")
    invoice(order, 1, label="Anzahlung für Geräte")
    [row] = csv_rows(signed_in(web, BUYER).get("/a/acme/invoices.csv"))
    assert (row["po_number"], row["label"]) == ("采购-7", "Anzahlung für Geräte")


# The printable invoice


def test_the_printable_invoice_shows_what_an_invoice_must(web, shop, staff):
    order = ship(place(shop, DONE_WHEN, po_number="PO-4711"), staff)
    [payment] = milestones(order)
    page = signed_in(web, BUYER).get(f"/a/acme/invoices/{order.number}-1")
    assert page.status_code == 200
    html = page.data.decode()
    for expected in [
        "Northwind Components",
        "Acme Hospital Group",
        order.ship_to.splitlines()[0],
        order.number,
        "PO-4711",
        f"{order.number}-1",
        'data-sku="NW-LT14" data-qty="2" data-unit-price="7650.00" data-line-total="15300.00"',
        'data-sku="NW-MN27" data-qty="1" data-unit-price="2039.15" data-line-total="2039.15"',
        'data-order-total="17339.15"',
        'data-amount="17339.15" data-paid="0.00"',
        f'data-due-on="{payment.due_on.isoformat()}"',
        'data-status="open"',
        "100% of the order total, due 30 days after shipment",
    ]:
        assert expected in html, expected
    assert "CN¥17,339.15" in html or "¥17,339.15" in html


def test_finance_prints_the_same_invoice_from_the_staff_side(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    page = signed_in(web, "finance@northwind.example").get(f"/staff/invoices/{order.number}-1")
    assert page.status_code == 200
    assert f'data-invoice-number="{order.number}-1"' in page.data.decode()
    assert b"Acme Hospital Group" in page.data


def test_an_invoice_is_404_before_it_falls_due_or_when_the_number_is_wrong(web, shop, staff):
    order = place(shop, DONE_WHEN)  # Net 30: not invoiced before shipment
    client = signed_in(web, BUYER)
    for number in [
        f"{order.number}-1",
        f"{order.number}-2",
        order.number,
        "x",
        f"{order.number}-0",
    ]:
        assert client.get(f"/a/acme/invoices/{number}").status_code == 404, number
    confirm(order, staff)
    assert client.get(f"/a/acme/invoices/{order.number}-1").status_code == 404


def test_another_accounts_buyer_gets_404_on_every_invoice_url(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    factories.UserFactory(account=globex, email="buyer@globex.example")
    client = signed_in(web, "buyer@globex.example")
    for path in [
        f"/a/acme/invoices/{order.number}-1",
        f"/a/globex/invoices/{order.number}-1",
        "/a/acme/invoices",
        "/a/acme/invoices.csv",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Acme Hospital Group" not in response.data
        assert order.number.encode() not in response.data
    # And Globex's own statement does not list Acme's invoice
    own = client.get("/a/globex/invoices")
    assert own.status_code == 200 and order.number.encode() not in own.data
    assert order.number.encode() not in client.get("/a/globex/invoices.csv").data


def test_a_chinese_reader_sees_the_invoice_in_yuan_with_the_amount_in_capitals(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    [payment] = milestones(order)
    client = signed_in(web, BUYER)
    with reading_in(web, "zh_Hans"):
        html = client.get(f"/a/acme/invoices/{order.number}-1").data.decode()
    assert "¥17,339.15" in html and "CN¥" not in html
    assert "壹万柒仟叁佰叁拾玖元壹角伍分" in html
    due = payment.due_on
    assert f"{due.year}年{due.month}月{due.day}日" in html
    assert 'data-amount="17339.15"' in html  # machine forms stay as they are
    with reading_in(web, "en"):
        english = client.get(f"/a/acme/invoices/{order.number}-1").data.decode()
    assert "CN¥17,339.15" in english and "invoice-capitals" not in english
    assert due.strftime("%-d %b %Y") in english
