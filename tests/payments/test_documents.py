"""Invoices and the account statement as PDF: what a buyer's finance team books from them
(supplier, taxpayer number, bank account, payment reference, due date, amount in words), in
English and in Chinese with the fonts embedded; the statement's ageing; who may download them;
the "How to pay" block on the pages and in the invoice e-mail; payment reminders carrying the
PDF through the outbox to a real SMTP server; nothing fetched from the network."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.services import today_for
from portal.core.money import format_money
from portal.core.pdf import RefusedURL, content_disposition, html_to_pdf, local_fetcher
from portal.extensions import db
from portal.notifications import delivery
from portal.notifications.models import OutboxAttachment, OutboxMessage
from portal.payments import documents
from portal.payments.ageing import BUCKET_NAMES
from portal.payments.sweep import sweep_overdue, sweep_payments_due
from tests import factories
from tests.support.environment import skip_or_fail
from tests.support.glyphs import chinese_fonts
from tests.support.locales import reading_in
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, milestones, ship
from tests.support.pdfs import flat, fonts, pdf_text
from tests.support.web import count_queries, signed_in

# Due dates, overdue and ageing are read on the account's today: CI runs these at several
# clocks and zones.
pytestmark = pytest.mark.date_sensitive

BUYER = "buyer@acme.example"
FINANCE = "finance@northwind.example"
#: The supplier as settings name it (portal/config.py SUPPLIER_*).
LEGAL_NAME, LEGAL_NAME_ZH = "Northwind Components Co., Ltd.", "北风电子元件有限公司"
TAXPAYER_ID, BANK_ACCOUNT, SWIFT = "91440300MA5NWC0M0E", "7559 0001 2345 6789 012", "EXAMCNSZXXX"


@pytest.fixture
def invoiced(shop, staff):
    """Acme's order of 17,339.15 CNY, shipped: its Net 30 invoice, due in 30 days."""
    order = ship(place(shop, DONE_WHEN, po_number="PO-4711"), staff)
    [payment] = milestones(order)
    return payment, f"{order.number}-1"


@pytest.fixture
def chinese_font():
    """The CJK font the PDF stylesheet names (Debian's fonts-noto-cjk, which .ci/run installs):
    without it the Chinese tests skip locally and fail in CI."""
    if not any("Noto Sans CJK SC" in family for family in chinese_fonts()):
        skip_or_fail("No Noto Sans CJK SC for Chinese PDFs: apt-get install fonts-noto-cjk")


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return response


def assert_fonts_embedded(data: bytes) -> dict[str, set[str]]:
    used = fonts(data)
    assert used, "the PDF names no font"
    for name, files in used.items():
        assert files & {"/FontFile2", "/FontFile3"}, f"{name} is not embedded"
    return used


# The invoice


def test_the_invoice_pdf_carries_what_a_finance_team_books(web, invoiced):
    payment, number = invoiced
    response = download(signed_in(web, BUYER), f"/a/acme/invoices/{number}.pdf")

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="invoice-{number}.pdf"')
    text = flat(pdf_text(response.data))
    for expected in [
        LEGAL_NAME,
        TAXPAYER_ID,
        BANK_ACCOUNT,
        SWIFT,
        "Bank of Example, Shenzhen Nanshan Branch",
        "Acme Hospital Group",
        "PO-4711",
        f"Invoice {number}",
        f"quoting {number} as the payment reference",
        f"Payment reference {number}",
        payment.due_on.strftime("%-d %b %Y"),
        "CN¥17,339.15",
    ]:
        assert expected in text, expected
    assert "how to pay" in text.lower()
    assert_fonts_embedded(response.data)


