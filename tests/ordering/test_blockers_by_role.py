"""What blocks an order's release, as each staff role may see it (core.access FIELDS): the call
centre can tell a caller why an order waits, not how much is unpaid or what the credit is."""

import re

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.ordering.models import Order
from tests.support.web import login


def blockers_seen(app, who: str) -> dict[str, list[str]]:
    """The blocker lines of Globex's demo order on its staff page and on the account 360."""
    client = app.test_client()
    login(client, f"{who}@northwind.example", DEMO_PASSWORD)
    globex = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "globex"))
    order = db.session.scalar(sa.select(Order).where(Order.account_id == globex.id))
    pages = {
        "order": client.get(f"/staff/orders/{order.number}"),
        "360": client.get("/staff/accounts/globex"),
    }
    return {
        name: [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>|&#9888;", "", line)).strip()
            for line in re.findall(r"data-blocker>(.*?)</", page.get_data(as_text=True), re.S)
        ]
        for name, page in pages.items()
    }


def test_the_call_centre_hears_why_an_order_waits_but_not_how_much(app):
    seed_demo(history=False)  # Globex's order waits for its 30% deposit

    finance = blockers_seen(app, "finance")
    call_centre = blockers_seen(app, "callcenter")

    assert any(re.search(r"Deposit of \$[\d,.]+ not paid", line) for line in finance["order"])
    assert any(re.search(r"Deposit of \$[\d,.]+ not paid", line) for line in finance["360"])
    for page in ("order", "360"):
        assert "Deposit not paid." in call_centre[page]
        assert not any("$" in line for line in call_centre[page]), call_centre[page]
