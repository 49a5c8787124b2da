"""Match a 10,000-line bank statement against 100,000 open milestones, all or nothing, on SQLite
and PostgreSQL, against the 30 s budget of DESIGN.md section 7.

Loads 1,000 key accounts with a contract each and 50,000 shipped orders of two milestones each
(100,000 open milestones, CNY) placed by one buyer per account, then uploads a CAMT.053
statement (tests/support/bank.py) of 10,000 credit lines through
payments.statement_services.upload_statement, the very function the page calls: 40% pay one
invoice exactly, 20% pay part of one, 15% pay both invoices of an order
in one transfer (combined), 25% match nothing (no reference, unknown numbers, another
currency). Prints the time, lines per second, the ratio to the budget, the SQL statements
issued, and the ratio to a raw SQL floor: the same candidate milestones fetched with one raw
query on the DBAPI connection. Then checks all or nothing: the same statement with one bad line
last is refused whole, nothing changed; and uploading the good one again changes nothing.

    .venv/bin/python benchmarks/bench_bank_statement.py [sqlite|postgresql]

BANK_BENCH_SCALE=0.1 runs at a tenth of the size. PostgreSQL runs in a scratch database
beside PORTAL_BENCH_DATABASE_URL's (benchmarks/common.py), dropped afterwards.
"""

import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from common import app_on, databases

from portal.accounts.models import KeyAccount, User
from portal.contracts.models import Contract, PaymentTerm
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering.models import Milestone, Order
from portal.payments import matching, statement_services
from portal.payments.models import BankStatementLine, Payment
from tests.support.bank import camt053, entry
from tests.support.web import count_queries

SCALE = float(os.environ.get("BANK_BENCH_SCALE", "1"))
ACCOUNTS = max(10, int(1_000 * SCALE))
ORDERS = int(50_000 * SCALE)
LINES = int(10_000 * SCALE)
BUDGET_SECONDS = 30.0


def load() -> tuple[User, list[tuple[str, Decimal, Decimal]]]:
    """The accounts, contracts, orders and milestones; (order number, first, second amount)."""
    now, today = utcnow(), date.today()
    stamps = {"created_at": now, "updated_at": now}
    db.session.execute(
        sa.insert(KeyAccount),
        [
            {"slug": f"acct-{a}", "name": f"Account {a}", "currency": "CNY", **stamps}
            for a in range(ACCOUNTS)
        ],
    )
    term = PaymentTerm(code="net30", name="Net 30")
    db.session.add(term)
    db.session.flush()
    account_ids = list(db.session.scalars(sa.select(KeyAccount.id).order_by(KeyAccount.id)))
    db.session.execute(
        sa.insert(Contract),
        [
            {
                "account_id": a,
                "number": f"C-{a}",
                "currency": "CNY",
                "valid_from": today - timedelta(days=365),
                "valid_to": today + timedelta(days=365),
                "status": "active",
                "payment_term_id": term.id,
                "credit_limit_amount": Decimal("100000000"),
                **stamps,
            }
            for a in account_ids
        ],
    )
    contracts = dict(db.session.execute(sa.select(Contract.account_id, Contract.id)).all())
    # One buyer per account, who placed its orders: each is told of the payments received.
    db.session.execute(
        sa.insert(User),
        [
            {
                "email": f"buyer{a}@bench.example",
                "name": f"Buyer {a}",
                "role": "buyer",
                "account_id": a,
                **stamps,
            }
            for a in account_ids
        ],
    )
    buyers = dict(db.session.execute(sa.select(User.account_id, User.id)).all())
    rng = random.Random(15)
    orders = []
    rows = []
    for i in range(ORDERS):
        account_id = account_ids[i % len(account_ids)]
        first = Decimal(rng.randrange(10_000, 5_000_000)).scaleb(-2)
        second = Decimal(rng.randrange(10_000, 5_000_000)).scaleb(-2)
        number = f"NW-2026-{i + 1:06d}"
        orders.append((number, first, second))
        rows.append(
            {
                "account_id": account_id,
                "contract_id": contracts[account_id],
                "number": number,
                "checkout_token": f"bench-{i}",
                "placed_by_id": buyers[account_id],
                "status": "shipped",
                "placed_on": today,
                "currency": "CNY",
                "total_amount": first + second,
                "payment_term_name": "Net 30",
                "ship_to": "Head office",
                **stamps,
            }
        )
    for start in range(0, len(rows), 10_000):
        db.session.execute(sa.insert(Order), rows[start : start + 10_000])
    ids = dict(db.session.execute(sa.select(Order.number, Order.id)).all())
    accounts = dict(db.session.execute(sa.select(Order.number, Order.account_id)).all())
    milestones = []
    for number, first, second in orders:
        for position, amount in ((1, first), (2, second)):
            milestones.append(
                {
                    "order_id": ids[number],
                    "account_id": accounts[number],
                    "position": position,
                    "label": "Payment",
                    "share_percent": Decimal(50),
                    "event": "shipment",
                    "days": 30,
                    "currency": "CNY",
                    "amount": amount,
                    "paid_amount": Decimal(0),
                    "refunded_amount": Decimal(0),
                    "due_on": today,
                    "invoiced_on": today,
                }
            )
    for start in range(0, len(milestones), 10_000):
        db.session.execute(sa.insert(Milestone), milestones[start : start + 10_000])
    finance = User(email="finance@northwind.example", name="Finance", role="finance")
    db.session.add(finance)
    db.session.commit()
    return finance, orders


