"""The issue's first Done-when: examples/api_order.py, using only `requests` and a buyer's
token, places an order, reads its schedule and VAT, downloads its invoice PDF and files a
hotline request; repeating the order request with the same Idempotency-Key returns the same
order. Run as a separate process against the demo served on a loopback port."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.api.spec import _path
from portal.extensions import db
from portal.ordering.models import Order
from portal.tax.fapiao import fapiao_choice
from tests.support.api import issue_token
from tests.support.environment import skip_or_fail
from tests.support.live import demo_site

pytestmark = pytest.mark.no_transaction

SCRIPT = Path(__file__).parents[2] / "examples" / "api_order.py"
#: Initech's buyer: Initech pays in installments, the first invoiced when the order is placed
#: (Acme's Net 30 is invoiced at shipment), in CNY with VAT, and a dock is well within the
#: buyer's spending limit (an order above it would wait for approval, uninvoiced).
BUYER = "buyer@initech.example"
#: The operations the script calls, as (method, path with its parameters unnamed).
CALLED = {
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/addresses"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders/{}"),
    ("GET", "/api/v1/orders/{}/schedule"),
    ("GET", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/{}/pdf"),
    ("POST", "/api/v1/hotline-requests"),
}


def operations(app) -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"\{\w+\}", "{}", _path(rule.rule)))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods
    }


def test_the_example_script_orders_with_a_buyers_token(app, tmp_path):
    missing = sorted(CALLED - operations(app))
    if missing:
        skip_or_fail(f"the API lacks operations the script calls (they join on merge): {missing}")
    token = {}

    def buyers_token():
        buyer = db.session.scalar(sa.select(User).where(User.email == BUYER))
        token["plain"] = issue_token(buyer, ("read", "order"))
        types = fapiao_choice(db.session.get(KeyAccount, buyer.account_id)).types
        token["fapiao"] = types[0] if types else None

    with demo_site(tmp_path / "demo.db", buyers_token) as (site, base):
        finished = subprocess.run(  # noqa: S603  (our own script, our own arguments)
            [
                sys.executable,
                str(SCRIPT),
                "--url",
                base,
                "--token",
                token["plain"],
                "--po",
                "PO-EXAMPLE-1",
                "--out",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        with site.app_context():
            orders = db.session.scalars(sa.select(Order).where(Order.po_number == "PO-EXAMPLE-1"))
            [order] = orders.all()
            # Not told a fapiao type, the script asked for the account's default itself.
            assert (order.fapiao_type or None) == token["fapiao"]
    assert "returned order" in finished.stdout
    assert list(tmp_path.glob("invoice-*.pdf"))


def test_the_script_fails_loudly_without_a_live_token(tmp_path):
    """Its exit code is what a caller (and the test above) relies on."""
    finished = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--url", "http://127.0.0.1:9", "--token", "kap_nothing"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 1
    assert "FAILED" in finished.stdout


def test_the_scripts_help_says_how_to_give_the_portal_and_the_token():
    finished = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for word in ("--url", "--token", "--sku", "--fapiao-type", "PORTAL_URL", "PORTAL_TOKEN"):
        assert word in finished.stdout
    assert "default: $PORTAL_TOKEN" in " ".join(finished.stdout.split())
