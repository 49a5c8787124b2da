"""Call-centre lookup over 1,000,000 orders and 200,000 contacts, on PostgreSQL.

Builds, in a scratch database, 2,000 key accounts with a contract each, 200,000 contacts
(buyer-side users with names, e-mails and phone numbers), 1,000,000 orders (a third with a PO
number) with one payment milestone each (half invoiced) and 50,000 hotline requests, all with
generate_series in SQL (no ORM). Then runs each kind of lookup query, the very functions
/staff/lookup uses (portal.lookup.queries), REPEAT times with varied inputs, and prints p50
and p95 per kind, and whether the plan of each uses an index (no Seq Scan on the big tables).
Budget (DESIGN.md section 7): p95 under 50 ms.

    .venv/bin/python benchmarks/bench_lookup.py

PostgreSQL only (the budget is PostgreSQL's; SQLite answers contains-searches with LIKE and
no index). The scratch database is created on PORTAL_BENCH_DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

import random
import re
import statistics
import time

import sqlalchemy as sa
from common import app_on, postgres_database

from portal.extensions import db
from portal.lookup import queries

ACCOUNTS = 2_000
CONTACTS = 200_000
ORDERS = 1_000_000
REQUESTS = 50_000
REPEAT = 200
BUDGET_MS = 50.0
#: The big tables, which must be read through an index; key_accounts (2,000 rows) is small
#: enough that PostgreSQL rightly hashes or scans it.
BIG_TABLES = ("orders", "users", "order_milestones", "hotline_requests")

FIRST = [
    "Wei", "Fang", "Li", "Ming", "Hui", "Jun", "Lei", "Yan", "Jing", "Tao", "Anna", "Peter",
    "Maria", "John", "Laura", "David", "Sofia", "Chen", "Xiu", "Bo",
]  # fmt: skip
LAST = [
    "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma",
    "Zhu", "Hu", "Guo", "Smith", "Miller", "Garcia", "Müller", "Rossi",
]  # fmt: skip
WORDS = [
    "Acme", "Globex", "Initech", "Lotus", "Umbrella", "Stark", "Wayne", "Tyrell", "Hooli",
    "Soylent", "Cyberdyne", "Aperture", "Vandelay", "Wonka", "Oscorp", "Pied", "Nakatomi",
    "Dunder", "Gringotts", "Monarch",
]  # fmt: skip
KINDS_OF = ["Hospital Group", "Manufacturing", "Bank", "Pharmaceuticals", "Logistics",
            "University", "Insurance", "Telecom", "Energy", "Retail"]  # fmt: skip


def _sql_array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def load() -> None:
    """Everything in SQL: generate_series, no ORM, then ANALYZE."""
    statements = [
        "INSERT INTO payment_terms (code, name, needs_letter_of_credit) "
        "VALUES ('net30', 'Net 30', false)",
        f"""INSERT INTO key_accounts (id, slug, name, welcome_text, brand_colour, hotline_phone,
              phone_digits, time_zone, currency, tier, is_po_required, is_on_credit_hold,
              credit_hold_reason, created_at, updated_at)
            SELECT n, 'acct-' || n,
                   ({_sql_array(WORDS)})[1 + n % 20] || ' ' || ({_sql_array(KINDS_OF)})[1 + (n / 20) % 10]
                     || ' ' || n,
                   '', '#0d6efd', '+86 21 ' || lpad(n::text, 8, '0'), '21' || lpad(n::text, 8, '0'),
                   'Asia/Shanghai', 'CNY', 'standard', false, false, '', now(), now()
            FROM generate_series(1, {ACCOUNTS}) AS n""",
        f"""INSERT INTO contracts (id, account_id, number, currency, valid_from, valid_to, status,
              payment_term_id, credit_limit_amount, notes, is_assortment_restricted, version,
              created_at, updated_at)
            SELECT n, n, 'C-' || n, 'CNY', current_date - 100, current_date + 300, 'active',
                   1, 1000000, '', false, 1, now(), now()
            FROM generate_series(1, {ACCOUNTS}) AS n""",
        f"""INSERT INTO users (id, email, name, phone, phone_digits, role, account_id,
              discount_authority_percent, is_active, is_available, created_at, updated_at)
            SELECT n, 'contact' || n || '@acct-' || (1 + n % {ACCOUNTS}) || '.example',
                   ({_sql_array(FIRST)})[1 + n % 20] || ' ' || ({_sql_array(LAST)})[1 + (n / 20) % 20]
                     || ' ' || n,
                   '+86 138 ' || lpad(n::text, 8, '0'), '138' || lpad(n::text, 8, '0'),
                   'buyer', 1 + n % {ACCOUNTS}, 0, true, true, now(), now()
            FROM generate_series(1, {CONTACTS}) AS n""",
        f"""INSERT INTO orders (id, account_id, number, checkout_token, contract_id, status,
              hold_reason, is_over_credit, placed_by_id, placed_on, currency, total_amount,
              payment_term_name, needs_letter_of_credit, ship_to, po_number, note,
              decision_comment, carrier, tracking_number, cancel_reason, version,
              created_at, updated_at)
            SELECT n, 1 + n % {ACCOUNTS}, 'NW-2026-' || lpad(n::text, 7, '0'), md5(n::text),
                   1 + n % {ACCOUNTS},
                   (ARRAY['submitted','confirmed','released','shipped','delivered','closed'])[1 + n % 6],
                   '', false, 1 + n % {CONTACTS}, current_date - (n % 700), 'CNY', 1000 + n % 9000,
                   'Net 30', false, 'Somewhere 1', CASE WHEN n % 3 = 0 THEN 'PO-' || n ELSE '' END,
                   '', '', '', '', '', 1, now(), now()
            FROM generate_series(1, {ORDERS}) AS n""",
        f"""INSERT INTO order_milestones (account_id, order_id, position, label, share_percent,
              event, days, currency, amount, paid_amount, due_on, invoiced_on)
            SELECT 1 + n % {ACCOUNTS}, n, 1, 'Payment', 100, 'delivery', 30, 'CNY',
                   1000 + n % 9000, CASE WHEN n % 4 = 0 THEN 0 ELSE 1000 + n % 9000 END,
                   CASE WHEN n % 2 = 0 THEN current_date - (n % 700) + 30 END,
                   CASE WHEN n % 2 = 0 THEN current_date - (n % 700) END
            FROM generate_series(1, {ORDERS}) AS n""",
        f"""INSERT INTO hotline_requests (account_id, created_at, topic, description, phone,
              callback_window, status, due_at, outcome_note, survey_comment)
            SELECT 1 + n % {ACCOUNTS}, now(), 'other', 'Call me', '', 'any',
                   (ARRAY['open','in_progress','closed'])[1 + n % 3], now() + interval '1 day', '', ''
            FROM generate_series(1, {REQUESTS}) AS n""",
    ]
    with db.engine.begin() as connection:
        raw = connection.connection.driver_connection  # psycopg: no parameters, % is modulo
        for statement in statements:
            raw.execute(statement)
        for table in ("users", "key_accounts", "contracts", "orders"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def inputs(rng: random.Random) -> dict[str, list]:
    """REPEAT varied queries per kind, as a caller would say them."""

    def some(make):
        return [make(rng.randrange(1, 10**9)) for _ in range(REPEAT)]

    def account_name(n):
        a = 1 + n % ACCOUNTS
        word, kind = WORDS[a % 20], KINDS_OF[(a // 20) % 10]
        return f"{word.lower()} {kind.split()[0][:4].lower()}"  # "acme hosp"

    def contact_name(n):
        c = 1 + n % CONTACTS
        return f"{FIRST[c % 20]} {LAST[(c // 20) % 20]} {c}"

    def phone(n):
        c = 1 + n % CONTACTS
        digits = f"{c:08d}"
        return rng.choice(
            [f"+86 138 {digits[:4]} {digits[4:]}", f"138-{digits[:4]}-{digits[4:]}", f"138{digits}"]
        )

    def account_phone(n):
        a = 1 + n % ACCOUNTS
        return rng.choice([f"+86 21 {a:08d}", f"021-{a:08d}", f"21{a:08d}"])

    return {
        "account name": (queries.find_accounts, some(account_name)),
        "account phone": (queries.find_accounts, some(account_phone)),
        "contact name": (queries.find_contacts, some(contact_name)),
        "contact e-mail": (
            queries.find_contacts,
            some(
                lambda n: (
                    f"contact{1 + n % CONTACTS}@acct-{1 + (1 + n % CONTACTS) % ACCOUNTS}.example"
                )
            ),
        ),
        "contact e-mail part": (
            queries.find_contacts,
            some(lambda n: f"contact{1 + n % CONTACTS}@"),
        ),
        "contact phone": (queries.find_contacts, some(phone)),
        "order number": (
            queries.find_orders,
            some(lambda n: f"NW-2026-{1 + n % ORDERS:07d}"),
        ),
        "PO number": (queries.find_orders, some(lambda n: f"PO-{3 * (1 + n % (ORDERS // 3))}")),
        "invoice number": (
            queries.find_invoices,
            some(lambda n: f"NW-2026-{2 * (1 + n % (ORDERS // 2)):07d}-1"),
        ),
        "hotline number": (
            queries.find_hotline_requests,
            some(lambda n: f"HL-{1 + n % REQUESTS:06d}"),
        ),
        "whole search": (queries.search, some(contact_name)),
    }


def measure(find, texts: list[str]) -> tuple[list[float], int]:
    times, found = [], 0
    for text in texts:
        arg = text if find is queries.search else queries.Terms.parse(text)
        start = time.perf_counter()
        result = find(arg)
        times.append((time.perf_counter() - start) * 1000)
        found += bool(result.count if find is queries.search else result)
        db.session.rollback()
    return times, found


def plan_of(find, text: str) -> str:
    """EXPLAIN of the statements `find` issues for `text`, with its own parameters."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        find(text if find is queries.search else queries.Terms.parse(text))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
        db.session.rollback()
    plans = []
    with db.engine.connect() as connection:
        for statement, parameters in captured:
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            plans.append("\n".join(row[0] for row in rows))
    return "\n".join(plans)


