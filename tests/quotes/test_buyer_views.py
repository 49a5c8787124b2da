"""The buyer's quote pages through HTTP: asking for a quote (from the cart, typed or pasted
lines), the list, a quote's page (only what the buyer may see) and the answers to it (accept,
reject, ask for changes, ask to renew). The staff side's steps go through the services."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.contracts.services import today_for
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.quotes import services
from portal.quotes.models import Quote, QuoteSignOff, QuoteVersion
from portal.quotes.rows import lines_of
from tests.support.ordering import fill_cart
from tests.support.quotes import ask, draft, event_kinds, mails_to, versions
from tests.support.web import count_queries, make_config, signed_in, token_in

SIGNERS = {"product": "admin", "legal": "director", "finance": "finance"}


def text(page) -> str:
    return page.get_data(as_text=True)


def quotes_in_db() -> list[Quote]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Quote).order_by(Quote.id)))


def fresh(quote: Quote) -> Quote:
    db.session.expire_all()
    return db.session.get(Quote, quote.id)


def rows(*lines, spare: int = 1) -> dict:
    """The posted rows of a lines table: (sku, quantity, target price, comment) each, and a new
    request form's one-time token."""
    data = {"request_token": uuid.uuid4().hex}
    for i, line in enumerate([*lines, *[("", "", "", "")] * spare]):
        for name, value in zip(("sku", "quantity", "target_price", "comment"), line, strict=True):
            data[f"lines-{i}-{name}"] = value
    return data


def line_attributes(page) -> list[tuple[str, str, str]]:
    """(data-sku, data-qty, data-unit-price) of each quoted line on the page."""
    return re.findall(
        r'class="quote-line" data-sku="([^"]+)" data-qty="(\d+)" data-unit-price="([^"]+)"',
        text(page),
    )


def review(world, quote: Quote) -> None:
    """Approve the price if it needs it and sign every department off: the version is sent."""
    version = versions(quote)[-1]
    if version.needs_approval:
        services.decide_price(world.manager, fresh(quote), True, "Project price, approved.")
    departments = db.session.scalars(
        sa.select(QuoteSignOff.department).where(
            QuoteSignOff.version_id == version.id, QuoteSignOff.signed_at.is_(None)
        )
    ).all()
    for department in departments:
        services.sign_off(getattr(world, SIGNERS[department]), fresh(quote), department)


def sent_quote(world, price=None, **kwargs) -> Quote:
    """Acme's request answered by the rep (at `price`, None: the contract's) and sent."""
    quote = ask(world, **kwargs)
    draft(world, fresh(quote), price=price)
    services.submit(world.inside, fresh(quote))
    review(world, quote)
    quote = fresh(quote)
    assert quote.status == "sent"
    return quote


def expire(quote: Quote, account) -> None:
    """The sent version's validity ended yesterday (the account's)."""
    version = versions(quote)[-1]
    version.valid_until = today_for(account) - timedelta(days=1)
    db.session.commit()


@pytest.fixture
def buyer(web, world):
    return signed_in(web, world.buyer.email, DEMO_PASSWORD)


# Asking for a quote


def test_the_cart_and_the_menu_lead_to_quotes(buyer, world):
    fill_cart(world.buyer, [("NW-LT14", 3)])
    db.session.commit()
    page = text(buyer.get("/a/acme/cart"))
    assert 'href="/a/acme/quotes/new?from=cart"' in page
    assert 'href="/a/acme/quotes"' in page


def test_asking_from_the_cart_starts_from_its_lines(buyer, world):
    fill_cart(world.buyer, [("NW-LT14", 3), ("NW-MN27", 1)])
    db.session.commit()
    page = text(buyer.get("/a/acme/quotes/new?from=cart"))
    assert 'data-sku="NW-LT14" data-qty="3"' in page
    assert 'data-sku="NW-MN27" data-qty="1"' in page
    assert 'data-sku="NW-LT14"' not in text(buyer.get("/a/acme/quotes/new"))

    wanted = today_for(world.acme) + timedelta(days=40)
    response = buyer.post(
        "/a/acme/quotes/new",
        data={
            **rows(
                ("NW-LT14", "200", "6500.00", "Tender for the new wing"),
                ("NW-MN27", "1", "", ""),
            ),
            "wanted_by": wanted.isoformat(),
            "note": "Delivery to the new hospital wing.",
            "send": "1",
        },
    )
    assert response.status_code == 303
    (quote,) = quotes_in_db()
    assert response.headers["Location"] == f"/a/acme/quotes/{quote.number}"
    assert (quote.status, quote.wanted_by, quote.requested_by_id) == (
        "requested",
        wanted,
        world.buyer.id,
    )
    (request,) = versions(quote)
    assert [
        (li.sku, li.quantity, li.target_price_amount, li.comment) for li in lines_of(request)
    ] == [
        ("NW-LT14", 200, Decimal("6500.00"), "Tender for the new wing"),
        ("NW-MN27", 1, None, ""),
    ]
    page = text(buyer.get(response.headers["Location"]))
    assert f"Quote {quote.number} requested" in page
    assert f'data-quote-number="{quote.number}" data-quote-status="requested"' in page
    assert "Version 1: your request" in page


