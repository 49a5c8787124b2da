"""VAT as buyers and staff see it: net, VAT by rate and gross in the cart, at checkout, on the
order pages, in the schedule, on the invoice and the statement; an export account zero-rated;
in English and in Chinese."""

import re

import pytest

from portal.extensions import db
from tests import factories
from tests.support.locales import reading_in
from tests.support.ordering import fill_cart, place
from tests.support.payments import DONE_WHEN, ship
from tests.support.web import signed_in

# Invoices fall due by today's date.
pytestmark = pytest.mark.date_sensitive

BUYER = "buyer@acme.example"


@pytest.fixture
def staff():
    with factories.committed_once():
        return {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example")
            for role in ("finance", "inside_sales")
        }


def summary_of(html: str) -> dict[str, str]:
    """The data attributes of the (first) VAT summary table on a page."""
    [tag] = re.findall(r'<table class="[^"]*vat-summary[^"]*"[^>]*>', html)[:1]
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))


def rates_of(html: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))
        for tag in re.findall(r'<tr class="vat-rate"[^>]*>', html)
    ]


ACME = {"vat-net": "15344.38", "vat": "1994.77", "vat-gross": "17339.15", "zero-rated": "false"}


def test_the_cart_shows_the_vat_its_prices_include(web, shop):
    fill_cart(shop.buyer, DONE_WHEN)
    db.session.commit()
    html = signed_in(web, BUYER).get("/a/acme/cart").get_data(as_text=True)
    assert summary_of(html) == ACME
    assert rates_of(html) == [
        {"rate": "13", "net": "15344.38", "vat": "1994.77", "gross": "17339.15"}
    ]
    assert "13% VAT" in html and "CN¥1,994.77" in html


def test_checkout_shows_the_vat_and_each_payment_s_part(web, shop):
    fill_cart(shop.buyer, DONE_WHEN)
    db.session.commit()
    html = signed_in(web, BUYER).get("/a/acme/checkout").get_data(as_text=True)
    assert summary_of(html) == ACME
    # Net 30: the one payment carries all the VAT.
    assert re.search(
        r'class="small text-muted milestone-vat" data-rate="13" data-vat="1994.77"', html
    )


def test_the_buyer_s_and_staff_s_order_pages_show_the_snapshot(web, shop, staff):
    order = place(shop, DONE_WHEN)
    html = signed_in(web, BUYER).get(f"/a/acme/orders/{order.number}").get_data(as_text=True)
    assert summary_of(html) == ACME
    assert 'data-vat="1994.77" data-net="15344.38"' in html  # the schedule's one payment
    staff_page = signed_in(web, "finance@northwind.example").get(f"/staff/orders/{order.number}")
    assert summary_of(staff_page.get_data(as_text=True)) == ACME


def test_an_order_placed_before_vat_was_recorded_says_so(web, shop):
    order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer)
    factories.OrderLineFactory(order=order)
    db.session.commit()
    html = signed_in(web, BUYER).get(f"/a/acme/orders/{order.number}").get_data(as_text=True)
    assert "vat-summary" not in html and "vat-not-recorded" in html


def test_the_invoice_and_the_statement_show_the_invoice_s_vat(web, shop, staff):
    order = ship(place(shop, DONE_WHEN), staff)
    client = signed_in(web, BUYER)
    html = client.get(f"/a/acme/invoices/{order.number}-1").get_data(as_text=True)
    assert 'class="invoice-vat' in html and summary_of(html) == ACME
    statement = client.get("/a/acme/invoices").get_data(as_text=True)
    assert (
        'class="small text-muted invoice-vat" data-net="15344.38" data-vat="1994.77"' in statement
    )
    csv = client.get("/a/acme/invoices.csv").get_data(as_text=True)
    assert ",17339.15,15344.38,1994.77," in csv


def test_an_export_account_is_zero_rated_everywhere(web, shop):
    shop.account.tax_treatment = "export_zero_rated"
    db.session.commit()
    order = place(shop, DONE_WHEN)
    html = signed_in(web, BUYER).get(f"/a/acme/orders/{order.number}").get_data(as_text=True)
    zero = {"vat-net": "17339.15", "vat": "0.00", "vat-gross": "17339.15", "zero-rated": "true"}
    assert summary_of(html) == zero
    assert "0% (zero-rated export)" in html and "vat-zero-rated" in html


@pytest.mark.parametrize(
    ("locale", "amount", "total"),
    [("en", "CN¥1,994.77", "Total"), ("zh_Hans", "¥1,994.77", "合计")],
)
def test_the_vat_summary_reads_in_english_and_chinese(web, shop, locale, amount, total):
    order = place(shop, DONE_WHEN)
    client = signed_in(web, BUYER)
    with reading_in(web, locale):
        html = client.get(f"/a/acme/orders/{order.number}").get_data(as_text=True)
    assert summary_of(html) == ACME  # machine forms stay as they are
    [footer] = re.findall(r'<tr class="vat-total">.*?</tr>', html, re.S)
    assert amount in footer and total in footer


def test_the_catalog_says_whether_its_prices_include_vat(web, shop):
    client = signed_in(web, BUYER)
    assert "Prices include VAT." in client.get("/a/acme/catalog").get_data(as_text=True)
    shop.account.tax_treatment = "export_zero_rated"
    db.session.commit()
    html = client.get("/a/acme/products/NW-LT14").get_data(as_text=True)
    assert 'data-tax-treatment="export_zero_rated"' in html


def test_staff_set_an_account_s_tax_treatment_on_the_account_form(web, shop):
    from portal.core.permissions import ACCOUNT_ADMIN
    from tests.support.web import account_form, reload

    factories.StaffFactory(role=ACCOUNT_ADMIN, email="admin@northwind.example")
    client = signed_in(web, "admin@northwind.example")
    form = client.get("/staff/accounts/acme/edit").get_data(as_text=True)
    assert 'name="tax_treatment"' in form and "Export: zero-rated" in form
    account = shop.account
    data = account_form(account, tax_treatment="export_zero_rated", version=str(account.version))
    assert client.post("/staff/accounts/acme/edit", data=data).status_code == 302
    assert reload(account).tax_treatment == "export_zero_rated"
    account = reload(account)
    data = account_form(account, tax_treatment="vat_free", version=str(account.version))
    refused = client.post("/staff/accounts/acme/edit", data=data)
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert reload(account).tax_treatment == "export_zero_rated"
