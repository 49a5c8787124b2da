"""Call-centre lookup over 1,000,000 orders and 200,000 contacts, on SQLite and PostgreSQL.

Builds, in a scratch database of each kind, 2,000 key accounts (a fifth with Chinese names such
as 青岛港湾医疗集团, a tenth in Chicago) with a contract and an address each, 200,000 contacts
(buyer-side users: seven in ten with Chinese names drawn from the common surnames and given
names by their frequency, the rest with Western or romanised names; mobile numbers, Chicago
numbers for the Chicago accounts' contacts, all keyed in E.164 with libphonenumber), their
search keys (core.search_keys: two-character runs, pinyin, initials), 1,000,000 orders (a third
with a PO number) with one payment milestone each (half invoiced) and 50,000 hotline requests.
Then runs each kind of lookup query, the very functions /staff/lookup uses
(portal.lookup.queries), REPEAT times with varied inputs, and prints p50 and p95 per kind, each
also as a multiple of a bare baseline measured in the same run (one raw indexed query by e-mail
on the DBAPI connection), and what the plan reads. Budget (DESIGN.md section 7): p95 under 50 ms,
for the Chinese-name, pinyin and place kinds as for the others; on PostgreSQL no Seq Scan on
the big tables.

    .venv/bin/python benchmarks/bench_lookup.py [sqlite|postgresql]

LOOKUP_BENCH_SCALE=0.1 runs at a tenth of the size (a quick try; the budget is at full size).
The PostgreSQL scratch database is created on PORTAL_BENCH_DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from common import app_on, databases

from portal.accounts.models import Address, KeyAccount, SearchKey, User
from portal.core.phones import phone_key
from portal.core.search_keys import name_keys, syllables
from portal.extensions import db
from portal.lookup import queries

SCALE = float(os.environ.get("LOOKUP_BENCH_SCALE", "1"))
ACCOUNTS = int(2_000 * SCALE)
CONTACTS = int(200_000 * SCALE)
ORDERS = int(1_000_000 * SCALE)
REQUESTS = int(50_000 * SCALE)
REPEAT = 200
BUDGET_MS = 50.0
#: The big tables, which must be read through an index on PostgreSQL; key_accounts (2,000
#: rows) is small enough that PostgreSQL rightly hashes or scans it.
BIG_TABLES = ("orders", "users", "order_milestones", "hotline_requests", "search_keys")

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
#: The commonest surnames with their share in percent (China's 2020 census, rounded).
SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.4, "陈": 4.5, "杨": 3.1, "黄": 2.2, "赵": 2.0,
    "吴": 2.0, "周": 1.9, "徐": 1.5, "孙": 1.5, "马": 1.4, "朱": 1.3, "胡": 1.2, "郭": 1.1,
    "何": 1.0, "高": 1.0, "林": 1.0, "罗": 0.9, "郑": 0.9, "梁": 0.8, "谢": 0.7, "宋": 0.6,
    "唐": 0.6, "许": 0.6, "韩": 0.5, "冯": 0.5, "邓": 0.5, "曹": 0.5, "彭": 0.5, "曾": 0.5,
    "肖": 0.4, "田": 0.4, "董": 0.4, "袁": 0.4, "潘": 0.4, "于": 0.4, "蒋": 0.4, "蔡": 0.4,
    "余": 0.3, "杜": 0.3, "叶": 0.3, "程": 0.3, "苏": 0.3, "魏": 0.3, "吕": 0.3, "丁": 0.3,
    "任": 0.3, "沈": 0.3, "欧阳": 0.05, "司马": 0.01,
}  # fmt: skip
GIVEN = [
    "芳",
    "伟",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "华",
    "丹",
    "萍",
    "鹏",
    "辉",
    "玲",
    "婷",
    "雪",
    "琳",
    "宇",
    "浩",
    "斌",
    "宁",
    "凯",
    "波",
    "飞",
    "红",
    "梅",
    "莉",
    "燕",
    "秀英",
    "桂英",
    "建华",
    "建国",
    "志强",
    "晓明",
    "欣怡",
    "子涵",
    "梓轩",
    "浩然",
    "雨桐",
    "思远",
    "佳怡",
    "俊杰",
    "海燕",
    "丽娟",
    "晓东",
    "文静",
    "春梅",
    "国庆",
    "秀兰",
    "志明",
    "嘉欣",
    "一鸣",
    "天宇",
    "诗涵",
    "子轩",
    "可馨",
]
CITIES = ["青岛", "上海", "北京", "深圳", "广州", "杭州", "南京", "天津", "武汉", "成都",
          "重庆", "西安", "苏州", "大连", "厦门", "宁波", "济南", "长沙", "沈阳", "昆明"]  # fmt: skip
TRADES = ["港湾", "华信", "东方", "瑞丰", "恒达", "远航", "长城", "金桥", "新世纪", "海天"]
SECTORS = ["医疗集团", "制造有限公司", "银行", "制药股份有限公司", "物流有限公司",
           "大学", "保险公司", "电信", "能源集团", "商贸有限公司"]  # fmt: skip


def is_chinese_account(a: int) -> bool:
    return a % 5 == 0


def is_chicago_account(a: int) -> bool:
    return a % 10 == 1


def account_name(a: int) -> str:
    if is_chinese_account(a):
        return f"{CITIES[a % 20]}{TRADES[(a // 20) % 10]}{SECTORS[(a // 200) % 10]}"
    return f"{WORDS[a % 20]} {KINDS_OF[(a // 20) % 10]} {a}"


def account_of(c: int) -> int:
    return 1 + c % ACCOUNTS


def is_chinese_contact(c: int) -> bool:
    return c % 10 < 7


def chinese_name(rng: random.Random) -> str:
    surname = rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]
    return surname + rng.choice(GIVEN)


def contact_phone(c: int) -> str:
    if is_chicago_account(account_of(c)):
        return f"(312) 2{c // 1000 % 100:02d}-{c % 10000:04d}"
    digits = f"{c:08d}"
    return f"+86 138 {digits[:4]} {digits[4:]}"


def account_phone(a: int) -> str:
    return f"+86 21 {50_000_000 + a}"


def python_rows() -> dict[str, list[dict]]:
    """Accounts, addresses, contacts and their search keys, as the app would write them."""
    rng = random.Random(14)
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    accounts, addresses, users, keys = [], [], [], []
    for a in range(1, ACCOUNTS + 1):
        name, chicago = account_name(a), is_chicago_account(a)
        time_zone = "America/Chicago" if chicago else "Asia/Shanghai"
        accounts.append(
            {"id": a, "slug": f"acct-{a}", "name": name, "hotline_phone": account_phone(a),
             "phone_e164": phone_key(account_phone(a)), "time_zone": time_zone, **stamps}
        )  # fmt: skip
        city = "Chicago" if chicago else CITIES[(a // 10) % 20]
        addresses.append(
            {"id": a, "account_id": a, "label": "Head office", "lines": f"{a} Main Street",
             "city": city, "postcode": "200000", "country": "US" if chicago else "CN", **stamps}
        )  # fmt: skip
        keys += [{"kind": k, "key": v, "account_id": a} for k, v in name_keys(name)]
        keys += [
            {"kind": k, "key": v, "account_id": a, "address_id": a} for k, v in name_keys(city)
        ]
    chinese = []
    for c in range(1, CONTACTS + 1):
        if is_chinese_contact(c):
            name = chinese_name(rng)
            chinese.append(name)
        else:
            name = f"{FIRST[c % 20]} {LAST[(c // 20) % 20]} {c}"
        region = "US" if is_chicago_account(account_of(c)) else "CN"
        users.append(
            {"id": c, "email": f"contact{c}@acct-{account_of(c)}.example", "name": name,
             "phone": contact_phone(c), "phone_e164": phone_key(contact_phone(c), region),
             "role": "buyer", "account_id": account_of(c), **stamps}
        )  # fmt: skip
        keys += [{"kind": k, "key": v, "user_id": c} for k, v in name_keys(name, personal=True)]
    for key in keys:
        key.setdefault("user_id", None)
        key.setdefault("account_id", None)
        key.setdefault("address_id", None)
    return {"accounts": accounts, "addresses": addresses, "users": users, "keys": keys,
            "chinese": chinese}  # fmt: skip


def _pg_sql() -> list[str]:
    return [
        "INSERT INTO payment_terms (code, name, needs_letter_of_credit, version) "
        "VALUES ('net30', 'Net 30', false, 1)",
        f"""INSERT INTO contracts (id, account_id, number, currency, valid_from, valid_to, status,
              payment_term_id, credit_limit_amount, notes, is_assortment_restricted, version,
              created_at, updated_at)
            SELECT n, n, 'C-' || n, 'CNY', current_date - 100, current_date + 300, 'active',
                   1, 1000000, '', false, 1, now(), now()
            FROM generate_series(1, {ACCOUNTS}) AS n""",
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
              event, days, currency, amount, paid_amount, refunded_amount, due_on, invoiced_on)
            SELECT 1 + n % {ACCOUNTS}, n, 1, 'Payment', 100, 'delivery', 30, 'CNY',
                   1000 + n % 9000, CASE WHEN n % 4 = 0 THEN 0 ELSE 1000 + n % 9000 END, 0,
                   CASE WHEN n % 2 = 0 THEN current_date - (n % 700) + 30 END,
                   CASE WHEN n % 2 = 0 THEN current_date - (n % 700) END
            FROM generate_series(1, {ORDERS}) AS n""",
        f"""INSERT INTO hotline_requests (account_id, created_at, topic, description, phone,
              callback_window, status, due_at, outcome_note, survey_comment)
            SELECT 1 + n % {ACCOUNTS}, now(), 'other', 'Call me', '', 'any',
                   (ARRAY['open','in_progress','closed'])[1 + n % 3], now() + interval '1 day', '', ''
            FROM generate_series(1, {REQUESTS}) AS n""",
    ]


