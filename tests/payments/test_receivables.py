"""Finance's receivables page: open invoices aged into buckets as of each account's own today,
totals per currency, DSO, the overdue invoices with the reminders the sweeps sent, the CSV and
XLSX exports, who may open it, and a constant number of statements."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from portal.contracts.services import today_for
from portal.payments import receivables
from portal.payments.sweep import sweep_overdue, sweep_payments_due
from tests import factories
from tests.support.locales import reading_in
from tests.support.web import count_queries, signed_in

# Ages are counted from each account's today: CI runs these at several clocks and zones.
pytestmark = pytest.mark.date_sensitive

FINANCE = "finance@northwind.example"
PAGE = "/staff/finance/receivables"


@pytest.fixture
def people():
    with factories.committed_once():
        return {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example")
            for role in ("finance", "sales_manager", "inside_sales", "field_sales", "sysadmin")
        }


def account(slug: str, name: str, zone: str = "Asia/Shanghai", currency: str = "CNY"):
    with factories.committed_once():
        made = factories.AccountFactory(slug=slug, name=name, time_zone=zone, currency=currency)
        buyer = factories.UserFactory(account=made, email=f"buyer@{slug}.example", name="Buyer")
        contract = factories.ContractFactory(account=made)
    return made, buyer, contract


def invoice(contract, buyer, *, days_ago, amount="100.00", paid="0", currency="CNY", **order):
    """An invoice of a one-milestone order, due `days_ago` days before the account's today
    (negative: ahead), issued 30 days before its due date unless `invoiced_days_ago` says."""
    invoiced_days_ago = order.pop("invoiced_days_ago", days_ago + 30)
    today = today_for(contract.account)
    made = factories.OrderFactory(
        contract=contract,
        placed_by=buyer,
        status=order.pop("status", "shipped"),
        currency=currency,
        total_amount=Decimal(amount),
    )
    return factories.MilestoneFactory(
        order=made,
        position=1,
        currency=currency,
        amount=Decimal(amount),
        paid_amount=Decimal(paid),
        due_on=today - timedelta(days=days_ago),
        invoiced_on=today - timedelta(days=invoiced_days_ago),
    )


def ageing(**filters) -> receivables.Ageing:
    return receivables.ageing(receivables.accounts(), receivables.Filters(**filters))


def row_of(result: receivables.Ageing, slug: str, currency: str = "CNY"):
    [section] = [s for s in result.sections if s.currency == currency]
    [row] = [r for r in section.rows if r.account.slug == slug]
    return row


def amounts(row) -> dict[str, str]:
    return {name: f"{row.bucket(name).amount:.2f}" for name in row.buckets}


def test_invoices_on_the_bucket_edges_fall_in_the_right_bucket(web, people):
    acme, buyer, contract = account("acme", "Acme Hospital Group")
    # Due today is current; the day after the due date is 1 day overdue; then 30|31, 60|61,
    # 90|91 are the edges.
    for days_ago, amount in [
        (-5, "1.00"),
        (0, "2.00"),
        (1, "4.00"),
        (30, "8.00"),
        (31, "16.00"),
        (60, "32.00"),
        (61, "64.00"),
        (90, "128.00"),
        (91, "256.00"),
        (400, "512.00"),
    ]:
        invoice(contract, buyer, days_ago=days_ago, amount=amount)
    # What is open counts, not what was invoiced: 300 of 1,000 paid
    invoice(contract, buyer, days_ago=45, amount="1000.00", paid="300.00")
    # Paid in full, cancelled, or not invoiced yet: nothing open
    invoice(contract, buyer, days_ago=45, amount="5000.00", paid="5000.00")
    invoice(contract, buyer, days_ago=45, amount="7000.00", status="cancelled")
    factories.MilestoneFactory(
        order=factories.OrderFactory(contract=contract, status="confirmed"),
        amount=Decimal("9000.00"),
    )

    row = row_of(ageing(), "acme")

    assert amounts(row) == {
        "current": "3.00",
        "1_30": "12.00",
        "31_60": "748.00",
        "61_90": "192.00",
        "over_90": "768.00",
    }
    assert row.open.amount == Decimal("1723.00")
    assert row.overdue.amount == Decimal("1720.00")
    assert row.today == today_for(acme)
    # The page says the same
    page = signed_in(web, FINANCE).get(PAGE).get_data(as_text=True)
    [tag] = re.findall(r'<tr class="ageing-row"[^>]*data-account-slug="acme"[^>]*>', page)
    assert 'data-bucket-31-60="748.00"' in tag and 'data-bucket-over-90="768.00"' in tag
    assert 'data-open="1723.00"' in tag and 'data-overdue="1720.00"' in tag


def test_each_account_is_aged_as_of_its_own_today(web, people):
    # At 12:00 UTC on 7 March it is already 8 March on Kiritimati (UTC+14) and still 7 March
    # in Pago Pago (UTC-11): an invoice due on 7 March is a day overdue on the one, current
    # on the other.
    with time_machine.travel(datetime(2026, 3, 7, 12, 0, tzinfo=UTC), tick=False):
        east, east_buyer, east_contract = account("east", "East", "Pacific/Kiritimati")
        west, west_buyer, west_contract = account("west", "West", "Pacific/Pago_Pago")
        assert (today_for(east), today_for(west)) == (date(2026, 3, 8), date(2026, 3, 7))
        invoice(east_contract, east_buyer, days_ago=1)
        invoice(west_contract, west_buyer, days_ago=0)
        for row in (row_of(ageing(), "east"), row_of(ageing(), "west")):
            assert row.buckets[{"east": "1_30", "west": "current"}[row.account.slug]] == 100
        result = receivables.overdue_invoices(receivables.accounts(), receivables.Filters(), page=1)
        assert [r.account.slug for r in result.items] == ["east"]
        assert result.items[0].days_overdue == 1


def test_totals_are_per_currency_and_never_add_two_currencies(web, people):
    _, acme_buyer, acme_contract = account("acme", "Acme")
    _, globex_buyer, globex_contract = account("globex", "Globex", currency="USD")
    _, initech_buyer, initech_contract = account("initech", "Initech")
    invoice(acme_contract, acme_buyer, days_ago=10, amount="1000.00")
    invoice(acme_contract, acme_buyer, days_ago=10, amount="50.00", currency="USD")
    invoice(globex_contract, globex_buyer, days_ago=-3, amount="200.00", currency="USD")
    invoice(initech_contract, initech_buyer, days_ago=100, amount="300.00")

    result = ageing()

    totals = {s.currency: s.total for s in result.sections}
    assert set(totals) == {"CNY", "USD"}
    assert totals["CNY"].open.amount == Decimal("1300.00")
    assert totals["CNY"].buckets["1_30"] == Decimal("1000.00")
    assert totals["CNY"].buckets["over_90"] == Decimal("300.00")
    assert totals["USD"].open.amount == Decimal("250.00")
    assert totals["USD"].overdue.amount == Decimal("50.00")
    # Acme has a row in each currency
    assert row_of(result, "acme", "USD").open.amount == Decimal("50.00")
    # Filters: one currency, one account, overdue only
    assert [s.currency for s in ageing(currency="USD").sections] == ["USD"]
    [only] = ageing(account="initech").sections
    assert [r.account.slug for r in only.rows] == ["initech"]
    usd = ageing(currency="USD", overdue_only=True).sections[0]
    assert [r.account.slug for r in usd.rows] == ["acme"]
    assert usd.total.open.amount == Decimal("50.00")
    page = signed_in(web, FINANCE).get(PAGE).get_data(as_text=True)
    assert re.search(
        r'<tr class="ageing-total[^"]*" data-currency="CNY"[^>]*data-open="1300.00"', page
    )
    assert re.search(
        r'<tr class="ageing-total[^"]*" data-currency="USD"[^>]*data-open="250.00"', page
    )


def test_dso_is_open_receivables_over_the_last_90_days_of_invoiced_sales_times_90(web, people):
    # Worked example. Acme invoiced 60,000.00 in the last 90 days (40,000 paid, 20,000 open)
    # and owes 10,000.00 more on an invoice of 200 days ago: open 30,000.00, so
    # DSO = 30,000 / 60,000 x 90 = 45 days.
    _, acme_buyer, acme_contract = account("acme", "Acme")
    invoice(
        acme_contract,
        acme_buyer,
        days_ago=-20,
        amount="40000.00",
        paid="40000.00",
        invoiced_days_ago=10,
    )
    invoice(acme_contract, acme_buyer, days_ago=-30, amount="20000.00", invoiced_days_ago=0)
    invoice(acme_contract, acme_buyer, days_ago=170, amount="10000.00", invoiced_days_ago=200)
    # Invoiced 90 days ago is outside the window (the window is today and the 89 days before)
    invoice(
        acme_contract, acme_buyer, days_ago=60, amount="1.00", paid="1.00", invoiced_days_ago=90
    )
    # Globex: 1,000.00 open of 3,000.00 invoiced in the window: 30 days. Initech: nothing
    # invoiced in the window: no DSO.
    _, globex_buyer, globex_contract = account("globex", "Globex")
    invoice(
        globex_contract,
        globex_buyer,
        days_ago=-10,
        amount="3000.00",
        paid="2000.00",
        invoiced_days_ago=89,
    )
    _, initech_buyer, initech_contract = account("initech", "Initech")
    invoice(initech_contract, initech_buyer, days_ago=100, amount="500.00")

    result = ageing()

    acme = row_of(result, "acme")
    assert (acme.open.amount, acme.invoiced.amount, acme.dso) == (
        Decimal("30000.00"),
        Decimal("60000.00"),
        45,
    )
    assert row_of(result, "globex").dso == 30
    assert row_of(result, "initech").dso is None
    # The total: 31,500 open / 63,000 invoiced x 90 = 45 days
    assert result.sections[0].total.dso == 45
    assert receivables.dso(Decimal("1"), Decimal("0")) is None
    assert receivables.dso(Decimal("1"), Decimal("180")) == 1  # 0.5 day rounds half up

    # Sorted by DSO: largest first, none last; by open: largest first
    by_dso = ageing(sort="dso").sections[0].rows
    assert [r.account.slug for r in by_dso] == ["acme", "globex", "initech"]
    by_open = ageing(sort="open").sections[0].rows
    assert [r.account.slug for r in by_open] == ["acme", "globex", "initech"]
    by_overdue = ageing(sort="overdue").sections[0].rows
    assert [r.account.slug for r in by_overdue] == ["acme", "initech", "globex"]

    page = signed_in(web, FINANCE).get(PAGE + "?sort=dso").get_data(as_text=True)
    assert 'id="dso-method"' in page and "÷" in page
    assert re.search(r'data-account-slug="initech"[^>]*data-dso=""', page)
    assert re.search(r'data-account-slug="acme"[^>]*data-dso="45"', page)
    assert page.index('data-account-slug="acme"') < page.index('data-account-slug="initech"')


def test_overdue_invoices_list_the_reminders_the_sweep_sent(web, people):
    acme, buyer, contract = account("acme", "Acme Hospital Group")
    late = invoice(contract, buyer, days_ago=5, amount="700.00", paid="200.00")
    older = invoice(contract, buyer, days_ago=40, amount="300.00")
    invoice(contract, buyer, days_ago=0, amount="900.00")  # due today: not overdue
    sweep_overdue()
    number = f"{late.order.number}-1"

    found = receivables.overdue_invoices(receivables.accounts(), receivables.Filters())

    assert [r.milestone.id for r in found.items] == [older.id, late.id]
    row = found.items[1]
    assert (row.number, row.days_overdue, row.open.amount) == (number, 5, Decimal("500.00"))
    assert sorted((r.kind, r.to_address, r.to_customer) for r in row.reminders) == [
        ("overdue", "buyer@acme.example", True),
        ("overdue", FINANCE, False),
    ]

    page = signed_in(web, FINANCE).get(PAGE).get_data(as_text=True)
    [tr] = re.findall(rf'<tr data-invoice-number="{number}".*?</tr>', page, re.S)
    assert f'href="/staff/invoices/{number}"' in tr
    assert 'data-days-overdue="5"' in tr and 'data-open="500.00"' in tr
    assert 'data-reminders="2"' in tr
    assert 'data-to="buyer@acme.example"' in tr and f'data-to="{FINANCE}"' in tr


def test_a_reminder_before_the_due_date_and_one_after_are_both_listed(web, people):
    _, buyer, contract = account("acme", "Acme Hospital Group")
    soon = invoice(contract, buyer, days_ago=-3, amount="100.00")
    sweep_payments_due()  # falling due in 3 days: the buyer and finance hear of it
    with time_machine.travel(datetime.now(UTC) + timedelta(days=5)):
        sweep_overdue()  # 2 days overdue
        [row] = receivables.overdue_invoices(receivables.accounts(), receivables.Filters()).items
    assert row.milestone.id == soon.id
    assert [(r.kind, r.to_customer) for r in row.reminders if r.to_customer] == [
        ("due", True),
        ("overdue", True),
    ]
    assert [r.queued_at for r in row.reminders] == sorted(r.queued_at for r in row.reminders)
    # Someone who was never told is not listed; exports read the same reminders
    assert {r.to_address for r in row.reminders} == {"buyer@acme.example", FINANCE}
    exported = receivables.all_reminders()[soon.id]
    assert [(r.kind, r.to_address) for r in exported] == [
        (r.kind, r.to_address) for r in row.reminders
    ]


def test_the_exports_hold_the_ageing_and_the_overdue_invoices(web, people):
    _, acme_buyer, acme_contract = account("acme", "=Acme")  # a name a spreadsheet would run
    _, globex_buyer, globex_contract = account("globex", "Globex")
    invoice(acme_contract, acme_buyer, days_ago=45, amount="1234.50", invoiced_days_ago=100)
    invoice(acme_contract, acme_buyer, days_ago=-3, amount="100.00", invoiced_days_ago=5)
    late = invoice(globex_contract, globex_buyer, days_ago=10, amount="5000", currency="JPY")
    sweep_overdue()
    client = signed_in(web, FINANCE)

    response = client.get(PAGE + "/ageing.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="receivables-ageing-\d{4}-\d\d-\d\d\.csv"',
        response.headers["Content-Disposition"],
    )
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    acme = [r for r in rows if r["account"] == "acme"][0]
    assert acme["account_name"] == "'=Acme"
    assert (acme["currency"], acme["31_60"], acme["current"], acme["open"]) == (
        "CNY",
        "1234.50",
        "100.00",
        "1334.50",
    )
    assert acme["overdue"] == "1234.50" and acme["invoiced_90_days"] == "100.00"
    assert acme["dso_days"] == "1201"  # 1334.50 / 100.00 x 90 = 1201.05
    assert acme["as_of"] == today_for(acme_contract.account).isoformat()
    totals = [r for r in rows if r["row"] == "total"]
    assert sorted((r["currency"], r["open"]) for r in totals) == [
        ("CNY", "1334.50"),
        ("JPY", "5000"),
    ]

    response = client.get(PAGE + "/ageing.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Account or total", "Account code", "Account", "Currency"]
    [acme_row] = [r for r in sheet.iter_rows(min_row=2) if r[1].value == "acme"]
    cells = dict(zip(header, acme_row, strict=True))
    assert cells["31-60 days"].value == 1234.5
    assert cells["31-60 days"].number_format == "#,##0.00"
    assert cells["As of"].is_date
    assert cells["DSO (days)"].value == 1201
    assert cells["Account"].value == "'=Acme" and cells["Account"].data_type == "s"
    [jpy] = [
        r for r in sheet.iter_rows(min_row=2) if r[3].value == "JPY" and r[0].value == "account"
    ]
    assert dict(zip(header, jpy, strict=True))["1-30 days"].number_format == "#,##0"

    response = client.get(PAGE + "/overdue.csv?currency=JPY")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [
        (r["invoice"], r["account"], r["due"], r["days_overdue"], r["open"], r["reminders"])
        for r in rows
    ] == [(f"{late.order.number}-1", "globex", late.due_on.isoformat(), "10", "5000", "2")]

    response = client.get(PAGE + "/overdue.xlsx")
    assert re.search(
        r'receivables-overdue-\d{4}-\d\d-\d\d\.xlsx"$', response.headers["Content-Disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "Invoice" and sheet.freeze_panes == "A2"
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [r["Account code"].value for r in rows] == ["acme", "globex"]  # longest overdue first
    assert rows[0]["Open amount"].value == 1234.5 and rows[0]["Days overdue"].value == 45
    assert rows[0]["Due date"].is_date and rows[0]["Reminders sent"].value == 2
    assert rows[0]["Last reminder"].is_date


@pytest.mark.parametrize(
    ("email", "status"),
    [
        (FINANCE, 200),
        ("sales_manager@northwind.example", 200),
        ("inside_sales@northwind.example", 403),
        ("field_sales@northwind.example", 403),
        ("sysadmin@northwind.example", 403),
        ("buyer@acme.example", 404),
    ],
)
def test_finance_and_sales_managers_open_it_others_are_refused(web, people, email, status):
    account("acme", "Acme")
    client = signed_in(web, email)
    for path in ("", "/ageing.csv", "/ageing.xlsx", "/overdue.csv", "/overdue.xlsx"):
        assert client.get(PAGE + path).status_code == status, path
    desk_link = 'href="/staff/finance/receivables"'
    if status == 200:
        assert desk_link in client.get("/staff/finance").get_data(as_text=True)


def test_the_page_issues_as_many_statements_for_100_accounts_as_for_10(web, people):
    client = signed_in(web, FINANCE)

    def statements() -> int:
        client.get(PAGE)  # warm up: the session's last-seen time settles
        with count_queries() as issued:
            assert client.get(PAGE).status_code == 200
        return len(issued)

    def add(n: int, start: int) -> None:
        with factories.committed_once():
            for i in range(start, start + n):
                made = factories.AccountFactory(
                    slug=f"a{i}", time_zone=("Asia/Shanghai", "America/Chicago")[i % 2]
                )
                buyer = factories.UserFactory(account=made)
                contract = factories.ContractFactory(account=made)
                invoice(contract, buyer, days_ago=i % 120 + 1, amount="10.00")
        sweep_overdue()

    add(10, 0)
    ten = statements()
    add(90, 10)
    hundred = statements()
    assert ten == hundred
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count('class="ageing-row"') == 100
    assert page.count("<tr data-invoice-number=") == receivables.PER_PAGE


def test_the_page_reads_in_chinese(web, app, people):
    _, buyer, contract = account("acme", "Acme")
    invoice(contract, buyer, days_ago=100, amount="1000.00")
    client = signed_in(web, FINANCE)
    with reading_in(web, "zh_Hans"):
        page = client.get(PAGE).get_data(as_text=True)
    assert "逾期 90 天以上" in page and "未到期" in page and "逾期天数" in page
    assert "¥1,000.00" in page
    with reading_in(web, "en"):
        page = client.get(PAGE).get_data(as_text=True)
    assert "Over 90 days" in page and "CN¥1,000.00" in page
