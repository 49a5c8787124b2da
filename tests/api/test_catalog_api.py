"""The buyer's catalog, price quotes and cart in the API: the prices, reasons and refusals of
the catalog and cart pages (the shop: tests/fixtures/shop.py)."""

from decimal import Decimal

import pytest

from portal.core.money import Money
from portal.extensions import db
from portal.tax import services as tax
from tests import factories
from tests.support.api import bearer, issue_token
from tests.support.api_answers import assert_documented
from tests.support.cart import cart_of, priced_product
from tests.support.web import count_queries


@pytest.fixture
def reader(shop):
    return bearer(issue_token(shop.buyer))


@pytest.fixture
def orderer(shop):
    return bearer(issue_token(shop.buyer, scopes=("read", "order")))


def net_of(amount: str) -> str:
    """The net of a VAT-included price at the standard goods rate, by the tax rule."""
    rate = tax.rates_on(factories.AccountFactory.build().local_date()).rate("goods")
    return str(tax.tax_line(Money(Decimal(amount), "CNY"), rate).net.amount)


def by_sku(answer) -> dict:
    return {item["sku"]: item for item in answer.get_json()["data"]}


def test_the_catalog_shows_contract_prices_how_they_were_reached_and_vat(client, shop, reader):
    answer = client.get("/api/v1/catalog", headers=reader)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert_documented(client, answer, "/api/v1/catalog", "get")
    body = answer.get_json()
    assert body["contract_number"] == "NW-ACME-01" and body["total"] == 2
    laptop = by_sku(answer)["NW-LT14"]
    assert laptop["name_en"] == "ProBook 14 laptop"
    assert laptop["list_price"] == {"amount": "8999.00", "currency": "CNY"}
    assert laptop["contract_price"] == {"amount": "7650.00", "currency": "CNY"}
    assert laptop["contract_price_net"]["amount"] == net_of("7650.00")
    assert laptop["vat_rate_percent"] == "13"
    rule = laptop["price_rule"]
    assert (rule["basis"], rule["kind"], rule["value"], rule["target"]) == (
        "contract_rule",
        "fixed",
        "7650",
        "sku",
    )
    assert rule["valid_to"] == shop.contract.valid_to.isoformat()
    assert "NW-ACME-01" in rule["explanation"]
    assert laptop["tiers"] == [
        {"min_quantity": 50, "unit_price": {"amount": "7400.00", "currency": "CNY"}}
    ]
    monitor = by_sku(answer)["NW-MN27"]
    assert monitor["price_rule"]["kind"] == "percent_off"
    assert monitor["contract_price"]["amount"] == "2039.15"  # 15% off 2,399.00


def test_the_catalog_searches_and_pages(client, shop, reader):
    answer = client.get("/api/v1/catalog?q=monitor", headers=reader)
    assert list(by_sku(answer)) == ["NW-MN27"]
    first = client.get("/api/v1/catalog?per_page=1", headers=reader).get_json()
    second = client.get("/api/v1/catalog?per_page=1&page=2", headers=reader).get_json()
    assert (first["pages"], len(first["data"]), len(second["data"])) == (2, 1, 1)
    assert first["data"][0]["sku"] != second["data"][0]["sku"]
    bad = client.get("/api/v1/catalog?per_page=0", headers=reader)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "query.per_page"


def test_one_product_and_a_sku_outside_the_contract_is_404(client, shop, reader):
    priced_product("NW-OTHER")
    shop.contract.is_assortment_restricted = True
    db.session.commit()

    answer = client.get("/api/v1/catalog/NW-LT14", headers=reader)
    assert answer.status_code == 200
    assert_documented(client, answer, "/api/v1/catalog/<sku>", "get")
    assert answer.get_json()["contract_price"]["amount"] == "7650.00"
    for sku in ("NW-OTHER", "NO-SUCH"):
        missing = client.get(f"/api/v1/catalog/{sku}", headers=reader)
        assert missing.status_code == 404
        assert_documented(client, missing, "/api/v1/catalog/<sku>", "get")


def test_another_accounts_buyer_sees_no_contract_price(client, shop):
    stranger = factories.UserFactory(account=factories.AccountFactory(slug="globex"))
    db.session.commit()
    answer = client.get("/api/v1/catalog/NW-LT14", headers=bearer(issue_token(stranger)))
    assert answer.status_code == 200  # an open catalog, but not Acme's price
    assert answer.get_json()["contract_price"] is None
    assert answer.get_json()["orderable"] is False


def test_catalog_pages_cost_a_constant_number_of_queries(client, shop, reader):
    def statements(per_page):
        with count_queries() as seen:
            answer = client.get(f"/api/v1/catalog?per_page={per_page}", headers=reader)
        assert len(answer.get_json()["data"]) == per_page
        return len(seen)

    for n in range(28):
        priced_product(f"NW-Q{n:02d}")
    db.session.commit()
    statements(3)  # the token's first use is recorded once
    assert statements(3) == statements(30)


