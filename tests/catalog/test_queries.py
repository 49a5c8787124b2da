"""The buyer's catalog page costs a constant number of SQL statements: the same for 10 or 100
products on the page and for 1,000 or 100,000 products in the catalog (DESIGN.md section 7).
Relationships are lazy="raise", so an accidental per-row load would fail loudly instead."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.catalog.models import Category, ListPrice, Product
from portal.contracts import queries
from portal.contracts.models import PriceRule
from portal.core.db import utcnow
from portal.extensions import db
from tests import factories
from tests.support.web import count_queries, login


def bulk_products(count: int, categories: list[Category], start: int = 0) -> None:
    """`count` active products BULK-<start>.. spread over the categories, each with a CNY list
    price. The database makes the rows (INSERT ... SELECT over a recursive series of numbers,
    in two statements): sending 100,000 rows from Python took seconds."""
    now = sa.literal(utcnow(), type_=Product.created_at.type)
    n = sa.select(sa.literal(start, type_=sa.Integer).label("i")).cte("n", recursive=True)
    n = n.union_all(sa.select(n.c.i + 1).where(n.c.i < start + count - 1))
    padded = sa.func.substr(sa.cast(1_000_000 + n.c.i, sa.Text), 2)  # 000042, as f"{n:06d}"
    category = sa.case(
        {k: category.id for k, category in enumerate(categories)}, value=n.c.i % len(categories)
    )
    db.session.execute(
        sa.insert(Product).from_select(
            ["sku", "name", "description", "category_id", "unit", "is_active"]
            + ["created_at", "updated_at"],
            sa.select(
                sa.literal("BULK-") + padded,
                sa.literal("Bulk product ") + padded,
                sa.literal(""),
                category,
                sa.literal("each"),
                sa.true(),
                now,
                now,
            ),
        )
    )
    db.session.execute(
        sa.insert(ListPrice).from_select(
            ["product_id", "currency", "amount", "created_at", "updated_at"],
            sa.select(
                Product.id,
                sa.literal("CNY"),
                sa.literal(Decimal("100.00"), type_=ListPrice.amount.type),
                now,
                now,
            ).where(Product.sku.like("BULK-%"), Product.id.not_in(sa.select(ListPrice.product_id))),
        )
    )
    db.session.commit()


@pytest.fixture
def shop():
    """Acme with a contract that prices a whole category, a SKU (with a volume break) and
    leaves the rest at list; a signed-in buyer."""
    with factories.committed_once():
        categories = [factories.CategoryFactory(name=f"Category {n}", position=n) for n in range(3)]
        account = factories.AccountFactory(slug="acme")
        contract = factories.ContractFactory(account=account)
        factories.PriceRuleFactory(
            contract=contract, product=None, category=categories[0], value=Decimal(5)
        )
        factories.UserFactory(account=account, email="buyer@acme.example")
        return {"account": account, "contract": contract, "categories": categories}


def statements_for_page(client, url: str) -> list[str]:
    client.get(url)  # warm up: the session's last-seen time and caches settle
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements


def sku_rule_on_first_product(shop) -> None:
    first = db.session.scalar(sa.select(Product).order_by(Product.sku).limit(1))
    factories.PriceRuleFactory(
        contract=shop["contract"], product=first, kind="fixed", value=Decimal("90.00")
    )
    factories.PriceRuleFactory(
        contract=shop["contract"],
        product=first,
        kind="fixed",
        value=Decimal("80.00"),
        min_quantity=10,
    )


def test_a_page_of_10_or_100_products_costs_the_same_statements(client, shop, monkeypatch):
    monkeypatch.setattr(queries, "BUYER_PER_PAGE", 100)
    bulk_products(100, shop["categories"])
    sku_rule_on_first_product(shop)
    login(client, "buyer@acme.example")

    ten = statements_for_page(client, "/a/acme/catalog?q=BULK-00000")  # BULK-000000..09
    hundred = statements_for_page(client, "/a/acme/catalog")
    page = client.get("/a/acme/catalog").get_data(as_text=True)
    assert page.count("data-sku=") == 100
    assert (
        client.get("/a/acme/catalog?q=BULK-00000").get_data(as_text=True).count("data-sku=") == 10
    )
    print(f"\nbuyer catalog: {len(ten)} statements for 10 products, {len(hundred)} for 100")
    assert len(ten) == len(hundred)
    assert len(hundred) <= 8


def test_a_catalog_of_1000_or_100000_products_costs_the_same_statements(client, shop):
    login(client, "buyer@acme.example")
    bulk_products(1_000, shop["categories"])
    sku_rule_on_first_product(shop)
    small = statements_for_page(client, "/a/acme/catalog?page=2")
    bulk_products(99_000, shop["categories"], start=1_000)
    large = statements_for_page(client, "/a/acme/catalog?page=2")
    print(
        f"\nbuyer catalog: {len(small)} statements with 1,000 products, {len(large)} with 100,000"
    )
    assert len(small) == len(large)
    assert len(large) <= 8


def test_a_restricted_assortment_costs_no_extra_statement(client, shop):
    login(client, "buyer@acme.example")
    bulk_products(200, shop["categories"])
    open_ = statements_for_page(client, "/a/acme/catalog")
    shop["contract"].is_assortment_restricted = True
    db.session.commit()
    restricted = statements_for_page(client, "/a/acme/catalog")
    assert len(open_) == len(restricted)
    assert len(restricted) <= 8


def test_the_product_page_and_landing_page_cost_a_constant_handful(client, shop):
    login(client, "buyer@acme.example")
    bulk_products(50, shop["categories"])
    sku_rule_on_first_product(shop)
    product_page = statements_for_page(client, "/a/acme/products/BULK-000000")
    landing = statements_for_page(client, "/a/acme/")
    print(f"\nproduct page: {len(product_page)} statements; landing page: {len(landing)}")
    assert len(product_page) <= 7
    assert len(landing) <= 8


def test_the_staff_list_costs_the_same_for_1000_and_100000_products(client, shop):
    factories.StaffFactory(email="admin@northwind.example")
    login(client, "admin@northwind.example")
    bulk_products(1_000, shop["categories"])
    small = statements_for_page(client, "/staff/catalog?page=3")
    bulk_products(99_000, shop["categories"], start=1_000)
    large = statements_for_page(client, "/staff/catalog?page=3")
    print(
        f"\nstaff catalog: {len(small)} statements with 1,000 products, {len(large)} with 100,000"
    )
    assert len(small) == len(large)
    assert len(large) <= 7


def statements_reading_products(client, url: str) -> list[tuple[str, object]]:
    """(SQL, parameters) of the statements of one request that read the catalog's products
    (the pricing engine's lookup of the page's SKUs aside)."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return [
        (statement, parameters)
        for statement, parameters in seen
        if re.search(r"\bFROM products\b", statement) and "list_prices" not in statement
    ]


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
def test_the_catalog_page_reads_20000_products_through_indexes_with_cheap_plans(
    client, shop, restricted
):
    # Given 20,000 products, another account's contract with a rule for each (the rules table
    # is what made a subquery per product costly), planner statistics, and Acme's contract
    # restricting its assortment or not
    bulk_products(20_000, shop["categories"])
    other = factories.ContractFactory(account=factories.AccountFactory(slug="globex"))
    now = sa.literal(utcnow(), type_=PriceRule.created_at.type)
    db.session.execute(  # one rule per product, made by the database (as bulk_products does)
        sa.insert(PriceRule).from_select(
            ["contract_id", "account_id", "product_id", "kind", "value", "min_quantity"]
            + ["status", "created_at", "updated_at"],
            sa.select(
                sa.literal(other.id),
                sa.literal(other.account_id),
                Product.id,
                sa.literal("percent_off"),
                sa.literal(Decimal(3), type_=PriceRule.value.type),
                sa.literal(1),
                sa.literal("active"),
                now,
                now,
            ).where(Product.sku.like("BULK-%")),
        )
    )
    shop["contract"].is_assortment_restricted = restricted
    db.session.commit()
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE")
    login(client, "buyer@acme.example")
    client.get("/a/acme/catalog")

    # When the buyer opens the catalog
    statements = statements_reading_products(client, "/a/acme/catalog")

    # Then PostgreSQL estimates every statement below the cost at which it would JIT-compile
    # it (each request again: 0.3 s at 20,000 products), and SQLite reads the page in order
    # through indexes: no sort, no scan of the products
    if connection.dialect.name == "postgresql":
        jit_above = float(connection.exec_driver_sql("SHOW jit_above_cost").scalar())
        for statement, parameters in statements:
            plan = connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            ).scalar()
            cost = plan[0]["Plan"]["Total Cost"]
            assert cost < jit_above, f"estimated at {cost:,.0f}: {statement}"
    else:
        for statement, parameters in statements:
            plan = [
                row[3]
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            ]
            assert not [step for step in plan if "TEMP B-TREE" in step or "SCAN products" in step]
    assert len(statements) == 2  # the categories of the filter; the page with its count