def _sqlite_sql() -> list[str]:
    """The same rows as _pg_sql, with a recursive CTE for generate_series; amounts in SQLite
    are integer ten-thousandths (core.db.Amount)."""

    def series(count: int) -> str:
        return f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count})"

    statuses = "CASE n % 6 WHEN 0 THEN 'submitted' WHEN 1 THEN 'confirmed' WHEN 2 THEN 'released' WHEN 3 THEN 'shipped' WHEN 4 THEN 'delivered' ELSE 'closed' END"
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    return [
        "INSERT INTO payment_terms (code, name, needs_letter_of_credit, version) "
        "VALUES ('net30', 'Net 30', 0, 1)",
        f"""INSERT INTO contracts (id, account_id, number, currency, valid_from, valid_to, status,
              payment_term_id, credit_limit_amount, notes, is_assortment_restricted, version,
              created_at, updated_at)
            {series(ACCOUNTS)}
            SELECT n, n, 'C-' || n, 'CNY', date('now', '-100 days'), date('now', '+300 days'),
                   'active', 1, 10000000000, '', 0, 1, {now}, {now} FROM s""",
        f"""INSERT INTO orders (id, account_id, number, checkout_token, contract_id, status,
              hold_reason, is_over_credit, placed_by_id, placed_on, currency, total_amount,
              payment_term_name, needs_letter_of_credit, ship_to, po_number, note,
              decision_comment, carrier, tracking_number, cancel_reason, version,
              created_at, updated_at)
            {series(ORDERS)}
            SELECT n, 1 + n % {ACCOUNTS}, 'NW-2026-' || printf('%07d', n), 'token-' || n,
                   1 + n % {ACCOUNTS}, {statuses}, '', 0, 1 + n % {CONTACTS},
                   date('now', '-' || (n % 700) || ' days'), 'CNY', (1000 + n % 9000) * 10000,
                   'Net 30', 0, 'Somewhere 1', CASE WHEN n % 3 = 0 THEN 'PO-' || n ELSE '' END,
                   '', '', '', '', '', 1, {now}, {now} FROM s""",
        f"""INSERT INTO order_milestones (account_id, order_id, position, label, share_percent,
              event, days, currency, amount, paid_amount, refunded_amount, due_on, invoiced_on)
            {series(ORDERS)}
            SELECT 1 + n % {ACCOUNTS}, n, 1, 'Payment', 1000000, 'delivery', 30, 'CNY',
                   (1000 + n % 9000) * 10000,
                   CASE WHEN n % 4 = 0 THEN 0 ELSE (1000 + n % 9000) * 10000 END, 0,
                   CASE WHEN n % 2 = 0 THEN date('now', '-' || (n % 700 - 30) || ' days') END,
                   CASE WHEN n % 2 = 0 THEN date('now', '-' || (n % 700) || ' days') END
            FROM s""",
        f"""INSERT INTO hotline_requests (account_id, created_at, topic, description, phone,
              callback_window, status, due_at, outcome_note, survey_comment)
            {series(REQUESTS)}
            SELECT 1 + n % {ACCOUNTS}, {now}, 'other', 'Call me', '', 'any',
                   CASE n % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'in_progress' ELSE 'closed' END,
                   strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 day'), '', '' FROM s""",
    ]