def test_prices_are_quoted_per_line_with_vat_and_totals(client, shop, reader):
    answer = client.post(
        "/api/v1/prices",
        json={"lines": [{"sku": "nw-lt14", "quantity": "５０"}, {"sku": "NW-MN27", "quantity": 2}]},
        headers=reader,
    )

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert_documented(client, answer, "/api/v1/prices", "post")
    laptop, monitor = answer.get_json()["lines"]
    assert (laptop["sku"], laptop["quantity"]) == ("NW-LT14", 50)
    assert laptop["unit_price"]["amount"] == "7400.00"  # the volume break from 50
    assert laptop["price_rule"]["min_quantity"] == 50
    assert laptop["gross"]["amount"] == "370000.00"
    assert laptop["net"]["amount"] == net_of("370000.00")
    assert Decimal(laptop["net"]["amount"]) + Decimal(laptop["vat"]["amount"]) == Decimal("370000")
    assert monitor["gross"]["amount"] == "4078.30"
    totals = answer.get_json()["totals"]
    assert totals["gross"]["amount"] == "374078.30"
    assert Decimal(totals["net"]["amount"]) + Decimal(totals["vat"]["amount"]) == Decimal(
        "374078.30"
    )


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"sku": "NW-LT14", "quantity": "1,5"}], "body.lines.0.quantity"),
        ([{"sku": "NW-LT14", "quantity": "2.5"}], "body.lines.0.quantity"),
        ([{"sku": "NW-LT14", "quantity": 0}], "body.lines.0.quantity"),
        ([{"sku": "NW-LT14", "quantity": 100000}], "body.lines.0.quantity"),
        (
            [{"sku": "NW-LT14", "quantity": 1}, {"sku": "NO-SUCH", "quantity": 1}],
            "body.lines.1.sku",
        ),
        ([{"sku": "NW-LT14", "quantity": 1.5}], "body.lines.0.quantity"),
    ],
)
def test_a_line_that_cannot_be_priced_is_422_naming_the_line(client, shop, reader, lines, field):
    answer = client.post("/api/v1/prices", json={"lines": lines}, headers=reader)

    assert answer.status_code == 422
    assert_documented(client, answer, "/api/v1/prices", "post")
    fields = [error["field"] for error in answer.get_json()["errors"]]
    assert field in fields, fields


def test_a_product_outside_the_assortment_is_refused_with_the_reason(client, shop, reader):
    priced_product("NW-OTHER")
    shop.contract.is_assortment_restricted = True
    db.session.commit()
    answer = client.post(
        "/api/v1/prices", json={"lines": [{"sku": "NW-OTHER", "quantity": 1}]}, headers=reader
    )
    assert answer.status_code == 422
    [error] = answer.get_json()["errors"]
    assert error["field"] == "body.lines.0.sku" and "assortment" in error["message"]


def test_the_cart_through_the_api(client, shop, orderer):
    added = client.post(
        "/api/v1/cart/lines", json={"sku": "NW-LT14", "quantity": "２"}, headers=orderer
    )
    assert added.status_code == 201, added.get_data(as_text=True)
    assert_documented(client, added, "/api/v1/cart/lines", "post")
    assert cart_of(shop.buyer) == {"NW-LT14": 2}
    client.post("/api/v1/cart/lines", json={"sku": "NW-LT14", "quantity": 1}, headers=orderer)
    assert cart_of(shop.buyer) == {"NW-LT14": 3}

    changed = client.put("/api/v1/cart/lines/NW-LT14", json={"quantity": 5}, headers=orderer)
    assert changed.status_code == 200
    assert_documented(client, changed, "/api/v1/cart/lines/<sku>", "put")
    [line] = changed.get_json()["lines"]
    assert (line["quantity"], line["line_total"]["amount"]) == (5, "38250.00")
    assert changed.get_json()["totals"]["gross"]["amount"] == "38250.00"

    shown = client.get("/api/v1/cart", headers=orderer)
    assert_documented(client, shown, "/api/v1/cart", "get")
    assert shown.get_json() == changed.get_json()

    removed = client.delete("/api/v1/cart/lines/NW-LT14", headers=orderer)
    assert removed.status_code == 204
    assert_documented(client, removed, "/api/v1/cart/lines/<sku>", "delete")
    assert cart_of(shop.buyer) == {}


def test_cart_refusals_change_nothing(client, shop, orderer):
    client.post("/api/v1/cart/lines", json={"sku": "NW-LT14", "quantity": 2}, headers=orderer)
    for body in ({"sku": "NW-LT14", "quantity": "1,5"}, {"sku": "NO-SUCH", "quantity": 1}):
        answer = client.post("/api/v1/cart/lines", json=body, headers=orderer)
        assert answer.status_code == 422
        assert_documented(client, answer, "/api/v1/cart/lines", "post")
    bad = client.put("/api/v1/cart/lines/NW-LT14", json={"quantity": "1,5"}, headers=orderer)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "body.quantity"
    absent = client.put("/api/v1/cart/lines/NW-MN27", json={"quantity": 1}, headers=orderer)
    assert absent.status_code == 404
    assert cart_of(shop.buyer) == {"NW-LT14": 2}


def test_a_read_only_token_cannot_change_the_cart(client, shop, reader):
    answer = client.post(
        "/api/v1/cart/lines", json={"sku": "NW-LT14", "quantity": 1}, headers=reader
    )
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "insufficient_scope"
    assert cart_of(shop.buyer) == {}
    assert client.get("/api/v1/cart", headers=reader).status_code == 200


def test_staff_are_refused_the_buyers_catalog(client, shop):
    staff = factories.StaffFactory()
    db.session.commit()
    answer = client.get("/api/v1/catalog", headers=bearer(issue_token(staff)))
    assert answer.status_code == 403
