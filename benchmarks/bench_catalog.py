"""The buyer's catalog page with 20,000 and 100,000 products, on SQLite and PostgreSQL.

Loads the same data into both databases, then times their pages in turn, and prints, measured
side by side in one run (DESIGN.md section 7, issue 12):

(a) the median time of the whole catalog page request (/a/<slug>/catalog, 50 priced products,
    through the Flask test client, signed in as a buyer) on SQLite and on PostgreSQL with the
    server's DEFAULT settings (JIT on), and the ratio PostgreSQL / SQLite (budget: at most 2x
    at 20,000 products);
(b) the same page against its floor: the same rows fetched with ONE raw query and the same
    template rendered from plain dicts, in a request of the same app and session (budget: at
    most 2.5x); the floor's HTML must equal the page's;

It also prints the statements the page issues and the query plans of those that read the
catalog (PostgreSQL: with their estimated cost, which decides whether the server JIT-compiles
them). A second account, whose contract restricts its assortment, is measured for reference.
The portal shows 24 products a page; the benchmark sets 50 (contracts.queries.BUYER_PER_PAGE),
as the page measured against django-oscar's catalogue page of 50 in issue 12 had.

    .venv/bin/python benchmarks/bench_catalog.py [sqlite|postgresql]

PostgreSQL: a scratch database is created on PORTAL_BENCH_DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

import random
import re
import statistics
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from common import config, databases
from flask import current_app, render_template, request

from portal import create_app
from portal.accounts.models import KeyAccount, User
from portal.catalog.forms import SearchForm
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts import queries
from portal.contracts.models import Contract, PriceRule
from portal.core.db import utcnow
from portal.core.money import Money, quantize
from portal.core.pagination import Page
from portal.core.passwords import hash_password
from portal.extensions import db

CATEGORIES = 40
SIZES = (20_000, 100_000)
PER_PAGE = 50
#: Other accounts, each with a contract of RULES_EACH SKU rules per 20,000 products: a
#: price_rules table of some size (50,000 rules, then 250,000) that the page must not read.
OTHER_ACCOUNTS, RULES_EACH = 200, 250
REPEAT = 31
PG_RATIO_BUDGET, FLOOR_BUDGET = 2.0, 2.5
PASSWORD = "benchmark horse battery"
TODAY = date.today()

#: (slug, is_assortment_restricted): the measured account and the reference one.
OPEN, RESTRICTED = "acme", "initech"

WORDS = [
    "Alloy", "Basin", "Cable", "Damper", "Elbow", "Fitting", "Gasket", "Hinge", "Insert",
    "Joint", "Keeper", "Lever", "Mount", "Nozzle", "Outlet", "Panel", "Quill", "Rivet", "Sensor",
    "Tube", "Valve", "Washer", "Yoke", "Bracket", "Clamp", "Flange", "Socket", "Spring",
]  # fmt: skip


# Loading


def stamps() -> dict:
    now = utcnow()
    return {"created_at": now, "updated_at": now}


def load_accounts() -> None:
    """Categories, the two measured accounts with a buyer and a contract each, the others."""
    db.session.execute(
        sa.insert(Category.__table__),
        [
            {"id": i, "name": f"Category {i:02d}", "position": (i * 7) % CATEGORIES, **stamps()}
            for i in range(1, CATEGORIES + 1)
        ],
    )
    slugs = [OPEN, RESTRICTED] + [f"other-{n}" for n in range(OTHER_ACCOUNTS)]
    db.session.execute(
        sa.insert(KeyAccount.__table__),
        [
            {"id": i, "slug": slug, "name": f"{slug.title()} Group", "currency": "CNY", **stamps()}
            for i, slug in enumerate(slugs, start=1)
        ],
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
                "is_assortment_restricted": slug == RESTRICTED,
                "version": 1,
                **stamps(),
            }
            for i, slug in enumerate(slugs, start=1)
        ],
    )
    password_hash = hash_password(PASSWORD)
    db.session.execute(
        sa.insert(User.__table__),
        [
            {
                "email": f"buyer@{slug}.example",
                "name": f"Buyer of {slug}",
                "role": "buyer",
                "account_id": i,
                "password_hash": password_hash,
                "discount_authority_percent": Decimal(0),
                **stamps(),
            }
            for i, slug in enumerate((OPEN, RESTRICTED), start=1)
        ],
    )
    db.session.commit()


def load_products(first: int, last: int) -> None:
    """Products first..last (ids), each with a CNY list price, in batches."""
    rng = random.Random(first)
    for start in range(first, last + 1, 10_000):
        ids = range(start, min(start + 10_000, last + 1))
        db.session.execute(
            sa.insert(Product.__table__),
            [
                {
                    "id": i,
                    "sku": f"P-{i:06d}",
                    "name": f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i % 997:03d}",
                    "description": "",
                    "category_id": i % CATEGORIES + 1,
                    "unit": "each",
                    "is_active": i % 50 != 0,  # some no longer sold
                    **stamps(),
                }
                for i in ids
            ],
        )
        db.session.execute(
            sa.insert(ListPrice.__table__),
            [
                {
                    "product_id": i,
                    "currency": "CNY",
                    "amount": Decimal(rng.randrange(1_000, 5_000_000)).scaleb(-2),
                    **stamps(),
                }
                for i in ids
            ],
        )
    db.session.commit()


def rule(contract_id, product_id=None, category_id=None, kind="percent_off", value=5, tier=1):
    return {
        "contract_id": contract_id,
        "account_id": contract_id,  # account i holds contract i
        "product_id": product_id,
        "category_id": category_id,
        "kind": kind,
        "value": Decimal(value),
        "min_quantity": tier,
        "status": "active",
        "reason": "",
        "decision_comment": "",
        "version": 1,
        **stamps(),
    }


def load_rules(first: int, last: int) -> None:
    """Rules for products first..last (ids). The open account: every category a percentage off
    with a volume break (loaded with the first products), and a fixed price with a break for
    every tenth product. The restricted account: three categories and every 40th product. The
    other accounts: RULES_EACH SKU rules for every 20,000 products."""
    rng = random.Random(first)
    rules = []
    if first == 1:
        for category_id in range(1, CATEGORIES + 1):
            rules.append(rule(1, category_id=category_id, value=5))
            rules.append(rule(1, category_id=category_id, value=8, tier=20))
        for category_id in (1, 2, 3):
            rules.append(rule(2, category_id=category_id, value=4))
    for product_id in range(first + 9 - (first - 1) % 10, last + 1, 10):
        price = Decimal(rng.randrange(1_000, 4_000_000)).scaleb(-2)
        rules.append(rule(1, product_id=product_id, kind="fixed", value=price))
        rules.append(rule(1, product_id=product_id, kind="fixed", value=price * 9 / 10, tier=10))
    for product_id in range(first + 39 - (first - 1) % 40, last + 1, 40):
        rules.append(rule(2, product_id=product_id, value=6))
    each = RULES_EACH * (last - first + 1) // 20_000
    for contract_id in range(3, OTHER_ACCOUNTS + 3):
        for product_id in rng.sample(range(first, last + 1), each):
            rules.append(rule(contract_id, product_id=product_id, value=rng.randrange(1, 30)))
    for start in range(0, len(rules), 10_000):
        db.session.execute(sa.insert(PriceRule.__table__), rules[start : start + 10_000])
    db.session.commit()


def grow_to(products: int, before: int) -> None:
    load_products(before + 1, products)
    load_rules(before + 1, products)
    analyze()


def analyze() -> None:
    """Statistics for the planners; on PostgreSQL also the visibility map (index-only scans),
    as autovacuum would keep it; on SQLite the loaded rows folded into the database file."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        return
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()  # the connection is in autocommit mode (core.db)
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