def request_token_in(page) -> str:
    match = re.search(r'name="request_token" type="hidden" value="([0-9a-f]{32})"', text(page))
    assert match, "no request token on the page"
    return match.group(1)


def test_sending_the_request_again_after_back_makes_one_quote_and_one_email(buyer, world):
    page = buyer.get("/a/acme/quotes/new")
    token = request_token_in(page)
    assert request_token_in(buyer.get("/a/acme/quotes/new")) != token  # a new page, a new one
    data = {**rows(("NW-LT14", "200", "", "")), "request_token": token, "send": "1"}
    first = buyer.post("/a/acme/quotes/new", data=data)
    assert first.status_code == 303
    (quote,) = quotes_in_db()
    told = len(mails_to("inside@northwind.example", quote.number))
    again = buyer.post("/a/acme/quotes/new", data=data)  # Back, and send again
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert [q.id for q in quotes_in_db()] == [quote.id]
    assert len(mails_to("inside@northwind.example", quote.number)) == told == 1


def test_a_request_shown_again_after_an_error_keeps_its_token(buyer, world):
    token = request_token_in(buyer.get("/a/acme/quotes/new"))
    wrong = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(("NW-LT14", "abc", "", "")), "request_token": token, "send": "1"},
    )
    assert wrong.status_code == 422 and request_token_in(wrong) == token
    read = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(), "pasted": "NW-LT14 200", "request_token": token, "read": "1"},
    )
    assert read.status_code == 200 and request_token_in(read) == token
    data = {**rows(("NW-LT14", "200", "", "")), "request_token": token, "send": "1"}
    assert buyer.post("/a/acme/quotes/new", data=data).status_code == 303
    assert buyer.post("/a/acme/quotes/new", data=data).status_code == 303
    assert len(quotes_in_db()) == 1


def test_a_request_without_a_readable_token_is_refused_and_gets_a_new_one(buyer, world):
    answer = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(("NW-LT14", "200", "", "")), "request_token": "x' or 1=1", "send": "1"},
    )
    assert answer.status_code == 422
    assert "could not be read" in text(answer)
    assert request_token_in(answer)
    assert not quotes_in_db()


def test_pasted_lines_with_full_width_digits_become_rows_to_complete(buyer, world):
    page = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(), "pasted": "ＮＷ－ＬＴ１４　２００\nnw-mn27，５", "read": "1"},
    )
    assert page.status_code == 200
    body = text(page)
    assert 'data-sku="NW-LT14" data-qty="200"' in body
    assert 'data-sku="NW-MN27" data-qty="5"' in body
    assert not quotes_in_db()

    response = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(("NW-LT14", "２００", "６９００．００", "")), "send": "1"},
    )
    assert response.status_code == 303
    (quote,) = quotes_in_db()
    (line,) = lines_of(versions(quote)[0])
    assert (line.sku, line.quantity, line.target_price_amount) == (
        "NW-LT14",
        200,
        Decimal("6900.00"),
    )


def test_pasted_lines_sent_at_once_join_the_typed_ones(buyer, world):
    response = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(("NW-MN27", "2", "", "")), "pasted": "NW-LT14\t50", "send": "1"},
    )
    assert response.status_code == 303
    (quote,) = quotes_in_db()
    assert [(li.sku, li.quantity) for li in lines_of(versions(quote)[0])] == [
        ("NW-MN27", 2),
        ("NW-LT14", 50),
    ]


