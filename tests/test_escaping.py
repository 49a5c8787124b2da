"""Stored XSS (SECURITY.md 23): markup typed into a PO number, a note, a comment, a reason or a
label renders as text on every page that shows it, for every role. Mutation testing found that a
PO number rendered with `|safe` passed every test before this one."""

import re

import pytest

from portal.core.permissions import ROLES
from tests import factories
from tests.support.access import PUBLIC, build_url, declared_access, rules
from tests.support.web import login


def payload(n: int) -> str:
    """Markup that runs script if a page lets it through; `n` tells which field it was in."""
    return f'"><img src=x onerror=alert({n})><script>alert({n})</script>'


#: Where each payload is typed (its number is its place in this list).
FIELDS = [
    "order PO number",
    "order note",
    "order decision comment",
    "order hold reason",
    "order history comment",
    "cancel reason",
    "milestone label",
    "address label",
    "order list name",
    "credit hold reason",
    "price rule reason",
    "proposal reason",
]
RAW = re.compile(rb"<img src=x onerror=alert\((\d+)\)|<script>alert\((\d+)\)")
ESCAPED = re.compile(rb"&lt;script&gt;alert\((\d+)\)")


@pytest.fixture
def hostile_world(world):
    p = {field: payload(n) for n, field in enumerate(FIELDS)}
    with factories.committed_once():
        order = world["acme_order"]
        order.po_number = p["order PO number"]
        order.note = p["order note"]
        order.status, order.held_from_status = "on_hold", "submitted"
        order.hold_reason = p["order hold reason"]
        factories.OrderEventFactory(
            order=order, to_status="on_hold", comment=p["order history comment"]
        )
        world["cancelled_order"] = factories.OrderFactory(
            contract=world["acme_rule"].contract,
            placed_by=world["acme_user"],
            status="cancelled",
            cancel_reason=p["cancel reason"],
            decided_by=world["users"]["approver"],
            decision_comment=p["order decision comment"],
        )
        world["acme_invoice"].label = p["milestone label"]
        world["acme_address"].label = p["address label"]
        world["acme_list"].name = p["order list name"]
        world["acme"].is_on_credit_hold = True
        world["acme"].credit_hold_reason = p["credit hold reason"]
        world["acme_rule"].reason = p["price rule reason"]
        factories.PriceRuleFactory(
            contract=world["acme_rule"].contract,
            status="proposed",
            value=world["acme_rule"].value + 1,
            reason=p["proposal reason"],
            created_by=world["users"]["inside_sales"],
        )
    return world


def test_markup_in_user_text_is_escaped_on_every_page_for_every_role(app, client, hostile_world):
    shown = set()
    urls = [(rule.endpoint, build_url(app, rule, hostile_world)) for rule in rules(app, "GET")]
    numbers = hostile_world["acme_order"].number, hostile_world["cancelled_order"].number
    urls += [(e, url.replace(*numbers)) for e, url in urls if numbers[0] in url]
    for role in ROLES:
        assert login(client, hostile_world["users"][role].email).status_code == 302
        for endpoint, url in urls:
            access = declared_access(app, endpoint)
            if access != PUBLIC and role not in access:
                continue
            response = client.get(url)
            if response.mimetype != "text/html":
                continue  # a CSV file or an image is data for another program, not a page
            body = response.data
            raw = {FIELDS[int(a or b)] for a, b in RAW.findall(body)}
            assert not raw, f"{role} on {url}: {sorted(raw)} not escaped"
            shown |= {FIELDS[int(n)] for n in ESCAPED.findall(body)}
        client.post("/logout")
    # Every payload was on some page (so none was missed by being shown nowhere)
    assert set(FIELDS) - shown == set()