def test_a_chinese_reader_gets_the_invoice_in_chinese_with_its_fonts_embedded(
    web, shop, invoiced, chinese_font
):
    payment, number = invoiced
    shop.account.name = "青岛港湾医疗集团"
    db.session.commit()
    client = signed_in(web, BUYER)
    with reading_in(web, "zh_Hans"):
        response = download(client, f"/a/acme/invoices/{number}.pdf")

    text = flat(pdf_text(response.data))
    due = payment.due_on
    for expected in [
        LEGAL_NAME_ZH,
        "广东省深圳市南山区科技路8号",
        "示例银行深圳南山支行",
        TAXPAYER_ID,
        BANK_ACCOUNT,
        "青岛港湾医疗集团",
        number,
        f"{due.year}年{due.month}月{due.day}日",
        # The amount in words (大写), as Chinese invoices write it
        "壹万柒仟叁佰叁拾玖元壹角伍分",
        "¥17,339.15",
    ]:
        assert expected in text, expected
    used = assert_fonts_embedded(response.data)
    # The Chinese glyphs come from the CJK font the stylesheet names, embedded (a subset)
    assert any("Noto-Sans-CJK-SC" in name for name in used), used


def test_the_invoice_page_and_the_pdf_show_the_same_invoice(web, invoiced):
    """One body template: what the page shows about paying, the PDF shows."""
    payment, number = invoiced
    client = signed_in(web, BUYER)
    page = client.get(f"/a/acme/invoices/{number}").data.decode()
    assert f'data-payment-reference="{number}"' in page
    assert f'data-bank-account="{BANK_ACCOUNT}"' in page
    assert LEGAL_NAME in page and TAXPAYER_ID in page and SWIFT in page
    assert f'href="/a/acme/invoices/{number}.pdf"' in page
    statement = client.get("/a/acme/invoices").data.decode()
    assert f'href="/a/acme/invoices/{number}.pdf"' in statement
    assert 'href="/a/acme/statement.pdf"' in statement
    assert "quoting the invoice number as the payment reference" in statement
    assert BANK_ACCOUNT in statement


def test_finance_downloads_the_invoice_and_the_statement_from_the_staff_side(web, invoiced):
    payment, number = invoiced
    client = signed_in(web, FINANCE)
    page = client.get(f"/staff/invoices/{number}").data.decode()
    assert f'href="/staff/invoices/{number}.pdf"' in page
    assert 'href="/staff/accounts/acme/statement.pdf"' in page
    text = flat(pdf_text(download(client, f"/staff/invoices/{number}.pdf").data))
    assert LEGAL_NAME in text and number in text
    order_page = client.get(f"/staff/orders/{number.rsplit('-', 1)[0]}").data.decode()
    assert f'href="/staff/invoices/{number}.pdf"' in order_page
    statement = download(client, "/staff/accounts/acme/statement.pdf")
    assert number in flat(pdf_text(statement.data))


def test_staff_who_see_no_receivables_get_no_statement(web, invoiced, staff):
    payment, number = invoiced
    factories.StaffFactory(role="field_sales", email="field@northwind.example")
    factories.StaffFactory(role="call_center", email="callcenter@northwind.example")
    db.session.commit()
    field = signed_in(web, "field@northwind.example")
    assert field.get("/staff/accounts/acme/statement.pdf").status_code == 403
    assert field.get(f"/staff/invoices/{number}.pdf").status_code == 200  # amounts, yes
    call_centre = signed_in(web, "callcenter@northwind.example")
    assert call_centre.get(f"/staff/invoices/{number}.pdf").status_code == 403
    assert call_centre.get("/staff/accounts/acme/statement.pdf").status_code == 403


