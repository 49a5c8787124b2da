"""The buyer's checkout, order history and order page, through HTTP as a browser uses them."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts.models import PriceRule
from portal.extensions import db
from portal.notifications.models import Notice
from portal.ordering import services
from portal.ordering.models import Order, OrderEvent
from tests import factories
from tests.support.catalogue import use_chinese_catalogue
from tests.support.ordering import fill_cart, place
from tests.support.web import count_queries, signed_in

NET30_CART = [("NW-LT14", 2), ("NW-MN27", 1)]  # 2 x 7650.00 + 2039.15


def token_on(page) -> str:
    found = re.search(rb'name="checkout_token" type="hidden" value="([0-9a-f]{32})"', page.data)
    assert found, "the checkout page carries a one-time token"
    return found.group(1).decode()


def order_attributes(page) -> dict:
    """The data-order-* attributes of the element that carries them (DESIGN.md section 5)."""
    found = re.search(
        r'data-order-number="([^"]+)" data-order-status="([^"]+)" data-order-total="([^"]+)"',
        page if isinstance(page, str) else text(page),
    )
    assert found, "the order page carries data-order-number, -status and -total"
    return dict(zip(("number", "status", "total"), found.groups(), strict=True))


def all_orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


def checkout_form(shop, token, **changes) -> dict:
    return {"ship_to": str(shop.address.id), "checkout_token": token, **changes}


def text(page) -> str:
    return page.get_data(as_text=True)


@pytest.fixture
def buyer(web, shop):
    return signed_in(web, shop.buyer.email)


@pytest.fixture
def staff():
    with factories.committed_once():
        return factories.StaffFactory(role="finance", email="finance@northwind.example")


# Checkout


def test_checkout_shows_the_net30_schedule_then_places_one_submitted_order(buyer, shop):
    fill_cart(shop.buyer, NET30_CART)

    page = buyer.get("/a/acme/checkout")
    assert page.status_code == 200
    assert "due 30 days after shipment" in text(page)
    assert "17,339.15" in text(page)
    assert 'data-checkout-total="17339.15"' in text(page)
    assert 'data-amount="17339.15"' in text(page)
    assert b"Place order" in page.data
    # The ship-to addresses as they will be printed: Chinese order for a Chinese one
    assert "中国 上海市 浦东新区<br>1 Main Street<br>张伟 138 0013 8000<br>200000" in text(page)

    placed = buyer.post("/a/acme/checkout", data=checkout_form(shop, token_on(page)))
    assert placed.status_code == 303
    [order] = all_orders()
    assert placed.headers["Location"] == f"/a/acme/orders/{order.number}"

    page = buyer.get(placed.headers["Location"])
    assert f"Order {order.number} placed." in text(page)
    assert order_attributes(page) == {
        "number": order.number,
        "status": "submitted",
        "total": "17339.15",
    }
    assert 'data-sku="NW-LT14" data-qty="2" data-line-total="15300.00"' in text(page)
    assert "due 30 days after shipment" in text(page)
    assert "set at shipment" in text(page)  # no due date until it ships
    assert f'action="/a/acme/orders/{order.number}/reorder"' in text(page)
    assert buyer.get("/a/acme/checkout").data.count(b"Your cart is empty.") == 1


def test_chinese_checkout_puts_no_space_between_the_limit_and_who_decides(
    buyer, shop, web, tmp_path, monkeypatch
):
    """Chinese sentences follow one another without a space (after 。); English ones with."""
    limit = (
        "This order is above your spending limit of %(limit)s: it will wait for approval before "
        "it goes ahead."
    )
    decides = "It is decided by an approver of your company: %(names)s."
    chinese = {
        limit: "此订单超出您的采购限额%(limit)s，须经审批后方可继续处理。",
        decides: "由贵公司的审批人审批：%(names)s。",
    }
    use_chinese_catalogue(monkeypatch, [web], tmp_path / "translations", chinese)
    fill_cart(shop.buyer, [("NW-LT14", 10)])  # above the buyer's 50,000.00

    english = text(buyer.get("/a/acme/checkout"))
    assert 'goes ahead. <span id="who-decides">It is decided' in english
    shop.buyer.locale = "zh_Hans"
    db.session.commit()
    page = text(buyer.get("/a/acme/checkout"))
    assert '方可继续处理。<span id="who-decides">由贵公司的审批人审批' in page


def test_the_same_checkout_posted_twice_makes_one_order_and_lands_on_it(buyer, shop):
    fill_cart(shop.buyer, NET30_CART)
    token = token_on(buyer.get("/a/acme/checkout"))

    first = buyer.post("/a/acme/checkout", data=checkout_form(shop, token))
    second = buyer.post("/a/acme/checkout", data=checkout_form(shop, token))

    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert len(all_orders()) == 1


def test_each_rendering_of_checkout_has_a_fresh_token(buyer, shop):
    fill_cart(shop.buyer, NET30_CART)
    assert token_on(buyer.get("/a/acme/checkout")) != token_on(buyer.get("/a/acme/checkout"))


def test_prices_account_and_status_in_the_post_are_ignored(buyer, shop):
    other = factories.AccountFactory(slug="other")
    fill_cart(shop.buyer, NET30_CART)
    token = token_on(buyer.get("/a/acme/checkout"))
    tampered = checkout_form(
        shop,
        token,
        unit_price="1.00",
        total="1.00",
        total_amount="1.00",
        account_id=str(other.id),
        status="released",
        placed_by_id=str(shop.approver.id),
    )

    assert buyer.post("/a/acme/checkout", data=tampered).status_code == 303

    [order] = all_orders()
    assert order.total_amount == Decimal("17339.15")
    assert order.account_id == shop.account.id
    assert order.status == "submitted"
    assert order.placed_by_id == shop.buyer.id


def test_an_empty_cart_says_so_offers_no_submit_and_places_nothing(buyer, shop):
    page = buyer.get("/a/acme/checkout")
    assert page.status_code == 200
    assert "Your cart is empty." in text(page)
    assert b"Place order" not in page.data

    refused = buyer.post("/a/acme/checkout", data=checkout_form(shop, "a" * 32))
    assert refused.status_code == 200
    assert "Your cart is empty." in text(refused)
    assert all_orders() == []


@pytest.mark.date_sensitive
def test_an_expired_contract_says_so_offers_no_submit_and_places_nothing(buyer, shop):
    fill_cart(shop.buyer, NET30_CART)
    shop.contract.valid_from = date.today() - timedelta(days=400)
    shop.contract.valid_to = date.today() - timedelta(days=5)
    db.session.commit()

    page = buyer.get("/a/acme/checkout")
    assert "Your contract is not in force today." in text(page)
    assert b"Place order" not in page.data

    refused = buyer.post("/a/acme/checkout", data=checkout_form(shop, "b" * 32))
    assert "Your contract is not in force today." in text(refused)
    assert all_orders() == []


def test_a_missing_po_number_is_refused_where_the_account_requires_one(buyer, shop):
    shop.account.is_po_required = True
    db.session.commit()
    fill_cart(shop.buyer, NET30_CART)
    page = buyer.get("/a/acme/checkout")
    assert "Your company requires one on every order." in text(page)

    refused = buyer.post("/a/acme/checkout", data=checkout_form(shop, token_on(page)))
    assert refused.status_code == 200
    assert "requires a purchase-order number on every order" in text(refused)
    assert all_orders() == []

    again = checkout_form(shop, token_on(refused), po_number="PO-4711")
    assert buyer.post("/a/acme/checkout", data=again).status_code == 303
    [order] = all_orders()
    assert order.po_number == "PO-4711"
    assert "PO-4711" in text(buyer.get(f"/a/acme/orders/{order.number}"))


def test_a_po_number_already_used_by_the_account_is_warned_about_and_can_be_confirmed(buyer, shop):
    earlier = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.buyer, po_number="PO-4711"
    )
    fill_cart(shop.buyer, NET30_CART)
    page = buyer.get("/a/acme/checkout")
    assert "is_po_repeat_confirmed" not in text(page)  # no box until there is a reason

    warned = buyer.post(
        "/a/acme/checkout", data=checkout_form(shop, token_on(page), po_number="po-4711")
    )
    assert warned.status_code == 200
    assert f"Order {earlier.number} already has the purchase-order number po-4711" in text(warned)
    assert 'name="is_po_repeat_confirmed"' in text(warned)
    assert all_orders() == [earlier]

    confirmed = checkout_form(
        shop, token_on(warned), po_number="po-4711", is_po_repeat_confirmed="y"
    )
    assert buyer.post("/a/acme/checkout", data=confirmed).status_code == 303
    assert sorted(order.po_number for order in all_orders()) == ["PO-4711", "po-4711"]


def test_another_accounts_po_number_is_no_reason_to_warn(buyer, shop):
    other = factories.ContractFactory(account=factories.AccountFactory(slug="elsewhere"))
    factories.OrderFactory(contract=other, po_number="PO-4711")
    fill_cart(shop.buyer, NET30_CART)
    page = buyer.get("/a/acme/checkout")
    placed = buyer.post(
        "/a/acme/checkout", data=checkout_form(shop, token_on(page), po_number="PO-4711")
    )
    assert placed.status_code == 303


@pytest.mark.date_sensitive
def test_a_delivery_date_in_the_past_is_refused(buyer, shop):
    fill_cart(shop.buyer, NET30_CART)
    token = token_on(buyer.get("/a/acme/checkout"))
    yesterday = (date.today() - timedelta(days=2)).isoformat()

    refused = buyer.post(
        "/a/acme/checkout", data=checkout_form(shop, token, requested_delivery_on=yesterday)
    )
    assert "Choose a delivery date after today and within two years." in text(refused)
    assert all_orders() == []


def test_an_address_of_another_account_is_refused(buyer, shop):
    elsewhere = factories.AddressFactory(account=factories.AccountFactory(slug="other"))
    fill_cart(shop.buyer, NET30_CART)
    token = token_on(buyer.get("/a/acme/checkout"))

    refused = buyer.post(
        "/a/acme/checkout", data=checkout_form(shop, token, ship_to=str(elsewhere.id))
    )
    assert "Choose one of your account&#39;s addresses." in text(refused)
    assert all_orders() == []


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_checkout_without_a_valid_token_is_a_400_and_places_nothing(buyer, shop, token):
    fill_cart(shop.buyer, NET30_CART)
    data = checkout_form(shop, token)
    if token is None:
        del data["checkout_token"]

    refused = buyer.post("/a/acme/checkout", data=data)
    assert refused.status_code == 400
    assert "This checkout form has expired." in text(refused)
    assert token_on(refused)  # a fresh form to submit again
    assert all_orders() == []


@pytest.mark.date_sensitive
def test_the_delivery_details_reach_the_order_page(buyer, shop):
    fill_cart(shop.buyer, NET30_CART)
    token = token_on(buyer.get("/a/acme/checkout"))
    wanted = date.today() + timedelta(days=20)
    data = checkout_form(
        shop, token, requested_delivery_on=wanted.isoformat(), note="Dock 4, <b>mornings</b>"
    )

    page = buyer.post("/a/acme/checkout", data=data, follow_redirects=True)
    assert "Dock 4, &lt;b&gt;mornings&lt;/b&gt;" in text(page)
    assert "1 Main Street" in text(page)
    [order] = all_orders()
    assert order.requested_delivery_on == wanted


# The order page


def test_the_order_page_keeps_the_prices_of_the_day_it_was_placed(buyer, shop):
    order = place(shop, NET30_CART)
    rule = db.session.scalar(sa.select(PriceRule).where(PriceRule.value == Decimal("7650")))
    rule.value = Decimal("7000")
    db.session.commit()

    page = text(buyer.get(f"/a/acme/orders/{order.number}"))
    snapshot = 'data-line-total="15300.00" data-unit-price="7650.00"'
    assert f'data-sku="NW-LT14" data-qty="2" {snapshot}' in page
    assert "fixed price CN¥7,650.00" in page  # the explanation as it was


def test_a_deposit_order_shows_the_unpaid_deposit_among_its_blocking_conditions(web):
    account = factories.AccountFactory(slug="globex", name="Globex", currency="USD")
    term = factories.PaymentTermFactory(
        name="30% deposit, balance on delivery",
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
    )
    contract = factories.ContractFactory(
        account=account, currency="USD", payment_term=term, credit_limit_amount=Decimal(100000)
    )
    laptop = factories.ProductFactory(sku="NW-LT14")
    factories.ListPriceFactory(product=laptop, currency="USD", amount=Decimal("1249.00"))
    factories.PriceRuleFactory(contract=contract, product=laptop, value=Decimal("12"))
    buyer = factories.UserFactory(
        account=account,
        email="buyer@globex.example",
        spending_limit_amount=Decimal("20000.00"),
        spending_limit_currency="USD",
    )
    address = factories.AddressFactory(account=account)
    fill_cart(buyer, [("NW-LT14", 4)])  # 4 x 1099.12 = 4396.48
    client = signed_in(web, buyer.email)

    page = client.get("/a/globex/checkout")
    assert "$1,318.94" in text(page) and "due at order" in text(page)
    assert "$3,077.54" in text(page) and "due on delivery" in text(page)
    data = {"ship_to": str(address.id), "checkout_token": token_on(page)}
    order_page = client.post("/a/globex/checkout", data=data, follow_redirects=True)

    assert order_attributes(order_page)["total"] == "4396.48"
    assert "Deposit of $1,318.94 not paid." in text(order_page)
    assert 'id="release-blockers"' in text(order_page)


def test_a_net30_order_shows_no_blocking_condition(buyer, shop):
    order = place(shop, NET30_CART)
    assert b'id="release-blockers"' not in buyer.get(f"/a/acme/orders/{order.number}").data


@pytest.mark.date_sensitive
def test_the_order_page_shows_the_timeline_and_the_tracking_number(buyer, shop, staff):
    order = place(shop, NET30_CART)
    services.confirm_order(staff, order)
    services.release_order(staff, order)
    services.ship_order(staff, order, "SF Express", "SF1234567890")

    page = text(buyer.get(f"/a/acme/orders/{order.number}"))
    assert order_attributes(page)["status"] == "shipped"
    assert 'data-tracking-number="SF1234567890"' in page
    for status in ("submitted", "confirmed", "released", "shipped"):
        assert f'data-to-status="{status}"' in page
    assert "finance@northwind.example" not in page
    assert "Cancel order" not in page
    due = services.today_for(shop.account) + timedelta(days=30)
    assert f'data-due-on="{due.isoformat()}"' in page


# Cancelling


def test_the_buyer_cancels_an_order_before_release_giving_a_reason(buyer, shop):
    order = place(shop, NET30_CART)
    assert b"Cancel order" in buyer.get(f"/a/acme/orders/{order.number}").data

    no_reason = buyer.post(f"/a/acme/orders/{order.number}/cancel", data={"reason": " "})
    assert no_reason.status_code == 303
    assert all_orders()[0].status == "submitted"

    done = buyer.post(
        f"/a/acme/orders/{order.number}/cancel",
        data={"reason": "Ordered twice"},
        follow_redirects=True,
    )
    assert order_attributes(done)["status"] == "cancelled"
    assert "Cancelled: Ordered twice" in text(done)
    assert all_orders()[0].status == "cancelled"


def test_the_buyer_cannot_cancel_once_the_order_is_released(buyer, shop, staff):
    order = place(shop, NET30_CART)
    services.confirm_order(staff, order)
    services.release_order(staff, order)
    assert b"Cancel order" not in buyer.get(f"/a/acme/orders/{order.number}").data

    refused = buyer.post(
        f"/a/acme/orders/{order.number}/cancel",
        data={"reason": "Changed our mind"},
        follow_redirects=True,
    )
    assert "Once released to production, an order is cancelled by our staff." in text(refused)
    assert all_orders()[0].status == "released"


def test_a_buyer_cannot_cancel_a_colleagues_order_but_the_approver_can(web, shop):
    colleague = factories.UserFactory(account=shop.account, email="colleague@acme.example")
    order = place(shop, NET30_CART)

    client = signed_in(web, colleague.email)
    assert b"Cancel order" not in client.get(f"/a/acme/orders/{order.number}").data
    refused = client.post(f"/a/acme/orders/{order.number}/cancel", data={"reason": "Mine now"})
    assert refused.status_code == 403
    assert all_orders()[0].status == "submitted"

    approver = signed_in(web, shop.approver.email)
    approver.post(f"/a/acme/orders/{order.number}/cancel", data={"reason": "Budget frozen"})
    assert all_orders()[0].status == "cancelled"


# Notices


def test_the_buyer_gets_a_notice_of_each_status_change_and_can_mark_them_read(buyer, shop, staff):
    order = place(shop, NET30_CART)
    services.confirm_order(staff, order)

    landing = text(buyer.get("/a/acme/"))
    assert f"Order {order.number} was confirmed." in landing
    assert f'href="/a/acme/orders/{order.number}"' in landing

    assert buyer.post("/a/acme/notices/read").status_code == 303
    assert f"Order {order.number} was confirmed." not in text(buyer.get("/a/acme/"))
    assert db.session.scalar(sa.select(Notice.read_at).where(Notice.user_id == shop.buyer.id))


def test_marking_notices_read_leaves_other_users_notices_alone(buyer, shop, staff):
    order = place(shop, [("NW-LT14", 10)])  # waits for the approver: a notice for them
    buyer.post("/a/acme/notices/read")
    unread = db.session.scalars(sa.select(Notice.user_id).where(Notice.read_at.is_(None)))
    assert list(unread) == [shop.approver.id]
    assert order.status == "pending_approval"


# The order history


def test_the_order_list_shows_the_accounts_orders_newest_first_with_filters(web, shop):
    colleague = factories.UserFactory(account=shop.account, email="colleague@acme.example")
    mine = place(shop, NET30_CART)
    theirs = place(shop, [("NW-MN27", 1)], buyer=colleague)
    client = signed_in(web, shop.buyer.email)

    page = text(client.get("/a/acme/orders"))
    assert page.index(theirs.number) < page.index(mine.number)
    assert 'data-order-total="17339.15"' in page

    only_mine = text(client.get("/a/acme/orders?mine=1"))
    assert mine.number in only_mine and theirs.number not in only_mine
    cancelled = text(client.get("/a/acme/orders?status=cancelled"))
    assert mine.number not in cancelled and "No orders match." in cancelled
    assert client.get("/a/acme/orders?status=bogus&page=99").status_code == 200


def test_the_order_list_issues_as_many_statements_for_100_orders_as_for_10(web, shop):
    client = signed_in(web, shop.buyer.email)

    def statements_with(total):
        existing = len(all_orders())
        for n in range(existing, total):
            # Each by someone else, so a per-row load of the placer would show in the count.
            placer = factories.UserFactory(account=shop.account, email=f"b{n}@acme.example")
            factories.OrderFactory(contract=shop.contract, placed_by=placer, po_number=f"PO-{n}")
        with count_queries() as statements:
            page = client.get("/a/acme/orders")
        assert page.status_code == 200
        assert page.data.count(b"data-order-number=") == min(total, 20)
        return len(statements)

    ten, hundred = statements_with(10), statements_with(100)
    assert ten == hundred
    assert hundred <= 6


def test_the_order_page_issues_as_many_statements_for_100_lines_as_for_10(web, shop):
    client = signed_in(web, shop.buyer.email)

    def statements_with(lines):
        order = factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer)
        for n in range(lines):
            factories.OrderLineFactory(
                order=order,
                position=n + 1,
                sku=f"SKU-{n:05d}",
                # Its VAT snapshot (100.00 at 13%): the summary and schedule read no rates.
                tax_category="goods",
                tax_rate_percent=Decimal("13"),
                net_amount=Decimal("88.50"),
                vat_amount=Decimal("11.50"),
            )
        for n in range(3):
            factories.MilestoneFactory(order=order, position=n + 1)
            factories.OrderEventFactory(order=order, actor=shop.buyer)
        with count_queries() as statements:
            page = client.get(f"/a/acme/orders/{order.number}")
        assert page.status_code == 200
        assert page.data.count(b"data-qty=") == lines
        assert page.data.count(b'class="vat-rate"') == 1
        assert not any("tax_rates" in statement for statement in statements)
        return len(statements)

    ten, hundred = statements_with(10), statements_with(100)
    assert ten == hundred
    assert hundred <= 12


# Other accounts


def test_another_accounts_buyer_gets_404_on_every_order_url(web, shop):
    order = place(shop, NET30_CART)
    globex = factories.AccountFactory(slug="globex", name="Globex")
    outsider = factories.UserFactory(account=globex, email="buyer@globex.example")
    factories.UserFactory(account=globex, role="approver", email="approver@globex.example")
    for email in ("buyer@globex.example", "approver@globex.example"):
        client = signed_in(web, email)
        for slug in ("acme", "globex"):
            for method, path in [
                ("GET", f"/a/{slug}/orders/{order.number}"),
                ("POST", f"/a/{slug}/orders/{order.number}/cancel"),
                ("POST", f"/a/{slug}/approvals/{order.number}"),
            ]:
                response = client.open(path, method=method, data={"reason": "x", "comment": "x"})
                assert response.status_code == 404, (email, method, path)
                assert b"17,339.15" not in response.data
        assert order.number.encode() not in client.get("/a/globex/orders").data
        assert client.get("/a/acme/orders").status_code == 404
        assert client.get("/a/acme/checkout").status_code == 404
    assert all_orders()[0].status == "submitted"
    assert outsider.account_id == globex.id


def test_the_order_history_shows_times_in_the_accounts_time_zone(buyer, shop):
    order = place(shop, NET30_CART)
    event = db.session.scalar(sa.select(OrderEvent).where(OrderEvent.order_id == order.id))
    event.at = datetime(2026, 11, 26, 21, 43, tzinfo=UTC)  # 05:43 the next day in Shanghai
    db.session.commit()
    page = text(buyer.get(f"/a/acme/orders/{order.number}"))
    assert "27 Nov 2026, 05:43" in page  # a buyer sees the account's own zone, unlabelled
    assert "26 Nov 2026, 21:43" not in page and "(Asia/Shanghai)" not in page
