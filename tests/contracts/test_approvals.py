"""The staff price approvals page: every kind of proposal shows what is priced now and what
would be, each goes to the deciders whose authority covers it, and its author hears the
decision."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.catalog.models import Category, Product
from portal.contracts import services
from portal.contracts.models import PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from tests.support.contracts import acme_contract
from tests.support.web import count_queries, login


def staff(local):
    return db.session.scalar(sa.select(User).where(User.email == f"{local}@northwind.example"))


def product_id(sku):
    return db.session.scalar(sa.select(Product.id).where(Product.sku == sku))


def rule_values(sku=None, category=None, kind="percent_off", value="30", min_quantity=1):
    return {
        "product_id": product_id(sku) if sku else None,
        "category_id": (
            db.session.scalar(sa.select(Category.id).where(Category.name == category))
            if category
            else None
        ),
        "kind": kind,
        "value": Decimal(value),
        "min_quantity": min_quantity,
        "valid_from": None,
        "valid_to": None,
    }


def rule_in_force(sku, min_quantity=1):
    return db.session.scalar(
        sa.select(PriceRule).where(
            PriceRule.product_id == product_id(sku),
            PriceRule.min_quantity == min_quantity,
            PriceRule.status == "active",
        )
    )


def card(page: str, proposal_id: int) -> str:
    """The text of one proposal's card on the approvals page."""
    match = re.search(
        rf'data-proposal-id="{proposal_id}".*?(?=data-proposal-id=|</main>|$)', page, re.S
    )
    assert match, f"proposal {proposal_id} is not on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


@pytest.fixture
def proposals(app):
    """One waiting proposal of every kind, all by the account admin (10% authority)."""
    seed_demo(history=False)
    contract, admin = acme_contract(), staff("admin")
    made = {
        # The demo's own: NW-LT14 from 50, CN¥7,400.00 -> 6,900.00 (23.3% below list).
        "replaces_fixed": db.session.scalar(
            sa.select(PriceRule).where(
                PriceRule.status == "proposed", PriceRule.replaces_rule_id.is_not(None)
            )
        ),
        "new_fixed": services.save_rule(
            admin, contract, None, rule_values("NW-DT7", kind="fixed", value="4000.00"), "tender"
        ),
        "new_tier": services.save_rule(
            admin, contract, None, rule_values("NW-DOCK", value="20", min_quantity=10), "volume"
        ),
        "new_category": services.save_rule(
            admin, contract, None, rule_values(category="Desktops", value="15"), "refresh"
        ),
    }
    current = rule_in_force("NW-MN27")
    made["replaces_percent"] = services.save_rule(
        admin, contract, current, rule_values("NW-MN27", value="30"), "monitors", current.version
    )
    # A proposal whose rule was taken out of force while it waited.
    tier = rule_in_force("NW-LT14", 1)
    made["replaced_rule_gone"] = services.save_rule(
        admin,
        contract,
        tier,
        rule_values("NW-LT14", kind="fixed", value="7500.00"),
        "gone",
        tier.version,
    )
    services.remove_rule(admin, tier, "tier ends", tier.version)
    assert all(rule.status == "proposed" for rule in made.values())
    return {name: rule.id for name, rule in made.items()}


@pytest.mark.parametrize("who", ["admin", "manager", "director"])
def test_every_kind_of_waiting_proposal_renders_with_now_and_proposed(app, proposals, who):
    client = app.test_client()
    login(client, f"{who}@northwind.example", DEMO_PASSWORD)

    response = client.get("/staff/approvals")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    replaced = card(page, proposals["replaces_fixed"])
    assert "from 50 units" in replaced
    assert "Now CN¥7,400.00 (17.8% below list)" in replaced
    assert "Proposed CN¥6,900.00 (23.3% below list)" in replaced
    assert "list price CN¥8,999.00" in replaced
    percent = card(page, proposals["replaces_percent"])
    assert "Now 15% off list Proposed 30% off list" in percent
    assert "Now no rule for this product" in card(page, proposals["new_fixed"])
    assert "Proposed CN¥4,000.00 (27.3% below list)" in card(page, proposals["new_fixed"])
    assert "from 10 units" in card(page, proposals["new_tier"])
    assert "Now no rule for this category" in card(page, proposals["new_category"])
    assert "Now no rule for this product" in card(page, proposals["replaced_rule_gone"])