def test_another_accounts_buyer_gets_404_on_every_document(web, invoiced):
    payment, number = invoiced
    globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    factories.UserFactory(account=globex, email="buyer@globex.example")
    db.session.commit()
    client = signed_in(web, "buyer@globex.example")
    for path in [
        f"/a/acme/invoices/{number}.pdf",
        f"/a/globex/invoices/{number}.pdf",
        "/a/acme/statement.pdf",
        f"/staff/invoices/{number}.pdf",
        "/staff/accounts/acme/statement.pdf",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert not response.data.startswith(b"%PDF")
    own = download(client, "/a/globex/statement.pdf")
    assert number not in flat(pdf_text(own.data))


def test_an_invoice_pdf_is_404_before_it_falls_due_or_when_the_number_is_wrong(web, shop):
    order = place(shop, DONE_WHEN)  # Net 30: not invoiced before shipment
    client = signed_in(web, BUYER)
    for number in [f"{order.number}-1", "x", f"{order.number}-0", "statement-1"]:
        assert client.get(f"/a/acme/invoices/{number}.pdf").status_code == 404, number


def test_the_invoice_e_mail_says_how_to_pay(shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    number = f"{order.number}-1"
    [email] = [
        message
        for message in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_address == BUYER)
        )
        if number in message.subject
    ]
    for body in (email.text_body, email.html_body):
        assert BANK_ACCOUNT in body and SWIFT in body
        assert f"quoting {number} as the payment reference" in body


# The statement and its ageing


@pytest.fixture
def ageing_ledger(shop):
    """Acme's open invoices in every ageing bucket, some paid in part, in CNY and USD; one
    paid in full, one of a cancelled order, and one of another account (none of them owed)."""
    cny = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer, status="shipped")
    usd = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.buyer, status="delivered", currency="USD"
    )
    cancelled = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.buyer, status="cancelled"
    )
    other = factories.OrderFactory(status="shipped")
    today = today_for(shop.account)
    made = []

    def invoice(order, due_in, amount, paid="0"):
        due_on = today + timedelta(days=due_in)
        made.append(
            factories.MilestoneFactory(
                order=order,
                position=len(made) + 1,
                amount=Decimal(amount),
                paid_amount=Decimal(paid),
                due_on=due_on,
                invoiced_on=min(today, due_on),
            )
        )

    invoice(cny, 5, "100.00")  # current
    invoice(cny, 0, "50.00")  # current: due today
    invoice(cny, -1, "200.00", paid="50.00")  # 1-30: 150.00 open
    invoice(cny, -30, "30.00")  # 1-30
    invoice(cny, -31, "31.00")  # 31-60
    invoice(cny, -60, "60.00")  # 31-60
    invoice(cny, -61, "61.00")  # 61-90
    invoice(cny, -90, "90.00")  # 61-90
    invoice(cny, -91, "999.00")  # over 90
    invoice(cny, -200, "1.00", paid="1.00")  # paid: not owed
    invoice(cancelled, -100, "55.00")  # cancelled: not owed
    invoice(usd, -45, "20.00")  # 31-60 in USD
    invoice(other, -10, "77.00")  # another account's
    db.session.commit()
    return today


CNY_BUCKETS = {
    "current": Decimal("150.00"),
    "1_30": Decimal("180.00"),
    "31_60": Decimal("91.00"),
    "61_90": Decimal("151.00"),
    "over_90": Decimal("999.00"),
}


def test_the_ageing_sorts_what_is_open_into_its_buckets_per_currency(shop, ageing_ledger):
    cny, usd = documents.ageing(shop.account, ageing_ledger)
    assert cny.currency == "CNY" and usd.currency == "USD"
    assert list(cny.buckets) == list(BUCKET_NAMES)
    assert {name: m.amount for name, m in cny.buckets.items()} == CNY_BUCKETS
    assert cny.total.amount == Decimal("1571.00")
    assert {name: m.amount for name, m in usd.buckets.items() if m.amount} == {
        "31_60": Decimal("20.00")
    }


