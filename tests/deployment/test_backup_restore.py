"""A backup taken with the operator's guide's `pg_dump`, restored with its `pg_restore` into a new
database, serves the same orders (README.md, "Backups and restore"), and takes new ones."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from tests.support.deployment import prepare_database
from tests.support.environment import postgres_url, scratch_postgres_database, skip_or_fail
from tests.support.web import make_config

pytestmark = [pytest.mark.deployment, pytest.mark.no_transaction]

README = Path(__file__).resolve().parents[2] / "README.md"

#: The guide's two commands, run here as written (with DATABASE_URL and NEW_DATABASE_URL set).
DUMP = 'pg_dump --format=custom --file=portal.dump "$DATABASE_URL"'
RESTORE = 'pg_restore --no-owner --single-transaction --dbname="$NEW_DATABASE_URL" portal.dump'

BUYER = "buyer@acme.example"
SUBMITTED = "NW-LT14 2\nNW-MN27 1"  # CNY 17,339.15, within the buyer's limit
WAITING = "NW-LT14 10"  # CNY 76,500.00, above it: waits for the approver
ORDER_ROW = re.compile(
    r'data-order-number="([^"]+)" data-order-status="([^"]+)" data-order-total="([^"]+)"'
)
DATA_ATTRIBUTE = re.compile(r'\sdata-[a-z-]+="[^"]*"')


@pytest.fixture
def server():
    url = postgres_url()
    if url is None:
        skip_or_fail("no PostgreSQL answers: start one at postgresql://postgres@127.0.0.1:5432/")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is missing: apt-get install postgresql-client")
    return url


def test_a_dump_restored_into_a_new_database_serves_the_same_orders(server, tmp_path):
    assert DUMP in README.read_text() and RESTORE in README.read_text(), (
        "the test runs the guide's commands: keep them the same in both"
    )
    pid = os.getpid()
    with (
        scratch_postgres_database(server, f"portal_backup_{pid}") as original_url,
        scratch_postgres_database(server, f"portal_restored_{pid}") as restored_url,
    ):
        # Given the demo, and two orders placed through the buyer's pages
        prepare_database(original_url)
        original = create_app(make_config(original_url))
        buyer = signed_in_buyer(original)
        placed = [place_order(buyer, SUBMITTED), place_order(buyer, WAITING)]
        before = orders_seen(buyer)
        assert {number for number, _, _ in before} >= set(placed)
        assert {status for number, status, _ in before if number in placed} == {
            "submitted",
            "pending_approval",
        }
        pages_before = {number: order_page(buyer, number) for number in placed}
        counts_before = row_counts(original_url)
        dispose(original)

        # When the guide's pg_dump is restored with its pg_restore into a new database
        shell(DUMP, tmp_path, DATABASE_URL=libpq(original_url))
        shell(RESTORE, tmp_path, NEW_DATABASE_URL=libpq(restored_url))

        # Then the portal on it shows the buyer the same orders, totals and order pages
        restored = create_app(make_config(restored_url))
        buyer = signed_in_buyer(restored)
        assert orders_seen(buyer) == before
        assert {number: order_page(buyer, number) for number in placed} == pages_before
        # every table holds as many rows (the sign-in just made adds one session)
        counts_after = row_counts(restored_url)
        assert counts_after.pop("user_sessions") == counts_before.pop("user_sessions") + 1
        assert counts_after == counts_before
        # and it takes new orders, under numbers of their own
        new = place_order(buyer, SUBMITTED)
        assert new not in {number for number, _, _ in before}
        assert new in {number for number, _, _ in orders_seen(buyer)}
        dispose(restored)


def signed_in_buyer(app):
    client = app.test_client()
    response = client.post("/login", data={"email": BUYER, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "the demo buyer signs in"
    return client


def place_order(client, lines: str) -> str:
    """Quick order, then checkout; the new order's number."""
    added = client.post("/a/acme/cart/quick-order", data={"lines": lines})
    assert added.status_code in (302, 303)
    page = client.get("/a/acme/checkout").get_data(as_text=True)
    token = re.search(r'name="checkout_token" type="hidden" value="(\w+)"', page).group(1)
    # The first choice of each list: the ship-to address, the fapiao type.
    choices = dict(
        re.findall(r'<select[^>]*name="(\w+)"[^>]*>\s*<option[^>]*value="([^"]*)"', page)
    )
    placed = client.post("/a/acme/checkout", data={**choices, "checkout_token": token})
    assert placed.status_code == 303
    return placed.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def orders_seen(client) -> list[tuple[str, str, str]]:
    """(number, status, total) of each row of the buyer's order list, in its order."""
    page = client.get("/a/acme/orders")
    assert page.status_code == 200
    return ORDER_ROW.findall(page.get_data(as_text=True))


def order_page(client, number: str) -> list[str]:
    """What the order page says in its data-* attributes: number, status, total, lines,
    milestones."""
    page = client.get(f"/a/acme/orders/{number}")
    assert page.status_code == 200
    return DATA_ATTRIBUTE.findall(page.get_data(as_text=True))


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            counts = {
                table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables
            }
            counts["alembic_version"] = connection.scalar(
                sa.text("SELECT version_num FROM alembic_version")
            )
    finally:
        engine.dispose()
    return counts


def libpq(url: str) -> str:
    """The URL as PostgreSQL's own tools take it (no SQLAlchemy driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def shell(command: str, cwd: Path, **env: str) -> None:
    done = subprocess.run(  # noqa: S603 - the guide's fixed commands
        ["bash", "-c", command],  # noqa: S607
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
