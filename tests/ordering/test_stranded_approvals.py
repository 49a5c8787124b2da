"""Approvals that never strand an order (issue 13, item 2): an order above the buyer's limit in
an account without an active approver (Globex, Initech and Lotus in the demo) is decided by the
account's customer admin, else recorded by its Northwind inside-sales rep on the customer's
word; whoever decides is told and can act, also when appointed later; their notices are done
once it is decided; the history says "approved" and "rejected"; nobody decides their own order
(SECURITY.md 19)."""

import re
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts import services as account_services
from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from portal.ordering import approvals, placement, queries, services
from portal.ordering.models import Order, OrderEvent
from tests import factories
from tests.support.ordering import fill_cart, place
from tests.support.web import count_queries, signed_in

OVER_LIMIT = [("NW-LT14", 10)]  # 76,500.00 > the buyer's 50,000.00
BASE = "http://127.0.0.1:5000"


def text(page) -> str:
    return page.get_data(as_text=True)


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def mails_to(address: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def unread(user) -> list[Notice]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
        )
    )


def steps(order: Order) -> list[tuple]:
    return [
        (event.to_status, event.action)
        for event in db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    ]


@pytest.fixture
def rep():
    return factories.StaffFactory(
        role="inside_sales", email="inside@northwind.example", name="Ivy Inside"
    )


@pytest.fixture
def globex_like(shop, rep):
    """Acme as Globex and Lotus are today: buyers only, no approver nor administrator in the
    portal, and an inside-sales rep at Northwind."""
    shop.approver.is_active = False
    shop.account.inside_sales_rep_id = rep.id
    db.session.commit()
    return shop


@pytest.fixture
def admin(globex_like):
    """With it, Acme is as Initech is today: no approver, a customer admin."""
    return factories.UserFactory(
        account=globex_like.account,
        role="customer_admin",
        email="admin@acme.example",
        name="Ina Admin",
    )


# No approver nor administrator: the account's inside-sales rep is asked and records the decision


def test_an_order_nobody_at_the_account_may_approve_asks_its_inside_sales_rep(globex_like, rep):
    order = place(globex_like, OVER_LIMIT)

    assert order.status == "pending_approval"
    [mail] = mails_to("inside@northwind.example")
    assert mail.subject == (
        f"Order {order.number} of Acme Hospital Group waits for approval, "
        "and nobody there may approve it."
    )
    assert f"{BASE}/staff/orders/{order.number}" in mail.text_body
    assert "Ask the customer and record their decision" in mail.text_body
    [notice] = unread(rep)
    assert notice.link == f"/staff/orders/{order.number}"


def test_the_rep_records_the_customers_approval_and_the_buyer_hears_of_it(web, globex_like, rep):
    order = place(globex_like, OVER_LIMIT)
    desk = signed_in(web, rep.email)
    assert f"Order {order.number} of Acme Hospital Group waits" in text(desk.get("/staff/"))
    page = text(desk.get(f"/staff/orders/{order.number}"))
    assert 'data-decided-by="staff"' in page
    assert f'action="/staff/orders/{order.number}/decide"' in page

    done = desk.post(
        f"/staff/orders/{order.number}/decide",
        data={"comment": "Mr Chen (purchasing) approved it on the phone", "approve": "1"},
        follow_redirects=True,
    )

    assert f"Order {order.number} approved." in text(done)
    order = fresh(order)
    assert (order.status, order.decided_by_id) == ("submitted", rep.id)
    assert steps(order)[-1] == ("submitted", "approved")
    assert unread(rep) == []  # the request to decide is done
    [audit] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "order.approve"))
    assert audit.actor_id == rep.id
    buyer = signed_in(web, globex_like.buyer.email)
    assert f"Order {order.number} was approved." in text(buyer.get("/a/acme/"))
    history = text(buyer.get(f"/a/acme/orders/{order.number}"))
    approved = history.split('data-action="approved">Approved</div>', 1)[1]
    assert "Northwind" in approved.split("</li>", 1)[0]  # the buyer sees who: Northwind
    assert "Mr Chen (purchasing) approved it on the phone" in history