def test_the_statement_lists_each_open_invoice_in_the_bucket_the_ageing_counts_it(
    shop, ageing_ledger
):
    document = documents.statement_document(shop.account, ageing_ledger)
    lines = document["lines"]
    assert len(lines) == 10  # the paid one, the cancelled one and the other account's are not
    assert [line.row.milestone.due_on for line in lines] == sorted(
        line.row.milestone.due_on for line in lines
    )
    by_bucket: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        key = (line.row.milestone.currency, line.bucket)
        by_bucket[key] = by_bucket.get(key, Decimal(0)) + line.row.open.amount
    for row in document["ageing"]:
        for name, owed in row.buckets.items():
            assert by_bucket.get((row.currency, name), Decimal(0)) == owed.amount
    [cny, usd] = document["balances"]
    assert (cny.invoiced.amount, cny.paid.amount, cny.open.amount) == (
        Decimal("1621.00"),
        Decimal("50.00"),
        Decimal("1571.00"),
    )
    assert (usd.currency, usd.open.amount) == ("USD", Decimal("20.00"))


def test_the_statement_pdf_shows_the_ageing_buckets_with_their_sums(web, shop, ageing_ledger):
    response = download(signed_in(web, BUYER), "/a/acme/statement.pdf")
    assert (
        f'filename="acme-statement-{ageing_ledger.isoformat()}.pdf"'
        in response.headers["Content-Disposition"]
    )
    text = flat(pdf_text(response.data))
    for label in ["Current", "1-30 days", "31-60 days", "61-90 days", "Over 90 days"]:
        assert label in text, label
    # The CNY row of the ageing table: each bucket's sum, then the total, in order
    with web.test_request_context():
        row = " ".join(format_money(v, "CNY") for v in [*CNY_BUCKETS.values(), Decimal(1571)])
        usd = format_money(Decimal(20), "USD")
    assert row in text, (row, text)
    assert usd in text
    assert "Acme Hospital Group" in text and LEGAL_NAME in text and BANK_ACCOUNT in text
    assert ageing_ledger.strftime("%-d %b %Y") in text
    assert_fonts_embedded(response.data)


def test_the_buyers_statement_page_shows_the_ageing_table(web, shop, ageing_ledger):
    html = signed_in(web, BUYER).get("/a/acme/invoices").data.decode()
    for name, owed in CNY_BUCKETS.items():
        assert f'data-bucket="{name}" data-owed="{owed}"' in html, name
    assert 'data-bucket="total" data-owed="1571.00"' in html
    assert 'data-ageing-currency="USD"' in html


def test_the_statement_page_reads_the_ageing_in_one_statement(web, shop, ageing_ledger):
    client = signed_in(web, BUYER)
    with count_queries() as statements:
        assert client.get("/a/acme/invoices").status_code == 200
    # The statement page's reads (tests/payments/test_invoices.py) with the ageing among them.
    assert len(statements) <= 9
    grouped = [s for s in statements if "AS bucket" in s]
    assert len(grouped) == 1


# Reminders carry the PDF


@pytest.fixture
def overdue(shop, staff):
    """Acme's invoice due yesterday, unpaid, not yet swept."""
    order = ship(place(shop, DONE_WHEN), staff)
    [payment] = milestones(order)
    payment.due_on = today_for(shop.account) - timedelta(days=1)
    db.session.commit()
    return payment, f"{order.number}-1"


def test_the_overdue_reminder_arrives_with_the_invoice_pdf(smtp_server, shop, overdue):
    payment, number = overdue
    db.session.execute(sa.delete(OutboxMessage))  # the e-mails of placing and shipping
    db.session.commit()
    sweep_overdue()
    delivery.deliver_due()

    by_recipient = {m["To"]: m for m in smtp_server.messages}
    reminder = by_recipient[BUYER]
    [attachment] = list(reminder.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"invoice-{number}.pdf"
    pdf = attachment.get_content()
    text = flat(pdf_text(pdf))
    assert number in text and BANK_ACCOUNT in text and LEGAL_NAME in text
    assert "overdue since" in text
    # Finance is told too, and opens the invoice in the portal
    assert list(by_recipient[FINANCE].iter_attachments()) == []


def test_a_chinese_buyer_gets_the_reminders_pdf_in_chinese(
    smtp_server, shop, overdue, chinese_font
):
    payment, number = overdue
    shop.buyer.locale = "zh_Hans"
    db.session.commit()
    sweep_overdue()
    delivery.deliver_due()
    [reminder] = [
        m for m in smtp_server.messages if m["To"] == BUYER and list(m.iter_attachments())
    ]
    [attachment] = list(reminder.iter_attachments())
    text = flat(pdf_text(attachment.get_content()))
    assert LEGAL_NAME_ZH in text and "壹万柒仟叁佰叁拾玖元壹角伍分" in text
    assert_fonts_embedded(attachment.get_content())


def test_a_pdf_that_fails_to_render_leaves_the_reminder_without_it(shop, overdue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(documents, "invoice_pdf", broken)
    assert sweep_overdue().marked == 1
    reminders = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.to_address == BUYER, OutboxMessage.subject.contains("overdue")
        )
    ).all()
    assert len(reminders) == 1
    assert db.session.scalar(sa.select(sa.func.count(OutboxAttachment.id))) == 0


