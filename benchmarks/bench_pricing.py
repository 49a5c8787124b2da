"""Pricing a 1,000-line cart against 1,000,000 price rules, on SQLite and PostgreSQL.

Prints, measured side by side in one run (DESIGN.md section 7):

(a) the median time of `pricing.price_lines` for 1,000 cart lines against the median time of
    ONE raw indexed SQL query fetching the same rules (plain SQL on the DBAPI connection), and
    their ratio (budget: at most 3x);
(b) the median time of the same pricing with 100,000 rules in the database and with 1,000,000,
    and their ratio (budget: at most 1.5x);

(c) where the time of (a) goes: price_lines taken apart into its steps (the contract, the
    products, the rules, pricing the lines in Python, ending the transaction), each timed on
    its own beside the same queries as raw SQL;

and the query plan of the rules query, which must use an index.

    .venv/bin/python benchmarks/bench_pricing.py [sqlite|postgresql]

PostgreSQL: a scratch database is created on PORTAL_BENCH_DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from common import app_on, databases

from portal.accounts.models import KeyAccount
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts import pricing
from portal.contracts.models import Contract, PriceRule
from portal.core.db import utcnow
from portal.core.money import Money
from portal.extensions import db

CATEGORIES = 20
PRODUCTS = 20_000
CONTRACTS = 1_000
CART_LINES = 1_000
SMALL, LARGE = 100_000, 1_000_000
REPEAT = 21
RATIO_BUDGET, GROWTH_BUDGET = 3.0, 1.5

TODAY = date.today()
#: The measured account's contract is the first; the others hold the filler rules.
MEASURED_CONTRACT = 1

RULE_COLUMNS = (
    "id",
    "contract_id",
    "account_id",
    "product_id",
    "category_id",
    "kind",
    "value",
    "min_quantity",
    "valid_from",
    "valid_to",
    "status",
    "reason",
    "decision_comment",
    "version",
    "created_at",
    "updated_at",
)

#: The engine's rules query as plain SQL, given the cart's product and category ids. A list is
#: one array parameter on PostgreSQL (`= ANY(%s)`; a thousand separate parameters cost psycopg
#: and the planner some 20 ms more), separate parameters on SQLite (`IN (?, ?, ...)`).
RULES_BY_IDS_SQL = (
    "SELECT id, product_id, category_id, kind, value, min_quantity, valid_from, valid_to "
    "FROM price_rules WHERE contract_id = {p} AND status = 'active' "
    "AND (product_id {products} OR category_id {categories}) "
    "AND (valid_from IS NULL OR valid_from <= {p}) AND (valid_to IS NULL OR valid_to >= {p})"
)
#: The engine's other two queries as plain SQL: the account's contract, the cart's products.
CONTRACT_SQL = (
    "SELECT id, number, currency, valid_from, valid_to, is_assortment_restricted "
    "FROM contracts WHERE account_id = {p} AND status = 'active'"
)
PRODUCTS_SQL = (
    "SELECT p.id, p.sku, p.name, p.unit, p.category_id, c.name, p.is_active, l.amount "
    "FROM products p JOIN categories c ON c.id = p.category_id "
    "LEFT JOIN list_prices l ON l.product_id = p.id AND l.currency = {p} WHERE p.sku {skus}"
)
#: The same rules found from what the engine is given, the cart's SKUs.
RULES_BY_SKUS_SQL = (
    "SELECT r.id, r.product_id, r.category_id, r.kind, r.value, r.min_quantity, r.valid_from, "
    "r.valid_to FROM price_rules r WHERE r.contract_id = {p} AND r.status = 'active' "
    "AND (r.product_id IN (SELECT id FROM products WHERE sku {skus}) "
    "OR r.category_id IN (SELECT category_id FROM products WHERE sku {skus})) "
    "AND (r.valid_from IS NULL OR r.valid_from <= {p}) "
    "AND (r.valid_to IS NULL OR r.valid_to >= {p})"
)


# Loading


def load_catalog_and_contracts() -> None:
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    db.session.execute(
        sa.insert(Category.__table__),
        [{"id": i, "name": f"Category {i}", "position": i, **stamps} for i in range(1, 21)],
    )
    db.session.execute(
        sa.insert(Product.__table__),
        [
            {
                "id": i,
                "sku": f"P-{i:06d}",
                "name": f"Product {i}",
                "category_id": i % CATEGORIES + 1,
                **stamps,
            }
            for i in range(1, PRODUCTS + 1)
        ],
    )
    rng = random.Random(1)
    db.session.execute(
        sa.insert(ListPrice.__table__),
        [
            {
                "product_id": i,
                "currency": "CNY",
                "amount": Decimal(rng.randrange(1_000, 5_000_000)).scaleb(-2),
                **stamps,
            }
            for i in range(1, PRODUCTS + 1)
        ],
    )
    db.session.execute(
        sa.insert(KeyAccount.__table__),
        [{"id": i, "slug": f"a{i}", "name": f"Account {i}", **stamps} for i in range(1, 1001)],
    )
    db.session.execute(
        sa.insert(Contract.__table__),
        [
            {
                "id": i,
                "account_id": i,
                "number": f"K-{i:05d}",
                "currency": "CNY",
                "valid_from": TODAY - timedelta(days=100),
                "valid_to": TODAY + timedelta(days=600),
                "status": "active",
                "credit_limit_amount": Decimal(0),
                "notes": "",
                "is_assortment_restricted": False,
                "version": 1,
                **stamps,
            }
            for i in range(1, CONTRACTS + 1)
        ],
    )
    db.session.commit()


def cart_products() -> list[int]:
    return random.Random(3).sample(range(1, PRODUCTS + 1), CART_LINES)


def measured_rules(start_id: int):
    """The measured contract: a rule or two for each cart SKU, category rules, some dated."""
    rng = random.Random(4)
    rule_id = start_id
    for product_id in cart_products():
        tiers = (1, 10) if rng.random() < 0.3 else (1,)
        for tier in tiers:
            kind = "fixed" if rng.random() < 0.5 else "percent_off"
            value = Decimal(rng.randrange(100, 100_000)).scaleb(-2)
            if kind == "percent_off":
                value = Decimal(rng.randrange(100, 4000)).scaleb(-2)
            dates = (None, None)
            if rng.random() < 0.1:  # some rules of their own dates, some not in force today
                offset = rng.choice((-200, -10, 50))
                dates = (TODAY + timedelta(days=offset), TODAY + timedelta(days=offset + 90))
            yield rule(rule_id, MEASURED_CONTRACT, product_id, None, kind, value, tier, *dates)
            rule_id += 1
    for category_id in range(1, CATEGORIES + 1):
        for tier in (1, 100):
            value = Decimal(rng.randrange(100, 2000)).scaleb(-2)
            yield rule(rule_id, MEASURED_CONTRACT, None, category_id, "percent_off", value, tier)
            rule_id += 1


def filler_rules(start_id: int, count: int):
    """Rules of the other contracts: many SKUs each, a few tiers, some no longer active."""
    rng = random.Random(start_id)
    per_contract = count // (CONTRACTS - 1) + 1
    rule_id, made = start_id, 0
    for contract_id in range(2, CONTRACTS + 1):
        first = rng.randrange(PRODUCTS)
        for k in range(per_contract):
            if made == count:
                return
            product_id = (first + k // 3) % PRODUCTS + 1
            tier = (1, 10, 50)[k % 3]
            status = "superseded" if rng.random() < 0.05 else "active"
            value = Decimal(rng.randrange(100, 3000)).scaleb(-2)
            yield rule(
                rule_id, contract_id, product_id, None, "percent_off", value, tier, status=status
            )
            rule_id += 1
            made += 1


def rule(
    id,
    contract_id,
    product_id,
    category_id,
    kind,
    value,
    min_quantity,
    valid_from=None,
    valid_to=None,
    status="active",
):
    now = utcnow()
    return (
        id,
        contract_id,
        contract_id,  # account i holds contract i
        product_id,
        category_id,
        kind,
        value,
        min_quantity,
        valid_from,
        valid_to,
        status,
        "",
        "",
        1,
        now,
        now,
    )


def load_rules(rows) -> int:
    """Bulk-load rule tuples: COPY on PostgreSQL, executemany on SQLite. Returns the count."""
    connection = db.engine.raw_connection()
    n = 0
    try:
        cursor = connection.cursor()
        if db.engine.dialect.name == "postgresql":
            columns = ", ".join(RULE_COLUMNS)
            with cursor.copy(f"COPY price_rules ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            # As core.db.Amount and SQLAlchemy store them: amounts in 1/10000, ISO text dates.
            cursor.execute("PRAGMA foreign_keys=OFF")  # loading only; the checks are not timed
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("BEGIN")  # the connection is in autocommit mode (core.db)
            placeholders = ", ".join("?" for _ in RULE_COLUMNS)
            sql = f"INSERT INTO price_rules ({', '.join(RULE_COLUMNS)}) VALUES ({placeholders})"
            batch = []
            for row in rows:
                row = list(row)
                row[6] = int(row[6].scaleb(4))
                for i in (8, 9):
                    row[i] = row[i] and row[i].isoformat()
                for i in (14, 15):
                    row[i] = row[i].replace(tzinfo=None).isoformat(" ")
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            cursor.executemany(sql, batch)
            n += len(batch)
            cursor.execute("COMMIT")
            # Fold the loaded rows into the database file, so that reads do not go through a
            # large write-ahead log after one load and not after another.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
        connection.commit()
        cursor.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
    return n


# Measuring


def cart():
    rng = random.Random(5)
    return [(f"P-{p:06d}", rng.randrange(1, 120)) for p in cart_products()]


def raw_queries(lines) -> dict[str, tuple[str, list]]:
    """SQL and parameters of the raw rules queries: by the cart's ids, and from its SKUs."""
    skus = sorted({sku for sku, _ in lines})
    ids = db.session.execute(
        sa.select(Product.id, Product.category_id).where(Product.sku.in_(skus))
    ).all()
    db.session.rollback()
    product_ids = sorted({p for p, _ in ids})
    category_ids = sorted({c for _, c in ids})
    if db.engine.dialect.name == "postgresql":
        by_ids = RULES_BY_IDS_SQL.format(p="%s", products="= ANY(%s)", categories="= ANY(%s)")
        by_skus = RULES_BY_SKUS_SQL.format(p="%s", skus="= ANY(%s)")
        return {
            "ids": (by_ids, [MEASURED_CONTRACT, product_ids, category_ids, TODAY, TODAY]),
            "skus": (by_skus, [MEASURED_CONTRACT, skus, skus, TODAY, TODAY]),
            "contract": (CONTRACT_SQL.format(p="%s"), [MEASURED_CONTRACT]),
            "products": (PRODUCTS_SQL.format(p="%s", skus="= ANY(%s)"), ["CNY", skus]),
        }
    on = TODAY.isoformat()

    def among(values):
        return "IN (" + ", ".join("?" for _ in values) + ")"

    by_ids = RULES_BY_IDS_SQL.format(
        p="?", products=among(product_ids), categories=among(category_ids)
    )
    by_skus = RULES_BY_SKUS_SQL.format(p="?", skus=among(skus))
    return {
        "ids": (by_ids, [MEASURED_CONTRACT, *product_ids, *category_ids, on, on]),
        "skus": (by_skus, [MEASURED_CONTRACT, *skus, *skus, on, on]),
        "contract": (CONTRACT_SQL.format(p="?"), [MEASURED_CONTRACT]),
        "products": (PRODUCTS_SQL.format(p="?", skus=among(skus)), ["CNY", *skus]),
    }


