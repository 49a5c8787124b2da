"""The pricing engine: resolution as DESIGN.md says, the demo's prices to the cent, and a
constant number of queries however many lines."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.accounts.models import KeyAccount
from portal.contracts import pricing
from portal.contracts.pricing import Rule, resolve, unit_price
from portal.core.money import Money
from portal.demo import seed_demo
from portal.extensions import db
from tests import factories
from tests.support.web import count_queries

PRODUCT, CATEGORY = 7, 3


def sku_rule(id, min_quantity=1, kind="fixed", value="90"):
    return Rule(id, PRODUCT, None, kind, Decimal(value), min_quantity, None, None)


def category_rule(id, min_quantity=1, value="10"):
    return Rule(id, None, CATEGORY, "percent_off", Decimal(value), min_quantity, None, None)


@pytest.mark.parametrize(
    ("rules", "quantity", "expected"),
    [
        ([], 1, None),
        ([sku_rule(1)], 1, 1),
        ([category_rule(1)], 1, 1),
        ([category_rule(1), sku_rule(2)], 1, 2),  # a SKU rule beats a category rule
        ([category_rule(1, min_quantity=1), sku_rule(2, min_quantity=10)], 5, 1),  # unmet
        ([category_rule(1, min_quantity=20), sku_rule(2, min_quantity=10)], 30, 2),  # SKU wins
        ([sku_rule(1), sku_rule(2, min_quantity=50)], 49, 1),
        ([sku_rule(1), sku_rule(2, min_quantity=50)], 50, 2),  # highest tier met
        ([sku_rule(1), sku_rule(2, min_quantity=50), sku_rule(3, min_quantity=100)], 99, 2),
        ([Rule(1, 99, None, "fixed", Decimal(1), 1, None, None)], 1, None),  # other product
        ([Rule(1, None, 99, "percent_off", Decimal(5), 1, None, None)], 1, None),  # other cat.
    ],
)
def test_resolution_follows_the_design(rules, quantity, expected):
    chosen = resolve(rules, CATEGORY, PRODUCT, quantity)
    assert (chosen.id if chosen else None) == expected


@pytest.mark.parametrize(
    ("rule", "list_amount", "currency", "expected"),
    [
        (None, Decimal("899.00"), "CNY", Decimal("899.00")),
        (None, None, "CNY", None),
        (sku_rule(1, value="7650.00"), Decimal("8999.00"), "CNY", Decimal("7650.00")),
        (sku_rule(1, value="7650.00"), None, "CNY", Decimal("7650.00")),
        (
            sku_rule(1, kind="percent_off", value="15"),
            Decimal("2399.00"),
            "CNY",
            Decimal("2039.15"),
        ),
        (
            sku_rule(1, kind="percent_off", value="12"),
            Decimal("1249.00"),
            "USD",
            Decimal("1099.12"),
        ),
        (sku_rule(1, kind="percent_off", value="33.33"), Decimal("10.00"), "USD", Decimal("6.67")),
        (sku_rule(1, kind="percent_off", value="50"), Decimal("0.05"), "USD", Decimal("0.03")),
        (sku_rule(1, kind="percent_off", value="10"), Decimal("1005"), "JPY", Decimal("905")),
        (sku_rule(1, kind="percent_off", value="10"), None, "CNY", None),
    ],
)
def test_unit_prices_are_rounded_half_up_to_the_currency(rule, list_amount, currency, expected):
    assert unit_price(rule, list_amount, currency) == expected


def demo_price(slug, sku, quantity=1, on=None):
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == slug))
    line = pricing.price_lines(account.id, [(sku, quantity)], on or date.today()).lines[0]
    return line


#: (account, SKU, quantity, unit price, currency) as the design gives them.
DEMO_PRICES = [
    ("acme", "NW-LT14", 1, "7650.00", "CNY"),
    ("acme", "NW-LT14", 49, "7650.00", "CNY"),
    ("acme", "NW-LT14", 50, "7400.00", "CNY"),
    ("acme", "NW-MN27", 1, "2039.15", "CNY"),
    ("acme", "NW-SVC3Y", 1, "1080.00", "CNY"),
    ("acme", "NW-DT7", 1, "5499.00", "CNY"),
    ("acme", "NW-SRV2", 3, "48000.00", "CNY"),
    ("globex", "NW-LT14", 1, "1099.12", "USD"),
    ("globex", "NW-SRV2", 1, "5900.00", "USD"),
    ("globex", "NW-MN27", 1, "329.00", "USD"),
    ("initech", "NW-LT14", 1, "8279.08", "CNY"),
    ("initech", "NW-SRV2", 1, "44160.00", "CNY"),
    ("initech", "NW-DOCK", 1, "827.08", "CNY"),
    ("lotus", "NW-SRV2", 1, "42000.00", "CNY"),
    ("lotus", "NW-LT14", 1, "8999.00", "CNY"),
]


def test_the_demo_prices_match_the_design_to_the_cent():
    # The demo is seeded once for all the cases (each seeding costs a sixth of a second)
    seed_demo(history=False)
    expected, priced = [], []
    for slug, sku, quantity, unit, currency in DEMO_PRICES:
        line = demo_price(slug, sku, quantity)
        expected.append((slug, sku, quantity, Decimal(unit), currency, Decimal(unit) * quantity))
        price = line.unit_price
        priced.append((slug, sku, quantity, price.amount, price.currency, line.line_total.amount))
    assert priced == expected


@pytest.mark.date_sensitive
def test_acmes_quick_order_example_totals_17339_15():
    seed_demo(history=False)
    acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    result = pricing.price_lines(acme.id, [("NW-LT14", 2), ("NW-MN27", 1)], date.today())
    assert str(result.total.amount) == "17339.15"
    assert result.total.currency == "CNY"
    lt14 = result.lines[0]
    assert lt14.list_price.amount == Decimal("8999.00")
    assert lt14.saving.amount == Decimal("2698.00")


def test_each_line_says_why_it_has_its_price(app):
    seed_demo(history=False)
    with app.test_request_context():
        acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
        result = pricing.price_lines(
            acme.id, [("NW-LT14", 50), ("NW-SVC3Y", 1), ("NW-DT7", 1), ("NOPE", 1)], date.today()
        )
        texts = [pricing.explain(line, result.terms) for line in result.lines]
    assert texts[0].startswith("Contract NW-ACME-01: fixed price CN¥7,400.00 for NW-LT14")
    assert "from 50 units on a line" in texts[0]
    assert "10% off the list price CN¥1,200.00 for every Services product" in texts[1]
    assert texts[2] == "List price: contract NW-ACME-01 has no special price for this product."
    assert texts[3] == "There is no product with this number."


def test_catalog_pricing_lists_the_volume_breaks():
    seed_demo(history=False)
    acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    line = pricing.price_products(acme.id, ["NW-LT14"], date.today()).lines[0]
    assert [(t.min_quantity, str(t.unit_price.amount)) for t in line.tiers] == [(50, "7400.00")]


def test_a_priced_line_carries_its_unit_list_total_and_saving():
    contract = factories.ContractFactory()
    ruled = factories.ListPriceFactory(amount=Decimal("200.00")).product
    factories.PriceRuleFactory(contract=contract, product=ruled, value=Decimal("15"))
    listed = factories.ListPriceFactory(amount=Decimal("80.00")).product
    unlisted = factories.ProductFactory()
    factories.PriceRuleFactory(
        contract=contract, product=unlisted, kind="fixed", value=Decimal("55.00")
    )
    unpriced = factories.ProductFactory()
    lines = [(ruled.sku, 3), (listed.sku, 2), (unlisted.sku, 4), (unpriced.sku, 1)]

    result = pricing.price_lines(contract.account_id, lines, date.today())

    def cny(amount):
        return Money(Decimal(amount), "CNY")

    def prices(line):
        return line.unit_price, line.list_price, line.line_total, line.saving

    by_rule, at_list, without_list, without_price = result.lines
    assert prices(by_rule) == (cny("170.00"), cny("200.00"), cny("510.00"), cny("90.00"))
    assert (by_rule.item.id, by_rule.rule.kind) == (ruled.id, "percent_off")
    assert prices(at_list) == (cny("80.00"), cny("80.00"), cny("160.00"), cny("0"))
    assert at_list.rule is None
    assert prices(without_list) == (cny("55.00"), None, cny("220.00"), cny("0"))
    assert prices(without_price) == (None, None, None, None)
    assert without_price.no_price_reason == pricing.NO_LIST_PRICE
    assert [line.has_price for line in result.lines] == [True, True, True, False]


@pytest.mark.date_sensitive
def test_rules_outside_their_own_validity_do_not_apply():
    rule = factories.PriceRuleFactory(
        kind="fixed",
        value=Decimal("50.00"),
        valid_from=date.today() + timedelta(days=10),
    )
    factories.ListPriceFactory(product=rule.product, amount=Decimal("100.00"))
    line = pricing.price_lines(rule.account_id, [(rule.product.sku, 1)], date.today()).lines[0]
    assert line.unit_price.amount == Decimal("100.00")
    later = date.today() + timedelta(days=10)
    line = pricing.price_lines(rule.account_id, [(rule.product.sku, 1)], later).lines[0]
    assert line.unit_price.amount == Decimal("50.00")


@pytest.mark.date_sensitive
def test_proposed_rules_are_not_in_force():
    rule = factories.PriceRuleFactory(status="proposed", value=Decimal("20"))
    factories.ListPriceFactory(product=rule.product, amount=Decimal("100.00"))
    line = pricing.price_lines(rule.account_id, [(rule.product.sku, 1)], date.today()).lines[0]
    assert line.unit_price.amount == Decimal("100.00")


@pytest.mark.date_sensitive
def test_an_expired_contract_prices_nothing():
    contract = factories.ContractFactory(
        valid_to=date.today() - timedelta(days=1), valid_from=date.today() - timedelta(days=100)
    )
    product = factories.ListPriceFactory().product
    line = pricing.price_lines(contract.account_id, [(product.sku, 1)], date.today()).lines[0]
    assert not line.has_price
    assert line.no_price_reason == pricing.CONTRACT_NOT_IN_FORCE


@pytest.mark.date_sensitive
def test_a_restricted_assortment_prices_only_what_the_rules_name():
    rule = factories.PriceRuleFactory(contract__is_assortment_restricted=True)
    factories.ListPriceFactory(product=rule.product)
    other = factories.ListPriceFactory().product
    result = pricing.price_lines(
        rule.account_id, [(rule.product.sku, 1), (other.sku, 1)], date.today()
    )
    assert result.lines[0].has_price
    assert result.lines[1].no_price_reason == pricing.NOT_IN_ASSORTMENT


@pytest.mark.parametrize("size", [10, 100])
def test_pricing_issues_three_queries_however_many_lines(size):
    contract = factories.ContractFactory()
    lines = []
    for _ in range(size):
        price = factories.ListPriceFactory()
        factories.PriceRuleFactory(contract=contract, product=price.product)
        lines.append((price.product.sku, 2))
    with count_queries() as statements:
        result = pricing.price_lines(contract.account_id, lines, date.today())
    assert len(statements) == 3
    assert all(line.has_price for line in result.lines)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2),
            st.integers(min_value=1, max_value=10_000),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_an_order_total_is_the_sum_of_its_rounded_lines(lines):
    """SECURITY.md 41: every line is rounded once; the total adds the rounded lines."""
    from portal.core.money import Money, quantize

    total = Money(Decimal(0), "CNY")
    for list_amount, percent, quantity in lines:
        rule = sku_rule(1, kind="percent_off", value=str(percent))
        unit = unit_price(rule, list_amount, "CNY")
        assert unit == quantize(unit, "CNY")
        line_total = Money(quantize(unit * quantity, "CNY"), "CNY")
        assert line_total.amount == unit * quantity  # exact: unit already has 2 decimals
        total += line_total
    assert total.amount == sum(
        quantize(unit_price(sku_rule(1, kind="percent_off", value=str(p)), a, "CNY") * q, "CNY")
        for a, p, q in lines
    )