def test_a_decimal_comma_in_a_target_price_is_refused_on_its_line(buyer, world):
    response = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(("NW-MN27", "2", "", ""), ("NW-LT14", "200", "6900,00", "")), "send": "1"},
    )
    assert response.status_code == 422
    body = text(response)
    assert "Line 2: “6900,00”: use a point for decimals and type 6900.00" in body
    assert 'value="6900,00"' in body  # shown back as typed
    assert not quotes_in_db()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (rows(("NW-LT14", "abc", "", "")), "Line 1: “abc” is not a quantity"),
        (rows(("", "5", "", "")), "Line 1: Write a SKU."),
        (rows(("NW-LT14", "2", "0", "")), "Line 1: A target price is more than 0."),
        ({**rows(), "pasted": "NW-LT14 2\nNW-MN27"}, "Pasted line 2 (NW-MN27)"),
        (rows(), "Write at least one line with a SKU and a quantity"),
        (rows(("NW-NOPE", "2", "", "")), "NW-NOPE"),
    ],
)
def test_a_request_with_an_error_names_it_and_writes_nothing(buyer, world, data, message):
    response = buyer.post("/a/acme/quotes/new", data={**data, "send": "1"})
    assert response.status_code == 422
    assert message in text(response)
    assert not quotes_in_db()


def test_a_wanted_by_date_in_the_past_is_refused(buyer, world):
    yesterday = today_for(world.acme) - timedelta(days=1)
    response = buyer.post(
        "/a/acme/quotes/new",
        data={**rows(("NW-LT14", "2", "", "")), "wanted_by": yesterday.isoformat(), "send": "1"},
    )
    assert response.status_code == 422
    assert "The date you want the goods by must be from today" in text(response)
    assert not quotes_in_db()


# What the buyer sees


def test_drafts_and_versions_in_review_stay_hidden_until_sent(buyer, world):
    quote = ask(world)
    draft(world, fresh(quote), price="6900.00")  # beyond inside's authority
    url = f"/a/acme/quotes/{quote.number}"
    for step in ("draft", "in_review"):
        page = text(buyer.get(url))
        assert "Version 1: your request" in page, step
        assert "Version 2" not in page, step
        assert "data-unit-price" not in page, step
        assert "6,900.00" not in page, step
        assert 'id="quote-actions"' not in page, step
        if step == "draft":
            services.submit(world.inside, fresh(quote))
    assert 'data-quote-status="in_review"' in page

    review(world, quote)
    page = buyer.get(url)
    body = text(page)
    assert 'data-quote-status="sent"' in body
    assert "Version 2: our quote" in body
    assert line_attributes(page) == [("NW-LT14", "200", "6900.00")]
    # Never the contract price, its explanation, the depth below list or the sign-offs.
    for internal in ("7,400.00", "data-contract-price", "price-depth", "below list", "Signed off"):
        assert internal not in body, internal
    assert 'data-change="changed"' in body  # 6500.00 wished, 6900.00 quoted


def test_the_list_shows_each_quote_with_status_lines_total_and_validity(buyer, world):
    asked = ask(
        world, lines=[services.RequestLine("NW-LT14", 200), services.RequestLine("NW-MN27", 5)]
    )
    quoted = sent_quote(world)
    expired = sent_quote(world)
    expire(expired, world.acme)
    page = buyer.get("/a/acme/quotes")
    assert page.status_code == 200
    rows = {
        number: (status, is_expired, lines)
        for number, status, is_expired, lines in re.findall(
            r'data-quote-number="([^"]+)" data-quote-status="(\w+)" data-expired="(\w+)">'
            r'.*?data-line-count="(\d+)"',
            text(page),
            re.S,
        )
    }
    assert rows == {
        asked.number: ("requested", "false", "2"),
        quoted.number: ("sent", "false", "1"),
        expired.number: ("sent", "true", "1"),
    }
    body = text(page)
    assert "Waiting for your answer" in body
    assert "Version 2: our quote" in body
    assert "CN¥1,480,000.00" in body  # 200 x 7400.00, the contract price from 50 units


def test_the_list_issues_as_many_queries_for_20_quotes_as_for_1(buyer, world):
    def statements_with(total: int) -> int:
        while len(quotes_in_db()) < total:
            ask(world, lines=[services.RequestLine("NW-MN27", 2)])
        with count_queries() as statements:
            page = buyer.get("/a/acme/quotes")
        assert page.status_code == 200
        assert text(page).count("data-quote-number=") == total
        return len(statements)

    one = statements_with(1)
    sent_quote(world)  # a quote with supplier versions among them
    assert statements_with(20) == one


# Answering