def plan_summary(plan: str) -> tuple[bool, str]:
    """(no Seq Scan on a big table, the indexes and the scanned tables the plan reads)."""
    indexes = sorted(set(re.findall(r"Index (?:Only )?Scan (?:using|on) (\w+)", plan)))
    scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
    big_scans = [table for table in scans if table in BIG_TABLES]
    return not big_scans, ", ".join(indexes + [f"seq:{table}" for table in scans])


def main() -> None:
    rng = random.Random(7)
    with postgres_database("portal_bench_lookup") as url, app_on(url):
        started = time.perf_counter()
        load()
        print(
            f"PostgreSQL: {ACCOUNTS:,} accounts, {CONTACTS:,} contacts, {ORDERS:,} orders "
            f"(+ {ORDERS:,} milestones), {REQUESTS:,} hotline requests loaded in "
            f"{time.perf_counter() - started:.0f} s"
        )
        print(f"{'kind':<20}{'p50 ms':>8}{'p95 ms':>8}{'found':>9}  budget  plan")
        all_ok = True
        for kind, (find, texts) in inputs(rng).items():
            measure(find, texts[:10])  # warm up caches and prepared statements
            times, found = measure(find, texts)
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[18]
            indexed, summary = plan_summary(plan_of(find, texts[0]))
            ok = p95 < BUDGET_MS and indexed
            all_ok &= ok
            print(
                f"{kind:<20}{p50:>8.2f}{p95:>8.2f}{found:>5}/{len(texts):<3}  "
                f"{'ok' if ok else 'OVER':<6}  {summary}"
            )
        print(
            f"p95 within {BUDGET_MS:.0f} ms and no Seq Scan on {', '.join(BIG_TABLES)}"
            if all_ok
            else "OVER BUDGET, or a Seq Scan on a big table"
        )


if __name__ == "__main__":
    main()
