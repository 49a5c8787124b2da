"""Call-centre lookup and the account 360 view (issue 7; SECURITY.md 18, 22)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.permissions import STAFF_ROLES
from portal.core.phones import phone_key
from portal.extensions import db
from portal.lookup import account_view, queries
from portal.ordering.models import Order
from tests import factories
from tests.support.web import count_queries, signed_in

ACME_PHONE_FORMATS = ["+86 21 5555-0100", "021-5555 0100", "2155550100"]


@pytest.fixture
def world():
    with factories.committed_once():
        acme = factories.AccountFactory(
            slug="acme", name="Acme Hospital Group", hotline_phone="+86 21 5555 0100"
        )
        globex = factories.AccountFactory(
            slug="globex", name="Globex Manufacturing", hotline_phone="+1 312 555 0142"
        )
        buyer = factories.UserFactory(
            account=acme, email="buyer@acme.example", name="Alice Buyer", phone="+86 21 5555 0100"
        )
        factories.UserFactory(
            account=globex, email="buyer@globex.example", name="Gary Buyer", phone="+1 312 555 0143"
        )
        staff = {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example")
            for role in STAFF_ROLES
        }
        contract = factories.ContractFactory(
            account=acme, credit_limit_amount=Decimal("500000.00"), status="active"
        )
        order = factories.OrderFactory(contract=contract, placed_by=buyer, po_number="PO-4711")
        invoice = factories.MilestoneFactory(
            order=order, position=1, due_on=acme.local_date(), invoiced_on=acme.local_date()
        )
        request = factories.HotlineRequestFactory(account=acme, filed_by=buyer)
        db.session.commit()
        return {
            "acme": acme,
            "globex": globex,
            "buyer": buyer,
            "staff": staff,
            "order": order,
            "invoice": invoice,
            "request": request,
        }


def search(q):
    return queries.search(q)


def slugs(results, kind):
    return [hit.account_slug for hit in results.hits.get(kind, [])]


# Phones


@pytest.mark.parametrize(
    "typed",
    [*ACME_PHONE_FORMATS, "+86 21 5555 0100", "0086 21 5555 0100", "+86 (0)21 5555 0100"],
)
def test_every_way_of_typing_a_number_gives_the_same_key(typed):
    assert phone_key(typed) == "+862155550100"


def test_other_countries_keep_their_code_and_short_text_is_no_phone():
    assert phone_key("+1 312 555 0142") == phone_key("001 312 555 0142") == "+13125550142"
    assert phone_key("(312) 555-0142", "US") == "+13125550142"
    assert phone_key("1234") == ""


@pytest.mark.parametrize("typed", ACME_PHONE_FORMATS)
def test_a_contact_is_found_by_their_phone_in_any_format(world, typed):
    results = search(typed)
    assert [hit.email for hit in results.hits["contact"]] == ["buyer@acme.example"]
    assert slugs(results, "account") == ["acme"]


def test_the_phone_key_follows_the_phone_when_it_changes(world):
    world["buyer"].phone = "+86 138 0013 8000"
    db.session.commit()
    assert slugs(search("138 0013 8000"), "contact") == ["acme"]
    assert "contact" not in search("021-5555 0100").hits


# Names, ranking, literal wildcards


def test_acme_hosp_finds_acme_and_only_acme(world):
    results = search("acme hosp")
    assert slugs(results, "account") == ["acme"]
    assert results.account_slugs == {"acme"}


def test_exact_hits_rank_before_prefix_before_contains(world):
    factories.AccountFactory(slug="bank-of-acme", name="Bank of Acme", hotline_phone="")
    factories.AccountFactory(slug="acme-labs", name="Acme Labs", hotline_phone="")
    factories.AccountFactory(slug="acme2", name="Acme", hotline_phone="")
    results = search("acme")
    ranked = [(hit.label, hit.rank) for hit in results.hits["account"]]
    assert ranked == [
        ("Acme", 0),
        ("Acme Hospital Group", 0),  # its slug is "acme"
        ("Acme Labs", 1),
        ("Bank of Acme", 2),
    ]


@pytest.mark.parametrize(
    "q, found, not_found",
    [
        ("100%", "100% Pure Water", "1000 Pure Water"),
        ("a_b", "Lab a_b Trading", "Lab axb Trading"),
        ("o'brien", "O'Brien Supplies", "OBrien Supplies"),
        ("back\\slash", "Back\\slash Ltd", "Backslash Ltd"),
    ],
)
def test_wildcards_quotes_and_backslashes_are_taken_literally(world, q, found, not_found):
    factories.AccountFactory(name=found, hotline_phone="")
    factories.AccountFactory(name=not_found, hotline_phone="")
    assert [hit.label for hit in search(q).hits["account"]] == [found]


def test_odd_characters_in_the_box_give_a_page_not_an_error(web, world):
    agent = signed_in(web, "inside_sales@northwind.example")
    for q in ["'", '"', "%", "_", "\\", "%_'\"\\", "' OR 1=1 --", "<script>x</script>"]:
        response = agent.get("/staff/lookup", query_string={"q": q})
        assert response.status_code == 200, q
        assert b"<script>x</script>" not in response.data


# Exact numbers, and one account


def test_an_exact_order_number_goes_to_the_staff_order_page(web, world):
    agent = signed_in(web, "inside_sales@northwind.example")
    number = world["order"].number
    response = agent.get("/staff/lookup", query_string={"q": number.lower()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/orders/{number}"


def test_an_exact_invoice_number_goes_to_the_staff_invoice(web, world):
    agent = signed_in(web, "finance@northwind.example")
    number = f"{world['order'].number}-1"
    response = agent.get("/staff/lookup", query_string={"q": number})
    assert response.headers["Location"] == f"/staff/invoices/{number}"


def test_an_exact_hotline_number_goes_to_the_request(web, world):
    agent = signed_in(web, "inside_sales@northwind.example")
    request = world["request"]
    response = agent.get("/staff/lookup", query_string={"q": request.number})
    assert response.headers["Location"] == f"/staff/hotline/{request.id}"


def test_the_call_centre_lands_on_the_360_with_the_hit_marked(web, world):
    agent = signed_in(web, "call_center@northwind.example")
    number = world["order"].number
    response = agent.get("/staff/lookup", query_string={"q": number}, follow_redirects=True)
    assert response.request.path == "/staff/accounts/acme"
    page = response.data.decode()
    assert f'data-order-number="{number}" data-order-status="submitted" class="table-warning"' in (
        page
    )


def test_the_360_names_the_accounts_tier_in_words_not_its_code(web, world):
    """The tier is a label of the catalogue ("Standard", 标准 in Chinese), not the stored code."""
    agent = signed_in(web, "call_center@northwind.example")
    page = agent.get("/staff/accounts/acme").data.decode()
    tier = world["acme"].tier
    assert f'<span data-tier="{tier}">{tier.capitalize()}</span>' in page


def test_a_po_number_is_found_but_does_not_jump_when_several_accounts_use_it(web, world):
    globex_contract = factories.ContractFactory(account=world["globex"])
    factories.OrderFactory(contract=globex_contract, po_number="PO-4711")
    agent = signed_in(web, "inside_sales@northwind.example")
    response = agent.get("/staff/lookup", query_string={"q": "PO-4711"})
    assert response.status_code == 200
    page = response.data.decode()
    assert page.count('data-result-kind="order"') == 2
    assert 'data-account-slug="acme"' in page and 'data-account-slug="globex"' in page


def test_results_are_grouped_links_with_their_kind_and_account(web, world):
    agent = signed_in(web, "inside_sales@northwind.example")
    response = agent.get("/staff/lookup", query_string={"q": "buyer"})
    assert response.status_code == 200
    page = response.data.decode()
    assert '<a href="/staff/accounts/acme" data-result-kind="contact" data-account-slug="acme"' in (
        page
    )
    assert 'data-result-kind="contact" data-account-slug="globex"' in page
    assert "autofocus" in page and 'accesskey="/"' in page


# Who may look up


def test_a_buyer_gets_404_from_the_lookup(web, world):
    buyer = signed_in(web, "buyer@acme.example")
    assert buyer.get("/staff/lookup?q=acme").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_field_sales_and_sysadmins_may_not_look_up(web, world):
    for role in ("field_sales", "sysadmin"):
        assert (
            signed_in(web, f"{role}@northwind.example").get("/staff/lookup?q=acme").status_code
            == 403
        )


# Audit (SECURITY.md 18)


@pytest.mark.date_sensitive
def test_every_lookup_and_account_view_is_in_the_audit_trail(web, world):
    agent = signed_in(web, "call_center@northwind.example")
    agent.get("/staff/lookup", query_string={"q": "buyer"})
    agent.get("/staff/lookup", query_string={"q": "nothing like this"})
    agent.get("/staff/accounts/globex")
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    agent_id = world["staff"]["call_center"].id
    assert [(e.actor_id, e.action, e.target, e.changes) for e in events] == [
        (agent_id, "lookup.search", "lookup", {"query": [None, "buyer"], "results": [None, "2"]}),
        (
            agent_id,
            "lookup.search",
            "lookup",
            {"query": [None, "nothing like this"], "results": [None, "0"]},
        ),
        (agent_id, "account.view", "account:globex", {}),
    ]
    assert all(e.at is not None for e in events)

    director = signed_in(web, "sales_director@northwind.example")
    trail = director.get(
        "/staff/audit",
        query_string={"actor": "call_center@northwind.example", "action": "lookup"},
    ).data.decode()
    assert trail.count('data-audit-action="lookup.search"') == 2
    assert 'data-audit-action="account.view"' not in trail
    today = utcnow().date()  # the audit trail's days are UTC days
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert (
        'data-audit-action="account.view"'
        in director.get(
            "/staff/audit", query_string={"since": today.isoformat(), "until": today.isoformat()}
        ).data.decode()
    )
    assert (
        "data-audit-action"
        not in director.get("/staff/audit", query_string={"since": tomorrow}).data.decode()
    )


def test_the_call_centre_may_not_read_the_audit_trail(web, world):
    assert signed_in(web, "call_center@northwind.example").get("/staff/audit").status_code == 403


# The 360 view and who sees which fields


def test_the_360_shows_contract_credit_orders_requests_payments_and_reps(web, world):
    manager = signed_in(web, "sales_manager@northwind.example")
    page = manager.get("/staff/accounts/acme").data.decode()
    assert 'data-credit-limit="500000.00"' in page
    assert 'data-exposure="' in page and 'data-available-credit="' in page
    assert "data-days-left=" in page and 'data-stage="' in page
    assert f'data-order-number="{world["order"].number}"' in page
    assert f'data-request-id="{world["request"].id}"' in page
    assert 'data-contact-email="buyer@acme.example"' in page
    assert 'id="payments"' in page
    assert 'data-rep="inside"' in page


@pytest.mark.parametrize(
    "role, shown, hidden",
    [
        (
            "call_center",
            ["data-contact-email", "data-order-number", "data-request-id", "data-days-left"],
            ["data-credit-limit", "data-exposure", "data-available-credit", 'id="payments"',
             "data-order-total", 'id="credit-hold"'],
        ),
        (
            "finance",
            ["data-credit-limit", "data-exposure", 'id="payments"', "data-order-total"],
            [],
        ),
        (
            "sysadmin",
            ['data-rep="inside"'],
            ["data-contact-email", "data-order-number", "data-credit-limit", 'id="payments"',
             "data-request-id"],
        ),
    ],
)  # fmt: skip
def test_each_role_sees_only_its_fields_on_the_360(web, world, role, shown, hidden):
    page = signed_in(web, f"{role}@northwind.example").get("/staff/accounts/acme").data.decode()
    for marker in shown:
        assert marker in page, marker
    for marker in hidden:
        assert marker not in page, marker
    if role == "call_center":
        assert "500,000" not in page and "500000" not in page


def test_the_call_centre_sees_no_amounts_in_lookup_results(web, world):
    page = signed_in(web, "call_center@northwind.example").get("/staff/lookup?q=PO-4711")
    assert "data-total" not in page.data.decode()
    finance = signed_in(web, "finance@northwind.example").get("/staff/lookup?q=PO-4711")
    assert finance.status_code == 303  # one account: its 360


def test_actions_link_to_the_care_log_the_hotline_form_and_the_order_form(web, world):
    page = signed_in(web, "inside_sales@northwind.example").get("/staff/accounts/acme")
    text = page.data.decode()
    assert 'href="/staff/accounts/acme/care"' in text
    assert 'href="/staff/hotline/new?account=acme"' in text
    assert 'href="/staff/accounts/acme/orders/new"' in text


# Constant query counts


def _more_of_everything(world, n):
    contract = world["order"].contract
    for _ in range(n):
        order = factories.OrderFactory(contract=contract, placed_by=world["buyer"])
        factories.MilestoneFactory(order=order, position=1)
        factories.UserFactory(account=world["acme"], name="Alice Buyer Too", phone="021-5555 0100")
        factories.HotlineRequestFactory(account=world["acme"], filed_by=world["buyer"])
    db.session.commit()


def test_a_lookup_issues_the_same_queries_for_few_or_many_hits(web, world):
    agent = signed_in(web, "inside_sales@northwind.example")
    agent.get("/staff/lookup?q=alice")  # warm up
    with count_queries() as few:
        agent.get("/staff/lookup?q=alice")
    _more_of_everything(world, 12)
    with count_queries() as many:
        agent.get("/staff/lookup?q=alice")
    assert len(few) == len(many)
    assert len(many) <= 7


def test_the_360_issues_the_same_queries_for_few_or_many_orders_contacts_and_requests(web, world):
    agent = signed_in(web, "sales_director@northwind.example")
    agent.get("/staff/accounts/acme")
    with count_queries() as few:
        agent.get("/staff/accounts/acme")
    _more_of_everything(world, 12)
    with count_queries() as many:
        page = agent.get("/staff/accounts/acme").data.decode()
    assert page.count("data-order-number=") == account_view.RECENT_ORDERS
    assert len(few) == len(many)
    assert len(many) <= 17  # 16, and the account's stage from insights (a page part)


# Done when (issue 7), on the demo data


@pytest.fixture
def demo():
    from portal.demo import seed_demo

    seed_demo(history=False)


@pytest.mark.parametrize(
    "q", ["demo-acme-1's number", *ACME_PHONE_FORMATS, "acme hosp"], ids=lambda q: q
)
def test_the_call_centre_reaches_acmes_360_in_one_step(web, demo, q):
    from portal.demo import DEMO_PASSWORD

    if q == "demo-acme-1's number":
        q = db.session.scalar(sa.select(Order.number).where(Order.checkout_token == "demo-acme-1"))
    agent = signed_in(web, "callcenter@northwind.example", DEMO_PASSWORD)
    response = agent.get("/staff/lookup", query_string={"q": q})
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == "/staff/accounts/acme"
    page = agent.get(response.headers["Location"])
    assert page.status_code == 200 and b"Acme Hospital Group" in page.data
