"""Numbers staff type into contracts, price rules, price lists and payment terms, read as
core.numbers reads every number: a point for decimals, commas only between thousands, no
exponents, full-width forms as plain; shown back in the currency's decimals."""

import re
from decimal import Decimal

import sqlalchemy as sa

from portal.contracts.models import Contract, PaymentTerm, PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.contracts.test_terms import term_form
from tests.contracts.test_views import acme_contract, rule_form, upload
from tests.support.web import login

DECIMAL_COMMA = "use a point for decimals and type"


def shown(page, name: str) -> str:
    """The value of the input `name` on a page, as the person sees it."""
    [tag] = re.findall(rf'<input [^>]*name="{name}"[^>]*>', page.get_data(as_text=True))
    return re.search(r'value="([^"]*)"', tag).group(1)


def director(app):
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    return client


def rules_of(contract, sku):
    db.session.expire_all()
    return [
        (r.kind, r.value, r.min_quantity)
        for r in db.session.scalars(
            sa.select(PriceRule)
            .where(PriceRule.contract_id == contract.id, PriceRule.status == "active")
            .where(PriceRule.product.has(sku=sku))
            .order_by(PriceRule.min_quantity)
        )
    ]


def contract_form(contract, **changes) -> dict:
    return {
        "number": contract.number,
        "currency": contract.currency,
        "valid_from": contract.valid_from.isoformat(),
        "valid_to": contract.valid_to.isoformat(),
        "status": contract.status,
        "payment_term_id": str(contract.payment_term_id),
        "credit_limit": "500000.00",
        "notes": contract.notes or "",
        "version": str(contract.version),
        **changes,
    }


def test_a_price_typed_with_a_decimal_comma_is_refused_with_what_to_type(app):
    seed_demo()
    contract, client = acme_contract(), director(app)
    url = f"/staff/contracts/{contract.id}/rules/new"
    for typed, suggestion in (("1150,50", "1150.50"), ("5150,50", "5150.50")):
        page = client.post(url, data=rule_form(kind="fixed", value=typed)).get_data(as_text=True)
        assert f"“{typed}”: {DECIMAL_COMMA} {suggestion} " in page
    page = client.post(url, data=rule_form(kind="fixed", value="1.150,50")).get_data(as_text=True)
    assert f"{DECIMAL_COMMA} 1150.50 " in page
    page = client.post(url, data=rule_form(kind="fixed", value="1e3")).get_data(as_text=True)
    assert "without an exponent" in page
    assert rules_of(contract, "NW-DT7") == []

    assert client.post(url, data=rule_form(kind="fixed", value="5,150.50")).status_code == 302
    assert rules_of(contract, "NW-DT7") == [("fixed", Decimal("5150.50"), 1)]


def test_a_volume_tier_typed_in_full_width_or_with_thousands_is_read(app):
    seed_demo()
    contract, client = acme_contract(), director(app)
    url = f"/staff/contracts/{contract.id}/rules/new"
    for value, quantity in (("５，１５０．５０", "１"), ("5000.00", "1,000")):
        data = rule_form(kind="fixed", value=value, min_quantity=quantity)
        assert client.post(url, data=data).status_code == 302
    assert rules_of(contract, "NW-DT7") == [
        ("fixed", Decimal("5150.50"), 1),
        ("fixed", Decimal("5000.00"), 1000),
    ]
    data = rule_form(sku="NW-DOCK", kind="percent_off", value="５％", min_quantity="２０")
    assert client.post(url, data=data).status_code == 302
    assert rules_of(contract, "NW-DOCK") == [("percent_off", Decimal(5), 20)]


def test_a_fixed_price_is_shown_for_editing_in_the_currencys_decimals(app):
    seed_demo()
    contract = acme_contract()
    rule = db.session.scalar(
        sa.select(PriceRule).where(
            PriceRule.contract_id == contract.id,
            PriceRule.kind == "fixed",
            PriceRule.product.has(sku="NW-LT14"),
            PriceRule.min_quantity == 1,
        )
    )
    page = director(app).get(f"/staff/contracts/{contract.id}/rules/{rule.id}")
    assert shown(page, "value") == "7650.00"


def test_a_credit_limit_is_shown_for_editing_in_the_currencys_decimals(app):
    seed_demo()
    contract = acme_contract()
    page = director(app).get(f"/staff/contracts/{contract.id}/edit")
    assert shown(page, "credit_limit") == "500000.00"


def test_a_credit_limit_beyond_the_column_or_typed_wrong_is_refused_with_a_message(app):
    seed_demo()
    contract, client = acme_contract(), director(app)
    url = f"/staff/contracts/{contract.id}/edit"
    for typed, message in (
        ("999999999999999999999", "is too large: amounts stay below 1,000,000,000,000."),
        ("1e9", "without an exponent"),
        ("1150,50", f"{DECIMAL_COMMA} 1150.50 "),
        ("1.555", "CNY amounts have at most 2 decimals."),
        ("1.12345", "has more than 4 decimals"),
    ):
        response = client.post(url, data=contract_form(contract, credit_limit=typed))
        assert response.status_code == 200, typed
        assert message in response.get_data(as_text=True).replace("&#34;", '"'), typed
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).credit_limit_amount == Decimal("500000.00")

    response = client.post(url, data=contract_form(contract, credit_limit="６００，０００"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).credit_limit_amount == Decimal("600000.00")


def test_a_price_list_file_reads_its_numbers_as_the_forms_do(app):
    seed_demo()
    contract, client = acme_contract(), director(app)
    url = f"/staff/contracts/{contract.id}/import"
    header = "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
    bad = header + 'NW-DT7,fixed,"5150,50",CNY,1,,\nNW-DOCK,fixed,8e2,CNY,1,,\n'
    page = upload(client, url, bad, check="1").get_data(as_text=True)
    assert 'data-import-valid="no"' in page
    assert f"value: “5150,50”: {DECIMAL_COMMA} 5150.50 " in page
    assert "value: “8e2”: write the number out in digits, without an exponent." in page

    good = header + 'NW-DT7,fixed,"5,150.50",CNY,１,,\nNW-DOCK,percent_off,５％,,２０,,\n'
    page = upload(client, url, good, check="1").get_data(as_text=True)
    assert 'data-import-valid="yes"' in page, page


def test_payment_term_shares_are_read_as_percentages(app):
    seed_demo()
    client = director(app)
    rows = [("Deposit", "33,5", "order", "0"), ("Balance", "66.5", "delivery", "0")]
    page = client.post("/staff/payment-terms/new", data=term_form(rows=rows))
    assert f"“33,5”: {DECIMAL_COMMA} 33.5 " in page.get_data(as_text=True)
    rows = [("Deposit", "３３．５％", "order", "0"), ("Balance", "66.5%", "delivery", "0")]
    assert client.post("/staff/payment-terms/new", data=term_form(rows=rows)).status_code == 302
    term = db.session.scalar(sa.select(PaymentTerm).where(PaymentTerm.code == "net45"))
    assert [m.share_percent for m in term.milestones] == [Decimal("33.5"), Decimal("66.5")]