def test_the_buyer_is_told_at_checkout_and_when_placing_who_will_decide(web, globex_like):
    fill_cart(globex_like.buyer, OVER_LIMIT)
    buyer = signed_in(web, globex_like.buyer.email)
    page = text(buyer.get("/a/acme/checkout"))
    expected = (
        "Nobody at your company may approve orders in the portal, so Ivy Inside of Northwind "
        "asks your company and records its decision."
    )
    assert expected in page

    token = re.search(r'name="checkout_token" type="hidden" value="(\w+)"', page)[1]
    data = {"ship_to": str(globex_like.address.id), "checkout_token": token}
    placed = text(buyer.post("/a/acme/checkout", data=data, follow_redirects=True))
    assert "placed: it waits for approval. " + expected in placed
    assert "Waiting for approval. " + expected in placed  # what still blocks it


def test_the_staff_360_shows_stranded_approvals(web, globex_like, rep):
    order = place(globex_like, OVER_LIMIT)
    page = text(signed_in(web, rep.email).get("/staff/accounts/acme"))
    assert f'data-waiting-order="{order.number}" data-decided-by="staff"' in page
    assert "stranded" in page
    assert "Asked at Northwind: Ivy Inside" in page


def test_without_a_rep_the_sales_managers_are_asked(globex_like):
    globex_like.account.inside_sales_rep_id = None
    manager = factories.StaffFactory(role="sales_manager", email="manager@northwind.example")
    factories.StaffFactory(role="finance", email="finance@northwind.example")

    order = place(globex_like, OVER_LIMIT)

    assert [n.link for n in unread(manager)] == [f"/staff/orders/{order.number}"]
    assert [m.to_address for m in mails_to("finance@northwind.example")] == []


def test_while_the_rep_is_away_the_backup_is_asked(globex_like, rep):
    rep.is_available = False
    backup = factories.StaffFactory(role="inside_sales", email="inside2@northwind.example")
    globex_like.account.backup_rep_id = backup.id
    db.session.commit()

    order = place(globex_like, OVER_LIMIT)

    assert approvals.deciders(order).people == (backup,)
    assert len(unread(backup)) == 1 and unread(rep) == []


@pytest.mark.parametrize("role", ["finance", "call_center", "account_admin"])
def test_only_staff_who_take_orders_down_record_a_customers_decision(web, globex_like, role):
    order = place(globex_like, OVER_LIMIT)
    other = factories.StaffFactory(role=role)
    with pytest.raises(ServiceError, match="Northwind's sales staff record"):
        services.decide_order(other, order, True, "ok")
    response = signed_in(web, other.email).post(
        f"/staff/orders/{order.number}/decide", data={"comment": "ok", "approve": "1"}
    )
    assert response.status_code == 403
    assert fresh(order).status == "pending_approval"


def test_staff_who_took_the_order_down_do_not_decide_it(globex_like, rep):
    fill_cart(globex_like.buyer, [])
    order = placement.place_order(
        globex_like.buyer,
        globex_like.account,
        placement.Checkout(ship_to_address_id=globex_like.address.id),
        uuid.uuid4().hex,
        items=OVER_LIMIT,
        on_behalf_by=rep,
        reason="Phoned in",
    )
    assert order.status == "pending_approval"
    with pytest.raises(ServiceError, match="their own order"):
        services.decide_order(rep, order, True, "Fine")
    colleague = factories.StaffFactory(role="inside_sales")
    services.decide_order(colleague, order, False, "Mr Chen withdrew it")
    assert (order.status, steps(order)[-1]) == ("cancelled", ("cancelled", "rejected"))


def test_a_buyer_side_user_cannot_record_a_stranded_decision(globex_like):
    order = place(globex_like, OVER_LIMIT)
    colleague = factories.UserFactory(account=globex_like.account, role="buyer")
    with pytest.raises(ServiceError, match="Nobody at the account may approve this order"):
        services.decide_order(colleague, order, True, "ok")


# No approver, a customer admin: the admin decides, or appoints an approver who is then asked


