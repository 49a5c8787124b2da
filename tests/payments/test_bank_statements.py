"""Bank statements: CAMT.053 (versions 02 and later, any namespace) and CSV/XLSX exports with a
saved column mapping, read whole or refused whole; lines with identities, so nothing applies
twice; matching by invoice number (exact, partial, combined; the rest to the queue); the
queue's decisions. Concurrency on PostgreSQL and SQLite: tests/payments/test_bank_concurrency.py.
Pages and access: tests/payments/test_bank_statement_views.py."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering import gate
from portal.ordering import services as ordering
from portal.ordering.credit import exposure
from portal.ordering.models import Milestone
from portal.payments import matching, services, statement_services, statements
from portal.payments.models import BankStatementLine, Payment, PaymentAllocation
from portal.payments.statements import ColumnMapping
from tests import factories
from tests.support.bank import camt053, entry, table_csv
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, TOTAL, milestones, refused

pytestmark = pytest.mark.date_sensitive

FIXTURE = Path(__file__).parent.parent / "fixtures" / "camt053_bank_sample.xml"
DAY = date(2026, 12, 1)


def invoice(amount: str, *, status="shipped", currency="CNY", like=None, position=1):
    """An order's milestone (invoice <number>-<position>) of `amount`; of the account of the
    invoice `like` when given."""
    contract = like.test_contract if like is not None else factories.ContractFactory()
    order = factories.OrderFactory(
        contract=contract, status=status, currency=currency, total_amount=Decimal(amount)
    )
    milestone = factories.MilestoneFactory(
        order=order, position=position, due_on=DAY, invoiced_on=DAY
    )
    # Kept on the object for the tests (relationships are lazy="raise").
    milestone.test_number = f"{order.number}-{position}"
    milestone.key_account = contract.account
    milestone.test_contract = contract
    return milestone


def number(milestone: Milestone) -> str:
    return milestone.test_number


def upload(finance, data: bytes, mapping=None):
    return statement_services.upload_statement(finance, "statement.xml", data, mapping)


def paid(milestone: Milestone) -> Decimal:
    return db.session.scalar(sa.select(Milestone.paid_amount).where(Milestone.id == milestone.id))


def lines() -> list[BankStatementLine]:
    return list(db.session.scalars(sa.select(BankStatementLine).order_by(BankStatementLine.id)))


# Reading CAMT.053


def test_camt053_version_02_is_read_entry_by_entry():
    data = camt053(
        [
            entry("17339.15", "Payment NW-2026-000123-1", bank_reference="BOC-1"),
            entry("50.00", "bank fee", credit=False),
            entry("100.00", "RF18539007547034", structured=True, payer="Globex 有限公司"),
        ]
    )
    parsed = statements.parse_camt053(data)
    assert parsed.kind == "camt.053"
    assert parsed.statement_ref == "STMT-20261201-001"
    assert parsed.bank_account == "CN12BKCH0000000012345678"
    assert parsed.debits == 1
    first, second = parsed.lines
    assert (first.amount, first.currency, first.booked_on) == (Decimal("17339.15"), "CNY", DAY)
    assert first.reference_text == "Payment NW-2026-000123-1"
    assert first.line_key == first.bank_reference == "BOC-1"
    assert first.payer == "Acme Medical Devices Co., Ltd."
    assert second.reference_text == "RF18539007547034"
    assert second.payer == "Globex 有限公司"
    assert second.line_key.startswith("H-")


def test_later_camt053_versions_and_their_debtor_party_read_alike():
    for version in ("camt.053.001.04", "camt.053.001.08", "camt.053.001.13"):
        data = camt053(
            [entry("10.00", "NW-2026-000001-1")],
            namespace=f"urn:iso:std:iso:20022:tech:xsd:{version}",
            pty=True,
        )
        [line] = statements.parse_camt053(data).lines
        assert (line.amount, line.payer) == (Decimal("10.00"), "Acme Medical Devices Co., Ltd.")


def test_a_real_world_shaped_sample_is_read():
    """A statement shaped as banks send them (owner, servicer, balances, summary, entries with
    and without details, DtTm dates, the entry's reference in Ntry or in TxDtls/Refs), kept
    under tests/fixtures."""
    parsed = statements.parse_camt053(FIXTURE.read_bytes())
    assert parsed.bank_account == "DE14740618130000033626"
    assert [(line.amount, line.currency) for line in parsed.lines] == [
        (Decimal("1250.00"), "EUR"),
        (Decimal("17339.15"), "CNY"),
        (Decimal("330.00"), "EUR"),
    ]
    assert parsed.debits == 1
    assert parsed.lines[1].reference_text == "货款 nw-2026-000123-1"
    assert parsed.lines[2].reference_text == "RF18539007547034 INV 2026 11"
    assert parsed.lines[2].line_key == "2026120200077001"
    assert parsed.lines[1].line_key == "2026120100012345"
    assert parsed.lines[2].booked_on == date(2026, 12, 2)


def test_pending_entries_and_reversals_are_ignored_like_debits():
    data = camt053([entry("10.00", "a"), entry("20.00", "b"), entry("30.00", "c")])
    data = data.replace(b"<Sts>BOOK</Sts>", b"<Sts>PDNG</Sts>", 1)
    data = data.replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>BOOK",
        b"<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>\n        <Sts>BOOK",
        1,
    )
    parsed = statements.parse_camt053(data)
    assert ([line.amount for line in parsed.lines], parsed.debits) == ([Decimal("30.00")], 2)


def test_identical_lines_without_a_bank_reference_get_different_keys_the_same_each_time():
    data = camt053([entry("100.00", "rent"), entry("100.00", "rent")])
    keys = [line.line_key for line in statements.parse_camt053(data).lines]
    assert len(set(keys)) == 2
    assert keys == [line.line_key for line in statements.parse_camt053(data).lines]


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"<Document><BkToCstmrStmt/></Document>", "not a CAMT.053"),
        (b"<Document><oops></Document>", "cannot be read as XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>',
            "cannot be read as XML",
        ),
    ],
)
def test_a_file_that_is_no_statement_is_refused(xml, message):
    with pytest.raises(ServiceError, match=message):
        statements.parse_statement(xml)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry("12.345"), "Entry 2 .*decimals"),
        (entry("-5.00"), "Entry 2 .*not an amount"),
        (entry("1e3"), "Entry 2 .*not an amount"),
        (entry("5.00", currency="X"), "Entry 2 .*currency"),
    ],
)
def test_one_bad_entry_refuses_the_whole_statement_naming_it(finance, bad, message):
    good = invoice("100.00")
    data = camt053([entry("100.00", number(good)), bad])
    with pytest.raises(ServiceError, match=message):
        upload(finance, data)
    db.session.rollback()
    assert lines() == []
    assert paid(good) == 0


def test_an_entry_without_a_date_is_refused():
    data = camt053([entry("5.00")]).replace(b"<BookgDt><Dt>2026-12-01</Dt></BookgDt>", b"")
    data = data.replace(b"<ValDt><Dt>2026-12-01</Dt></ValDt>", b"")
    with pytest.raises(ServiceError, match="Entry 1 .*date"):
        statements.parse_camt053(data)


# Reading CSV and XLSX with a column mapping

CHINESE_MAPPING = ColumnMapping(
    date="交易日期",
    amount="贷方金额",
    currency_column="币种",
    reference="摘要",
    payer="对方户名",
    bank_reference="交易流水号",
)


def test_a_chinese_banks_gb18030_csv_is_read_with_its_mapping():
    data = table_csv(
        [
            [
                "2026年12月01日",
                "SEQ-001",
                "青岛港湾医疗集团",
                "",
                "17,339.15",
                "CNY",
                "货款 ＮＷ－２０２６－０００１２３－１",
            ],
            ["2026-12-01", "SEQ-002", "中国银行", "25.00", "", "CNY", "手续费"],
        ]
    )
    parsed = statements.parse_statement(data, CHINESE_MAPPING)
    assert parsed.debits == 1
    [line] = parsed.lines
    assert (line.amount, line.booked_on, line.payer) == (
        Decimal("17339.15"),
        DAY,
        "青岛港湾医疗集团",
    )
    assert line.line_key == "SEQ-001"
    assert [n.order_number for n in matching.invoice_numbers_in(line.reference_text)] == [
        "NW-2026-000123"
    ]


def test_an_xlsx_export_is_read_with_its_mapping():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Amount", "Text"])
    sheet.append([DAY, 1250.5, "NW-2026-000001-1"])
    sheet.append([DAY, -20, "fee"])
    out = __import__("io").BytesIO()
    book.save(out)
    mapping = ColumnMapping(date="date", amount="AMOUNT", reference="Text", currency="CNY")
    parsed = statements.parse_statement(out.getvalue(), mapping)
    assert [(line.amount, line.currency) for line in parsed.lines] == [(Decimal("1250.50"), "CNY")]
    assert parsed.debits == 1


def test_a_csv_line_that_cannot_be_read_refuses_the_file_naming_the_line():
    data = table_csv(
        [
            ["2026-12-01", "A", "x", "", "10.00", "CNY", "ok"],
            ["yesterday", "B", "x", "", "10.00", "CNY", "bad date"],
        ]
    )
    with pytest.raises(ServiceError, match="Line 3 .*not a date"):
        statements.parse_statement(data, CHINESE_MAPPING)
    data = table_csv([["2026-12-01", "A", "x", "", "10,00", "CNY", "comma"]])
    with pytest.raises(ServiceError, match="Line 2 "):
        statements.parse_statement(data, CHINESE_MAPPING)


def test_a_mapping_naming_a_column_the_file_lacks_is_refused():
    data = table_csv([["2026-12-01", "A", "x", "", "10.00", "CNY", "ok"]], header=["日期", "金额"])
    with pytest.raises(ServiceError, match="no column 交易日期"):
        statements.parse_statement(data, CHINESE_MAPPING)
    with pytest.raises(ServiceError, match="column mapping"):
        statements.parse_statement(data, None)


def test_a_mapping_is_saved_by_name_and_used_again(finance):
    columns = {
        "date": "交易日期",
        "amount": "贷方金额",
        "currency": "币种",
        "reference": "摘要",
        "payer": "对方户名",
        "bank_reference": "交易流水号",
    }
    statement_services.save_mapping(finance, "Bank of China", columns, "")
    db.session.commit()
    from portal.payments.models import BankColumnMapping

    saved = db.session.scalar(sa.select(BankColumnMapping))
    assert statement_services.mapping_of(saved) == CHINESE_MAPPING
    assert db.session.scalar(
        sa.select(AuditEvent.action).where(AuditEvent.action == "bank_mapping.saved")
    )
    with pytest.raises(ServiceError, match="date"):
        statement_services.save_mapping(finance, "X", {"amount": "a"}, "CNY")


# Matching


def test_invoice_numbers_are_found_among_other_words():
    found = matching.invoice_numbers_in(
        "pay inv nw-2026-000003-1,ＮＷ－２０２６－０００００４－２ and NW-2026-000005 - 3 "
        "dated 2026-12-01 货款NW-2026-000006-1"
    )
    assert [(n.order_number, n.position) for n in found] == [
        ("NW-2026-000003", 1),
        ("NW-2026-000004", 2),
        ("NW-2026-000005", 3),
        ("NW-2026-000006", 1),
    ]


def test_an_exact_amount_pays_the_invoice(finance):
    due = invoice("500.00")
    result = upload(finance, camt053([entry("500.00", f"Invoice {number(due)}")]))
    assert (result.applied, result.queued) == (1, 0)
    assert paid(due) == Decimal("500.00")
    [line] = lines()
    payment = db.session.get(Payment, line.payment_id)
    assert (line.status, payment.reference, payment.amount) == (
        "applied",
        line.line_key,
        Decimal("500.00"),
    )


def test_less_than_owed_is_a_partial_payment(finance):
    due = invoice("500.00")
    upload(finance, camt053([entry("200.00", number(due))]))
    assert paid(due) == Decimal("200.00")
    upload(finance, camt053([entry("300.00", number(due).lower(), bank_reference="B-2")]))
    assert paid(due) == Decimal("500.00")


def test_several_invoices_whose_unpaid_amounts_sum_to_the_line_are_one_split_payment(finance):
    first = invoice("300.00")
    second = invoice("200.00", like=first)
    upload(finance, camt053([entry("200.00", number(first))], statement_id="S1"))
    data = camt053([entry("300.00", f"{number(first)} {number(second)}")], statement_id="S2")
    result = upload(finance, data)
    assert result.applied == 1
    assert (paid(first), paid(second)) == (Decimal("300.00"), Decimal("200.00"))
    payment = db.session.get(Payment, lines()[-1].payment_id)
    parts = db.session.scalars(
        sa.select(PaymentAllocation.amount).where(PaymentAllocation.payment_id == payment.id)
    )
    assert sorted(parts) == [Decimal("100.00"), Decimal("200.00")]


@pytest.mark.parametrize(
    ("make", "text", "amount", "reason"),
    [
        (lambda: invoice("100.00"), "{n}", "100.01", "overpaid"),
        (lambda: invoice("100.00"), "no number here", "100.00", "no_reference"),
        (lambda: invoice("100.00"), "NW-2099-999999-1", "100.00", "unknown_reference"),
        (lambda: invoice("100.00", currency="USD"), "{n}", "100.00", "currency"),
        (lambda: invoice("100.00", status="cancelled"), "{n}", "100.00", "not_owed"),
        (lambda: invoice("100.00", status="pending_approval"), "{n}", "100.00", "not_owed"),
    ],
)
def test_lines_that_match_no_owed_invoice_wait_in_the_queue(finance, make, text, amount, reason):
    due = make()
    result = upload(finance, camt053([entry(amount, text.format(n=number(due)))]))
    assert (result.applied, result.queued) == (0, 1)
    [line] = lines()
    assert (line.status, line.reason, line.payment_id) == ("queued", reason, None)
    assert paid(due) == 0


def test_amount_alone_never_decides_between_invoices(finance):
    invoice("100.00")
    invoice("100.00")
    upload(finance, camt053([entry("100.00", "for our order")]))
    assert lines()[0].reason == "no_reference"


def test_two_invoices_of_other_sums_go_to_the_queue(finance):
    first = invoice("300.00")
    second = invoice("200.00", like=first)
    upload(finance, camt053([entry("450.00", f"{number(first)} {number(second)}")]))
    assert lines()[0].reason == "amounts_differ"
    assert (paid(first), paid(second)) == (0, 0)


def test_two_lines_of_one_file_never_pay_an_invoice_beyond_its_amount(finance):
    due = invoice("100.00")
    result = upload(finance, camt53_two(number(due)))
    assert (result.applied, result.queued) == (1, 1)
    assert paid(due) == Decimal("100.00")
    assert [line.reason for line in lines() if line.status == "queued"] == ["not_owed"]


def camt53_two(text):
    return camt053(
        [entry("100.00", text, bank_reference="A"), entry("100.00", text, bank_reference="B")]
    )


def test_a_transfer_finance_recorded_by_hand_is_not_applied_again(finance):
    due = invoice("100.00")
    remit_by_hand(finance, due, "BOC-77")
    upload(finance, camt053([entry("100.00", number(due), bank_reference="boc-77")]))
    # The bank's reference normalised is the key: the line waits, nothing paid twice.
    assert paid(due) == Decimal("100.00")
    assert lines()[0].reason in ("reference_taken", "not_owed")


def remit_by_hand(finance, milestone, reference):
    account = milestone.key_account
    services.record_remittance(
        finance,
        account,
        services.Remittance(
            amount=milestone.amount,
            # Today in the account's zone: a remittance is never dated ahead, at any clock.
            received_on=account.local_date(),
            reference=reference,
            allocations={milestone.id: milestone.amount},
        ),
    )


# Idempotency and the Done-when scenario


def cash_in_advance(shop):
    shop.contract.payment_term = factories.PaymentTermFactory(
        name="Cash in advance", milestones=[("Payment in advance", "100", "order", 0)]
    )
    db.session.commit()


def test_done_when_a_statement_pays_an_invoice_queues_the_unknown_and_changes_nothing_twice(
    shop, staff, finance
):
    # Given Acme's order under cash-in-advance terms, confirmed and held at the gate by its
    # payment, and a statement paying its invoice by its number plus a line matching nothing
    cash_in_advance(shop)
    order = place(shop, DONE_WHEN)
    ordering.confirm_order(staff["inside_sales"], order)
    [due] = milestones(order)
    assert gate.release_blockers(order)
    assert exposure(shop.account.id, "CNY").amount == TOTAL
    data = camt053(
        [
            entry(TOTAL, f"Acme payment {order.number}-1", bank_reference="BOC-20261201-1"),
            entry("888.00", "refund of deposit?", bank_reference="BOC-20261201-2"),
        ]
    )
    # When finance uploads it
    result = upload(finance, data)
    # Then the first pays the invoice (gate and exposure follow); the second waits
    assert (result.applied, result.queued, result.duplicates) == (1, 1, 0)
    db.session.expire_all()
    assert paid(due) == TOTAL
    assert not gate.release_blockers(order)
    assert exposure(shop.account.id, "CNY").amount == 0
    assert [(line.status, line.reason) for line in lines()] == [
        ("applied", ""),
        ("queued", "no_reference"),
    ]
    # And uploading the same file again changes nothing
    before = (lines(), db.session.scalar(sa.select(sa.func.count(Payment.id))))
    again = upload(finance, data)
    assert (again.statement, again.new, again.duplicates) == (None, 0, 2)
    assert (lines(), db.session.scalar(sa.select(sa.func.count(Payment.id)))) == before
    assert paid(due) == TOTAL


def test_a_repeated_statement_with_one_new_line_applies_only_that_line(finance):
    due = invoice("300.00")
    upload(finance, camt053([entry("100.00", number(due), bank_reference="R1")]))
    data = camt053(
        [
            entry("100.00", number(due), bank_reference="R1"),
            entry("100.00", number(due), bank_reference="R2"),
        ]
    )
    result = upload(finance, data)
    assert (result.new, result.applied, result.duplicates) == (1, 1, 1)
    assert paid(due) == Decimal("200.00")


def test_matching_loads_candidates_in_a_constant_number_of_queries(finance):
    from tests.support.web import count_queries

    def statement(size):
        dues = [invoice("10.00") for _ in range(size)]
        db.session.commit()
        return camt053(
            [entry("10.00", number(d), bank_reference=f"Q{size}-{i}") for i, d in enumerate(dues)]
        )

    counts = []
    for size in (3, 12):
        data = statement(size)
        parsed = statements.parse_camt053(data)
        with count_queries() as queries:
            orders = matching.order_numbers_in(line.reference_text for line in parsed.lines)
            matching.accounts_of(orders)
            matching.candidates_for(orders)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2


# The queue


def queued_line(finance, amount="100.00", text="no number", ref="Q-1"):
    upload(finance, camt053([entry(amount, text, bank_reference=ref)]))
    return lines()[-1]


def test_finance_assigns_a_queued_line_to_invoices_of_an_account(finance):
    first = invoice("60.00")
    second = invoice("90.00", like=first)
    line = queued_line(finance, "100.00")
    account = first.key_account
    refused(
        lambda: statement_services.assign_line(
            finance, line.id, account, {first.id: Decimal("60")}
        ),
        "add up to",
    )
    payment = statement_services.assign_line(
        finance,
        line.id,
        account,
        {first.id: Decimal("60.00"), second.id: Decimal("40.00")},
        "phoned",
    )
    assert (paid(first), paid(second)) == (Decimal("60.00"), Decimal("40.00"))
    line = db.session.get(BankStatementLine, line.id)
    assert (line.status, line.payment_id, line.decided_by_id) == (
        "assigned",
        payment.id,
        finance.id,
    )
    assert payment.reference == line.line_key
    # Decided once
    refused(
        lambda: statement_services.assign_line(
            finance, line.id, account, {second.id: Decimal("100")}
        ),
        "decided already",
    )
    refused(lambda: statement_services.return_line(finance, line.id, "back"), "decided already")
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "bank_line.assigned")
        )
        == 1
    )


def test_a_queued_line_cannot_pay_beyond_what_is_owed_or_in_another_currency(finance):
    small = invoice("50.00")
    usd = invoice("100.00", currency="USD", like=small)
    line = queued_line(finance, "100.00")
    account = small.key_account
    refused(
        lambda: statement_services.assign_line(
            finance, line.id, account, {small.id: Decimal("100")}
        ),
        "unpaid",
    )
    refused(
        lambda: statement_services.assign_line(finance, line.id, account, {usd.id: Decimal("100")}),
        "CNY",
    )
    other = invoice("100.00")
    refused(
        lambda: statement_services.assign_line(
            finance, line.id, account, {other.id: Decimal("100")}
        ),
        "this account",
    )
    assert db.session.get(BankStatementLine, line.id).status == "queued"


def test_finance_returns_a_queued_line_to_the_payer_with_a_note(finance):
    line = queued_line(finance)
    refused(lambda: statement_services.return_line(finance, line.id, "  "), "why")
    statement_services.return_line(finance, line.id, "Not ours: sent back to the payer's bank")
    line = db.session.get(BankStatementLine, line.id)
    assert (line.status, line.decided_by_id, line.note) == (
        "returned",
        finance.id,
        "Not ours: sent back to the payer's bank",
    )
    assert line.decided_at is not None
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "bank_line.returned")
    )
    assert event.reason == "Not ours: sent back to the payer's bank"


def test_statement_dates_after_today_are_kept_as_the_bank_gives_them(finance):
    due = invoice("10.00")
    upload(finance, camt053([entry("10.00", number(due), value_on=DAY + timedelta(days=2))]))
    assert lines()[0].value_on == DAY + timedelta(days=2)


def test_a_statement_tells_each_accounts_buyer_once_of_all_it_paid(shop, staff, finance):
    from portal.notifications.models import Notice, OutboxMessage

    first = place(shop, DONE_WHEN)
    second = place(shop, [("NW-MN27", 1)])
    for order in (first, second):
        ordering.confirm_order(staff["inside_sales"], order)
    [one], [two] = milestones(first), milestones(second)
    before = db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(Notice.user_id == shop.buyer.id)
    )
    data = camt053(
        [
            entry(one.amount, f"{first.number}-1", bank_reference="N-1"),
            entry(two.amount, f"{second.number}-1", bank_reference="N-2"),
        ]
    )
    upload(finance, data)
    notices = db.session.scalars(
        sa.select(Notice.text).where(Notice.user_id == shop.buyer.id).order_by(Notice.id)
    ).all()
    assert len(notices) == before + 1
    mail = db.session.scalars(
        sa.select(OutboxMessage.text_body).where(OutboxMessage.to_address == shop.buyer.email)
    ).all()[-1]
    assert f"{first.number}-1" in mail and f"{second.number}-1" in mail
