"""Fapiao at checkout and after: the buyer chooses among the account's fapiao types (a tampered
choice is refused; special VAT waits for verified details; export accounts choose none);
finance records the fapiao issued against an invoice (no number twice, never more than the
invoice); buyers see them; a cancellation after a fapiao asks finance for a red-letter one."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notice
from portal.ordering import services as ordering
from portal.ordering.models import Milestone, Order
from portal.tax import fapiao
from portal.tax.fapiao_models import IssuedFapiao
from tests import factories
from tests.support.fapiao import audit_events, issued_now, keep_details
from tests.support.locales import reading_in
from tests.support.ordering import fill_cart, place
from tests.support.payments import DONE_WHEN
from tests.support.web import count_queries, signed_in

pytestmark = pytest.mark.date_sensitive

CHECKOUT = "/a/acme/checkout"


def text(page) -> str:
    return page.get_data(as_text=True)


def checkout_form(client, shop, **changes) -> dict:
    page = client.get(CHECKOUT)
    token = re.search(r'name="checkout_token" type="hidden" value="(\w+)"', text(page)).group(1)
    return {"ship_to": str(shop.address.id), "checkout_token": token, **changes}


def orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


def fapiao_options(page) -> list[str]:
    select = re.search(r'<select[^>]*name="fapiao_type".*?</select>', text(page), re.S)
    return re.findall(r'value="(\w+)"', select.group(0)) if select else []


def cash_in_advance(shop) -> None:
    """Invoiced as soon as it is placed: the invoice to issue a fapiao on."""
    shop.contract.payment_term = factories.PaymentTermFactory(
        name="Cash in advance", milestones=[("Payment", "100", "order", 0)]
    )
    db.session.commit()


def invoice_number_of(order) -> str:
    db.session.expire_all()
    milestone = db.session.scalar(sa.select(Milestone).where(Milestone.order_id == order.id))
    assert milestone.invoiced_on is not None
    return f"{order.number}-{milestone.position}"


def a_day_gone() -> date:
    """Yesterday in UTC: a day every account's calendar has reached, at any clock and zone (no
    zone is more than a day behind UTC), so a fapiao dated then is never ahead."""
    return datetime.now(UTC).date() - timedelta(days=1)


def fapiao_form(**changes) -> dict:
    data = {
        "number": "31002400000012345678",
        "issued_on": a_day_gone().isoformat(),
        "fapiao_type": "electronic",
        "amount": "17,339.15",
    }
    data.update(changes)
    return data


# At checkout


def test_the_buyer_chooses_among_the_accounts_types_and_the_order_keeps_it(web, shop, acme_details):
    fill_cart(shop.buyer, DONE_WHEN)
    db.session.commit()
    client = signed_in(web, shop.buyer.email)
    assert fapiao_options(client.get(CHECKOUT)) == ["special", "electronic"]
    response = client.post(CHECKOUT, data=checkout_form(client, shop, fapiao_type="special"))
    assert response.status_code == 303
    [order] = orders()
    assert order.fapiao_type == "special"
    # ... and the order page says which
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-fapiao-type="special"' in page


@pytest.mark.parametrize("tampered", ["ordinary", "paper", ""])
def test_a_tampered_fapiao_type_is_refused_and_nothing_is_placed(web, shop, acme_details, tampered):
    fill_cart(shop.buyer, DONE_WHEN)
    db.session.commit()
    client = signed_in(web, shop.buyer.email)
    response = client.post(CHECKOUT, data=checkout_form(client, shop, fapiao_type=tampered))
    assert response.status_code == 200
    assert "Choose one of the fapiao types your account may use." in text(response)
    assert orders() == []


def test_special_vat_waits_for_verified_details(web, shop):
    keep_details(shop.account, types=("special", "electronic"))  # not verified
    fill_cart(shop.buyer, DONE_WHEN)
    db.session.commit()
    client = signed_in(web, shop.buyer.email)
    page = client.get(CHECKOUT)
    assert fapiao_options(page) == ["electronic"]
    assert "fapiao-special-waiting" in text(page)
    response = client.post(CHECKOUT, data=checkout_form(client, shop, fapiao_type="special"))
    assert "A special VAT fapiao needs fapiao details verified" in text(response)
    assert orders() == []
    with reading_in(web, "zh_Hans"):
        assert fapiao_options(client.get(CHECKOUT)) == ["electronic"]


def test_export_accounts_and_accounts_without_details_choose_no_fapiao(app, shop, finance):
    with app.test_request_context():
        assert fapiao.fapiao_choice(shop.account).types == ()
        assert fapiao.checked_fapiao_type(shop.account, "special") == ""
        keep_details(shop.account, types=("special",), by=finance)
        assert fapiao.fapiao_choice(shop.account).types == ("special",)
        shop.account.currency = "USD"
        assert fapiao.fapiao_choice(shop.account).types == ()
        assert fapiao.checked_fapiao_type(shop.account, "special") == ""


# Issued against an invoice


def test_finance_records_a_fapiao_and_the_buyer_sees_it(web, shop, acme_details, finance):
    cash_in_advance(shop)
    number = invoice_number_of(place(shop, DONE_WHEN, fapiao_type="electronic"))
    staff = signed_in(web, finance.email)
    form = text(staff.get(f"/staff/invoices/{number}"))
    assert 'name="number"' in form
    # Filled in: what is left of the invoice, and the type the buyer chose.
    assert re.search(r'<input[^>]*name="amount"[^>]*value="17339.15"', form)
    assert '<option selected value="electronic">' in form
    response = staff.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form(amount="10,000.00"))
    assert response.status_code == 303
    [issued] = issued_now()
    assert (issued.number, issued.amount, issued.currency) == (
        "31002400000012345678",
        Decimal("10000.00"),
        "CNY",
    )
    assert 'value="7339.15"' in text(staff.get(f"/staff/invoices/{number}"))
    [event] = audit_events("fapiao.issue")
    assert event.actor_id == finance.id and event.target == f"invoice:{number}"

    buyer = signed_in(web, shop.buyer.email)
    page = text(buyer.get(f"/a/acme/invoices/{number}"))
    assert 'data-fapiao-number="31002400000012345678"' in page
    assert 'data-fapiao-amount="10000.00"' in page
    assert "91310115MA1H7GXK26" in page
    assert 'data-fapiao-number="31002400000012345678"' in text(buyer.get("/a/acme/invoices"))
    with reading_in(web, "zh_Hans"):
        page = text(buyer.get(f"/a/acme/invoices/{number}"))
    assert 'data-fapiao-number="31002400000012345678"' in page  # labels: once translated


def test_a_fapiao_number_twice_or_more_than_the_invoice_is_refused(
    web, shop, acme_details, finance
):
    cash_in_advance(shop)
    number = invoice_number_of(place(shop, DONE_WHEN))
    staff = signed_in(web, finance.email)
    staff.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form(amount="17,000.00"))
    again = staff.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form(amount="1.00"))
    assert again.status_code == 400
    assert "Fapiao number 31002400000012345678 is recorded already." in text(again)
    too_much = staff.post(
        f"/staff/invoices/{number}/fapiao", data=fapiao_form(number="3100240001", amount="339.16")
    )
    assert "may add up to its amount at most" in text(too_much)
    assert "339.15" in text(too_much)
    fits = staff.post(
        f"/staff/invoices/{number}/fapiao", data=fapiao_form(number="3100240001", amount="339.15")
    )
    assert fits.status_code == 303
    assert [f.amount for f in issued_now()] == [Decimal("17000.00"), Decimal("339.15")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": "abc"}, "ABC is not a fapiao number: write its 8 to 20 digits"),
        ({"number": "1234567"}, "1234567 is not a fapiao number"),
        ({"number": "1" * 21}, "is not a fapiao number"),
        ({"issued_on": "2999-01-01"}, "its date cannot be after today"),
    ],
)
def test_a_fapiao_number_that_is_not_one_or_a_date_ahead_is_refused(
    web, shop, acme_details, finance, changes, message
):
    cash_in_advance(shop)
    number = invoice_number_of(place(shop, DONE_WHEN))
    staff = signed_in(web, finance.email)
    response = staff.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form(**changes))
    assert response.status_code == 400
    assert message in text(response)
    assert issued_now() == []


def test_special_vat_fapiao_need_verified_details(web, shop, finance):
    keep_details(shop.account, types=("special",))
    cash_in_advance(shop)
    number = invoice_number_of(place(shop, DONE_WHEN))
    staff = signed_in(web, finance.email)
    refused = staff.post(
        f"/staff/invoices/{number}/fapiao", data=fapiao_form(fapiao_type="special")
    )
    assert "fapiao details verified first" in text(refused)
    assert issued_now() == []


def test_only_finance_records_fapiao(web, shop, acme_details, staff):
    cash_in_advance(shop)
    number = invoice_number_of(place(shop, DONE_WHEN))
    inside = signed_in(web, staff["inside_sales"].email)
    assert inside.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form()).status_code == 403
    assert 'name="number"' not in text(inside.get(f"/staff/invoices/{number}"))
    buyer = signed_in(web, shop.buyer.email)
    assert buyer.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form()).status_code == 404
    assert issued_now() == []


# Red-letter fapiao


def test_a_cancellation_after_a_fapiao_asks_finance_for_a_red_letter_one(
    web, shop, acme_details, staff, finance
):
    cash_in_advance(shop)
    order = place(shop, DONE_WHEN)
    number = invoice_number_of(order)
    desk = signed_in(web, finance.email)
    desk.post(f"/staff/invoices/{number}/fapiao", data=fapiao_form())
    assert text(desk.get("/staff/finance/red-letter-fapiao")).count("data-fapiao-number") == 0

    order = db.session.get(Order, order.id)
    ordering.cancel_order(staff["inside_sales"], order, "Customer withdrew the tender.")
    [issued] = issued_now()
    assert issued.status == "red_letter_needed"
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == finance.id))
    assert "31002400000012345678" in notice.text and "red-letter" in notice.text
    page = desk.get("/staff/finance/red-letter-fapiao")
    assert 'data-fapiao-number="31002400000012345678"' in text(page)
    buyer = signed_in(web, shop.buyer.email)
    assert 'data-fapiao-status="red_letter_needed"' in text(buyer.get(f"/a/acme/invoices/{number}"))

    response = desk.post(
        f"/staff/fapiao/{issued.id}/red-letter",
        data={
            "red_letter_number": "31002400000099999999",
            "red_letter_issued_on": a_day_gone().isoformat(),
        },
    )
    assert response.status_code == 303
    [issued] = issued_now()
    assert (issued.status, issued.red_letter_number) == (
        "red_letter_issued",
        "31002400000099999999",
    )
    assert [e.action for e in audit_events("fapiao.")] == [
        "fapiao.issue",
        "fapiao.red_letter_needed",
        "fapiao.red_letter_issued",
    ]
    assert "data-fapiao-number" not in text(desk.get("/staff/finance/red-letter-fapiao"))
    with reading_in(web, "zh_Hans"):
        assert desk.get("/staff/finance/red-letter-fapiao").status_code == 200


def test_a_cancellation_without_fapiao_asks_for_nothing(shop, staff, finance):
    cash_in_advance(shop)
    order = place(shop, DONE_WHEN)
    ordering.cancel_order(staff["inside_sales"], order, "Ordered twice.")
    assert db.session.scalar(sa.select(Notice).where(Notice.user_id == finance.id)) is None


def test_the_statement_shows_fapiao_in_as_many_statements_for_25_invoices_as_for_5(web, shop):
    client = signed_in(web, shop.buyer.email)
    made = []

    def statements_with(total):
        today = date.today()
        for n in range(len(made), total):
            made.append(n)
            order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer)
            milestone = factories.MilestoneFactory(
                order=order, position=1, amount=Decimal("10.00"), due_on=today, invoiced_on=today
            )
            db.session.add(
                IssuedFapiao(
                    account_id=shop.account.id,
                    order_id=order.id,
                    milestone_id=milestone.id,
                    invoice_number=f"{order.number}-1",
                    number=f"FP{n:08d}",
                    issued_on=today,
                    fapiao_type="electronic",
                    currency="CNY",
                    amount=Decimal("10.00"),
                )
            )
        db.session.commit()
        with count_queries() as statements:
            page = client.get("/a/acme/invoices")
        assert page.status_code == 200
        return len(statements), text(page).count('class="small fapiao-mark"')

    assert statements_with(5)[1] == 5
    five, _shown = statements_with(5)
    twenty_five, shown = statements_with(25)
    assert shown == 25 and five == twenty_five