# The floor: the page's rows in one raw query, priced with the engine's rule in a few lines of
# Python, the same template rendered from plain dicts.

FLOOR_SQL = """
WITH page AS (
    SELECT p.id, p.sku, p.name, p.unit, p.image_digest, p.category_id, c.name AS category_name,
           c.position
    FROM products p JOIN categories c ON c.id = p.category_id
    WHERE p.is_active = {true}
    ORDER BY c.position, c.name, p.name, p.id
    LIMIT {per_page}
)
SELECT page.id, page.sku, page.name, page.unit, page.image_digest, page.category_id,
       page.category_name, l.amount, r.id, r.product_id, r.kind, r.value, r.min_quantity
FROM page
LEFT JOIN list_prices l ON l.product_id = page.id AND l.currency = {p}
LEFT JOIN price_rules r ON r.contract_id = {p} AND r.status = 'active'
     AND (r.product_id = page.id OR r.category_id = page.category_id)
     AND (r.valid_from IS NULL OR r.valid_from <= {p}) AND (r.valid_to IS NULL OR r.valid_to >= {p})
ORDER BY page.position, page.category_name, page.name, page.id
"""

#: Key in the serving app's config: what the floor view is given, per account, outside the
#: timing (the contract's terms, the total, the categories of the filter).
FLOOR = "BENCH_FLOOR"


