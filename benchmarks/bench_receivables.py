"""Finance's receivables page (/staff/finance/receivables) with 10,000 and with 100,000 open
invoices over 500 accounts, on SQLite and PostgreSQL.

Prints, measured side by side in one run: the statements the page issues (the same number for
both sizes), the median time of the whole page request at each size, and the ratio 100,000 /
10,000 (the ageing is summed in SQL: it grows with the rows the database scans, while what
Python handles grows with the accounts only; the overdue list is one page).

    .venv/bin/python benchmarks/bench_receivables.py [sqlite|postgresql]
"""

import sys
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from common import app_on, databases, median_seconds

from portal.accounts.models import KeyAccount
from portal.contracts.services import today_for
from portal.extensions import db
from portal.ordering.models import Milestone, Order
from tests import factories
from tests.support.web import count_queries, signed_in

ACCOUNTS = 500
SIZES = (10_000, 100_000)
PAGE = "/staff/finance/receivables"


def setup() -> list:
    with factories.committed_once():
        factories.StaffFactory(role="finance", email="finance@northwind.example")
        contracts = []
        for i in range(ACCOUNTS):
            zone = ("Asia/Shanghai", "America/Chicago", "Europe/Berlin")[i % 3]
            account = factories.AccountFactory(slug=f"bench-{i}", time_zone=zone)
            contracts.append(factories.ContractFactory(account=account))
    return contracts


def add_invoices(contracts: list, start: int, count: int) -> None:
    """`count` one-invoice orders, spread over the accounts, due 0-179 days ago (every bucket)."""
    accounts = db.session.scalars(sa.select(KeyAccount).where(KeyAccount.slug.like("bench-%")))
    todays = {a.id: today_for(a) for a in accounts}
    for chunk in range(start, start + count, 5_000):
        numbers = range(chunk, min(chunk + 5_000, start + count))
        orders = [
            {
                "account_id": contracts[n % ACCOUNTS].account_id,
                "contract_id": contracts[n % ACCOUNTS].id,
                "number": f"NW-2026-{n:07d}",
                "checkout_token": f"bench-{n}",
                "status": "shipped",
                "placed_on": todays[contracts[n % ACCOUNTS].account_id],
                "currency": ("CNY", "USD")[n % 7 == 0],
                "total_amount": Decimal("100.00"),
                "payment_term_name": "Net 30",
                "ship_to": "Somewhere",
            }
            for n in numbers
        ]
        ids = db.session.scalars(
            sa.insert(Order).returning(Order.id, sort_by_parameter_order=True), orders
        ).all()
        db.session.execute(
            sa.insert(Milestone),
            [
                {
                    "order_id": order_id,
                    "account_id": row["account_id"],
                    "position": 1,
                    "label": "Payment",
                    "share_percent": Decimal(100),
                    "event": "shipment",
                    "days": 30,
                    "currency": row["currency"],
                    "amount": Decimal("100.00"),
                    "paid_amount": Decimal("0"),
                    "due_on": row["placed_on"] - timedelta(days=n % 180),
                    "invoiced_on": row["placed_on"] - timedelta(days=n % 180 + 30),
                }
                for order_id, row, n in zip(ids, orders, numbers, strict=True)
            ],
        )
        db.session.commit()


def main(only: str | None) -> None:
    for label, make in databases("bench_receivables", only):
        with make() as url, app_on(url) as app:
            contracts = setup()
            client = signed_in(app, "finance@northwind.example")
            client.get(PAGE)
            timings, statements = {}, {}
            done = 0
            for size in SIZES:
                add_invoices(contracts, done, size - done)
                done = size
                db.session.expire_all()
                client.get(PAGE)
                with count_queries() as issued:
                    assert client.get(PAGE).status_code == 200
                statements[size] = len(issued)
                timings[size] = median_seconds(lambda c=client: c.get(PAGE), 5)
            small, large = SIZES
            print(
                f"{label}: statements {statements[small]} / {statements[large]}; "
                f"page {timings[small] * 1000:.0f} ms at {small:,} open invoices, "
                f"{timings[large] * 1000:.0f} ms at {large:,}: "
                f"ratio {timings[large] / timings[small]:.2f} (x{large // small} rows)"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