def test_the_customer_admin_is_asked_and_rejects_and_the_history_says_rejected(
    web, globex_like, admin
):
    order = place(globex_like, OVER_LIMIT)
    [mail] = mails_to("admin@acme.example")
    assert mail.subject == (
        f"Order {order.number} waits for your approval: your company has no approver."
    )
    assert "make a colleague an approver" in mail.text_body
    assert mails_to("inside@northwind.example") == []  # the customer decides itself

    client = signed_in(web, admin.email)
    landing = text(client.get("/a/acme/"))
    assert f'<li data-order-number="{order.number}">' in landing
    approvals_page = text(client.get("/a/acme/approvals"))
    assert f'action="/a/acme/approvals/{order.number}"' in approvals_page
    client.post(
        f"/a/acme/approvals/{order.number}",
        data={"comment": "Not in this year's budget", "reject": "1"},
    )

    order = fresh(order)
    assert order.status == "cancelled"
    assert steps(order)[-1] == ("cancelled", "rejected")
    assert unread(admin) == []
    assert "waits for your approval" not in text(client.get("/a/acme/"))
    history = text(client.get(f"/a/acme/orders/{order.number}"))
    assert 'data-action="rejected">Rejected</div>' in history


def test_checkout_names_the_administrator_who_will_decide(web, globex_like, admin):
    fill_cart(globex_like.buyer, OVER_LIMIT)
    page = text(signed_in(web, globex_like.buyer.email).get("/a/acme/checkout"))
    expected = "Your company has no approver, so it is decided by your administrator: Ina Admin."
    assert expected in page


def test_an_approver_appointed_later_is_asked_and_the_decision_settles_every_notice(
    globex_like, admin
):
    order = place(globex_like, OVER_LIMIT)
    colleague = factories.UserFactory(
        account=globex_like.account, role="buyer", email="carl@acme.example", name="Carl"
    )
    assert unread(colleague) == []

    # The customer admin gives a colleague the approver role
    account_services.update_user(
        admin,
        globex_like.account,
        colleague,
        {"name": "Carl", "email": "carl@acme.example", "phone": "", "role": "approver"},
    )

    [notice] = unread(colleague)
    assert (notice.text, notice.link) == (
        f"Order {order.number} waits for your approval.",
        "/a/acme/approvals",
    )
    [mail] = mails_to("carl@acme.example")
    assert mail.subject == notice.text
    # From now on the approver decides, not the administrator
    with pytest.raises(ServiceError, match="Only an approver"):
        services.decide_order(admin, order, True, "ok")

    services.decide_order(colleague, order, True, "Budget line 7")

    assert unread(colleague) == [] and unread(admin) == []
    assert steps(order)[-1] == ("submitted", "approved")


def test_a_new_approver_user_is_asked_too(globex_like, admin):
    order = place(globex_like, OVER_LIMIT)
    user = account_services.create_user(
        admin,
        globex_like.account,
        {"name": "Dora", "email": "dora@acme.example", "phone": "", "role": "approver"},
    )
    assert [n.text for n in unread(user)] == [f"Order {order.number} waits for your approval."]


def test_when_the_only_approver_leaves_the_administrator_is_asked(shop):
    admin = factories.UserFactory(account=shop.account, role="customer_admin")
    order = place(shop, OVER_LIMIT)
    assert unread(admin) == []

    account_services.update_user(
        admin,
        shop.account,
        shop.approver,
        {
            "name": shop.approver.name,
            "email": shop.approver.email,
            "phone": "",
            "role": "approver",
            "is_active": False,
        },
    )

    assert [n.link for n in unread(admin)] == ["/a/acme/approvals"]
    assert approvals.deciders(order).kind == approvals.CUSTOMER_ADMINS


def test_asking_again_asks_nobody_twice(shop):
    order = place(shop, OVER_LIMIT)
    approvals.tell_new_deciders(shop.account.id)
    approvals.tell_new_deciders(shop.account.id)
    db.session.commit()
    assert len(mails_to(shop.approver.email)) == 1
    assert len(unread(shop.approver)) == 1
    assert order.status == "pending_approval"


# Self-approval stays forbidden (SECURITY.md 19)