def measure(lines) -> dict:
    """Medians of pricing the cart and of the raw rules queries, timed in turn."""
    queries = raw_queries(lines)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()

        def raw_query(sql, params):
            cursor.execute(sql, params)
            return cursor.fetchall()

        def engine():
            result = pricing.price_lines(MEASURED_CONTRACT, lines, TODAY)
            db.session.rollback()  # a fresh transaction each time, as a request has
            return result

        # Warm up (psycopg prepares a statement from its fifth run), and check the queries
        # fetch the rules the engine used.
        for _ in range(6):
            result = engine()
            fetched = {name: raw_query(*query) for name, query in queries.items()}
        assert len(fetched["products"]) == CART_LINES
        assert all(line.has_price for line in result.lines)
        engine_rule_ids = {line.rule.id for line in result.lines if line.rule}
        assert {row[0] for row in fetched["ids"]} == {row[0] for row in fetched["skus"]}
        assert engine_rule_ids <= {row[0] for row in fetched["ids"]}

        def engine_sql():
            for name in ("contract", "products", "ids"):
                raw_query(*queries[name])

        times = {"engine": [], "ids": [], "skus": [], "engine sql": [], "products": []}
        for _ in range(REPEAT):
            for name, run in (
                ("engine", engine),
                ("ids", lambda: raw_query(*queries["ids"])),
                ("skus", lambda: raw_query(*queries["skus"])),
                ("engine sql", engine_sql),
                ("products", lambda: raw_query(*queries["products"])),
            ):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
            for step, seconds in steps(lines).items():
                times.setdefault(step, []).append(seconds)
        raw.rollback()
    finally:
        raw.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {**medians, "rules fetched": len(fetched["ids"])}