def floor_rows(contract_id: int) -> list[tuple]:
    connection = db.session.connection()
    cursor = connection.connection.dbapi_connection.cursor()
    if connection.dialect.name == "postgresql":
        sql = FLOOR_SQL.format(true="true", per_page=PER_PAGE, p="%s")
        cursor.execute(sql, ("CNY", contract_id, TODAY, TODAY))
        return cursor.fetchall()
    sql = FLOOR_SQL.format(true="1", per_page=PER_PAGE, p="?")
    cursor.execute(sql, ("CNY", contract_id, TODAY.isoformat(), TODAY.isoformat()))
    scaled = Decimal(1).scaleb(-4)  # core.db.Amount stores 1/10000ths on SQLite
    return [
        (*row[:7], row[7] and row[7] * scaled, *row[8:11], row[11] and row[11] * scaled, row[12])
        for row in cursor.fetchall()
    ]


def floor_price(rules, list_amount, quantity):
    """The engine's rule (DESIGN.md section 4) on (is SKU rule, kind, value, id, minimum
    quantity) tuples: a SKU rule beats a category rule, then the highest break met, then the
    newest."""
    met = [r for r in rules if r[4] <= quantity]
    if not met:
        return list_amount
    _, kind, value, _, _ = max(met, key=lambda r: (r[0], r[4], r[3]))
    if kind == "fixed":
        return quantize(value, "CNY")
    return quantize(list_amount * (100 - value) / 100, "CNY")


def floor_view(slug):
    given = current_app.config[FLOOR][slug]
    terms = given["terms"]
    products, rules, lines = {}, defaultdict(list), {}
    for row in floor_rows(terms.id):
        sku = row[1]
        if sku not in products:
            products[sku] = {
                "sku": sku,
                "name": row[2],
                "unit": row[3],
                "image_digest": row[4],
                "category": {"name": row[6]},
                "list_amount": row[7],
            }
        if row[8] is not None:
            rules[sku].append((row[9] is not None, row[10], row[11], row[8], row[12]))
    for sku, product in products.items():
        candidates = rules[sku]
        list_amount = product["list_amount"]
        unit = floor_price(candidates, list_amount, 1)
        tiers, previous = [], unit
        for threshold in sorted({r[4] for r in candidates if r[4] > 1}):
            amount = floor_price(candidates, list_amount, threshold)
            if amount != previous:
                tiers.append({"min_quantity": threshold, "unit_price": Money(amount, "CNY")})
                previous = amount
        lines[sku] = {
            "has_price": True,
            "unit_price": Money(unit, "CNY"),
            "list_price": Money(list_amount, "CNY"),
            "saving": Money(list_amount - unit, "CNY"),
            "tiers": tiers,
        }
    return render_template(
        "contracts/catalog.html",
        account=given["account"],
        form=SearchForm(request.args, categories=given["categories"]),
        page=Page(list(products.values()), given["total"], 1, PER_PAGE),
        lines=lines,
        terms=terms,
        no_contract=None,
        countdown=None,
    )


def prepare_floor(web, slug: str) -> None:
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == slug))
    contract = db.session.scalar(sa.select(Contract).where(Contract.account_id == account.id))
    web.config.setdefault(FLOOR, {})[slug] = {
        "account": {
            "slug": account.slug,
            "name": account.name,
            "logo_digest": account.logo_digest,
        },
        "terms": SimpleNamespace(id=contract.id, number=contract.number, currency="CNY"),
        "total": db.session.scalar(
            sa.select(sa.func.count()).select_from(Product).where(Product.is_active.is_(True))
        ),
        "categories": [
            SimpleNamespace(id=c.id, name=c.name)
            for c in db.session.scalars(sa.select(Category).order_by(Category.position))
        ],
    }
    db.session.rollback()


