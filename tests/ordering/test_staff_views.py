"""The staff order desk through HTTP: the lifecycle, the release gate as staff see it, orders
taken down on a buyer's behalf, and finance's credit hold."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.catalog.models import Product
from portal.contracts.models import Contract
from portal.contracts.services import today_for
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.ordering import placement
from portal.ordering.models import Milestone, Order, OrderEvent
from tests import factories
from tests.support.ordering import Shop, fill_cart, place
from tests.support.web import count_queries, signed_in

STAFF = ("inside_sales", "finance", "account_admin", "sales_director", "call_center")


@pytest.fixture
def staff():
    """One member of staff per role that matters here, as <role>@northwind.example."""
    with factories.committed_once():
        return {
            role: factories.StaffFactory(
                role=role, email=f"{role}@northwind.example", name=role.replace("_", " ").title()
            )
            for role in STAFF
        }


@pytest.fixture
def globex(shop):
    """A Globex-like USD account on "30% deposit, balance on delivery", laptops 12% off list
    (NW-LT14 at 1249.00 USD), and an order of 4 laptops (4,396.48 USD) waiting to be confirmed."""
    account = factories.AccountFactory(slug="globex", name="Globex Manufacturing", currency="USD")
    term = factories.PaymentTermFactory(
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)]
    )
    contract = factories.ContractFactory(
        account=account,
        number="NW-GLOBEX-01",
        currency="USD",
        payment_term=term,
        credit_limit_amount=Decimal("100000.00"),
    )
    laptop = db.session.scalar(sa.select(Product).where(Product.sku == "NW-LT14"))
    factories.ListPriceFactory(product=laptop, currency="USD", amount=Decimal("1249.00"))
    factories.PriceRuleFactory(
        contract=contract,
        product=None,
        category=factories.CategoryFactory(name="Laptops"),
        value=Decimal("12"),
    )
    buyer = factories.UserFactory(
        account=account,
        email="buyer@globex.example",
        spending_limit_amount=Decimal("20000.00"),
        spending_limit_currency="USD",
    )
    address = factories.AddressFactory(account=account, city="Chicago", country="US")
    fill_cart(buyer, [("NW-LT14", 4)])
    order = placement.place_order(
        buyer, account, placement.Checkout(ship_to_address_id=address.id), uuid.uuid4().hex
    )
    return order


def fresh(order: Order) -> Order:
    """The order as the database has it now (requests ran in sessions of their own)."""
    db.session.expire_all()
    return db.session.get(Order, order.id)


def milestones_of(order: Order) -> list[Milestone]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Milestone).where(Milestone.order_id == order.id).order_by(Milestone.position)
        )
    )


def history(order: Order) -> list[tuple]:
    return [
        (event.to_status, event.actor_id, event.comment)
        for event in db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    ]


def act(client, order: Order, action: str, **data):
    """POST an order desk action and follow to the order page, where its outcome is flashed."""
    return client.post(f"/staff/orders/{order.number}/{action}", data=data, follow_redirects=True)


def confirmed(web, shop_order: Order) -> Order:
    response = act(signed_in(web, "inside_sales@northwind.example"), shop_order, "confirm")
    assert response.status_code == 200
    assert fresh(shop_order).status == "confirmed"
    return shop_order


# The lifecycle


@pytest.mark.date_sensitive
def test_staff_take_a_net_30_order_from_confirmation_to_delivery(web, shop, staff):
    order = place(shop, [("NW-LT14", 2), ("NW-MN27", 1)])
    desk = signed_in(web, "inside_sales@northwind.example")
    finance = signed_in(web, "finance@northwind.example")

    assert b"Order confirmed." in act(desk, order, "confirm").data
    page = finance.get(f"/staff/orders/{order.number}")
    assert b'data-blocker-count="0"' in page.data
    assert b"Nothing blocks the release." in page.data
    assert b'data-action="release"' in page.data
    assert b"Order released to production." in act(finance, order, "release").data
    shipped = act(desk, order, "ship", carrier="SF Express", tracking_number="SF1234567890")
    assert b"Shipment recorded" in shipped.data
    assert b'data-tracking-number="SF1234567890"' in shipped.data
    [net30] = milestones_of(order)
    assert net30.due_on == today_for(shop.account) + timedelta(days=30)
    assert b"Delivery recorded." in act(desk, order, "deliver").data

    order = fresh(order)
    assert (order.status, order.carrier, order.tracking_number) == (
        "delivered",
        "SF Express",
        "SF1234567890",
    )
    inside, finance_user = staff["inside_sales"].id, staff["finance"].id
    assert [(to, actor) for to, actor, _comment in history(order)] == [
        ("submitted", shop.buyer.id),
        ("confirmed", inside),
        ("released", finance_user),
        ("shipped", inside),
        ("delivered", inside),
    ]
    page = desk.get(f"/staff/orders/{order.number}").data.decode()
    assert 'data-order-status="delivered"' in page
    assert 'data-sku="NW-LT14" data-qty="2" data-line-total="15300.00"' in page
    assert net30.due_on.isoformat() in page  # the schedule with its due date
    assert page.count('data-to-status="') == 5  # the history, with who did what
    assert "Inside Sales" in page and "Finance" in page


def test_a_delivered_order_closes_only_once_it_is_paid(web, shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    client = signed_in(web, "finance@northwind.example")
    for action in ("confirm", "release", "ship", "deliver"):
        act(client, order, action, carrier="DHL", tracking_number="JD0001")
    assert fresh(order).status == "delivered"

    refused = act(client, order, "close")
    assert b"Payment of CN\xc2\xa57,650.00 not paid." in refused.data
    assert fresh(order).status == "delivered"
    [milestone] = milestones_of(order)
    milestone.paid_amount = milestone.amount
    db.session.commit()
    assert b"Order closed." in act(client, order, "close").data
    assert fresh(order).status == "closed"


def test_a_hold_needs_a_reason_and_is_lifted_back_to_where_it_was(web, shop, staff):
    order = confirmed(web, place(shop, [("NW-LT14", 1)]))
    desk = signed_in(web, "inside_sales@northwind.example")

    refused = act(desk, order, "hold", reason="  ")
    assert b"Say why the order is held" in refused.data
    assert fresh(order).status == "confirmed"

    held = act(desk, order, "hold", reason="Customer asked to wait for budget")
    assert b"On hold: Customer asked to wait for budget" in held.data
    assert b'data-action="confirm"' not in held.data  # an order on hold is resumed first
    assert fresh(order).status == "on_hold"
    assert b"The hold is lifted." in act(desk, order, "resume").data
    assert fresh(order).status == "confirmed"


def test_a_wrong_move_is_refused_with_a_message_and_changes_nothing(web, shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    desk = signed_in(web, "inside_sales@northwind.example")
    refused = act(desk, order, "deliver")
    assert b"An order that is submitted cannot become delivered." in refused.data
    assert fresh(order).status == "submitted"
    assert len(history(order)) == 1


# The release gate as staff see it


def test_a_deposit_order_is_released_only_once_the_deposit_is_paid(web, globex, staff):
    order = confirmed(web, globex)
    finance = signed_in(web, "finance@northwind.example")
    assert order.total_amount == Decimal("4396.48")

    page = finance.get(f"/staff/orders/{order.number}").data.decode()
    assert "Deposit of $1,318.94 not paid." in page
    assert re.search(r'<button type="submit" class="btn btn-success" disabled', page)

    refused = act(finance, order, "release")
    assert b"Deposit of $1,318.94 not paid." in refused.data
    assert fresh(order).status == "confirmed"

    deposit, _balance = milestones_of(order)
    deposit.paid_amount = deposit.amount  # as finance's payment recording will
    db.session.commit()
    page = finance.get(f"/staff/orders/{order.number}").data.decode()
    assert "not paid" not in page and 'data-blocker-count="0"' in page
    assert b"Order released to production." in act(finance, order, "release").data
    assert fresh(order).status == "released"


def test_a_credit_hold_blocks_release_with_its_reason_until_finance_lifts_it(web, shop, staff):
    order = confirmed(web, place(shop, [("NW-LT14", 1)]))
    finance = signed_in(web, "finance@northwind.example")

    response = finance.post(
        "/staff/accounts/acme/credit-hold",
        data={"reason": "Invoices 90 days overdue", "hold": "1"},
        follow_redirects=True,
    )
    assert b"is on credit hold" in response.data
    assert b'data-credit-hold="true"' in response.data
    assert b"Invoices 90 days overdue" in response.data
    audit = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "account.credit_hold")
    )
    assert audit.actor_id == staff["finance"].id and audit.reason == "Invoices 90 days overdue"

    blocked = "The account is on credit hold: Invoices 90 days overdue"
    assert blocked in finance.get(f"/staff/orders/{order.number}").data.decode()
    refused = act(finance, order, "release")
    assert blocked in refused.data.decode()
    assert fresh(order).status == "confirmed"

    finance.post("/staff/accounts/acme/credit-hold", data={"reason": "Paid in full", "lift": "1"})
    assert b"Order released to production." in act(finance, order, "release").data


def test_a_credit_hold_needs_a_reason_and_only_finance_sets_it(web, shop, staff):
    finance = signed_in(web, "finance@northwind.example")
    refused = finance.post(
        "/staff/accounts/acme/credit-hold", data={"reason": " ", "hold": "1"}, follow_redirects=True
    )
    assert b"Say why" in refused.data
    desk = signed_in(web, "inside_sales@northwind.example")
    forbidden = desk.post("/staff/accounts/acme/credit-hold", data={"reason": "x", "hold": "1"})
    assert forbidden.status_code == 403
    db.session.expire_all()
    assert db.session.get(KeyAccount, shop.account.id).is_on_credit_hold is False
    # Only finance is offered the form.
    assert b"credit-hold-reason" in finance.get("/staff/accounts/acme").data
    assert b"credit-hold-reason" not in desk.get("/staff/accounts/acme").data


@pytest.mark.date_sensitive
def test_an_expired_contract_blocks_release(web, shop, staff):
    order = confirmed(web, place(shop, [("NW-LT14", 1)]))
    contract = db.session.get(Contract, shop.contract.id)
    contract.valid_to = today_for(shop.account) - timedelta(days=1)
    db.session.commit()
    finance = signed_in(web, "finance@northwind.example")

    assert "expired on" in finance.get(f"/staff/orders/{order.number}").data.decode()
    refused = act(finance, order, "release")
    assert b"Contract NW-ACME-01 expired on" in refused.data
    assert fresh(order).status == "confirmed"


@pytest.mark.parametrize("role", ["inside_sales", "account_admin", "call_center"])
def test_staff_without_release_permission_get_403_and_no_release_button(web, shop, staff, role):
    order = confirmed(web, place(shop, [("NW-LT14", 1)]))
    client = signed_in(web, f"{role}@northwind.example")
    assert client.post(f"/staff/orders/{order.number}/release").status_code == 403
    assert fresh(order).status == "confirmed"
    assert b'data-action="release"' not in client.get(f"/staff/orders/{order.number}").data


def test_the_call_centre_sees_orders_but_is_offered_no_action(web, shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    client = signed_in(web, "call_center@northwind.example")
    page = client.get(f"/staff/orders/{order.number}")
    assert page.status_code == 200 and b"data-action=" not in page.data
    assert client.post(f"/staff/orders/{order.number}/confirm").status_code == 403


def test_shipping_without_a_tracking_number_is_refused_and_changes_nothing(web, shop, staff):
    order = confirmed(web, place(shop, [("NW-LT14", 1)]))
    finance = signed_in(web, "finance@northwind.example")
    act(finance, order, "release")

    refused = act(finance, order, "ship", carrier="SF Express", tracking_number="  ")
    assert b"Give the carrier and the tracking number." in refused.data
    order = fresh(order)
    assert (order.status, order.carrier, order.tracking_number) == ("released", "", "")
    assert [m.due_on for m in milestones_of(order)] == [None]
    assert [to for to, _actor, _comment in history(order)][-1] == "released"


def test_cancelling_needs_a_reason_which_the_order_keeps(web, shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    desk = signed_in(web, "inside_sales@northwind.example")

    refused = act(desk, order, "cancel", reason="")
    assert b"Say why the order is cancelled." in refused.data
    assert fresh(order).status == "submitted"

    done = act(desk, order, "cancel", reason="Duplicate of a phone order")
    assert b"Cancelled: Duplicate of a phone order" in done.data
    order = fresh(order)
    assert (order.status, order.cancel_reason) == ("cancelled", "Duplicate of a phone order")


def test_buyers_get_404_on_the_staff_order_pages(web, shop, staff):
    order = place(shop, [("NW-LT14", 1)])
    buyer = signed_in(web, shop.buyer.email)
    assert buyer.get(f"/staff/orders/{order.number}").status_code == 404
    assert buyer.get("/staff/orders").status_code == 404
    assert buyer.post(f"/staff/orders/{order.number}/confirm").status_code == 404
    assert fresh(order).status == "submitted"


# Orders on a buyer's behalf


def form_token(page: bytes) -> str:
    found = re.search(rb'name="checkout_token" type="hidden" value="([0-9a-f]{32})"', page)
    return found[1].decode()


def on_behalf(shop: Shop, token: str, **changes) -> dict:
    return {
        "buyer": str(shop.buyer.id),
        "lines": "NW-LT14 2\nNW-MN27, 1\n",
        "ship_to": str(shop.address.id),
        "po_number": "PO-4711",
        "requested_delivery_on": "",
        "note": "Phoned in by Ms Li",
        "reason": "Ms Li's portal login is locked",
        "checkout_token": token,
        **changes,
    }


def test_inside_sales_places_an_order_on_a_buyers_behalf_recorded_as_such(web, shop, staff):
    desk = signed_in(web, "inside_sales@northwind.example")
    page = desk.get("/staff/accounts/acme/orders/new")
    assert page.status_code == 200 and b"Bea Buyer" in page.data
    assert b"approver@acme.example" in page.data  # any active buyer-side user
    token = form_token(page.data)

    response = desk.post("/staff/accounts/acme/orders/new", data=on_behalf(shop, token))
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert response.headers["Location"] == f"/staff/orders/{order.number}"
    assert (order.placed_by_id, order.placed_on_behalf_by_id) == (
        shop.buyer.id,
        staff["inside_sales"].id,
    )
    assert (order.status, order.total_amount, order.po_number) == (
        "submitted",
        Decimal("17339.15"),
        "PO-4711",
    )
    assert history(order) == [
        (
            "submitted",
            staff["inside_sales"].id,
            "Placed by Inside Sales on behalf of Bea Buyer. Reason: Ms Li's portal login is locked",
        )
    ]
    shown = desk.get(f"/staff/orders/{order.number}").data.decode()
    assert "Placed by Inside Sales on behalf of Bea Buyer." in shown
    assert 'data-on-behalf-by="inside_sales@northwind.example"' in shown
    listed = desk.get("/staff/orders").data.decode()
    assert "on behalf, by Inside Sales" in listed

    again = desk.post("/staff/accounts/acme/orders/new", data=on_behalf(shop, token))
    assert again.headers["Location"] == f"/staff/orders/{order.number}"
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_an_order_on_behalf_needs_a_reason_which_the_audit_trail_keeps(web, shop, staff):
    desk = signed_in(web, "inside_sales@northwind.example")
    token = form_token(desk.get("/staff/accounts/acme/orders/new").data)
    refused = desk.post("/staff/accounts/acme/orders/new", data=on_behalf(shop, token, reason=" "))
    assert refused.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0

    desk.post("/staff/accounts/acme/orders/new", data=on_behalf(shop, token))
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "order.place"))
    assert (event.actor_id, event.reason) == (
        staff["inside_sales"].id,
        "Ms Li's portal login is locked",
    )


def test_an_order_on_behalf_above_the_buyers_limit_waits_for_approval(web, shop, staff):
    desk = signed_in(web, "inside_sales@northwind.example")
    token = form_token(desk.get("/staff/accounts/acme/orders/new").data)
    response = desk.post(
        "/staff/accounts/acme/orders/new",
        data=on_behalf(shop, token, lines="NW-LT14 10"),  # 76,500.00 > 50,000.00
        follow_redirects=True,
    )
    assert b"above their spending limit" in response.data
    assert b"Waiting for approval" in response.data
    order = db.session.scalar(sa.select(Order))
    assert (order.status, order.total_amount) == ("pending_approval", Decimal("76500.00"))


@pytest.mark.parametrize(
    "lines, message",
    [
        ("NW-LT14 0", "Line 1 (NW-LT14 0): The quantity must be at least 1."),
        ("NW-MN27 1\nNW-LT14 two", "Line 2 (NW-LT14 two): “two” is not a quantity"),
        ("NW-LT14 100000", "Line 1 (NW-LT14 100000): The quantity must be at most 99,999."),
        ("NW-LT14 1.5", "Line 1 (NW-LT14 1.5): Quantities are whole units"),
        ("NW-LT14 -3", "Line 1 (NW-LT14 -3): The quantity must be at least 1."),
        ("NW-LT14", "Line 1 (NW-LT14): Write one SKU and one quantity on a line"),
        ("   \n", "This field is required."),
        ("NO-SUCH 1", "NO-SUCH: There is no product with this number."),
    ],
)
def test_bad_lines_are_refused_row_by_row_and_nothing_is_placed(web, shop, staff, lines, message):
    desk = signed_in(web, "inside_sales@northwind.example")
    token = form_token(desk.get("/staff/accounts/acme/orders/new").data)
    response = desk.post(
        "/staff/accounts/acme/orders/new", data=on_behalf(shop, token, lines=lines)
    )
    assert response.status_code == 200
    assert message in response.data.decode()
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_only_the_accounts_active_buyers_and_addresses_can_be_chosen(web, shop, staff):
    other = factories.UserFactory(email="buyer@globex.example")
    gone = factories.UserFactory(account=shop.account, email="gone@acme.example", is_active=False)
    elsewhere = factories.AddressFactory(lines="Elsewhere 9")
    desk = signed_in(web, "inside_sales@northwind.example")
    page = desk.get("/staff/accounts/acme/orders/new")
    assert b"gone@acme.example" not in page.data and b"buyer@globex.example" not in page.data
    token = form_token(page.data)
    for change, message in [
        ({"buyer": str(other.id)}, b"Not a valid choice"),
        ({"buyer": str(gone.id)}, b"Not a valid choice"),
        ({"ship_to": str(elsewhere.id)}, b"Choose one of your account&#39;s addresses."),
    ]:
        response = desk.post(
            "/staff/accounts/acme/orders/new", data=on_behalf(shop, token, **change)
        )
        assert response.status_code == 200
        assert message in response.data
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_only_inside_sales_and_sales_management_place_orders_on_behalf(web, shop, staff):
    for role, expected in [("inside_sales", 200), ("sales_director", 200), ("finance", 403)]:
        client = signed_in(web, f"{role}@northwind.example")
        assert client.get("/staff/accounts/acme/orders/new").status_code == expected
        page = client.get("/staff/accounts/acme").data
        assert (b"/staff/accounts/acme/orders/new" in page) == (expected == 200)


# The order desk list


@pytest.mark.date_sensitive
def test_the_order_desk_filters_by_status_account_and_date(web, shop, staff):
    today = date.today()
    globex = factories.ContractFactory(account=factories.AccountFactory(slug="globex"))
    old = factories.OrderFactory(contract=shop.contract, placed_on=today - timedelta(days=40))
    held = factories.OrderFactory(contract=shop.contract, status="on_hold")
    theirs = factories.OrderFactory(contract=globex, status="confirmed")
    client = signed_in(web, "call_center@northwind.example")

    def numbers(**query) -> set[str]:
        response = client.get("/staff/orders", query_string=query)
        assert response.status_code == 200
        return set(re.findall(r'<tr data-order-number="([^"]+)"', response.data.decode()))

    assert numbers() == {old.number, held.number, theirs.number}
    assert numbers(status="on_hold") == {held.number}
    assert numbers(account="globex") == {theirs.number}
    assert numbers(account="acme", placed_from=(today - timedelta(days=7)).isoformat()) == {
        held.number
    }
    assert numbers(placed_to=(today - timedelta(days=30)).isoformat()) == {old.number}
    assert numbers(status="no-such", account="no-such", placed_from="yesterday") == numbers()


def test_the_order_desk_lists_newest_first_and_pages(web, shop, staff, monkeypatch):
    from portal.ordering import queries

    monkeypatch.setattr(queries, "STAFF_PER_PAGE", 2)
    orders = [factories.OrderFactory(contract=shop.contract) for _ in range(3)]
    client = signed_in(web, "finance@northwind.example")
    first = client.get("/staff/orders", query_string={"status": "submitted"}).data.decode()
    second = client.get("/staff/orders", query_string={"status": "submitted", "page": 2})
    assert re.findall(r'<tr data-order-number="([^"]+)"', first) == [
        orders[2].number,
        orders[1].number,
    ]
    assert "status=submitted" in first  # the pager keeps the filters
    assert orders[0].number in second.data.decode()


def test_the_order_desk_issues_as_many_statements_for_100_orders_as_for_10(web, shop, staff):
    client = signed_in(web, "finance@northwind.example")

    def statements() -> int:
        client.get("/staff/orders")  # warm up: the session's last-seen time settles
        with count_queries() as issued:
            assert client.get("/staff/orders").status_code == 200
        return len(issued)

    def add(n: int) -> None:
        for i in range(n):
            factories.OrderFactory(
                contract=shop.contract,
                placed_by=shop.buyer,
                placed_on_behalf_by=staff["inside_sales"] if i % 2 else None,
            )

    add(10)
    ten = statements()
    add(90)
    hundred = statements()
    assert hundred == ten
    assert hundred <= 6
