"""The demo's quotes (portal.demo.quotes): one in each state of the pipeline, at the accounts
DESIGN.md names, priced from their contracts; seeding twice adds none; Acme is left free for the
walk-through of 200 x NW-LT14 at 6,900.00."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal.contracts.services import today_for
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.quotes.models import Quote, QuoteLine, QuoteVersion
from tests.support.pdfs import flat, pdf_text
from tests.support.web import signed_in

# Validity and expiry are counted from each account's today.


def demo_quotes() -> dict[str, Quote]:
    """The seeded quotes by account slug (one each)."""
    quotes = db.session.scalars(
        sa.select(Quote).options(
            joinedload(Quote.account),
            joinedload(Quote.assignee),
            joinedload(Quote.requested_by),
            selectinload(Quote.versions).options(
                selectinload(QuoteVersion.lines),
                selectinload(QuoteVersion.sign_offs),
                joinedload(QuoteVersion.approved_by),
            ),
            selectinload(Quote.events),
        )
    ).all()
    by_slug = {q.account.slug: q for q in quotes}
    assert len(by_slug) == len(quotes), "one demo quote per account"
    return by_slug


def test_seeding_twice_adds_no_quote():
    seed_demo(history=False)
    numbers = db.session.scalars(sa.select(Quote.number).order_by(Quote.number)).all()
    assert len(numbers) == 5
    assert seed_demo(history=False) == 0
    assert db.session.scalars(sa.select(Quote.number).order_by(Quote.number)).all() == numbers
    assert all(n.startswith("Q-") and len(n) == len("Q-2026-000001") for n in numbers)


@pytest.mark.date_sensitive
def test_the_demo_has_a_quote_in_each_state_of_the_pipeline():
    seed_demo(history=False)
    quotes = demo_quotes()
    assert {slug: q.status for slug, q in quotes.items()} == {
        "acme": "in_review",
        "globex": "sent",
        "qingdao": "requested",
        "initech": "accepted",
        "lotus": "lost",
    }
    for quote in quotes.values():
        request = quote.versions[0]
        assert (request.number, request.side, request.status) == (1, "buyer", "sent")
        assert quote.requested_by.account_id == quote.account_id
        assert quote.events[0].kind == "requested" and quote.events[1].kind == "routed"
        assert quote.currency == quote.account.currency

    # Acme: Iris's answer goes beyond her authority (0%): it waits for the manager and product
    acme = quotes["acme"]
    draft = acme.versions[-1]
    assert (draft.side, draft.status, draft.sent_at) == ("supplier", "in_review", None)
    assert acme.assignee.email == "inside@northwind.example"
    assert draft.needs_approval and draft.approved_at is None
    assert draft.depth_percent == Decimal("20.8421")  # (2,399 - 1,899) / 2,399, rounded up
    assert [(s.department, s.signed_at) for s in draft.sign_offs] == [("product", None)]
    monitors = draft.lines[0]
    assert (monitors.sku, monitors.quantity, monitors.unit_price_amount) == (
        "NW-MN27",
        30,
        Decimal("1899.00"),
    )
    assert monitors.contract_price_amount == Decimal("2039.15")  # 15% off 2,399.00
    assert monitors.list_price_amount == Decimal("2399.00")
    assert "NW-ACME-01" in monitors.contract_explanation
    assert acme.value_amount is None  # the buyer has seen no price yet

    # Globex: sent in USD, zero-rated, approved by the manager, still valid
    globex = quotes["globex"]
    sent = globex.versions[-1]
    assert globex.currency == "USD" and globex.account.tax_treatment == "export_zero_rated"
    assert sent.status == "sent" and sent.sent_at is not None
    assert sent.approved_by.email == "manager@northwind.example"
    assert sent.valid_until > today_for(globex.account)
    assert globex.value_amount == sent.total_amount == Decimal("12360.00")  # 40 x 309.00

    # Qingdao: 王芳's request in Chinese, routed to 陈静, not answered yet
    qingdao = quotes["qingdao"]
    assert qingdao.requested_by.name == "王芳"
    assert qingdao.assignee.email == "chen@northwind.example"
    assert "新院区" in qingdao.note and qingdao.wanted_by > today_for(qingdao.account)
    assert [v.side for v in qingdao.versions] == ["buyer"]
    assert qingdao.versions[0].lines[0].target_price_amount == Decimal("4500.00")
    assert qingdao.versions[0].lines[0].name_zh == "Tower 7 台式机"
    assert "陈静" in qingdao.events[1].text or "chen@northwind.example" in qingdao.events[1].text

    # Initech: accepted, never ordered, and its prices no longer hold
    initech = quotes["initech"]
    accepted = initech.versions[-1]
    assert accepted.accepted_at is not None and initech.order_id is None
    assert accepted.valid_until < today_for(initech.account)
    assert {s.department for s in accepted.sign_offs} == {"product", "legal"}  # it has terms
    assert all(s.signed_at for s in accepted.sign_offs)

    # Lotus: lost to a competitor, in the buyer's words
    lotus = quotes["lotus"]
    assert (lotus.lost_reason, lotus.lost_by_id) == ("competitor", lotus.requested_by_id)
    assert "competitor" in lotus.lost_comment and lotus.lost_at is not None
    assert {s.department for s in lotus.versions[-1].sign_offs} == {"product", "finance"}
    assert lotus.events[-1].kind == "lost"


def test_acme_is_left_free_for_the_walk_through_of_200_probook_laptops():
    seed_demo(history=False)
    acme = demo_quotes()["acme"].account
    laptops = db.session.scalar(
        sa.select(sa.func.count(QuoteLine.id)).where(
            QuoteLine.account_id == acme.id, QuoteLine.sku == "NW-LT14"
        )
    )
    assert laptops == 0
    answered = db.session.scalar(
        sa.select(sa.func.count(Quote.id)).where(
            Quote.account_id == acme.id, Quote.status.in_(("sent", "accepted", "ordered"))
        )
    )
    assert answered == 0


def test_the_buyers_download_what_they_may_see_of_the_demo_quotes(web):
    seed_demo(history=False)
    quotes = demo_quotes()
    globex = signed_in(web, "buyer@globex.example", DEMO_PASSWORD)
    number = quotes["globex"].number
    answer = globex.get(f"/a/globex/quotes/{number}/v2.pdf")
    assert answer.status_code == 200
    text = flat(pdf_text(answer.data))
    assert number in text and "$12,360.00" in text and "Zero-rated export" in text
    acme = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    in_review = quotes["acme"].number
    assert acme.get(f"/a/acme/quotes/{in_review}/v2.pdf").status_code == 404
    assert acme.get(f"/a/acme/quotes/{in_review}/v1.pdf").status_code == 200
    assert acme.get(f"/a/acme/quotes/{number}/v2.pdf").status_code == 404


def test_the_demo_without_its_quotes_has_none_until_seeded_with_them():
    """Tests that count quotes from none seed the demo without them (seed_demo(quotes=False))."""
    seed_demo(quotes=False, history=False)
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0
    assert seed_demo(history=False) == 5
    assert seed_demo(quotes=False, history=False) == 0 and seed_demo(history=False) == 0