# Measuring


def signed_in(app, slug: str):
    client = app.test_client()
    response = client.post("/login", data={"email": f"buyer@{slug}.example", "password": PASSWORD})
    assert response.status_code == 302, f"buyer@{slug}.example could not sign in"
    return client


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def comparable(html: str) -> str:
    """The page without what differs between two requests (the CSRF tokens) and between the
    page and the floor (the path the add-to-cart forms return to)."""
    html = html.replace("/catalog-floor", "/catalog")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


class Database:
    """One database under test: the app that loads it (schema created) and a second app on it
    that serves the requests, so that each request has its own app context, database session
    and `g`, as in production (a request of an app whose context is pushed would share it)."""

    def __init__(self, label: str, url: str):
        self.label = label
        self.app = create_app(config(url))
        with self.app.app_context():
            db.create_all()
        self.web = create_app(config(url))
        self.web.add_url_rule("/a/<slug>/catalog-floor", "bench_floor", floor_view)
        self.results = []
        self.settings = ""
        self.seconds = 0.0

    def dispose(self) -> None:
        for app in (self.app, self.web):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def measure(databases: list[Database], products: int) -> None:
    """The pages of each database, timed in turn, database after database, REPEAT times."""
    urls = {}
    for d in databases:
        with d.app.app_context():
            prepare_floor(d.web, OPEN)
        open_client, restricted_client = signed_in(d.web, OPEN), signed_in(d.web, RESTRICTED)
        urls[d.label] = {
            "page": (open_client, f"/a/{OPEN}/catalog"),
            "floor": (open_client, f"/a/{OPEN}/catalog-floor"),
            "restricted": (restricted_client, f"/a/{RESTRICTED}/catalog"),
        }
    # Warm up (templates compile; psycopg prepares a statement from its fifth run), and check
    # that the floor renders what the page renders.
    pages = {}
    for d in databases:
        for _ in range(6):
            pages[d.label] = {name: get(*target) for name, target in urls[d.label].items()}
        assert pages[d.label]["page"].count("data-sku=") == PER_PAGE
        assert comparable(pages[d.label]["page"]) == comparable(pages[d.label]["floor"]), (
            f"the floor differs from the page on {d.label}"
        )
    times = {(d.label, name): [] for d in databases for name in urls[d.label]}
    for _ in range(REPEAT):
        for d in databases:
            for name, target in urls[d.label].items():
                start = time.perf_counter()
                get(*target)
                times[d.label, name].append(time.perf_counter() - start)
    for d in databases:
        out = {name: statistics.median(times[d.label, name]) for name in urls[d.label]}
        with d.app.app_context():
            page, restricted = urls[d.label]["page"], urls[d.label]["restricted"]
            out["statements"], out["plans"] = statements_and_plans(d.web, *page)
            out["restricted statements"], out["restricted plans"] = statements_and_plans(
                d.web, *restricted
            )
        out["money calls"] = pages[d.label]["page"].count("CN¥")  # each amount shown
        out["products"] = products
        d.results.append(out)