def test_the_reminder_sweep_reads_its_invoices_in_constant_statements(shop, staff):
    """The PDFs are rendered per reminder, but the invoices they show are read up front."""

    def invoice_reads(orders: int) -> int:
        db.session.execute(sa.update(OutboxMessage).values(status="sent"))
        for _ in range(orders):
            order = ship(place(shop, DONE_WHEN), staff)
            [payment] = milestones(order)
            payment.due_on = today_for(shop.account) - timedelta(days=2)
        db.session.commit()
        with count_queries() as statements:
            result = sweep_overdue()
        assert result.marked == orders
        return len(
            [
                s
                for s in statements
                if s.lstrip().upper().startswith("SELECT")
                and ("order_lines" in s or "order_milestones" in s)
            ]
        )

    assert invoice_reads(1) == invoice_reads(3)


def test_the_due_reminder_carries_the_invoice_pdf_too(shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    [payment] = milestones(order)
    payment.due_on = today_for(shop.account) + timedelta(days=3)
    db.session.commit()
    sweep_payments_due()
    attached = db.session.execute(
        sa.select(
            OutboxMessage.to_address, OutboxAttachment.filename, OutboxAttachment.content
        ).join(OutboxAttachment, OutboxAttachment.message_id == OutboxMessage.id)
    ).all()
    assert [(to, name) for to, name, _ in attached] == [(BUYER, f"invoice-{order.number}-1.pdf")]
    assert attached[0][2].startswith(b"%PDF-")


# Nothing from the network


def test_a_document_fetches_nothing_beyond_the_static_folder(app):
    with app.test_request_context():
        fetcher = local_fetcher()
        for url in [
            "http://203.0.113.7/logo.png",
            "https://example.com/x.css",
            "file:///etc/passwd",
            "file://other-host/share/x.css",
            "ftp://203.0.113.7/x.css",
        ]:
            with pytest.raises(RefusedURL):
                fetcher.fetch(url)
        stylesheet = fetcher.fetch(local_stylesheet_url(app))
        assert b"@page" in stylesheet.read()
        stylesheet.close()
        # A document that names a remote image renders without it, and without a connection
        # (the network guard fails the test on any attempt beyond loopback)
        pdf = html_to_pdf('<p>Hello</p><img src="http://203.0.113.7/logo.png">')
        assert "Hello" in pdf_text(pdf)


def local_stylesheet_url(app) -> str:
    from pathlib import Path

    return (Path(app.static_folder) / "css" / "documents.css").resolve().as_uri()


@pytest.mark.parametrize(
    "name", ["invoice-NW-1.pdf", '账单 "1".pdf', "a\r\nSet-Cookie: x=1.pdf", "../../etc/passwd"]
)
def test_a_download_names_its_file_in_safe_ascii(name):
    header = content_disposition(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    ascii_name = header.split('filename="', 1)[1].split('"', 1)[0]
    assert ascii_name and "/" not in ascii_name and '"' not in ascii_name
    assert not ascii_name.startswith(".")