def test_accepting_through_the_page_offers_the_order(buyer, world):
    quote = sent_quote(world)
    url = f"/a/acme/quotes/{quote.number}"
    page = text(buyer.get(url))
    assert 'id="accept-form"' in page and 'name="version" type="hidden" value="2"' in page

    response = buyer.post(f"{url}/accept", data={"version": "2"})
    assert (response.status_code, response.headers["Location"]) == (303, url)
    assert fresh(quote).status == "accepted"
    page = text(buyer.get(url))
    assert f"You accepted quote {quote.number}." in page
    assert f'href="/a/acme/quotes/{quote.number}/order"' in page
    assert 'id="accept-form"' not in page

    again = buyer.post(f"{url}/accept", data={"version": "2"})  # a second click
    assert again.status_code == 303
    assert "You accepted this quote already." in text(buyer.get(url))
    assert event_kinds(quote).count("accepted") == 1


def test_accepting_an_older_version_than_the_latest_is_refused(buyer, world):
    quote = sent_quote(world)
    url = f"/a/acme/quotes/{quote.number}"
    buyer.post(f"{url}/accept", data={"version": "1"})
    assert fresh(quote).status == "sent"
    assert "There is a newer version of this quote" in text(buyer.get(url))


def test_rejecting_asks_for_a_reason_and_closes_the_quote(buyer, world):
    quote = sent_quote(world)
    url = f"/a/acme/quotes/{quote.number}"
    page = text(buyer.get(url))
    assert '<option value="competitor">Went to a competitor</option>' in page

    refused = buyer.post(f"{url}/reject", data={"reason": "", "comment": "No."})
    assert refused.status_code == 422
    assert fresh(quote).status == "sent"

    response = buyer.post(f"{url}/reject", data={"reason": "competitor", "comment": "Cheaper."})
    assert response.status_code == 303
    quote = fresh(quote)
    assert (quote.status, quote.lost_reason, quote.lost_comment) == (
        "lost",
        "competitor",
        "Cheaper.",
    )
    again = buyer.post(f"{url}/reject", data={"reason": "price"})
    assert again.status_code == 303
    assert fresh(quote).lost_reason == "competitor"
    page = text(buyer.get(url))
    assert "This quote is closed." in page and 'id="quote-actions"' not in page


def test_asking_for_changes_writes_a_new_version_and_shows_the_differences(buyer, world):
    quote = sent_quote(world)
    url = f"/a/acme/quotes/{quote.number}"
    page = text(buyer.get(url))
    assert 'name="lines-0-sku" type="text" value="NW-LT14"' in page

    data = {
        **rows(("NW-LT14", "２５０", "６８００", "250 if you meet 6800"), ("NW-MN27", "4", "", "")),
        "note": "Bigger order, better price?",
    }
    refused = buyer.post(f"{url}/changes", data={**data, "lines-0-target_price": "6800,00"})
    assert refused.status_code == 422
    assert "Line 1: “6800,00”: use a point for decimals" in text(refused)
    assert len(versions(quote)) == 2

    response = buyer.post(f"{url}/changes", data=data)
    assert response.status_code == 303
    quote = fresh(quote)
    assert quote.status == "requested"
    changes = versions(quote)[-1]
    assert (changes.number, changes.side, changes.status) == (3, "buyer", "sent")
    assert [
        (li.sku, li.quantity, li.target_price_amount, li.comment) for li in lines_of(changes)
    ] == [
        ("NW-LT14", 250, Decimal("6800"), "250 if you meet 6800"),
        ("NW-MN27", 4, None, ""),
    ]
    page = text(buyer.get(url))
    assert "Version 3: your request" in page
    assert 'data-sku="NW-LT14" data-change="changed"' in page
    assert 'data-sku="NW-MN27" data-change="added"' in page

    buyer.post(f"{url}/changes", data=data)  # a second click
    assert len(versions(quote)) == 3


def test_an_answer_from_a_page_overtaken_since_is_refused(buyer, world):
    """Two tabs: the page was shown, then the quote changed; its answer changes nothing."""
    quote = sent_quote(world)
    url = f"/a/acme/quotes/{quote.number}"
    shown = re.search(r'name="expected_version" value="(\d+)"', text(buyer.get(url)))[1]
    assert shown == str(fresh(quote).version)
    services.reassign(world.manager, fresh(quote), world.inside2, "Iris is away.")
    refused = buyer.post(f"{url}/reject", data={"reason": "price", "expected_version": shown})
    assert refused.status_code == 422
    assert "Someone else changed this since you opened it." in text(refused)
    assert fresh(quote).status == "sent"
    data = {"reason": "price", "expected_version": str(fresh(quote).version)}
    assert buyer.post(f"{url}/reject", data=data).status_code == 303
    assert fresh(quote).status == "lost"


