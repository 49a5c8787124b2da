"""The buyer's catalog: contract prices with list price, saving and volume breaks; the
product page explains its price; nothing of another account, nothing outside the contract's
assortment, nothing inactive."""

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests import factories
from tests.support.catalog import product, products_on
from tests.support.web import signed_in


@pytest.fixture
def demo():
    seed_demo(history=False)


def test_the_demo_buyer_sees_acmes_contract_prices_and_the_volume_break(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    page = client.get("/a/acme/catalog")
    assert page.status_code == 200
    cards = products_on(page.data)
    assert cards["NW-LT14"]["data-unit-price"] == "7650.00"
    assert cards["NW-LT14"]["data-list-price"] == "8999.00"
    assert cards["NW-MN27"]["data-unit-price"] == "2039.15"
    assert cards["NW-MN27"]["data-list-price"] == "2399.00"
    text = page.get_data(as_text=True)
    assert "from 50: CN¥7,400.00" in text
    assert "Save CN¥1,349.00 (15%)" in text


def test_services_are_ten_percent_off_for_acme_and_other_products_at_list(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    cards = products_on(client.get("/a/acme/catalog?q=NW-").data)
    cards |= products_on(client.get("/a/acme/catalog?q=NW-SVC3Y").data)
    assert cards["NW-SVC3Y"]["data-unit-price"] == "1080.00"
    assert cards["NW-DT7"]["data-unit-price"] == cards["NW-DT7"]["data-list-price"] == "5499.00"


def test_globex_sees_its_usd_prices(web, demo):
    client = signed_in(web, "buyer@globex.example", DEMO_PASSWORD)
    cards = products_on(client.get("/a/globex/catalog?q=NW-LT14").data)
    assert cards["NW-LT14"]["data-unit-price"] == "1099.12"  # 12% off 1249.00
    assert cards["NW-LT14"]["data-list-price"] == "1249.00"
    cards = products_on(client.get("/a/globex/catalog?q=NW-SRV2").data)
    assert cards["NW-SRV2"]["data-unit-price"] == "5900.00"


def test_the_product_page_explains_the_price_in_words(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    page = client.get("/a/acme/products/NW-LT14")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Contract NW-ACME-01: fixed price CN¥7,650.00 for NW-LT14" in text
    assert products_on(page.data)["NW-LT14"]["data-unit-price"] == "7650.00"
    assert 'data-min-quantity="50" data-tier-price="7400.00"' in text

    monitor = client.get("/a/acme/products/NW-MN27").get_data(as_text=True)
    assert "Contract NW-ACME-01: 15% off the list price CN¥2,399.00" in monitor


def test_a_product_without_a_rule_says_it_is_at_list_price(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    text = client.get("/a/acme/products/NW-DT7").get_data(as_text=True)
    assert "List price: contract NW-ACME-01 has no special price for this product." in text


def test_initechs_buyer_sees_the_countdown_of_a_contract_ending_in_20_days(web, demo):
    client = signed_in(web, "buyer@initech.example", DEMO_PASSWORD)
    for path in ("/a/initech/catalog", "/a/initech/"):
        text = client.get(path).get_data(as_text=True)
        assert "Your contract NW-INITECH-01 ends in 20 days (on " in text, path
        assert 'data-days-left="20"' in text


def test_no_countdown_while_the_contract_runs_for_months(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    for path in ("/a/acme/catalog", "/a/acme/"):
        assert b"contract-countdown" not in client.get(path).data


def test_the_landing_page_features_the_contracts_sku_products_at_their_prices(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    page = client.get("/a/acme/")
    text = page.get_data(as_text=True)
    assert "Featured contract products" in text
    cards = products_on(page.data)
    assert set(cards) == {"NW-LT14", "NW-MN27"}
    assert cards["NW-LT14"]["data-unit-price"] == "7650.00"
    assert cards["NW-MN27"]["data-unit-price"] == "2039.15"
    assert "/a/acme/catalog" in text


def test_the_landing_page_features_nothing_for_anonymous_visitors(web, demo):
    page = web.test_client().get("/a/acme/")
    assert page.status_code == 200
    assert b"Featured contract products" not in page.data
    assert products_on(page.data) == {}


def test_another_accounts_buyer_gets_404_on_acmes_catalog_and_products(web, demo):
    client = signed_in(web, "buyer@globex.example", DEMO_PASSWORD)
    for path in ("/a/acme/catalog", "/a/acme/products/NW-LT14"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"7,650" not in response.data
        assert b"Acme" not in response.data


def test_staff_cannot_open_the_buyer_catalog(web, editor, acme):
    assert signed_in(web, editor.email).get("/a/acme/catalog").status_code == 403


def test_unknown_and_inactive_products_are_404_and_inactive_ones_are_not_listed(web, acme, catalog):
    old = product("NW-OLD1", "Retired laptop", catalog["laptops"], "100.00", is_active=False)
    client = signed_in(web, acme["buyer"].email)
    assert client.get("/a/acme/products/NO-SUCH-SKU").status_code == 404
    assert client.get(f"/a/acme/products/{old.sku}").status_code == 404
    assert old.sku not in products_on(client.get("/a/acme/catalog").data)


def test_a_restricted_assortment_shows_only_what_the_contracts_rules_name(web, acme, catalog):
    acme["contract"].is_assortment_restricted = True
    db.session.commit()
    factories.PriceRuleFactory(
        contract=acme["contract"],
        product=None,
        category=catalog["services"],
        kind="percent_off",
        value=Decimal(10),
    )
    other = product("NW-LT15", "ProBook 15 laptop", catalog["laptops"], "9999.00")
    extra = product("NW-SVC5Y", "5-year on-site service", catalog["services"], "1800.00")
    client = signed_in(web, acme["buyer"].email)

    page = client.get("/a/acme/catalog")
    shown = products_on(page.data)
    assert set(shown) == {"NW-LT14", "NW-MN27", "NW-SVC3Y", "NW-SVC5Y"}
    assert b'data-total="4"' in page.data
    assert shown[extra.sku]["data-unit-price"] == "1620.00"
    assert client.get(f"/a/acme/products/{other.sku}").status_code == 404
    assert client.get(f"/a/acme/products/{extra.sku}").status_code == 200
    # the search cannot reach it either
    assert products_on(client.get("/a/acme/catalog?q=NW-LT15").data) == {}


@pytest.mark.date_sensitive
def test_rules_out_of_their_dates_do_not_open_a_restricted_assortment(web, acme, catalog):
    acme["contract"].is_assortment_restricted = True
    db.session.commit()
    later = product("NW-LT16", "ProBook 16 laptop", catalog["laptops"], "10999.00")
    factories.PriceRuleFactory(
        contract=acme["contract"],
        product=later,
        valid_from=acme["account"].local_date() + timedelta(days=10),
    )
    client = signed_in(web, acme["buyer"].email)
    assert later.sku not in products_on(client.get("/a/acme/catalog").data)
    assert client.get(f"/a/acme/products/{later.sku}").status_code == 404


def test_without_a_contract_in_force_the_catalog_says_so_instead_of_prices(web, catalog):
    account = factories.AccountFactory(slug="umbrella", name="Umbrella Corporation")
    buyer = factories.UserFactory(account=account, email="buyer@umbrella.example")
    client = signed_in(web, buyer.email)
    page = client.get("/a/umbrella/catalog")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "There is no contract in force for your account." in text
    cards = products_on(page.data)
    assert set(cards) == {"NW-LT14", "NW-MN27", "NW-SVC3Y"}
    assert all("data-unit-price" not in card for card in cards.values())
    product_page = client.get("/a/umbrella/products/NW-LT14").get_data(as_text=True)
    assert "There is no contract in force for your account." in product_page


@pytest.mark.date_sensitive
def test_an_expired_contract_shows_its_explanation(web, acme):
    # It ended yesterday where Acme is (the process's own date may already be Acme's tomorrow)
    today = acme["account"].local_date()
    acme["contract"].valid_to = today - timedelta(days=1)
    acme["contract"].valid_from = today - timedelta(days=100)
    db.session.commit()
    text = signed_in(web, acme["buyer"].email).get("/a/acme/catalog").get_data(as_text=True)
    assert "Your contract is not in force today." in text
    assert "data-unit-price" not in text


def test_buyers_search_by_name_or_sku_with_wildcards_taken_literally(web, acme, catalog):
    product("NW-PCT", "100% recycled sleeve", catalog["laptops"], "99.00")
    product("NW_UND", "Under_score cable", catalog["laptops"], "19.00")
    client = signed_in(web, acme["buyer"].email)
    assert set(products_on(client.get("/a/acme/catalog?q=%25").data)) == {"NW-PCT"}
    assert set(products_on(client.get("/a/acme/catalog?q=_").data)) == {"NW_UND"}
    assert set(products_on(client.get("/a/acme/catalog?q=probook").data)) == {"NW-LT14"}
    for hostile in ("'", "\\", "%' OR 1=1 --", '"'):
        response = client.get("/a/acme/catalog", query_string={"q": hostile})
        assert response.status_code == 200, hostile
        assert products_on(response.data) == {}, hostile


def test_the_category_filter_limits_the_page(web, acme, catalog):
    client = signed_in(web, acme["buyer"].email)
    page = client.get(f"/a/acme/catalog?category={catalog['monitors'].id}")
    assert set(products_on(page.data)) == {"NW-MN27"}
    assert client.get("/a/acme/catalog?category=nonsense").status_code == 200


def test_the_catalog_pages_by_24(web, acme, catalog):
    for n in range(30):
        product(f"NW-ACX{n:02d}", f"Accessory {n:02d}", catalog["services"], "10.00")
    client = signed_in(web, acme["buyer"].email)
    first = client.get("/a/acme/catalog")
    second = client.get("/a/acme/catalog?page=2")
    beyond = client.get("/a/acme/catalog?page=99")
    assert len(products_on(first.data)) == 24
    assert len(products_on(second.data)) == 33 - 24
    assert products_on(beyond.data) == products_on(second.data)  # the last page
    assert not set(products_on(first.data)) & set(products_on(second.data))
    assert b"25\xe2\x80\x9333 of 33" in second.data
    assert client.get("/a/acme/catalog?page=-3").status_code == 200


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_a_hostile_product_name_renders_escaped_everywhere(web, acme, catalog, editor, name):
    factories.PriceRuleFactory(
        contract=acme["contract"],
        product=product("NW-XSS", name, catalog["laptops"], "10.00"),
    )
    buyer = signed_in(web, acme["buyer"].email)
    staff = signed_in(web, editor.email)
    pages = [
        buyer.get("/a/acme/catalog"),
        buyer.get("/a/acme/products/NW-XSS"),
        buyer.get("/a/acme/"),
        staff.get("/staff/catalog"),
        staff.get("/staff/catalog/NW-XSS"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert b"<script>alert(1)</script>" not in page.data
        assert b"<img src=x" not in page.data
        assert b"&lt;" in page.data
