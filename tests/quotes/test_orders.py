"""Ordering an accepted quote (报价单): once, before it expires, at exactly its prices and
quantities, through the normal checkout; the service and the page /a/<slug>/quotes/<n>/order."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.cart import queries as cart_queries
from portal.contracts.services import today_for
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from portal.ordering.models import Order, OrderLine
from portal.ordering.placement import Checkout
from portal.quotes import orders
from portal.quotes.models import Quote, QuoteEvent
from tests import factories
from tests.support.ordering import fill_cart
from tests.support.quotes import accepted_quote
from tests.support.web import signed_in

#: The demo's project price: 200 x NW-LT14 at 6,900.00 (the contract says 7,400.00 from 50).
DEMO_LINES = [("NW-LT14", 200, "6900.00")]
#: A small quote within the buyer's spending limit and the credit: the order goes ahead.
SMALL_LINES = [("NW-LT14", 3, "6900.00"), ("NW-MN27", 2, "1999.99")]


def all_orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


def events_of(quote: Quote) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(QuoteEvent.kind)
            .where(QuoteEvent.quote_id == quote.id)
            .order_by(QuoteEvent.id)
        )
    )


def order(shop, quote, token=None, **checkout):
    return orders.order_quote(
        shop.buyer,
        shop.account,
        quote,
        Checkout(ship_to_address_id=shop.address.id, **checkout),
        token or uuid.uuid4().hex,
    )


def text(page) -> str:
    return page.get_data(as_text=True)


def token_on(page) -> str:
    found = re.search(r'name="checkout_token" type="hidden" value="([0-9a-f]{32})"', text(page))
    assert found, "the quote's checkout page carries a one-time token"
    return found.group(1)


@pytest.fixture
def buyer(web, shop):
    return signed_in(web, shop.buyer.email)


# The service


def test_the_order_of_an_accepted_quote_reads_its_prices_and_names_it(shop):
    quote = accepted_quote("acme", DEMO_LINES)

    placed = order(shop, quote)

    (line,) = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == placed.id))
    assert (line.sku, line.quantity) == ("NW-LT14", 200)
    assert line.unit_price_amount == Decimal("6900.00")  # not the contract's 7,400.00
    assert line.line_total_amount == Decimal("1380000.00")
    assert placed.total_amount == Decimal("1380000.00")
    assert (line.quote_number, line.quote_version) == (quote.number, 2)
    assert line.price_explanation == f"Quoted price: quote {quote.number}, version 2"
    assert line.price_rule_id is None
    assert line.net_amount + line.vat_amount == line.line_total_amount  # VAT as any order
    db.session.expire_all()
    assert (quote.status, quote.order_id) == ("ordered", placed.id)
    assert events_of(quote)[-1] == "ordered"
    # Above Bea's 50,000.00 spending limit: it waits for approval, as any order would.
    assert placed.status in ("pending_approval", "on_hold")


def test_the_rep_who_answered_the_quote_is_told_it_was_ordered(shop):
    with factories.committed_once():
        rep = factories.StaffFactory(role="inside_sales", email="inside@northwind.example")
    quote = accepted_quote("acme", SMALL_LINES, assignee=rep)

    placed = order(shop, quote)

    told = f"Quote {quote.number} was ordered: order {placed.number}, Acme Hospital Group."
    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == rep.id)).all()
    assert [n.text for n in notices] == [told]
    mails = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == rep.email)
    ).all()
    assert [m.subject for m in mails] == [told]


def test_the_same_checkout_twice_gets_the_same_order(shop):
    quote = accepted_quote("acme", SMALL_LINES)
    token = uuid.uuid4().hex

    first = order(shop, quote, token)
    again = order(shop, quote, token)

    assert again.id == first.id
    assert len(all_orders()) == 1
    assert events_of(quote).count("ordered") == 1


def test_a_quote_orders_once_the_second_order_is_refused_and_writes_nothing(shop):
    quote = accepted_quote("acme", SMALL_LINES)
    first = order(shop, quote)
    events = events_of(quote)

    with pytest.raises(ServiceError) as refused:
        order(shop, quote)

    assert refused.value.message == (
        f"Quote {quote.number} was ordered already: order {first.number}."
    )
    db.session.rollback()
    assert [o.id for o in all_orders()] == [first.id]
    assert events_of(quote) == events


@pytest.mark.date_sensitive
def test_an_expired_quote_cannot_be_ordered(shop):
    yesterday = today_for(shop.account) - timedelta(days=1)
    quote = accepted_quote("acme", SMALL_LINES, valid_until=yesterday)

    with pytest.raises(ServiceError, match="expired on .* Ask for it to be renewed"):
        order(shop, quote)

    db.session.rollback()
    assert all_orders() == []
    db.session.expire_all()
    assert (quote.status, quote.order_id) == ("accepted", None)


@pytest.mark.date_sensitive
def test_a_quote_valid_until_today_can_still_be_ordered(shop):
    quote = accepted_quote("acme", SMALL_LINES, valid_until=today_for(shop.account))

    assert order(shop, quote).total_amount == Decimal("24699.98")


def test_a_quote_not_accepted_cannot_be_ordered(shop):
    quote = accepted_quote("acme", SMALL_LINES, status="sent")

    with pytest.raises(ServiceError, match="once you have accepted it"):
        order(shop, quote)

    db.session.rollback()
    assert all_orders() == []


def test_a_discontinued_product_is_refused_and_asks_for_a_new_quote(shop):
    quote = accepted_quote("acme", SMALL_LINES)
    db.session.execute(sa.text("UPDATE products SET is_active = false WHERE sku = 'NW-MN27'"))
    db.session.commit()

    with pytest.raises(ServiceError, match="NW-MN27: This product is no longer sold"):
        order(shop, quote)


def test_a_quote_in_another_currency_than_the_contracts_is_refused(shop):
    quote = accepted_quote("acme", SMALL_LINES)
    quote.currency = "USD"
    db.session.commit()

    with pytest.raises(ServiceError, match="The quote is in USD and your contract in CNY"):
        order(shop, quote)


def test_a_quote_with_a_line_without_a_price_is_refused(shop):
    quote = accepted_quote("acme", SMALL_LINES)
    db.session.execute(
        sa.text("UPDATE quote_lines SET unit_price_amount = NULL WHERE sku = 'NW-MN27'")
    )
    db.session.commit()

    with pytest.raises(ServiceError, match="has a line without a price"):
        order(shop, quote)


def test_the_cart_is_left_as_it_is(shop):
    fill_cart(shop.buyer, [("NW-MN27", 4)])
    quote = accepted_quote("acme", SMALL_LINES)

    order(shop, quote)

    assert [(i[0], i[1]) for i in cart_queries.cart_items(shop.buyer.id)] == [("NW-MN27", 4)]


def test_another_accounts_quote_is_refused(shop):
    other = factories.AccountFactory(slug="globex")
    quote = accepted_quote("acme", SMALL_LINES)

    with pytest.raises(ServiceError):
        orders.order_quote(
            shop.buyer, other, quote, Checkout(ship_to_address_id=shop.address.id), "a" * 32
        )


# The page


def test_the_page_shows_the_quotes_lines_at_its_prices_and_places_the_order(buyer, shop):
    quote = accepted_quote("acme", SMALL_LINES)

    page = buyer.get(f"/a/acme/quotes/{quote.number}/order")

    assert page.status_code == 200
    body = text(page)
    assert 'data-sku="NW-LT14" data-qty="3" data-line-total="20700.00"' in body
    assert 'data-sku="NW-MN27" data-qty="2" data-line-total="3999.98"' in body
    assert 'data-checkout-total="24699.98"' in body
    assert f"Quoted price: quote {quote.number}, version 2" in body
    assert "Payment schedule" in body and "Place order" in body

    placed = buyer.post(
        f"/a/acme/quotes/{quote.number}/order",
        data={"ship_to": str(shop.address.id), "checkout_token": token_on(page)},
    )

    (made,) = all_orders()
    assert placed.status_code == 303
    assert placed.location == f"/a/acme/orders/{made.number}"
    assert made.total_amount == Decimal("24699.98")


def test_the_demo_quote_shows_6900_a_laptop_and_who_decides_above_the_limit(buyer, shop):
    quote = accepted_quote("acme", DEMO_LINES)

    body = text(buyer.get(f"/a/acme/quotes/{quote.number}/order"))

    assert 'data-sku="NW-LT14" data-qty="200" data-line-total="1380000.00"' in body
    assert "6,900.00" in body and "7,400.00" not in body
    assert 'id="needs-approval"' in body  # above Bea's 50,000.00
    assert "Alex Approver" in body


def test_prices_and_quantities_in_the_post_change_nothing(buyer, shop):
    quote = accepted_quote("acme", SMALL_LINES)
    tampered = {
        "ship_to": str(shop.address.id),
        "checkout_token": uuid.uuid4().hex,
        "sku": "NW-MN27",
        "qty": "999",
        "quantity": "999",
        "price": "0.01",
        "unit_price": "0.01",
        "unit_price_amount": "0.01",
        "total": "0.01",
        "lines": "NW-LT14,1000,0.01",
        "lines-0-quantity": "1000",
        "lines-0-unit_price": "0.01",
        "version": "1",
    }

    buyer.post(f"/a/acme/quotes/{quote.number}/order", data=tampered)

    (made,) = all_orders()
    lines = db.session.scalars(
        sa.select(OrderLine).where(OrderLine.order_id == made.id).order_by(OrderLine.position)
    )
    assert [(x.sku, x.quantity, x.unit_price_amount, x.quote_version) for x in lines] == [
        ("NW-LT14", 3, Decimal("6900.00"), 2),
        ("NW-MN27", 2, Decimal("1999.99"), 2),
    ]
    assert made.total_amount == Decimal("24699.98")


def test_an_ordered_quote_says_by_which_order_and_links_back(buyer, shop):
    quote = accepted_quote("acme", SMALL_LINES)
    first = order(shop, quote)

    page = buyer.get(f"/a/acme/quotes/{quote.number}/order")
    assert f"was ordered already: order {first.number}." in text(page)
    assert f'href="/a/acme/quotes/{quote.number}"' in text(page)
    assert "Place order" not in text(page)

    refused = buyer.post(
        f"/a/acme/quotes/{quote.number}/order",
        data={"ship_to": str(shop.address.id), "checkout_token": uuid.uuid4().hex},
    )
    assert refused.status_code == 200
    assert text(refused).count(f"was ordered already: order {first.number}.") == 1  # said once
    assert len(all_orders()) == 1


@pytest.mark.date_sensitive
def test_an_expired_quote_says_so_and_offers_no_submit(buyer, shop):
    yesterday = today_for(shop.account) - timedelta(days=1)
    quote = accepted_quote("acme", SMALL_LINES, valid_until=yesterday)

    page = buyer.get(f"/a/acme/quotes/{quote.number}/order")

    assert "Ask for it to be renewed on the quote&#39;s page." in text(page)
    assert f'href="/a/acme/quotes/{quote.number}"' in text(page)
    assert "Place order" not in text(page)
    refused = buyer.post(
        f"/a/acme/quotes/{quote.number}/order",
        data={"ship_to": str(shop.address.id), "checkout_token": uuid.uuid4().hex},
    )
    assert refused.status_code == 200
    assert all_orders() == []


def test_another_accounts_buyer_gets_404(web, shop):
    quote = accepted_quote("acme", SMALL_LINES)
    with factories.committed_once():
        globex = factories.AccountFactory(slug="globex")
        factories.AddressFactory(account=globex)
        factories.UserFactory(account=globex, email="buyer@globex.example")
    stranger = signed_in(web, "buyer@globex.example")

    assert stranger.get(f"/a/acme/quotes/{quote.number}/order").status_code == 404
    assert stranger.get(f"/a/globex/quotes/{quote.number}/order").status_code == 404
    posted = stranger.post(
        f"/a/globex/quotes/{quote.number}/order",
        data={"ship_to": "1", "checkout_token": uuid.uuid4().hex},
    )
    assert posted.status_code == 404
    assert all_orders() == []


def test_the_buyers_and_the_staff_order_pages_name_the_quote_on_each_line(buyer, web, shop):
    quote = accepted_quote("acme", SMALL_LINES)
    placed = order(shop, quote)
    with factories.committed_once():
        factories.StaffFactory(role="inside_sales", email="inside@northwind.example")
    staff = signed_in(web, "inside@northwind.example")

    for page in (
        buyer.get(f"/a/acme/orders/{placed.number}"),
        staff.get(f"/staff/orders/{placed.number}"),
    ):
        body = text(page)
        assert "6,900.00" in body
        assert body.count(f'data-quote="{quote.number}"') == 2
        assert f"Quoted price: quote {quote.number}, version 2" in body
        assert f'/quotes/{quote.number}"' in body  # a link to the quote
