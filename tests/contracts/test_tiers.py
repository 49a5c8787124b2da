"""Volume tiers: a rule may not make more units of a target cost more each than fewer, in the
rule form, at approval and in a price import."""

import re

import sqlalchemy as sa

from portal.contracts.models import PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.support.contracts import acme_contract, rule_form, upload
from tests.support.web import login


def rules_count():
    return db.session.scalar(sa.select(sa.func.count(PriceRule.id)))


def director(app):
    seed_demo(history=False)
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    return client


def test_a_tier_dearer_per_unit_than_fewer_units_is_refused_in_the_rule_form(app):
    client = director(app)
    contract = acme_contract()  # NW-LT14: CNY 7,650.00 from 1 unit, 7,400.00 from 50
    before = rules_count()

    response = client.post(
        f"/staff/contracts/{contract.id}/rules/new",
        data=rule_form(sku="NW-LT14", kind="fixed", value="8100.00", min_quantity="20"),
    )

    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert (
        "Priced from 20 units at CN¥8,100.00, this target would cost more each than from 1 unit "
        "(CN¥7,650.00)" in text
    )
    assert rules_count() == before


def test_a_first_tier_cheaper_than_a_higher_one_is_refused_too(app):
    client = director(app)
    contract = acme_contract()
    rule = db.session.scalar(
        sa.select(PriceRule).where(
            PriceRule.contract_id == contract.id,
            PriceRule.min_quantity == 1,
            PriceRule.kind == "fixed",
            PriceRule.value == 7650,
        )
    )

    response = client.post(
        f"/staff/contracts/{contract.id}/rules/{rule.id}",
        data=rule_form(
            sku="NW-LT14", kind="fixed", value="7300.00", min_quantity="1", version=rule.version
        ),
    )

    assert response.status_code == 200
    assert b"a higher quantity needs a lower or equal unit price" in response.data
    db.session.expire_all()
    assert db.session.get(PriceRule, rule.id).value == 7650


def test_a_category_tier_with_a_smaller_discount_is_refused(app):
    client = director(app)
    contract = acme_contract()  # Services: 10% off from 1 unit

    response = client.post(
        f"/staff/contracts/{contract.id}/rules/new",
        data=rule_form(
            target="category", sku="", category="Services", value="5", min_quantity="20"
        ),
    )

    assert b"a higher quantity needs a lower or equal unit price" in response.data


def test_a_price_import_refuses_a_tier_dearer_than_fewer_units(app):
    client = director(app)
    contract = acme_contract()
    rows = (
        "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
        "NW-DOCK,fixed,750.00,CNY,1,,\n"
        "NW-DOCK,fixed,810.00,CNY,20,,\n"
        "NW-LT14,fixed,7000.00,CNY,100,,\n"  # cheaper than from 50: fine
    )

    checked = upload(client, f"/staff/contracts/{contract.id}/import", rows, check="1")

    assert b'data-import-valid="no"' in checked.data
    assert b'data-error-line="3"' in checked.data
    assert b'data-error-line="4"' not in checked.data
    assert b"a higher quantity needs a lower or equal unit price" in checked.data
