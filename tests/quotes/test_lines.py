"""What a version's lines may hold, as typed: SKUs read plain and upper-cased, quantities and
prices in range, each SKU once, at most MAX_LINES lines; anything else is refused with a
message naming the SKU, and nothing is written (no quote number used, no e-mail queued)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.cart.models import MAX_QUANTITY
from portal.catalog.models import Product
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.quotes import services
from portal.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteNumberCounter, QuoteVersion
from portal.quotes.pricing import MAX_LINES
from portal.quotes.services import DraftLine, RequestLine
from tests.support.quotes import ask, draft, mails_to, valid_until, versions

TABLES = (Quote, QuoteVersion, QuoteLine, QuoteEvent, OutboxMessage)


def counts() -> tuple:
    rows = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in TABLES)
    return rows + (db.session.scalar(sa.select(sa.func.max(QuoteNumberCounter.last))),)


def refused(call, *, field="lines", match=None):
    before = counts()
    with pytest.raises(ServiceError) as error:
        call()
    db.session.rollback()  # as a view's error handler does: nothing must have been pending
    assert counts() == before
    assert error.value.field == field
    if match:
        assert match in error.value.message
    return error.value


def test_full_width_and_lower_case_skus_read_as_the_catalogs(world):
    quote = ask(world, lines=[RequestLine(" ｎｗ－ｌｔ１４ ", 3), RequestLine("nw-mn27", 1)])
    assert [line.sku for line in services.starting_lines(quote)] == ["NW-LT14", "NW-MN27"]


def test_a_product_sold_no_more_or_unknown_is_refused_by_its_sku(world):
    refused(lambda: ask(world, lines=[RequestLine("NW-NOPE", 1)]), match="NW-NOPE")
    db.session.scalar(sa.select(Product).where(Product.sku == "NW-DOCK")).is_active = False
    db.session.commit()
    refused(lambda: ask(world, lines=[RequestLine("nw-dock", 1)]), match="NW-DOCK")


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, 2.5, "3", True, None])
def test_quantities_are_whole_numbers_from_1_to_the_most_a_cart_holds(world, quantity):
    refused(lambda: ask(world, lines=[RequestLine("NW-LT14", quantity)]), match="NW-LT14")


@pytest.mark.parametrize(
    "price", [Decimal(0), Decimal("-1"), Decimal("1.005"), Decimal("NaN"), 1.5, Decimal("1e13")]
)
def test_target_prices_are_positive_amounts_in_the_currency(world, price):
    refused(lambda: ask(world, lines=[RequestLine("NW-LT14", 1, price)]), match="NW-LT14")


def test_a_sku_twice_is_refused_saying_so(world):
    error = refused(
        lambda: ask(world, lines=[RequestLine("NW-LT14", 1), RequestLine("ＮＷ－ＬＴ１４", 2)])
    )
    assert "NW-LT14" in error.message and "more than one line" in error.message


def test_no_lines_or_too_many_are_refused(world):
    refused(lambda: services.request_quote(world.buyer, world.acme, []))
    skus = list(db.session.scalars(sa.select(Product.sku).order_by(Product.sku)))
    many = [RequestLine(f"NW-X{n}", 1) for n in range(MAX_LINES + 1)]
    refused(lambda: ask(world, lines=many), match=str(MAX_LINES))
    assert len(skus) < MAX_LINES  # the 201 lines are refused for their number, not their SKUs


def test_long_notes_and_comments_and_a_wanted_by_in_the_past_are_refused(world):
    refused(lambda: ask(world, note="x" * 4001), field="note")
    refused(lambda: ask(world, lines=[RequestLine("NW-LT14", 1, None, "x" * 1001)]))
    yesterday = world.acme.local_date() - timedelta(days=1)
    refused(lambda: ask(world, wanted_by=yesterday), field="wanted_by")
    refused(lambda: ask(world, wanted_by=yesterday + timedelta(days=800)), field="wanted_by")


def test_only_the_accounts_active_buyers_ask_and_only_hotline_staff_for_them(world):
    refused(
        lambda: services.request_quote(world.other_buyer, world.acme, [RequestLine("NW-LT14", 1)]),
        field="requested_by",
    )
    refused(
        lambda: services.request_quote(
            world.buyer, world.acme, [RequestLine("NW-LT14", 1)], started_by=world.finance
        ),
        field=None,
    )
    quote = services.request_quote(
        world.buyer, world.acme, [RequestLine("NW-LT14", 1)], started_by=world.callcenter
    )
    assert (quote.requested_by_id, quote.started_by_id) == (world.buyer.id, world.callcenter.id)
    (told,) = mails_to("buyer@acme.example", quote.number)
    assert "Cai Callcentre" in told.subject


def test_a_bad_draft_changes_neither_the_draft_nor_the_quote(world):
    quote = ask(world)
    version = draft(world, quote, price="7000.00")
    saved = quote.version
    for lines in (
        [DraftLine("NW-LT14", 200, Decimal("-5"))],
        [DraftLine("NW-LT14", 200), DraftLine("NW-NOPE", 1)],
        [DraftLine("NW-LT14", 0)],
        [],
    ):
        refused(lambda lines=lines: draft(world, quote, lines=lines))
    refused(lambda: draft(world, quote, terms="x" * 4001), field="terms")
    db.session.refresh(quote)
    assert quote.version == saved
    (line,) = db.session.scalars(sa.select(QuoteLine).where(QuoteLine.version_id == version.id))
    assert line.unit_price_amount == Decimal("7000.00")
    assert len(versions(quote)) == 2


def test_the_rep_adds_catalog_lines_at_their_contract_price(world):
    quote = ask(world)
    version = draft(
        world,
        quote,
        lines=[DraftLine("NW-LT14", 200), DraftLine("ｎｗ－ｓｖｃ３ｙ", 200, None, "3 years")],
        valid_until=valid_until(world.acme),
    )
    lines = db.session.scalars(
        sa.select(QuoteLine).where(QuoteLine.version_id == version.id).order_by(QuoteLine.position)
    ).all()
    assert [(line.sku, line.unit_price_amount) for line in lines] == [
        ("NW-LT14", Decimal("7400.00")),
        ("NW-SVC3Y", Decimal("1080.00")),  # Acme's 10% off services
    ]
    assert lines[1].comment == "3 years"
    assert [line.tax_category for line in lines] == ["goods", "services"]
    request = versions(quote)[0]
    (asked,) = db.session.scalars(sa.select(QuoteLine).where(QuoteLine.version_id == request.id))
    assert asked.tax_category == "goods"
