"""The insights dashboard over 2,000 accounts and 1,000,000 orders, on PostgreSQL (DESIGN.md
section 7: p95 under 300 ms, from the snapshots the worker keeps).

Creates a scratch database on PORTAL_BENCH_DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/test), migrates it (`flask db upgrade`), seeds the demo
(its staff sign in; no history), then generates in SQL on the server (INSERT ... SELECT
generate_series, minutes not hours): ACCOUNTS key accounts (a tenth in USD, a fifth with Chinese
names) with a contract and most with a spend estimate, ORDERS orders over 24 months (1 to 3
lines each at list price with their VAT snapshot, mostly closed, some cancelled or still open)
with one paid milestone each, and hotline requests. Then it measures, in one run:

- the snapshot update: `portal.insights.figures.refresh_snapshots()` and the whole worker sweep
  `portal.insights.sweep.refresh_insights()`, each run twice (the first fills, the second
  updates), with the share of the time spent in SQL and the slowest statements;
- the dashboard `GET /staff/insights` and its filtered, sorted and account-table variants,
  signed in as manager@northwind.example through the Flask test client, REQUESTS times each:
  p50 and p95 and their ratio to a bare route (/healthz) measured in the same run;
- EXPLAIN (ANALYZE, BUFFERS) of the dashboard's statements and of the refresh's slowest ones,
  with the indexes they read and any Seq Scan on a big table (writes are explained inside a
  transaction that is rolled back).

    .venv/bin/python benchmarks/bench_insights.py [--accounts 2000] [--orders 1000000]
        [--requests 50] [--keep] [--generate-only]

--keep leaves the database (its URL is printed); --generate-only stops after generating (to
try the generator on a small size: --accounts 50 --orders 5000 --generate-only).
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

import argparse
import os
import re
import statistics
import time
from contextlib import contextmanager

import sqlalchemy as sa
from common import POSTGRES_URL, config

from portal import create_app
from portal.catalog.models import ListPrice, Product
from portal.extensions import db

#: The tables a plan must read through an index (the snapshots are small: a scan is fine).
BIG_TABLES = ("orders", "order_lines", "order_milestones", "hotline_requests")
BUDGET_MS = 300.0
MANAGER = "manager@northwind.example"
PAGES = {
    "dashboard": "/staff/insights",
    "stage filter": "/staff/insights?stage=retention",
    "team filter": "/staff/insights?team=1",
    "sorted by growth": "/staff/insights?sort=growth",
    "account table p.3": "/staff/insights?page=3",
    "account search": "/staff/insights?q=bench",
}
BARE = "/healthz"
CITIES = ["青岛", "上海", "北京", "深圳", "广州", "杭州", "南京", "天津", "武汉", "成都"]
SECTORS = ["医疗集团", "制造有限公司", "银行", "制药股份有限公司", "物流有限公司"]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Hooli"]
KINDS = ["Hospital Group", "Manufacturing", "Bank", "Logistics", "University"]


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--generate-only", action="store_true")
    return parser.parse_args()


@contextmanager
def database(keep: bool):
    """A new database bench_insights_<pid> on the benchmark server; dropped unless `keep`."""
    name = f"bench_insights_{os.getpid()}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            print(f"\nkept: {url}")
        else:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _names(count: int) -> list[str]:
    names = []
    for n in range(1, count + 1):
        if n % 5 == 0:
            names.append(f"{CITIES[n % 10]}{SECTORS[(n // 10) % 5]}{n}")
        else:
            names.append(f"{WORDS[n % 8]} {KINDS[(n // 8) % 5]} {n}")
    return names


def _sql_array(values) -> str:
    return "ARRAY[" + ",".join(str(v) for v in values) + "]"


def generate(accounts: int, orders: int) -> None:
    """The accounts, contracts, estimates, orders, lines, milestones and hotline requests, in
    SQL on the server, then VACUUM ANALYZE."""
    rows = db.session.execute(
        sa.select(Product.id, Product.sku, Product.name, ListPrice.amount, ListPrice.currency)
        .join(ListPrice, ListPrice.product_id == Product.id)
        .order_by(Product.id)
    ).all()
    cny = [
        (pid, sku, name, amount) for pid, sku, name, amount, currency in rows if currency == "CNY"
    ]
    usd = {pid: amount for pid, _, _, amount, currency in rows if currency == "USD"}
    staff = dict(
        db.session.execute(sa.text("SELECT email, id FROM users WHERE account_id IS NULL")).all()
    )
    inside = [staff[f"{local}@northwind.example"] for local in ("inside", "inside2", "chen")]
    field = staff["field@northwind.example"]
    net30 = db.session.scalar(sa.text("SELECT id FROM payment_terms WHERE code = 'net30'"))
    db.session.commit()
    base = {
        table: db.session.scalar(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}"))
        for table in ("key_accounts", "contracts", "orders")
    }
    a0, c0, o0 = base["key_accounts"], base["contracts"], base["orders"]
    names = "ARRAY[" + ",".join(f"'{name}'" for name in _names(accounts)) + "]"
    products = ",".join(
        "({}, {}, '{}', '{}', {}, {})".format(
            k, pid, sku, name.replace("'", "''"), amount, usd[pid]
        )
        for k, (pid, sku, name, amount) in enumerate(cny, start=1)
    )
    count = len(cny)
    account = f"({a0} + 1 + n % {accounts})"
    usd_account = f"(1 + n % {accounts}) % 10 = 1"
    statuses = "(ARRAY['closed','closed','closed','closed','closed','closed','closed','delivered','shipped','released','cancelled','submitted'])[1 + (n * 11) % 12]"
    placed = "(current_date - ((n * 7919) % 730)::int)"
    statements = [
        f"""INSERT INTO key_accounts (id, slug, name, welcome_text, brand_colour, hotline_phone, phone_e164,
              time_zone, default_locale, currency, tier, tax_treatment, is_po_required,
              is_on_credit_hold, credit_hold_reason, inside_sales_rep_id, field_sales_rep_id,
              created_at, updated_at, version)
            SELECT {a0} + n, 'bench-' || n, ({names})[n], '', '#0d6efd', '+86 21 ' || (50000000 + n),
                   '+8621' || (50000000 + n),
                   CASE WHEN n % 10 = 1 THEN 'America/Chicago' ELSE 'Asia/Shanghai' END,
                   CASE WHEN n % 5 = 0 THEN 'zh_Hans' ELSE 'en' END,
                   CASE WHEN n % 10 = 1 THEN 'USD' ELSE 'CNY' END,
                   CASE WHEN n % 50 = 0 THEN 'gold' ELSE 'standard' END,
                   CASE WHEN n % 10 = 1 THEN 'export_zero_rated' ELSE 'domestic_vat_included' END,
                   false, false, '', ({_sql_array(inside)})[1 + n % 3], {field}, now(), now(), 1
            FROM generate_series(1, {accounts}) AS n""",
        f"""INSERT INTO contracts (id, account_id, number, currency, valid_from, valid_to, status,
              payment_term_id, credit_limit_amount, notes, is_assortment_restricted, version,
              created_at, updated_at)
            SELECT {c0} + n, {a0} + n, 'BENCH-' || n, CASE WHEN n % 10 = 1 THEN 'USD' ELSE 'CNY' END,
                   current_date - 800, current_date + 300, 'active', {net30}, 1000000, '', false, 1,
                   now(), now()
            FROM generate_series(1, {accounts}) AS n""",
        f"""INSERT INTO spend_estimates (account_id, amount, currency, as_of, source, entered_by_id, created_at)
            SELECT {a0} + n, 500000 + (n * 7919) % 9000000, CASE WHEN n % 10 = 1 THEN 'USD' ELSE 'CNY' END,
                   current_date - n % 300, 'Benchmark estimate', {field}, now()
            FROM generate_series(1, {accounts}) AS n WHERE n % 5 <> 3""",
        """CREATE TEMP TABLE bench_products (k int PRIMARY KEY, pid int, sku text, name text,
              cny numeric, usd numeric)""",
        f"INSERT INTO bench_products VALUES {products}",
        # Line p (1 to 3) of order n: its product, quantity and unit price in the account's currency.
        f"""CREATE TEMP TABLE bench_lines AS
            SELECT n, p, {account} AS account_id, {usd_account} AS usd, bp.pid, bp.sku, bp.name,
                   1 + (n * 31 + p) % 9 AS quantity,
                   CASE WHEN {usd_account} THEN bp.usd ELSE bp.cny END AS unit
            FROM generate_series(1::bigint, {orders}) AS n
            CROSS JOIN LATERAL generate_series(1, 1 + (n * 17) % 3) AS p
            JOIN bench_products bp ON bp.k = 1 + (n * 7 + p * 13) % {count}""",
        f"""INSERT INTO orders (id, account_id, number, checkout_token, contract_id, status, hold_reason,
              is_over_credit, placed_on, currency, total_amount, payment_term_name,
              needs_letter_of_credit, ship_to, po_number, note, fapiao_type, decision_comment,
              carrier, tracking_number, cancel_reason, version, created_at, updated_at)
            SELECT {o0} + n, {account}, 'NB-' || n, 'bench-' || n, {c0} + 1 + n % {accounts}, {statuses},
                   '', false, {placed}, CASE WHEN {usd_account} THEN 'USD' ELSE 'CNY' END,
                   total, 'Net 30', false, 'Somewhere 1',
                   '', '', '', '', '', '', '', 1, {placed}::timestamp, {placed}::timestamp
            FROM (SELECT n, sum(unit * quantity) AS total FROM bench_lines GROUP BY n) AS t""",
        f"""INSERT INTO order_lines (account_id, order_id, position, product_id, sku, name, name_zh,
              quantity, unit_price_amount, list_price_amount, line_total_amount, price_explanation,
              tax_category, tax_rate_percent, net_amount, vat_amount)
            SELECT account_id, {o0} + n, p, pid, sku, name, '', quantity, unit, unit, unit * quantity, '',
                   CASE WHEN usd THEN 'export' ELSE 'goods' END, CASE WHEN usd THEN 0 ELSE 13 END,
                   CASE WHEN usd THEN unit * quantity ELSE round(unit * quantity / 1.13, 2) END,
                   CASE WHEN usd THEN 0 ELSE unit * quantity - round(unit * quantity / 1.13, 2) END
            FROM bench_lines""",
        f"""INSERT INTO order_milestones (account_id, order_id, position, label, share_percent, event, days,
              currency, amount, paid_amount, refunded_amount, due_on, invoiced_on)
            SELECT o.account_id, o.id, 1, 'Payment', 100, 'shipment', 30, o.currency, o.total_amount,
                   o.total_amount, 0, o.placed_on + 34, o.placed_on + 4
            FROM orders o WHERE o.id > {o0} AND o.status IN ('shipped', 'delivered', 'closed')""",
        f"""INSERT INTO hotline_requests (account_id, created_at, topic, description, phone,
              callback_window, status, due_at, outcome_note, survey_comment)
            SELECT {a0} + 1 + n % {accounts}, now() - ((n % 700) || ' days')::interval, 'other',
                   'Call me', '', 'any', 'closed', now() - ((n % 700) || ' days')::interval + interval '8 hours', '', ''
            FROM generate_series(1, {max(accounts * 25, 1)}) AS n""",
    ]
    raw = db.session.connection().connection.driver_connection
    for statement in statements:
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(statement)  # no parameters: % is modulo
        table = re.search(r"(?:INSERT INTO|CREATE TEMP TABLE) (\w+)", statement).group(1)
        print(f"  {table:<18}{cursor.rowcount:>12,} rows {time.perf_counter() - started:>7.1f} s")
    for table in ("key_accounts", "contracts", "orders"):
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


@contextmanager
def statements():
    """The statements run inside the block, with their parameters and milliseconds."""
    captured, started = [], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        ms = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        captured.append((statement, parameters, ms))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    sa.event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield captured
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
        sa.event.remove(db.engine, "after_cursor_execute", after)


def explain(statement: str, parameters) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) in a transaction rolled back (the refresh's writes too); a
    statement run for many rows at once is explained for its first."""
    if isinstance(parameters, list) and parameters and isinstance(parameters[0], dict | tuple):
        parameters = parameters[0]
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            rows = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or ()
            ).all()
        finally:
            transaction.rollback()
    return "\n".join(row[0] for row in rows)