def steps(lines) -> dict[str, float]:
    """price_lines taken apart: the time of each of its steps (where its time goes).

    The same calls as price_lines makes, in a fresh transaction. "step money", the part of
    "step priced" spent making the lines' Money values, is measured by making them once more."""
    took = {}
    clock = time.perf_counter
    start = first = clock()
    terms, _ = pricing._terms(MEASURED_CONTRACT, TODAY)  # BEGIN included, as in price_lines
    took["step contract"], start = clock() - start, clock()
    items = pricing._items({sku for sku, _ in lines}, terms.currency)
    took["step items"], start = clock() - start, clock()
    product_ids = {item.id for item in items.values()}
    category_ids = {item.category_id for item in items.values()}
    rules = pricing._rules(terms, product_ids, category_ids, TODAY)
    took["step rules"], start = clock() - start, clock()
    result = pricing._priced(terms, items, rules, lines, TODAY, False)
    took["step priced"], start = clock() - start, clock()
    db.session.rollback()
    took["step rollback"] = clock() - start
    took["step all"] = clock() - first
    start = clock()
    for line in result.lines:
        for money in (line.unit_price, line.list_price, line.line_total, line.saving):
            Money(money.amount, money.currency)
    took["step money"] = clock() - start
    return took


def query_plan(lines) -> list[str]:
    sql, params = raw_queries(lines)["ids"]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = [row[3] for row in cursor.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    return [line if len(line) < 110 else line[:100] + " ...)" for line in plan]


def queries_per_cart(lines) -> int:
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        pricing.price_lines(MEASURED_CONTRACT, lines, TODAY)
        db.session.rollback()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def run(label: str, url: str) -> dict:
    out = {"label": label}
    with app_on(url):
        started = time.perf_counter()
        load_catalog_and_contracts()
        lines = cart()
        loaded = load_rules(measured_rules(1))
        loaded += load_rules(filler_rules(loaded + 1, SMALL - loaded))
        out["small"] = measure(lines)
        out["small"]["rules"] = loaded
        loaded += load_rules(filler_rules(loaded + 1, LARGE - loaded))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(PriceRule))
        db.session.rollback()
        assert total == loaded == LARGE, (total, loaded)
        out["large"] = measure(lines)
        out["large"]["rules"] = loaded
        out["plan"] = query_plan(lines)
        out["queries"] = queries_per_cart(lines)
        out["seconds"] = time.perf_counter() - started
    return out


