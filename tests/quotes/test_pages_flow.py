"""The services as the pages call them: each request loads the quote whole (quotes.queries,
versions, lines and sign-offs eager-loaded) and calls a service with it. What a service writes
must count, not the collections loaded before it."""

from decimal import Decimal

from portal.extensions import db
from portal.quotes import queries, services
from portal.quotes.services import DraftLine, RequestLine
from tests.support.quotes import valid_until


def page(quote):
    """A new request: the quote loaded whole, as a staff page loads it."""
    db.session.expire_all()
    return queries.quote_by_number(quote.number)


def test_a_submit_after_a_page_load_still_waits_for_its_sign_offs(world):
    quote = services.request_quote(world.buyer, world.acme, [RequestLine("NW-LT14", 2)])
    services.save_draft(
        world.inside, page(quote), [DraftLine("NW-LT14", 2)], valid_until=valid_until(world.acme)
    )
    loaded = page(quote)
    services.submit(world.inside, loaded)
    assert loaded.status == "in_review"
    assert services.waiting_for(loaded) == ["product sign-off"]
    assert services.waiting_for(page(quote)) == ["product sign-off"]
    services.sign_off(world.admin, page(quote), "product")
    assert page(quote).status == "sent"


def test_one_loaded_quote_through_several_steps_in_one_session(world):
    quote = services.request_quote(world.buyer, world.acme, [RequestLine("NW-LT14", 200)])
    loaded = page(quote)
    services.save_draft(
        world.inside,
        loaded,
        [DraftLine("NW-LT14", 200, Decimal("6900.00"))],
        valid_until=valid_until(world.acme),
    )
    services.submit(world.inside, loaded)
    assert services.waiting_for(loaded) == [
        "price approval (23.3% below list)",
        "product sign-off",
        "finance sign-off",
    ]
    services.decide_price(world.manager, loaded, True, "")
    services.sign_off(world.admin, loaded, "product")
    services.sign_off(world.finance, loaded, "finance")
    assert loaded.status == "sent"
    services.ask_for_changes(world.buyer, loaded, [RequestLine("NW-LT14", 100)])
    again = services.save_draft(
        world.inside, loaded, services.starting_lines(loaded), valid_until=valid_until(world.acme)
    )
    assert again.number == 4
    assert [v.number for v in page(quote).versions] == [1, 2, 3, 4]