def plan_summary(plan: str) -> str:
    indexes = sorted(
        set(re.findall(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)", plan))
    )
    indexes += sorted({f"bitmap:{i}" for i in re.findall(r"Bitmap Index Scan on (\w+)", plan)})
    scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
    big = [t for t in scans if t in BIG_TABLES]
    flag = f"  SEQ SCAN ON BIG TABLE: {', '.join(big)}" if big else ""
    return ", ".join(indexes + [f"scan:{t}" for t in scans]) + flag


def show_plans(title: str, captured, top: int | None = None) -> None:
    chosen = sorted(captured, key=lambda c: -c[2])[:top] if top else captured
    print(f"\n{title}")
    for statement, parameters, ms in chosen:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE")):
            continue
        plan = explain(statement, parameters)
        head = " ".join(statement.split())[:110]
        print(f"- {ms:8.1f} ms  {head}...\n    uses: {plan_summary(plan)}")
        for line in plan.splitlines():
            if "Execution Time" in line or "Scan" in line:
                print(f"    {line.strip()}")


def time_refresh(label: str, run) -> list:
    """Run the refresh twice (fill, then update); the second run's statements."""
    for attempt in ("fill", "update"):
        with statements() as captured:
            started = time.perf_counter()
            try:
                result = run()
            except NotImplementedError:  # before the figures are built
                print(f"{label}: not built in this tree (a stub)")
                return []
            seconds = time.perf_counter() - started
        in_sql = sum(ms for _, _, ms in captured) / 1000
        print(
            f"{label} ({attempt}): {seconds:.2f} s, {len(captured)} statements, "
            f"{in_sql:.2f} s in SQL -> {result}"
        )
    return captured


def percentiles(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def time_pages(app, requests: int) -> list:
    from tests.support.web import signed_in

    client = signed_in(app, MANAGER, "demo-password")

    def measure(path: str) -> list[float]:
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, f"{path}: {response.status_code}"
        return times

    measure(BARE)  # warm up
    bare50, bare95 = percentiles(measure(BARE))
    print(f"\n{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'p50/bare':>10}{'p95/bare':>10}  budget")
    print(f"{'bare ' + BARE:<22}{bare50:>9.1f}{bare95:>9.1f}{1:>9.1f}x{1:>9.1f}x")
    captured = []
    for label, path in PAGES.items():
        try:
            measure(path)[:0]  # warm up
        except AssertionError as error:
            print(f"{label:<22}  not served: {error}")
            continue
        p50, p95 = percentiles(measure(path))
        ok = "ok" if p95 < BUDGET_MS else "OVER"
        print(f"{label:<22}{p50:>9.1f}{p95:>9.1f}{p50 / bare50:>9.1f}x{p95 / bare95:>9.1f}x  {ok}")
        if label == "dashboard":
            with statements() as captured:
                client.get(path)
    return captured


def main() -> None:
    args = arguments()
    with database(args.keep) as url:
        app = create_app(config(url))
        with app.app_context():
            import flask_migrate

            from portal.demo import seed_demo

            started = time.perf_counter()
            flask_migrate.upgrade()
            seed_demo(quotes=False, history=False)
            print(f"migrated and demo seeded in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            print(f"generating {args.accounts:,} accounts and {args.orders:,} orders:")
            generate(args.accounts, args.orders)
            seconds = time.perf_counter() - started
            print(
                f"generated and analysed in {seconds:.1f} s ({args.orders / seconds:,.0f} orders/s)"
            )
            if args.generate_only:
                db.engine.dispose()
                return
            from portal.insights import figures, sweep

            refresh = time_refresh("figures.refresh_snapshots", figures.refresh_snapshots)
            time_refresh("sweep.refresh_insights", sweep.refresh_insights)
            dashboard = time_pages(app, args.requests)
            show_plans("The dashboard's statements (EXPLAIN ANALYZE, BUFFERS):", dashboard)
            show_plans("The refresh's five slowest statements:", refresh, top=5)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