def test_a_quantity_of_0_takes_a_line_off_a_change_request(buyer, world):
    quote = sent_quote(
        world, lines=[services.RequestLine("NW-LT14", 200), services.RequestLine("NW-MN27", 5)]
    )
    url = f"/a/acme/quotes/{quote.number}"
    buyer.post(f"{url}/changes", data=rows(("NW-LT14", "200", "", ""), ("NW-MN27", "0", "", "")))
    assert [(li.sku, li.quantity) for li in lines_of(versions(quote)[-1])] == [("NW-LT14", 200)]


def test_an_expired_quote_cannot_be_accepted_and_can_be_asked_to_renew(buyer, world):
    quote = sent_quote(world)
    expire(quote, world.acme)
    url = f"/a/acme/quotes/{quote.number}"
    page = text(buyer.get(url))
    assert 'data-expired="true"' in page
    assert 'id="accept-form"' not in page and 'id="renew-form"' in page

    buyer.post(f"{url}/accept", data={"version": "2"})
    assert fresh(quote).status == "sent"

    response = buyer.post(f"{url}/renew", data={"renew_note": "Still interested."})
    assert response.status_code == 303
    assert fresh(quote).status == "requested"
    assert event_kinds(quote)[-1] == "renewal_requested"
    assert buyer.post(f"{url}/renew", data={"renew_note": "Again"}).status_code == 303
    assert event_kinds(quote).count("renewal_requested") == 1
    page = text(buyer.get(url))
    assert "Renewal requested" in page
    assert 'id="renew-form"' not in page


def test_an_accepted_quote_that_expired_offers_no_order(buyer, world):
    quote = sent_quote(world)
    buyer.post(f"/a/acme/quotes/{quote.number}/accept", data={"version": "2"})
    expire(quote, world.acme)
    page = text(buyer.get(f"/a/acme/quotes/{quote.number}"))
    assert f"/a/acme/quotes/{quote.number}/order" not in page
    assert 'id="renew-form"' in page


# Another account


def test_another_accounts_buyer_gets_404_on_every_quote_route(web, world):
    quote = sent_quote(world)
    other = signed_in(web, world.other_buyer.email, DEMO_PASSWORD)
    for slug in ("acme", "globex"):
        base = f"/a/{slug}/quotes/{quote.number}"
        for url in (base, "/a/acme/quotes", "/a/acme/quotes/new"):
            if slug == "globex" and url.startswith("/a/acme"):
                continue
            assert other.get(url).status_code == 404, url
        for action, data in [
            ("accept", {"version": "2"}),
            ("reject", {"reason": "price"}),
            ("changes", rows(("NW-LT14", "1", "", ""))),
            ("renew", {"note": "x"}),
        ]:
            response = other.post(f"{base}/{action}", data=data)
            assert response.status_code == 404, (slug, action)
            assert quote.number.encode() not in response.data
    assert other.post("/a/acme/quotes/new", data=rows(("NW-LT14", "1", "", ""))).status_code == 404
    assert fresh(quote).status == "sent"
    assert len(quotes_in_db()) == 1
    assert db.session.scalar(sa.select(sa.func.count(QuoteVersion.id))) == 2


# CSRF (SECURITY.md 20)


def test_each_form_carries_its_token_and_a_post_without_one_changes_nothing(app, world):
    web = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True))
    buyer = web.test_client()
    token = token_in(buyer.get("/login"))
    signed = {"email": world.buyer.email, "password": DEMO_PASSWORD, "csrf_token": token}
    assert buyer.post("/login", data=signed).status_code == 302
    quote = sent_quote(world)
    url = f"/a/acme/quotes/{quote.number}"
    assert buyer.post(f"{url}/accept", data={"version": "2"}).status_code == 400
    assert buyer.post("/a/acme/quotes/new", data=rows(("NW-LT14", "2", "", ""))).status_code == 400
    assert fresh(quote).status == "sent"
    assert len(quotes_in_db()) == 1

    token = token_in(buyer.get(url))
    response = buyer.post(f"{url}/accept", data={"version": "2", "csrf_token": token})
    assert response.status_code == 303
    assert fresh(quote).status == "accepted"
    token = token_in(buyer.get("/a/acme/quotes/new"))
    data = {**rows(("NW-LT14", "2", "", "")), "csrf_token": token, "send": "1"}
    assert buyer.post("/a/acme/quotes/new", data=data).status_code == 303
    assert len(quotes_in_db()) == 2