def test_an_administrators_own_order_goes_to_the_rep_not_to_themselves(globex_like, admin, rep):
    admin.spending_limit_amount = Decimal("1000.00")
    admin.spending_limit_currency = "CNY"
    db.session.commit()
    order = place(globex_like, OVER_LIMIT, buyer=admin)

    assert approvals.deciders(order).people == (rep,)
    assert [n.link for n in unread(rep)] == [f"/staff/orders/{order.number}"]
    assert [n.about for n in unread(admin)] == [None]  # only that it was received
    with pytest.raises(ServiceError, match="their own order"):
        services.decide_order(admin, order, True, "Mine, fine")


# Held, then waiting again


def test_an_order_held_for_credit_is_decided_while_held(shop):
    """Over the buyer's limit and over the credit limit: the approver is asked at once and
    decides while finance settles the credit; lifting the hold then takes the order on."""
    shop.contract.credit_limit_amount = Decimal("10000.00")
    db.session.commit()
    order = place(shop, OVER_LIMIT)
    assert (order.status, order.held_from_status) == ("on_hold", "pending_approval")
    assert [n.text for n in unread(shop.approver)] == [
        f"Order {order.number} waits for your approval."
    ]
    assert [o.id for o in queries.orders_to_decide(shop.approver)] == [order.id]

    services.decide_order(shop.approver, order, True, "Budget line 7")

    assert (order.status, order.held_from_status) == ("on_hold", "submitted")
    assert unread(shop.approver) == []
    assert steps(order)[-1] == ("on_hold", "approved")
    shop.contract.credit_limit_amount = Decimal("500000.00")
    db.session.commit()
    services.resume_order(factories.StaffFactory(role="inside_sales"), order)
    assert order.status == "submitted"


def test_cancelling_a_waiting_order_settles_its_notices_too(shop):
    order = place(shop, OVER_LIMIT)
    services.cancel_order(shop.buyer, order, "Ordered by mistake")
    assert unread(shop.approver) == []


# Pages that list waiting orders keep a constant number of queries


def test_the_approvals_page_issues_the_same_queries_for_one_or_many_orders(web, globex_like, admin):
    place(globex_like, OVER_LIMIT)
    client = signed_in(web, "admin@acme.example")
    client.get("/a/acme/approvals")
    with count_queries() as one:
        client.get("/a/acme/approvals")
    for _ in range(5):
        place(globex_like, OVER_LIMIT)
    with count_queries() as many:
        page = text(client.get("/a/acme/approvals"))
    assert page.count('class="card mb-3 approval"') == 6
    assert len(one) == len(many)


# The demo's accounts as they are: Globex, Initech and Lotus have no approver


@pytest.mark.parametrize(
    "slug, items, asked, decider_may",
    [
        ("globex", [("NW-SRV2", 4)], "inside@northwind.example", "record"),
        ("initech", [("NW-LT14", 13)], "admin@initech.example", "decide"),
        ("lotus", [("NW-SRV2", 24)], "inside2@northwind.example", "record"),
    ],
)
def test_in_the_demo_every_order_above_the_limit_reaches_someone_who_decides_it(
    web, slug, items, asked, decider_may
):
    from portal.accounts.models import Address, KeyAccount, User
    from portal.demo import DEMO_PASSWORD, seed_demo

    seed_demo(history=False)
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == slug))
    buyer = db.session.scalar(sa.select(User).where(User.email == f"buyer@{slug}.example"))
    address = db.session.scalar(sa.select(Address.id).where(Address.account_id == account.id))
    fill_cart(buyer, items)
    order = placement.place_order(
        buyer, account, placement.Checkout(ship_to_address_id=address), uuid.uuid4().hex
    )
    assert order.status == "pending_approval"

    assert [m for m in mails_to(asked) if order.number in m.subject]
    client = signed_in(web, asked, DEMO_PASSWORD)
    if decider_may == "decide":
        page = text(client.get(f"/a/{slug}/approvals"))
        assert f'action="/a/{slug}/approvals/{order.number}"' in page
    else:
        page = text(client.get(f"/staff/orders/{order.number}"))
        assert f'action="/staff/orders/{order.number}/decide"' in page
