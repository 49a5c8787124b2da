"""The API for staff tokens: lookup, the accounts and an account's 360 summary, with only the
fields each role sees (SECURITY.md 18: the call centre gets no amounts), each lookup and view
audited; buyer tokens see none of it."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.permissions import STAFF_ROLES
from portal.extensions import db
from tests import factories
from tests.support.api import bearer, issue_token
from tests.support.api_conformance import conforms
from tests.support.web import count_queries


@pytest.fixture
def world():
    with factories.committed_once():
        acme = factories.AccountFactory(
            slug="acme", name="Acme Hospital Group", hotline_phone="+86 21 5555 0100"
        )
        globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
        buyer = factories.UserFactory(
            account=acme, email="buyer@acme.example", name="Alice Buyer", phone="+86 21 5555 0101"
        )
        staff = {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example")
            for role in STAFF_ROLES
        }
        contract = factories.ContractFactory(
            account=acme, credit_limit_amount=Decimal("500000.00"), status="active"
        )
        order = factories.OrderFactory(
            contract=contract,
            placed_by=buyer,
            po_number="PO-4711",
            total_amount=Decimal("17339.15"),
        )
        factories.MilestoneFactory(
            order=order, position=1, due_on=acme.local_date(), invoiced_on=acme.local_date()
        )
        factories.HotlineRequestFactory(account=acme, filed_by=buyer)
        db.session.commit()
        return {"acme": acme, "globex": globex, "buyer": buyer, "staff": staff, "order": order}


def token(user):
    return bearer(issue_token(user, ("read",)))


def audited(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action)
    )


def test_lookup_finds_the_order_with_its_total_for_inside_sales(client, world):
    answer = client.get("/api/v1/lookup?q=PO-4711", headers=token(world["staff"]["inside_sales"]))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    conforms(client, answer, "/api/v1/lookup")
    [hit] = [h for h in answer.get_json()["hits"] if h["kind"] == "order"]
    assert (hit["account_slug"], hit["label"]) == ("acme", world["order"].number)
    assert hit["total"] == {"amount": "17339.15", "currency": "CNY"}
    assert audited("lookup.search") == 1


def test_the_call_centre_gets_no_amounts(client, world):
    headers = token(world["staff"]["call_center"])
    for q, kind in ((world["order"].number, "order"), (f"{world['order'].number}-1", "invoice")):
        found = client.get(f"/api/v1/lookup?q={q}", headers=headers)
        assert found.status_code == 200, found.get_data(as_text=True)
        hits = found.get_json()["hits"]
        assert kind in {h["kind"] for h in hits}
        assert all(h["total"] is None for h in hits)
        assert "17339" not in found.get_data(as_text=True)
    summary = client.get("/api/v1/accounts/acme", headers=headers)
    assert summary.status_code == 200, summary.get_data(as_text=True)
    conforms(client, summary, "/api/v1/accounts/{slug}")
    body = summary.get_json()
    assert body["credit"] is None and body["payments_due"] is None
    assert [o["total"] for o in body["orders"]] == [None]
    assert "17339" not in summary.get_data(as_text=True)
    assert "500000" not in summary.get_data(as_text=True)
    # ...but who the caller is, their orders and requests
    assert body["contacts"][0]["email"] == "buyer@acme.example"
    assert len(body["hotline_requests"]) == 1


def test_inside_sales_see_the_amounts_credit_and_payments_due(client, world):
    answer = client.get("/api/v1/accounts/acme", headers=token(world["staff"]["inside_sales"]))
    body = answer.get_json()
    assert body["orders"][0]["total"] == {"amount": "17339.15", "currency": "CNY"}
    assert body["credit"]["limit"]["amount"] == "500000.00"
    assert body["payments_due"][0]["invoice_number"] == f"{world['order'].number}-1"
    assert audited("account.view") == 1
    conforms(client, answer, "/api/v1/accounts/{slug}")


def test_field_sales_see_no_credit(client, world):
    body = client.get("/api/v1/accounts/acme", headers=token(world["staff"]["field_sales"]))
    body = body.get_json()
    assert body["credit"] is None and body["payments_due"] is None
    assert body["orders"][0]["total"] is not None


def test_field_sales_and_sysadmins_do_not_look_up(client, world):
    for role in ("field_sales", "sysadmin"):
        answer = client.get("/api/v1/lookup?q=acme", headers=token(world["staff"][role]))
        assert answer.status_code == 403
    assert audited("lookup.search") == 0


def test_buyer_tokens_get_404_for_the_staff_part(client, world):
    headers = token(world["buyer"])
    for path in ("/api/v1/lookup?q=acme", "/api/v1/accounts", "/api/v1/accounts/acme"):
        assert client.get(path, headers=headers).status_code == 404, path


def test_an_unknown_account_is_a_404(client, world):
    answer = client.get("/api/v1/accounts/nope", headers=token(world["staff"]["inside_sales"]))
    assert answer.status_code == 404


def test_the_accounts_list_pages(client, world):
    headers = token(world["staff"]["account_admin"])
    first = client.get("/api/v1/accounts?limit=1", headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    conforms(client, first, "/api/v1/accounts")
    rest = client.get(f"/api/v1/accounts?cursor={first.get_json()['next_cursor']}", headers=headers)
    slugs = [a["slug"] for a in first.get_json()["data"] + rest.get_json()["data"]]
    assert slugs == ["globex", "acme"]


def test_the_accounts_list_issues_as_many_queries_for_30_accounts_as_for_3(client, world):
    headers = token(world["staff"]["inside_sales"])
    client.get("/api/v1/me", headers=headers)  # the token's first use is written once
    factories.AccountFactory(inside_sales_rep_id=world["staff"]["inside_sales"].id)
    db.session.commit()
    with count_queries() as few:
        assert len(client.get("/api/v1/accounts", headers=headers).get_json()["data"]) == 3
    for _ in range(27):
        factories.AccountFactory(inside_sales_rep_id=world["staff"]["inside_sales"].id)
    db.session.commit()
    with count_queries() as many:
        assert len(client.get("/api/v1/accounts", headers=headers).get_json()["data"]) == 30
    assert len(many) == len(few)
