"""The contract screens as staff use them: proposals, approvals, conflicts."""

import re
from decimal import Decimal

import sqlalchemy as sa

from portal.contracts.models import Contract, PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.support.contracts import acme_contract, acme_price, rule_form, upload
from tests.support.web import input_value, login


def test_an_admins_20_percent_waits_for_the_manager_and_the_admin_cannot_approve(app):
    seed_demo(history=False)
    contract = acme_contract()
    admin, manager = app.test_client(), app.test_client()
    login(admin, "admin@northwind.example", DEMO_PASSWORD)
    login(manager, "manager@northwind.example", DEMO_PASSWORD)

    response = admin.post(f"/staff/contracts/{contract.id}/rules/new", data=rule_form())
    assert response.status_code == 302
    assert acme_price("NW-DT7") == Decimal("5499.00")  # the old price stays in force
    proposal = db.session.scalar(
        sa.select(PriceRule).where(PriceRule.status == "proposed").order_by(PriceRule.id.desc())
    )

    page = admin.get("/staff/approvals")
    assert f'data-proposal-id="{proposal.id}"'.encode() in page.data
    assert b'name="approve"' not in page.data  # no buttons for the admin
    refused = admin.post(f"/staff/approvals/{proposal.id}", data={"comment": "ok", "approve": "1"})
    assert refused.status_code == 403
    assert acme_price("NW-DT7") == Decimal("5499.00")

    page = manager.get("/staff/approvals")
    assert b'name="approve"' in page.data
    done = manager.post(
        f"/staff/approvals/{proposal.id}", data={"comment": "Strategic tender", "approve": "1"}
    )
    assert done.status_code == 302
    assert acme_price("NW-DT7") == Decimal("4399.20")
    history = admin.get(f"/staff/contracts/{contract.id}").data
    assert b"price_rule.propose" in history and b"price_rule.approve" in history
    assert b"Strategic tender" in history


def test_a_rule_form_with_bad_input_says_what_is_wrong_and_saves_nothing(app):
    seed_demo(history=False)
    contract = acme_contract()
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    before = db.session.scalar(sa.select(sa.func.count(PriceRule.id)))
    for bad, message in [
        ({"sku": "NO-SUCH"}, b"There is no product NO-SUCH"),
        ({"value": "abc"}, "“abc” is not a percentage".encode()),
        ({"value": "-3"}, b"more than 0"),
        (
            {"kind": "fixed", "target": "category", "sku": "", "category": "Laptops"},
            b"fixed prices are set per SKU",
        ),
        ({"sku": "NW-LT14", "kind": "fixed", "value": "7000.00"}, b"Another rule"),
        ({"reason": ""}, b"This field is required"),
    ]:
        response = client.post(f"/staff/contracts/{contract.id}/rules/new", data=rule_form(**bad))
        assert response.status_code == 200, bad
        assert message in response.data, bad
    assert db.session.scalar(sa.select(sa.func.count(PriceRule.id))) == before


def test_two_staff_saving_one_rule_the_second_gets_a_conflict_page(app):
    seed_demo(history=False)
    contract = acme_contract()
    rule = db.session.scalar(
        sa.select(PriceRule).where(
            PriceRule.contract_id == contract.id,
            PriceRule.kind == "percent_off",
            PriceRule.product_id.is_not(None),
        )
    )
    first, second = app.test_client(), app.test_client()
    login(first, "manager@northwind.example", DEMO_PASSWORD)
    login(second, "director@northwind.example", DEMO_PASSWORD)
    url = f"/staff/contracts/{contract.id}/rules/{rule.id}"
    assert first.get(url).status_code == second.get(url).status_code == 200
    seen = str(rule.version)
    form = rule_form(sku="NW-MN27", version=seen)
    assert first.post(url, data={**form, "value": "16"}).status_code == 302
    response = second.post(url, data={**form, "value": "17"})
    assert response.status_code == 409
    assert b"changed by someone else" in response.data
    assert acme_price("NW-MN27") == Decimal("2015.16")  # 16% off 2399.00: the first save


def test_the_contract_page_counts_down_the_last_30_days(app):
    seed_demo(history=False)
    client = app.test_client()
    login(client, "inside@northwind.example", DEMO_PASSWORD)
    initech = db.session.scalar(sa.select(Contract).where(Contract.number == "NW-INITECH-01"))
    page = client.get(f"/staff/contracts/{initech.id}").data
    assert b'data-days-left="20"' in page
    acme = client.get(f"/staff/contracts/{acme_contract().id}").data
    assert b"data-days-left" not in acme