def verdict(ratio: float, budget: float) -> str:
    return f"{ratio:5.2f}x  {'ok' if ratio <= budget else 'MISSED'}"


def report(results: list[dict]) -> None:
    width, names = 18, 50
    print(f"\nPricing a {CART_LINES:,}-line cart (median of {REPEAT} runs, taken in turn)")
    print(f"{'':<{names}}" + "".join(f"{r['label']:>{width}}" for r in results))

    def line(name, values):
        print(f"{name:<{names}}" + "".join(f"{value:>{width}}" for value in values))

    def ms(key, size):
        return [f"{r[size][key] * 1e3:.1f} ms" for r in results]

    def ratio(top, bottom, budget):
        return [verdict(r[top[1]][top[0]] / r[bottom[1]][bottom[0]], budget) for r in results]

    line("price rules in the database", [f"{r['large']['rules']:,}" for r in results])
    line("rules the cart's query fetches", [f"{r['large']['rules fetched']:,}" for r in results])
    line("SQL statements per cart (price_lines)", [str(r["queries"]) for r in results])
    print("(a) 1,000,000 rules")
    line("    price_lines", ms("engine", "large"))
    line("    one raw indexed query, rules by ids", ms("ids", "large"))
    line(
        f"    ratio (budget <= {RATIO_BUDGET:g}x)",
        ratio(("engine", "large"), ("ids", "large"), RATIO_BUDGET),
    )
    line("    one raw indexed query, rules from SKUs", ms("skus", "large"))
    line(
        "    ratio to it (for reference)",
        ratio(("engine", "large"), ("skus", "large"), RATIO_BUDGET),
    )
    line("    price_lines' 3 queries as raw SQL", ms("engine sql", "large"))
    line(
        "    their ratio to the rules query alone",
        ratio(("engine sql", "large"), ("ids", "large"), RATIO_BUDGET),
    )
    print("(b) 100,000 -> 1,000,000 rules")
    line("    price_lines, 100,000 rules", ms("engine", "small"))
    line("    price_lines, 1,000,000 rules", ms("engine", "large"))
    line(
        f"    ratio (budget <= {GROWTH_BUDGET:g}x)",
        ratio(("engine", "large"), ("engine", "small"), GROWTH_BUDGET),
    )
    line("    raw query by ids, 100,000 rules", ms("ids", "small"))
    line("    raw query by ids, 1,000,000 rules", ms("ids", "large"))
    print("(c) where price_lines' time goes, 1,000,000 rules: its steps timed one by one,")
    print("    each as ms and as a multiple of the raw rules query by ids")

    def share(key):
        return [
            f"{r['large'][key] * 1e3:.1f} ms {r['large'][key] / r['large']['ids']:4.1f}x"
            for r in results
        ]

    line("    the contract (1 row, BEGIN included)", share("step contract"))
    line(f"    the cart's products ({CART_LINES:,} rows), SQLAlchemy", share("step items"))
    line("      the same query as raw SQL", share("products"))
    line("    the rules, through the ORM", share("step rules"))
    line("      the same query as raw SQL", share("ids"))
    line(f"    pricing the {CART_LINES:,} lines from those rows", share("step priced"))
    line(f"      of which making their {4 * CART_LINES:,} Money values", share("step money"))
    line("    ending the transaction", share("step rollback"))
    line("    all steps (price_lines)", share("step all"))
    line("whole run, loading included", [f"{r['seconds']:.0f} s" for r in results])
    for r in results:
        print(f"\nPlan of the rules query by ids on {r['label']}, 1,000,000 rules:")
        for plan_line in r["plan"]:
            print("  " + plan_line)


def main() -> None:
    only = sys.argv[1].lower() if len(sys.argv) > 1 else None
    results = []
    for label, database in databases("portal_bench_pricing", only):
        with database() as url:
            results.append(run(label, url))
    report(results)


if __name__ == "__main__":
    main()
