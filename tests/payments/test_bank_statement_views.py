"""Bank statements through HTTP, as finance@northwind.example: the upload (CAMT.053, and a
Chinese bank's CSV with a column mapping saved by name), the queue and its decisions; who may
see and do what."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.ordering.models import Milestone
from portal.payments import queries
from portal.payments.models import BankColumnMapping, BankStatementLine
from tests.support.bank import camt053, entry, table_csv
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, TOTAL, milestones, ship
from tests.support.web import count_queries, login, signed_in

pytestmark = pytest.mark.date_sensitive

FINANCE = "finance@northwind.example"
PAGE = "/staff/finance/statements"


def upload(client, data: bytes, name="statement.xml", **fields):
    return client.post(
        PAGE, data={"file": (io.BytesIO(data), name), **fields}, content_type="multipart/form-data"
    )


def fresh_lines() -> list[BankStatementLine]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(BankStatementLine).order_by(BankStatementLine.id)))


def paid(milestone) -> Decimal:
    db.session.expire_all()
    return db.session.get(Milestone, milestone.id).paid_amount


def test_finance_uploads_a_camt053_statement_and_decides_the_line_that_waits(web, shop, staff):
    # Given Acme's shipped order and a statement paying its invoice, and a line naming nothing
    order = ship(place(shop, DONE_WHEN), staff)
    [due] = milestones(order)
    other = ship(place(shop, [("NW-MN27", 1)]), staff)
    [other_due] = milestones(other)
    data = camt053(
        [
            entry(TOTAL, f"Invoice {order.number}-1", bank_reference="BOC-1"),
            entry(other_due.amount, "payment for monitors", bank_reference="BOC-2"),
            entry("20.00", "fee", credit=False),
        ]
    )
    finance = signed_in(web, FINANCE)
    assert 'data-action="bank-statements"' in finance.get("/staff/finance").data.decode()

    # When finance uploads it
    response = upload(finance, data)
    assert (response.status_code, response.location) == (303, PAGE), response.data.decode()[-3000:]
    page = finance.get(PAGE).data.decode()
    assert "New credit lines: 2; paid: 1; in the queue: 1" in page
    assert paid(due) == TOTAL
    applied, waiting = fresh_lines()
    assert (applied.status, waiting.status) == ("applied", "queued")
    assert f'data-line-id="{waiting.id}"' in page and 'data-waiting="1"' in page

    # Uploading it again changes nothing
    upload(finance, data)
    assert "was uploaded before: nothing changed" in finance.get(PAGE).data.decode()
    assert len(fresh_lines()) == 2

    # Finance assigns the waiting line to the other invoice of Acme
    line_page = finance.get(f"{PAGE}/lines/{waiting.id}?account=acme").data.decode()
    assert f'name="part-{other_due.id}"' in line_page
    response = finance.post(
        f"{PAGE}/lines/{waiting.id}/assign?account=acme",
        data={f"part-{other_due.id}": f"{other_due.amount:f}", "note": "monitors"},
    )
    assert (response.status_code, response.location) == (303, PAGE)
    assert paid(other_due) == other_due.amount
    assert fresh_lines()[1].status == "assigned"
    # Decided once: a second decision is refused
    response = finance.post(
        f"{PAGE}/lines/{waiting.id}/return", data={"note": "back"}, follow_redirects=True
    )
    assert "decided already" in response.data.decode()


def test_an_assignment_that_does_not_add_up_is_refused_on_the_page(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    [due] = milestones(order)
    finance = signed_in(web, FINANCE)
    upload(finance, camt053([entry("100.00", "no number", bank_reference="X-1")]))
    [line] = fresh_lines()
    response = finance.post(
        f"{PAGE}/lines/{line.id}/assign?account=acme", data={f"part-{due.id}": "90.00"}
    )
    assert response.status_code == 422
    assert "add up to" in response.data.decode()
    assert fresh_lines()[0].status == "queued"


def test_finance_returns_a_line_with_a_note(web, staff):
    finance = signed_in(web, FINANCE)
    upload(finance, camt053([entry("100.00", "unknown", bank_reference="X-2")]))
    [line] = fresh_lines()
    finance.post(f"{PAGE}/lines/{line.id}/return", data={"note": ""})
    assert fresh_lines()[0].status == "queued"
    finance.post(f"{PAGE}/lines/{line.id}/return", data={"note": "Sent back to the payer"})
    line = fresh_lines()[0]
    assert (line.status, line.note) == ("returned", "Sent back to the payer")
    page = finance.get(f"{PAGE}/lines/{line.id}").data.decode()
    assert 'data-status="returned"' in page and "Sent back to the payer" in page


def test_a_chinese_banks_csv_is_mapped_once_and_read_with_the_saved_mapping(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    [due] = milestones(order)
    finance = signed_in(web, FINANCE)
    columns = {
        "mapping_name": "中国银行",
        "date_column": "交易日期",
        "amount_column": "贷方金额",
        "currency_column": "币种",
        "reference_column": "摘要",
        "payer_column": "对方户名",
        "bank_reference_column": "交易流水号",
    }
    first = table_csv([["2026-12-01", "S-1", "Acme", "", "1,000.00", "CNY", f"{order.number}-1"]])
    response = upload(finance, first, "boc.csv", **columns)
    assert response.status_code == 303, response.data.decode()
    assert paid(due) == Decimal("1000.00")
    assert db.session.scalar(sa.select(BankColumnMapping.name)) == "中国银行"
    # Next month: the saved mapping, no columns typed
    second = table_csv([["2026-12-31", "S-2", "Acme", "", "500.00", "CNY", f"{order.number}-1"]])
    response = upload(finance, second, "boc.csv", mapping="中国银行")
    assert response.status_code == 303
    assert paid(due) == Decimal("1500.00")
    # Without a mapping a CSV is refused, saying why
    response = upload(finance, second, "boc.csv")
    assert response.status_code == 422
    assert "column mapping" in response.data.decode()


def test_a_bad_line_refuses_the_upload_naming_it(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    finance = signed_in(web, FINANCE)
    data = camt053([entry(TOTAL, f"{order.number}-1"), entry("1.234", "bad")])
    response = upload(finance, data)
    assert response.status_code == 422
    assert "Entry 2 of the statement cannot be read" in response.data.decode()
    assert fresh_lines() == []


@pytest.mark.parametrize(
    ("email", "get", "post"),
    [
        ("buyer", (404,), (404,)),
        ("sales_manager@northwind.example", (200,), (403,)),
        ("inside_sales@northwind.example", (403,), (403,)),
    ],
)
def test_only_finance_uploads_and_decides(web, shop, staff, email, get, post):
    finance = signed_in(web, FINANCE)
    upload(finance, camt053([entry("5.00", "x", bank_reference="A-1")]))
    [line] = fresh_lines()
    client = signed_in(web, shop.buyer.email if email == "buyer" else email)
    assert client.get(PAGE).status_code in get
    assert upload(client, camt053([entry("5.00", "y", bank_reference="A-2")])).status_code in post
    assert client.get(f"{PAGE}/lines/{line.id}").status_code in post
    assert client.post(f"{PAGE}/lines/{line.id}/return", data={"note": "n"}).status_code in post
    assert len(fresh_lines()) == 1 and fresh_lines()[0].status == "queued"


def test_the_page_reads_in_a_constant_number_of_queries(web, staff):
    finance = signed_in(web, FINANCE)

    def queue(count, tag):
        upload(
            finance,
            camt053([entry("1.00", f"x{i}", bank_reference=f"{tag}-{i}") for i in range(count)]),
        )
        with count_queries() as queries:
            assert finance.get(PAGE).status_code == 200
        return len(queries)

    assert queue(10, "T") == queue(100, "H")


def test_done_when_in_the_demo_finance_uploads_a_statement_paying_a_buyers_invoice(app):
    # Given the demo, and an open payment of Acme's (its order approved and not cancelled)
    seed_demo(history=False)
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    due = queries.open_milestones_of(account)[0]
    number = f"{due.order.number}-{due.position}"
    unpaid = due.amount - due.paid_amount
    data = camt053(
        [
            entry(unpaid, f"Payment {number}", bank_reference="DEMO-1", currency=due.currency),
            entry("888.00", "who is this from?", bank_reference="DEMO-2"),
        ]
    )
    client = app.test_client()
    assert login(client, FINANCE, DEMO_PASSWORD).status_code == 302
    # When finance uploads it: the invoice is paid, the other line waits
    assert upload(client, data).status_code == 303
    assert paid(due) == due.amount
    applied, waiting = fresh_lines()
    assert (applied.status, waiting.status, waiting.reason) == ("applied", "queued", "no_reference")
    page = client.get(PAGE).get_data(as_text=True)
    assert f'data-line-id="{waiting.id}"' in page
    # And the same file again changes nothing
    assert upload(client, data).status_code == 303
    assert len(fresh_lines()) == 2 and paid(due) == due.amount
