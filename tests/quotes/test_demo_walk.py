"""Issue 16's "Done when", on the demo data and through the pages only: buyer@acme.example asks
for 200 x NW-LT14; inside@northwind.example quotes 6,900.00 (beyond inside's authority);
manager@northwind.example approves it; the departments the quote needs sign it off; the buyer
accepts and orders: the order's lines read 6,900.00 and name the quote; ordering from the same
quote again is refused; a POST that names other prices or quantities changes nothing; an
expired quote cannot be ordered."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.contracts.services import today_for
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.ordering.models import Order, OrderLine
from portal.quotes.models import Quote
from tests.support.quotes import accepted_quote
from tests.support.web import signed_in


def text(page) -> str:
    return page.get_data(as_text=True)


def quote_version(number: str) -> str:
    """The quote's lock version, which its forms carry (SECURITY.md 37)."""
    db.session.expire_all()
    return str(db.session.scalar(sa.select(Quote.version).where(Quote.number == number)))


def checkout_fields(page) -> dict:
    body = text(page)
    token = re.search(r'name="checkout_token" type="hidden" value="([0-9a-f]{32})"', body)
    ship_to = re.search(r'name="ship_to"><option value="(\d+)"', body)
    fapiao = re.search(r'name="fapiao_type"[^>]*>\s*<option[^>]*value="([^"]+)"', body)
    assert token and ship_to, "the quote's checkout form is not on the page"
    return {
        "checkout_token": token.group(1),
        "ship_to": ship_to.group(1),
        "fapiao_type": fapiao.group(1) if fapiao else "",
    }


def test_the_issue_s_demo_through_the_pages(web):
    seed_demo(history=False)
    acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    buyer = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)

    # The buyer asks for 200 x NW-LT14.
    asked = buyer.post(
        "/a/acme/quotes/new",
        data={
            "request_token": uuid.uuid4().hex,
            "lines-0-sku": "NW-LT14",
            "lines-0-quantity": "200",
            "lines-0-target_price": "",
            "lines-0-comment": "New hospital wing",
            "note": "200 laptops for the new wing.",
            "send": "1",
        },
    )
    assert asked.status_code == 303
    number = asked.headers["Location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"Q-\d{4}-\d{6}", number)
    url = f"/staff/quotes/{number}"

    # Inside quotes 6,900.00: 23.3% below list, beyond inside's authority; submits it.
    inside = signed_in(web, "inside@northwind.example", DEMO_PASSWORD)
    assert f'data-quote-number="{number}"' in text(inside.get(url))
    drafted = inside.post(
        f"{url}/draft",
        data={
            "version": quote_version(number),
            "lines-0-sku": "NW-LT14",
            "lines-0-quantity": "200",
            "lines-0-unit_price": "6900.00",
            "lines-0-comment": "Project price",
            "valid_until": (today_for(acme) + timedelta(days=30)).isoformat(),
            "terms": "",
            "note": "",
        },
    )
    assert drafted.status_code == 303
    page = text(inside.get(url))
    assert 'data-unit-price="6900.00"' in page and 'data-depth="23.3"' in page
    submitted = inside.post(f"{url}/submit", data={"version": quote_version(number)})
    assert submitted.status_code == 303

    # Before the manager approves, the buyer sees no price.
    assert 'data-unit-price="6900.00"' not in text(buyer.get(f"/a/acme/quotes/{number}"))

    manager = signed_in(web, "manager@northwind.example", DEMO_PASSWORD)
    approved = manager.post(f"{url}/price", data={"approve": "1", "comment": "Tender price."})
    assert approved.status_code == 303
    for department, signer in (("product", "admin"), ("finance", "finance")):
        staff = signed_in(web, f"{signer}@northwind.example", DEMO_PASSWORD)
        signed = staff.post(f"{url}/sign-off", data={"department": department, "comment": "OK"})
        assert signed.status_code == 303
    assert 'data-quote-status="sent"' in text(inside.get(url))

    # The buyer sees 6,900.00, accepts version 2 and orders.
    quote_page = f"/a/acme/quotes/{number}"
    assert 'data-unit-price="6900.00"' in text(buyer.get(quote_page))
    accepted = buyer.post(f"{quote_page}/accept", data={"version": "2"})
    assert accepted.status_code == 303
    form = checkout_fields(buyer.get(f"{quote_page}/order"))
    tampered = {"unit_price": "1.00", "lines-0-quantity": "1", "quantity": "1", "price": "1"}
    placed = buyer.post(f"{quote_page}/order", data={**form, **tampered})
    assert placed.status_code == 303, re.findall(r"invalid-feedback[^>]*>([^<]+)", text(placed))

    db.session.expire_all()
    quote = db.session.scalar(sa.select(Quote).where(Quote.number == number))
    assert quote.status == "ordered"
    order = db.session.get(Order, quote.order_id)
    lines = list(db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id)))
    assert [(line.sku, line.quantity, line.unit_price_amount) for line in lines] == [
        ("NW-LT14", 200, Decimal("6900.00"))
    ]
    assert (lines[0].quote_number, lines[0].quote_version) == (number, 2)
    assert order.total_amount == Decimal("1380000.00")
    order_page = text(buyer.get(placed.headers["Location"]))
    assert "6,900.00" in order_page and f'data-quote="{number}' in order_page

    # Ordering from the same quote again (another tab: another token) is refused.
    again = buyer.post(f"{quote_page}/order", data={**form, "checkout_token": "0" * 32})
    assert f"was ordered already: order {order.number}." in text(again)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Order.id)).where(
                Order.account_id == acme.id, Order.id > order.id
            )
        )
        == 0
    )


def test_an_expired_demo_quote_cannot_be_ordered_and_can_be_asked_to_renew(web):
    seed_demo(history=False)
    acme = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    quote = accepted_quote(
        "acme", [("NW-LT14", 200, "6900.00")], valid_until=today_for(acme) - timedelta(days=1)
    )
    buyer = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    url = f"/a/acme/quotes/{quote.number}"
    page = text(buyer.get(f"{url}/order"))
    assert "can no longer be ordered" in page and 'name="checkout_token"' not in page
    before = db.session.scalar(sa.select(sa.func.count(Order.id)))
    refused = buyer.post(f"{url}/order", data={"checkout_token": "1" * 32, "ship_to": "1"})
    assert "can no longer be ordered" in text(refused)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == before
    assert 'id="renew-form"' in text(buyer.get(url))