def load(rows: dict[str, list[dict]]) -> None:
    """The Python-made rows through SQLAlchemy Core (column defaults filled in as the app
    would), the big tables in SQL, then ANALYZE."""
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as connection:
        for table, key in (
            (KeyAccount.__table__, "accounts"),
            (Address.__table__, "addresses"),
            (User.__table__, "users"),
            (SearchKey.__table__, "keys"),
        ):
            batch = rows[key]
            for start in range(0, len(batch), 50_000):
                connection.execute(table.insert(), batch[start : start + 50_000])
        raw = connection.connection.driver_connection
        for statement in _pg_sql() if postgres else _sqlite_sql():
            if postgres:
                raw.execute(statement)  # psycopg: no parameters, % is modulo
            else:
                raw.cursor().execute(statement)
        if postgres:
            for table in ("users", "key_accounts", "contracts", "orders", "addresses"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    if postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def inputs(rng: random.Random, chinese: list[str]) -> dict[str, tuple]:
    """REPEAT varied queries per kind, as a caller would say them."""

    def some(make):
        return [make(rng.randrange(1, 10**9)) for _ in range(REPEAT)]

    def latin_account_name(n):
        a = 1 + n % ACCOUNTS
        a = a + 1 if is_chinese_account(a) else a
        word, kind = WORDS[a % 20], KINDS_OF[(a // 20) % 10]
        return f"{word.lower()} {kind.split()[0][:4].lower()}"  # "acme hosp"

    def latin_contact(n):
        c = 1 + n % CONTACTS
        while is_chinese_contact(c):
            c = c % CONTACTS + 1
        return c

    def contact_name(n):
        c = latin_contact(n)
        return f"{FIRST[c % 20]} {LAST[(c // 20) % 20]} {c}"

    def a_chinese_name(n):
        return chinese[n % len(chinese)]

    def pinyin(n):  # "wang fang", as a caller spells it
        return " ".join(syllables(a_chinese_name(n)))

    def initials(n):  # "wf"
        return "".join(word[0] for word in syllables(a_chinese_name(n)))

    def phone(n):
        c = 1 + n % CONTACTS
        while is_chicago_account(account_of(c)):
            c = c % CONTACTS + 1
        digits = f"{c:08d}"
        return rng.choice(
            [f"+86 138 {digits[:4]} {digits[4:]}", f"138-{digits[:4]}-{digits[4:]}", f"138{digits}"]
        )

    def chicago_phone(n):
        c = 1 + n % CONTACTS
        while not is_chicago_account(account_of(c)):
            c = c % CONTACTS + 1
        return contact_phone(c)

    def an_account_phone(n):
        a = 1 + n % ACCOUNTS
        return rng.choice([account_phone(a), f"021-{50_000_000 + a}", f"0086 21 {50_000_000 + a}"])

    f = queries
    return {
        "account name": (f.find_accounts, some(latin_account_name)),
        "account phone": (f.find_accounts, some(an_account_phone)),
        "place (青岛)": (f.find_accounts, some(lambda n: CITIES[n % 20])),
        "place pinyin": (f.find_accounts, some(lambda n: "".join(syllables(CITIES[n % 20])))),
        "contact name": (f.find_contacts, some(contact_name)),
        "Chinese name (王芳)": (f.find_contacts, some(a_chinese_name)),
        "pinyin (wang fang)": (f.find_contacts, some(pinyin)),
        "initials (wf)": (f.find_contacts, some(initials)),
        "contact e-mail": (
            f.find_contacts,
            some(
                lambda n: f"contact{1 + n % CONTACTS}@acct-{account_of(1 + n % CONTACTS)}.example"
            ),
        ),
        "contact e-mail part": (f.find_contacts, some(lambda n: f"contact{1 + n % CONTACTS}@")),
        "contact phone (CN)": (f.find_contacts, some(phone)),
        "contact phone (US)": (f.find_contacts, some(chicago_phone)),
        "order number": (f.find_orders, some(lambda n: f"NW-2026-{1 + n % ORDERS:07d}")),
        "PO number": (f.find_orders, some(lambda n: f"PO-{3 * (1 + n % (ORDERS // 3))}")),
        "invoice number": (
            f.find_invoices,
            some(lambda n: f"NW-2026-{2 * (1 + n % (ORDERS // 2)):07d}-1"),
        ),
        "hotline number": (f.find_hotline_requests, some(lambda n: f"HL-{1 + n % REQUESTS:06d}")),
        "whole search": (f.search, some(contact_name)),
        "whole search (王芳)": (f.search, some(a_chinese_name)),
        "whole search (pinyin)": (f.search, some(pinyin)),
    }


def measure(find, texts: list[str]) -> tuple[list[float], int]:
    times, found = [], 0
    for text in texts:
        start = time.perf_counter()
        arg = text if find is queries.search else queries.Terms.parse(text)
        result = find(arg)
        times.append((time.perf_counter() - start) * 1000)
        found += bool(result.count if find is queries.search else result)
        db.session.rollback()
    return times, found


def baseline(emails: list[str]) -> list[float]:
    """The bare floor: one raw indexed query by e-mail on the DBAPI connection, no ORM."""
    raw = db.session.connection().connection.driver_connection
    marker = "%s" if db.engine.dialect.name == "postgresql" else "?"
    times = []
    for email in emails:
        start = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(f"SELECT id, name FROM users WHERE email = {marker}", (email,))
        cursor.fetchall()
        times.append((time.perf_counter() - start) * 1000)
    db.session.rollback()
    return times


def plan_of(find, text: str) -> str:
    """EXPLAIN (QUERY PLAN on SQLite) of the statements `find` issues for `text`."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        find(text if find is queries.search else queries.Terms.parse(text))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
        db.session.rollback()
    postgres = db.engine.dialect.name == "postgresql"
    plans = []
    with db.engine.connect() as connection:
        for statement, parameters in captured:
            explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
            plans.append("\n".join(str(row[0] if postgres else row[-1]) for row in rows))
    return "\n".join(plans)


def plan_summary(plan: str) -> tuple[bool, str]:
    """(no full scan of a big table, the indexes and the scanned tables the plan reads)."""
    indexes = set(re.findall(r"Index (?:Only )?Scan (?:using|on) (\w+)", plan))
    indexes |= set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", plan))
    indexes |= {f"{t}(pk)" for t in re.findall(r"SEARCH (\w+) USING INTEGER PRIMARY KEY", plan)}
    scans = set(re.findall(r"Seq Scan on (\w+)", plan))
    scans |= set(re.findall(r"SCAN (\w+)(?! USING)", plan)) - {"s", "CONSTANT"}
    scans = {t for t in scans if not t.startswith("anon_")}
    big_scans = [table for table in scans if table in BIG_TABLES]
    return not big_scans, ", ".join(sorted(indexes) + [f"scan:{t}" for t in sorted(scans)])


def run(label: str, rows: dict) -> list[tuple]:
    rng = random.Random(7)
    started = time.perf_counter()
    load(rows)
    print(
        f"\n{label}: {ACCOUNTS:,} accounts, {CONTACTS:,} contacts ({len(rows['chinese']):,} with "
        f"Chinese names), {len(rows['keys']):,} search keys, {ORDERS:,} orders (+ {ORDERS:,} "
        f"milestones), {REQUESTS:,} hotline requests loaded in {time.perf_counter() - started:.0f} s"
    )
    emails = [f"contact{rng.randrange(1, CONTACTS)}@acct-1.example" for _ in range(REPEAT)]
    baseline(emails[:10])
    floor = statistics.median(baseline(emails))
    print(f"baseline (one raw indexed query by e-mail): p50 {floor:.3f} ms")
    print(f"{'kind':<24}{'p50 ms':>8}{'p95 ms':>8}{'p50/base':>9}{'found':>9}  budget  plan")
    results = []
    for kind, (find, texts) in inputs(rng, rows["chinese"]).items():
        measure(find, texts[:10])  # warm up caches and prepared statements
        times, found = measure(find, texts)
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[18]
        indexed, summary = plan_summary(plan_of(find, texts[0]))
        postgres = label == "PostgreSQL"
        ok = p95 < BUDGET_MS and (indexed or not postgres)
        results.append((kind, label, p95, ok))
        print(
            f"{kind:<24}{p50:>8.2f}{p95:>8.2f}{p50 / floor:>8.0f}x{found:>5}/{len(texts):<3}  "
            f"{'ok' if ok else 'OVER':<6}  {summary}"
        )
    return results


def main() -> None:
    only = sys.argv[1] if len(sys.argv) > 1 else None
    started = time.perf_counter()
    rows = python_rows()
    print(f"rows and search keys made in Python in {time.perf_counter() - started:.0f} s")
    results = []
    for label, make in databases("portal_bench_lookup", only):
        with make() as url, app_on(url):
            results += run(label, rows)
    print()
    over = [f"{kind} ({label}, p95 {p95:.1f} ms)" for kind, label, p95, ok in results if not ok]
    if over:
        print("OVER BUDGET, or a Seq Scan on a big table: " + "; ".join(over))
    else:
        print(f"p95 within {BUDGET_MS:.0f} ms for every kind, and no Seq Scan on a big table")


if __name__ == "__main__":
    main()