def test_deciders_see_waiting_proposals_on_their_dashboard_but_not_their_own(app):
    seed_demo(history=False)
    contract = acme_contract()
    admin, manager = app.test_client(), app.test_client()
    login(admin, "admin@northwind.example", DEMO_PASSWORD)
    login(manager, "manager@northwind.example", DEMO_PASSWORD)
    assert b'data-proposals-waiting="1"' in manager.get("/staff/").data  # the demo's own
    admin.post(f"/staff/contracts/{contract.id}/rules/new", data=rule_form())
    assert b'data-proposals-waiting="2"' in manager.get("/staff/").data
    assert b"data-proposals-waiting" not in admin.get("/staff/").data  # not a decider


def test_a_price_import_shows_every_bad_row_and_applies_nothing(app):
    seed_demo(history=False)
    contract = acme_contract()
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    before = db.session.scalar(sa.select(sa.func.count(PriceRule.id)))
    bad = (
        "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
        "NW-DT7,percent_off,5,,1,,\n"
        "NO-SUCH-SKU,fixed,10.00,CNY,1,,\n"
        "NW-DOCK,fixed,-5,CNY,1,,\n"
        "NW-DOCK,fixed,800.00,USD,1,,\n"
        "NW-DOCK,percent_off,abc,,1,,\n"
    )
    response = upload(client, f"/staff/contracts/{contract.id}/import", bad, check="1")
    assert response.status_code == 200
    assert b'data-import-valid="no"' in response.data
    for line in (3, 4, 5, 6):
        assert f'data-error-line="{line}"'.encode() in response.data
    assert b'data-error-line="2"' not in response.data
    assert b'name="apply"' not in response.data
    assert db.session.scalar(sa.select(sa.func.count(PriceRule.id))) == before


def test_a_clean_price_import_is_checked_then_applied_whole(app):
    seed_demo(history=False)
    contract = acme_contract()
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    url = f"/staff/contracts/{contract.id}/import"
    good = (
        "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
        "NW-DT7,percent_off,5,,1,,\n"
        "NW-DOCK,fixed,800.00,CNY,10,,\n"
    )
    checked = upload(client, url, good, check="1")
    assert b'data-import-valid="yes"' in checked.data
    # The preview counts what it would do: two new rules, nothing else.
    page = checked.get_data(as_text=True)
    for label, count in (("new", 2), ("changed", 0), ("for approval", 0), ("with errors", 0)):
        assert f">{label}: {count}</span>" in page
    assert acme_price("NW-DT7") == Decimal("5499.00")  # checking writes nothing
    hidden = dict(re.findall(rb'name="(checked|state)" value="([^"]*)"', checked.data))
    applied = client.post(
        url,
        data={
            "checked": hidden[b"checked"].decode(),
            "state": hidden[b"state"].decode(),
            "reason": "Q1 price list",
            "apply": "1",
        },
    )
    assert applied.status_code == 302
    assert acme_price("NW-DT7") == Decimal("5224.05")
    exported = client.get(f"/staff/contracts/{contract.id}/rules.csv")
    assert exported.mimetype == "text/csv"
    assert b"NW-DT7,percent_off,5" in exported.data


def test_the_import_preview_lists_old_and_new_for_every_changed_rule(app):
    seed_demo(history=False)
    contract = acme_contract()
    client = app.test_client()
    login(client, "director@northwind.example", DEMO_PASSWORD)
    changes = (
        "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
        "NW-LT14,fixed,7600.00,CNY,1,,\n"  # 7,650.00 in force: changed
        "NW-MN27,percent_off,45,,1,,\n"  # 15% in force; 45% is beyond the director's 40%
        "NW-DOCK,fixed,800.00,CNY,10,,\n"  # new
    )

    checked = upload(client, f"/staff/contracts/{contract.id}/import", changes, check="1")

    page = checked.get_data(as_text=True)
    assert 'data-import-valid="yes"' in page
    rows = {
        line: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
        for line, text in re.findall(r'data-change-line="(\d+)">(.*?)</tr>', page, re.S)
    }
    assert set(rows) == {"2", "3"}  # the new rule changes no price in force
    assert "CN¥7,650.00 CN¥7,600.00" in rows["2"]
    assert "15% off list 45% off list for approval" in rows["3"]
    assert "built-in method" not in page


# Numbers as staff type them (core.numbers): a point for decimals, commas only between
# thousands, no exponents, full-width forms read plain; shown in the currency's decimals

DECIMAL_COMMA = "use a point for decimals and type"


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
    seed_demo(history=False)
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
    seed_demo(history=False)
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
    seed_demo(history=False)
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
    assert input_value(page, "value") == "7650.00"


def test_a_credit_limit_is_shown_for_editing_in_the_currencys_decimals(app):
    seed_demo(history=False)
    contract = acme_contract()
    page = director(app).get(f"/staff/contracts/{contract.id}/edit")
    assert input_value(page, "credit_limit") == "500000.00"


def test_a_credit_limit_beyond_the_column_or_typed_wrong_is_refused_with_a_message(app):
    seed_demo(history=False)
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
    seed_demo(history=False)
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
