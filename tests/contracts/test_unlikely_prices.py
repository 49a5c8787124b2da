"""Prices that are probably typing errors, a fixed price above list or a discount deeper than
anyone may grant, are saved only when their author confirms them: in the rule form and in a
price import."""

import re
from decimal import Decimal

import sqlalchemy as sa

from portal.contracts.models import PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.support.contracts import acme_contract, rule_form, upload
from tests.support.web import login


def director(app):
    seed_demo(history=False)
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    return client


def dt7_rules():
    return db.session.scalars(
        sa.select(PriceRule.value)
        .join(PriceRule.product)
        .where(PriceRule.contract_id == acme_contract().id, PriceRule.product.has(sku="NW-DT7"))
    ).all()


def test_a_fixed_price_above_list_asks_for_confirmation_then_saves(app):
    client = director(app)
    url = f"/staff/contracts/{acme_contract().id}/rules/new"
    form = rule_form(kind="fixed", value="54990.00")  # NW-DT7 lists at CNY 5,499.00

    asked = client.post(url, data=form)

    assert asked.status_code == 200
    assert "CN¥54,990.00 is above the list price (CN¥5,499.00)" in asked.get_data(as_text=True)
    assert b"data-confirm-price" in asked.data and b'name="confirm"' in asked.data
    assert dt7_rules() == []
    confirmed = client.post(url, data={**form, "confirm": "y"})
    assert confirmed.status_code == 302
    assert dt7_rules() == [Decimal("54990.00")]


def test_a_discount_deeper_than_anyone_may_grant_asks_for_confirmation(app):
    client = director(app)  # the widest authority of the demo's staff: the director's 40%
    url = f"/staff/contracts/{acme_contract().id}/rules/new"

    asked = client.post(url, data=rule_form(value="55"))

    text = re.sub(r"\s+", " ", asked.get_data(as_text=True))
    assert "55.0% below list is more than anyone may grant (40.0%)" in text
    assert dt7_rules() == []
    assert client.post(url, data=rule_form(value="35")).status_code == 302  # within: no question


def test_a_price_import_with_unusual_prices_is_applied_only_when_confirmed(app):
    client = director(app)
    url = f"/staff/contracts/{acme_contract().id}/import"
    rows = (
        "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
        "NW-DT7,fixed,54990.00,CNY,1,,\n"
        "NW-DOCK,fixed,800.00,CNY,1,,\n"
    )
    checked = upload(client, url, rows, check="1")
    page = checked.get_data(as_text=True)
    assert 'data-unlikely-line="2"' in page and 'data-unlikely-line="3"' not in page
    assert 'name="confirm"' in page
    hidden = dict(re.findall(r'name="(checked|state)" value="([^"]*)"', page))
    apply = {**hidden, "reason": "Price list 2027", "apply": "1"}

    refused = client.post(url, data=apply)

    assert refused.status_code == 200
    assert b"look like typing errors" in refused.data
    assert dt7_rules() == []
    applied = client.post(url, data={**apply, "confirm": "y"})
    assert applied.status_code == 302
    assert dt7_rules() == [Decimal("54990.00")]