def statement(orders, bad: bool = False) -> tuple[bytes, dict[str, int]]:
    """The 10,000 lines (each order used once), and how many of each kind."""
    rng = random.Random(6)
    chosen = rng.sample(orders, LINES)
    entries, kinds = [], {"exact": 0, "partial": 0, "combined": 0, "unmatched": 0}
    for i, (number, first, second) in enumerate(chosen):
        roll = i % 20
        ref = f"BENCH{i:07d}"
        if roll < 8:
            kind, e = "exact", entry(first, f"Payment {number}-1 thank you", bank_reference=ref)
        elif roll < 12:
            half = (second / 2).quantize(Decimal("0.01"))
            kind, e = "partial", entry(half, f"{number.lower()}-2", bank_reference=ref)
        elif roll < 15:
            text = f"INV {number}-1, {number}-2"
            kind, e = "combined", entry(first + second, text, bank_reference=ref)
        elif roll < 17:
            kind, e = "unmatched", entry(first, "monthly payment", bank_reference=ref)
        elif roll < 19:
            kind, e = "unmatched", entry(first, f"NW-2025-{i:06d}-1", bank_reference=ref)
        else:
            kind, e = "unmatched", entry(first, f"{number}-1", currency="USD", bank_reference=ref)
        kinds[kind] += 1
        entries.append(e)
    if bad:
        entries.append(entry("12.345", "three decimals", bank_reference="BAD"))
    return camt053(entries, statement_id="BENCH-1"), kinds


def raw_floor(data: bytes) -> tuple[float, int]:
    """One raw query fetching every candidate milestone of the statement's order numbers."""
    from portal.payments.statements import parse_camt053

    orders = matching.order_numbers_in(line.reference_text for line in parse_camt053(data).lines)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        marks = ", ".join(["%s" if db.engine.dialect.name == "postgresql" else "?"] * len(orders))
        start = time.perf_counter()
        cursor.execute(
            "SELECT m.id, m.account_id, o.number, m.position, m.currency, "
            "m.amount - m.paid_amount, o.status FROM order_milestones m "
            f"JOIN orders o ON o.id = m.order_id WHERE o.number IN ({marks})",
            orders,
        )
        rows = cursor.fetchall()
        seconds = time.perf_counter() - start
        assert rows
        cursor.close()
    finally:
        connection.close()
    return seconds, len(orders)


def state() -> tuple:
    return (
        db.session.scalar(sa.select(sa.func.count(BankStatementLine.id))),
        db.session.scalar(sa.select(sa.func.count(Payment.id))),
        db.session.scalar(sa.select(sa.func.sum(Milestone.paid_amount))),
    )


def run(label: str, url: str) -> dict:
    with app_on(url):
        start = time.perf_counter()
        finance, orders = load()
        loaded = time.perf_counter() - start
        good, kinds = statement(orders)
        bad, _kinds = statement(orders, bad=True)
        # All or nothing: the statement with one bad line last is refused whole.
        before = state()
        refused_start = time.perf_counter()
        try:
            statement_services.upload_statement(finance, "bad.xml", bad)
            raise AssertionError("a statement with a bad line was accepted")
        except ServiceError as error:
            assert "Entry" in error.message, error.message
        refused = time.perf_counter() - refused_start
        db.session.rollback()
        assert state() == before
        floor, named = raw_floor(good)
        with count_queries() as statements:
            start = time.perf_counter()
            result = statement_services.upload_statement(finance, "statement.xml", good)
            seconds = time.perf_counter() - start
        after = state()
        again_start = time.perf_counter()
        again = statement_services.upload_statement(finance, "statement.xml", good)
        again_s = time.perf_counter() - again_start
        assert again.statement is None and state() == after
        return {
            "label": label,
            "loaded": loaded,
            "seconds": seconds,
            "statements": len(statements),
            "selects": sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")),
            "floor": floor,
            "named": named,
            "refused": refused,
            "again": again_s,
            "result": result,
            "kinds": kinds,
        }


def main() -> None:
    only = sys.argv[1].lower() if len(sys.argv) > 1 else None
    results = []
    for label, make in databases("bench_bank", only):
        with make() as url:
            results.append(run(label, url))
    print(
        f"Matching a {LINES:,}-line bank statement against {2 * ORDERS:,} open milestones "
        f"({ACCOUNTS:,} accounts), all or nothing (budget {BUDGET_SECONDS:.0f} s)"
    )
    for r in results:
        res = r["result"]
        print(f"\n{r['label']} (data loaded in {r['loaded']:.1f} s)")
        print(
            "  lines: "
            + ", ".join(f"{k} {v:,}" for k, v in r["kinds"].items())
            + f" -> applied {res.applied:,}, queued {res.queued:,}"
        )
        print(
            f"  upload:  {r['seconds']:.2f} s, {LINES / r['seconds']:,.0f} lines/s, "
            f"{r['seconds'] / BUDGET_SECONDS:.2f}x the budget "
            f"({'ok' if r['seconds'] < BUDGET_SECONDS else 'MISSED'})"
        )
        print(
            f"  SQL statements: {r['statements']:,} ({r['selects']:,} SELECT); the "
            f"{r['named']:,} orders named are read in 2 x {-(-r['named'] // matching.CHUNK)} "
            f"chunked queries (accounts to lock, candidates), not one per line"
        )
        print(
            f"  raw SQL floor (the same candidates, one raw query): {r['floor'] * 1000:.0f} ms; "
            f"upload / floor = {r['seconds'] / r['floor']:,.0f}x"
        )
        print(
            f"  refused whole (one bad line last): {r['refused']:.2f} s, nothing written; "
            f"uploaded again: {r['again']:.2f} s, nothing changed"
        )


if __name__ == "__main__":
    main()