def test_a_decider_approves_only_what_their_authority_covers(app, proposals):
    manager, director = app.test_client(), app.test_client()
    login(manager, "manager@northwind.example", DEMO_PASSWORD)
    login(director, "director@northwind.example", DEMO_PASSWORD)
    page = manager.get("/staff/approvals").get_data(as_text=True)

    within = card(page, proposals["replaces_fixed"])  # 23.3%, the manager's authority is 25%
    beyond = card(page, proposals["replaces_percent"])  # 30%
    assert "Approve" in within and "Beyond your discount authority" not in within
    assert "Approve" not in beyond and "Beyond your discount authority" in beyond
    assert "Approve" in card(
        director.get("/staff/approvals").get_data(as_text=True), proposals["replaces_percent"]
    )
    # The dashboard counts what each may approve.
    assert b'data-proposals-waiting="4"' in manager.get("/staff/").data
    assert b'data-proposals-waiting="6"' in director.get("/staff/").data


def test_a_manager_decides_a_proposal_that_replaces_a_rule_there(app, proposals):
    manager = app.test_client()
    login(manager, "manager@northwind.example", DEMO_PASSWORD)
    proposal_id = proposals["replaces_fixed"]

    response = manager.post(
        f"/staff/approvals/{proposal_id}",
        data={"comment": "Matches the tender", "approve": "1"},
        follow_redirects=True,
    )

    assert b"Proposal approved" in response.data
    assert f'data-proposal-id="{proposal_id}"'.encode() not in response.data
    assert db.session.get(PriceRule, proposal_id).status == "active"
    assert rule_in_force("NW-LT14", 50).id == proposal_id
    # A second tab deciding it again is told, not shown a 404.
    again = manager.post(
        f"/staff/approvals/{proposal_id}",
        data={"comment": "twice", "reject": "1"},
        follow_redirects=True,
    )
    assert again.status_code == 200
    assert b"already been decided" in again.data
    assert db.session.get(PriceRule, proposal_id).status == "active"


def test_a_proposal_goes_to_the_deciders_whose_authority_covers_it(app, proposals):
    notified = {
        user_id
        for (user_id,) in db.session.execute(
            sa.select(Notice.user_id).where(Notice.text.contains("NW-MN27"))
        )
    }
    assert notified == {staff("director").id}  # 30%: beyond the manager's 25%
    notified = {
        user_id
        for (user_id,) in db.session.execute(
            sa.select(Notice.user_id).where(Notice.text.contains("Desktops"))
        )
    }
    assert notified == {staff("manager").id, staff("director").id}  # 15%


def test_beyond_every_deciders_authority_every_decider_is_told(app):
    seed_demo(history=False)
    services.save_rule(
        staff("admin"),
        acme_contract(),
        None,
        rule_values("NW-DT7", value="60"),
        "clearance",
        confirmed=True,
    )
    notified = {
        user_id
        for (user_id,) in db.session.execute(
            sa.select(Notice.user_id).where(Notice.text.contains("NW-DT7"))
        )
    }
    assert notified == {staff("manager").id, staff("director").id}


@pytest.mark.parametrize(("button", "word"), [("approve", "approved"), ("reject", "rejected")])
def test_the_proposer_is_told_the_decision_and_why(app, proposals, button, word):
    manager = app.test_client()
    login(manager, "manager@northwind.example", DEMO_PASSWORD)
    manager.post(
        f"/staff/approvals/{proposals['new_category']}",
        data={"comment": "Desktops refresh agreed", button: "1"},
    )

    admin = staff("admin")
    (notice,) = db.session.scalars(sa.select(Notice).where(Notice.user_id == admin.id)).all()
    assert f"was {word} by" in notice.text
    assert "Desktops refresh agreed" in notice.text
    assert notice.link == f"/staff/contracts/{acme_contract().id}"
    (mail,) = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == admin.email)
    ).all()
    assert mail.subject == notice.text


def test_the_approvals_page_issues_the_same_queries_for_one_or_six_proposals(app):
    seed_demo(history=False)
    manager = app.test_client()
    login(manager, "manager@northwind.example", DEMO_PASSWORD)
    manager.get("/staff/approvals")  # warm up
    with count_queries() as one:
        manager.get("/staff/approvals")
    contract, admin = acme_contract(), staff("admin")
    for sku in ("NW-DT7", "NW-DOCK", "NW-SRV2", "NW-SVC3Y"):
        services.save_rule(admin, contract, None, rule_values(sku, value="20"), "tender")
    services.save_rule(admin, contract, None, rule_values(category="Desktops"), "refresh")
    with count_queries() as six:
        page = manager.get("/staff/approvals").get_data(as_text=True)
    assert page.count("data-proposal-id=") == 6
    assert len(one) == len(six)
    assert len(six) <= 8, six
