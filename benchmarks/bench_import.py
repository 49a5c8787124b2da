"""Import 100,000 price rules from CSV into one contract: preview, then apply, on SQLite and
PostgreSQL, against the 30 s budget of DESIGN.md section 7.

Two imports are timed: a new price list (every row creates a rule or a proposal), and the
export of that contract with a fifth of its values changed (updates; the rest unchanged).

    .venv/bin/python benchmarks/bench_import.py [sqlite|postgresql]
"""

import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from common import app_on, databases

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.imports import apply_import, export_rules_csv, preview_import
from portal.contracts.models import Contract
from portal.core.db import utcnow
from portal.extensions import db

ROWS = 100_000
PRODUCTS = ROWS // 2  # two volume tiers each
BUDGET_SECONDS = 30.0


def load_catalog() -> tuple[User, Contract]:
    now, today = utcnow(), date.today()
    stamps = {"created_at": now, "updated_at": now}
    db.session.execute(
        sa.insert(Category), [{"name": f"Category {i}", **stamps} for i in range(20)]
    )
    db.session.execute(
        sa.insert(Product),
        [
            {"sku": f"B-{i:06d}", "name": f"Product {i}", "category_id": i % 20 + 1, **stamps}
            for i in range(PRODUCTS)
        ],
    )
    rng = random.Random(1)
    db.session.execute(
        sa.insert(ListPrice),
        [
            {
                "product_id": i + 1,
                "currency": "CNY",
                "amount": Decimal(rng.randrange(1_000, 2_000_000)).scaleb(-2),
                **stamps,
            }
            for i in range(PRODUCTS)
        ],
    )
    account = KeyAccount(slug="bench", name="Bench Account", currency="CNY")
    actor = User(
        email="manager@northwind.example",
        name="Manager",
        role="sales_manager",
        discount_authority_percent=Decimal(25),
    )
    db.session.add_all([account, actor])
    db.session.flush()
    contract = Contract(
        account_id=account.id,
        number="BENCH-1",
        currency="CNY",
        valid_from=today - timedelta(days=30),
        valid_to=today + timedelta(days=700),
        status="active",
    )
    db.session.add(contract)
    db.session.commit()
    return actor, contract


def price_list() -> bytes:
    """Two tiers per product: fixed prices and percentages, some dated, some beyond 25%."""
    rng = random.Random(2)
    list_prices = dict(db.session.execute(sa.select(ListPrice.product_id, ListPrice.amount)).all())
    start = date.today() + timedelta(days=10)
    lines = ["target,kind,value,currency,min_quantity,valid_from,valid_to"]
    for i in range(PRODUCTS):
        sku, amount = f"B-{i:06d}", list_prices[i + 1]
        for tier in (1, 10):
            percent = rng.randrange(100, 3000 + tier * 50) / Decimal(100)
            dates = f"{start},{start + timedelta(days=300)}" if i % 10 == 0 else ","
            if rng.random() < 0.6:
                price = (amount * (100 - percent) / 100).quantize(Decimal("0.01"))
                lines.append(f"{sku},fixed,{price},CNY,{tier},{dates}")
            else:
                lines.append(f"{sku},percent_off,{percent},,{tier},{dates}")
    return ("\n".join(lines) + "\n").encode()


def changed(export: str) -> bytes:
    """The export with every fifth value changed by one unit or one percent."""
    lines = export.splitlines()
    for n in range(1, len(lines), 5):
        cells = lines[n].split(",")
        value = Decimal(cells[2])
        cells[2] = str(value - 1 if value > 2 else value + 1)
        lines[n] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(label: str, url: str) -> list[tuple]:
    results = []
    with app_on(url):
        actor, contract = load_catalog()
        for name, make in (("new price list", price_list), ("export, 1/5 changed", None)):
            data = make() if make else changed(export_rules_csv(contract))
            preview, preview_s = timed(lambda: preview_import(actor, contract, data))  # noqa: B023
            assert preview.is_valid, preview.error_rows[:3] or preview.errors
            result, apply_s = timed(
                lambda: apply_import(actor, contract, data, "Benchmark", preview.state)  # noqa: B023
            )
            counts = (
                f"{result.created} created, {result.updated} updated, "
                f"{result.proposed} proposed, {result.unchanged} unchanged"
            )
            results.append((label, name, len(preview.rows), preview_s, apply_s, counts))
    return results


def main() -> None:
    only = sys.argv[1].lower() if len(sys.argv) > 1 else None
    rows = []
    for label, database in databases("portal_bench_import", only):
        with database() as url:
            rows.extend(run(label, url))
    print(f"Importing {ROWS:,} price rules into one contract (budget {BUDGET_SECONDS:.0f} s)")
    print(
        f"{'database':<11} {'file':<20} {'rows':>7} {'preview':>8} {'apply':>8} {'total':>8}  "
        f"{'budget':<6} result"
    )
    for label, name, n, preview_s, apply_s, counts in rows:
        total = preview_s + apply_s
        verdict = "ok" if total < BUDGET_SECONDS else "MISSED"
        print(
            f"{label:<11} {name:<20} {n:>7,} {preview_s:>7.1f}s {apply_s:>7.1f}s {total:>7.1f}s  "
            f"{verdict:<6} {counts}"
        )


if __name__ == "__main__":
    main()
