"""Work side by side: calls released together in threads, and an account of its own to race
on (for the apps of tests/fixtures/own_databases.py)."""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tests import factories

#: How long a thread waits for the others at the starting line, and for its result.
WAIT = 20


@dataclass(frozen=True)
class Ids:
    account: int
    slug: str
    address: int
    buyers: list[int]
    emails: list[str]
    sku: str


def seed(app, *, buyers: int, credit_limit: str = "500000.00", price: str = "600.00") -> Ids:
    """An account of its own with `buyers` buyers (no spending limit), a Net 30 contract and
    one product at `price`."""
    with app.app_context():
        tag = uuid.uuid4().hex[:10]
        account = factories.AccountFactory(slug=f"race-{tag}")
        contract = factories.ContractFactory(
            account=account, credit_limit_amount=Decimal(credit_limit)
        )
        product = factories.ProductFactory(sku=f"RACE-{tag}")
        factories.PriceRuleFactory(
            contract=contract, product=product, kind="fixed", value=Decimal(price)
        )
        users = [
            factories.UserFactory(account=account, email=f"buyer{i}-{tag}@race.example")
            for i in range(buyers)
        ]
        address = factories.AddressFactory(account=account)
        return Ids(
            account.id,
            account.slug,
            address.id,
            [u.id for u in users],
            [u.email for u in users],
            product.sku,
        )


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each result, or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = call(barrier)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def no_errors(results) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