def statements_and_plans(app, client, url: str) -> tuple[int, list[tuple[str, list[str]]]]:
    """How many statements one page request issues, and the plans of those reading products."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        get(client, url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    statements = [s for s in seen if s[0].strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    plans = []
    for statement, parameters in statements:
        if re.search(r"\bFROM products\b", statement) and "list_prices" not in statement:
            plans.append((purpose(statement), plan_of(statement, parameters)))
    return len(statements), plans


def purpose(statement: str) -> str:
    if statement.lstrip().upper().startswith("SELECT COUNT"):
        return "count"
    if "LIMIT" in statement:
        return "page"
    return "categories" if re.match(r"\s*SELECT categories\.", statement) else "other"


def plan_of(statement: str, parameters) -> list[str]:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = [row[3] for row in cursor.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    return [line if len(line) < 120 else line[:110] + " ...)" for line in plan]


def server_settings() -> str:
    if db.engine.dialect.name != "postgresql":
        return ""
    with db.engine.connect() as connection:
        names = ("jit", "jit_above_cost", "jit_optimize_above_cost", "jit_inline_above_cost")
        values = [connection.exec_driver_sql(f"SHOW {name}").scalar() for name in names]
    return ", ".join(f"{n} = {v}" for n, v in zip(names, values, strict=True))


def run(databases: list[Database]) -> None:
    queries.BUYER_PER_PAGE = PER_PAGE  # the view reads it per request
    for d in databases:
        started = time.perf_counter()
        with d.app.app_context():
            load_accounts()
        d.seconds += time.perf_counter() - started
    before = 0
    for size in SIZES:
        for d in databases:
            started = time.perf_counter()
            with d.app.app_context():
                grow_to(size, before)
            d.seconds += time.perf_counter() - started
        before = size
        measure(databases, size)
    for d in databases:
        with d.app.app_context():
            d.settings = server_settings()


# Reporting


def verdict(ratio: float, budget: float) -> str:
    return f"{ratio:5.2f}x  {'ok' if ratio <= budget else 'MISSED'}"


def report(databases: list[Database]) -> None:
    results = [
        {"label": d.label, "sizes": d.results, "settings": d.settings, "seconds": d.seconds}
        for d in databases
    ]
    width = 18
    print(
        f"\nThe buyer's catalog page, {PER_PAGE} priced products, whole request through the "
        f"test client (median of {REPEAT} runs, taken in turn on the databases)"
    )
    for r in results:
        if r["settings"]:
            print(f"{r['label']} server settings: {r['settings']}")
    print(f"{'':<46}" + "".join(f"{r['label']:>{width}}" for r in results))

    def line(name, values):
        print(f"{name:<46}" + "".join(f"{value:>{width}}" for value in values))

    for i, size in enumerate(SIZES):
        at = [r["sizes"][i] for r in results]
        print(f"{size:,} products")
        line("    catalog page", [f"{m['page'] * 1e3:.1f} ms" for m in at])
        line("    floor: one raw query, plain dicts", [f"{m['floor'] * 1e3:.1f} ms" for m in at])
        line(
            f"    page / floor (budget <= {FLOOR_BUDGET:g}x)",
            [verdict(m["page"] / m["floor"], FLOOR_BUDGET) for m in at],
        )
        line(
            "    restricted assortment page (reference)",
            [f"{m['restricted'] * 1e3:.1f} ms" for m in at],
        )
        line(
            "    SQL statements per page (open, restricted)",
            [f"{m['statements']}, {m['restricted statements']}" for m in at],
        )
        line("    amounts formatted per page", [str(m["money calls"]) for m in at])
    labels = [r["label"] for r in results]
    if labels == ["SQLite", "PostgreSQL"]:
        print("PostgreSQL / SQLite, catalog page")
        for i, size in enumerate(SIZES):
            sqlite, postgres = results[0]["sizes"][i], results[1]["sizes"][i]
            budget = f" (budget <= {PG_RATIO_BUDGET:g}x)" if i == 0 else " (for reference)"
            ratio = postgres["page"] / sqlite["page"]
            shown = verdict(ratio, PG_RATIO_BUDGET) if i == 0 else f"{ratio:5.2f}x"
            line(f"    {size:,} products{budget}", ["", shown])
    line("loading and analysing", [f"{r['seconds']:.0f} s" for r in results])
    for r in results:
        for size, m in zip(SIZES, r["sizes"], strict=True):
            if size != SIZES[-1] and r["label"] == "SQLite":
                continue
            for account, key in (("open", "plans"), ("restricted", "restricted plans")):
                for name, plan in m[key]:
                    print(
                        f"\nPlan of the {name} query on {r['label']}, {size:,} products, "
                        f"{account} assortment:"
                    )
                    for plan_line in plan:
                        print("  " + plan_line)


def main() -> None:
    only = sys.argv[1].lower() if len(sys.argv) > 1 else None
    with ExitStack() as stack:
        under_test = []
        for label, database in databases("portal_bench_catalog", only):
            d = Database(label, stack.enter_context(database()))
            stack.callback(d.dispose)
            under_test.append(d)
        run(under_test)
    report(under_test)


if __name__ == "__main__":
    main()
