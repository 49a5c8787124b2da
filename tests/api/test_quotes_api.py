"""The API's quotes: a buyer's token asks for a quote, reads the account's quotes with the
versions a buyer sees, and accepts, rejects or asks for changes, through the quote services;
nothing of another account's, no draft, no contract price behind a price."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.quotes.models import Quote, QuoteLine, QuoteVersion
from tests.support.api import bearer, issue_token
from tests.support.api_conformance import conforms
from tests.support.quotes import ask, demo_world, draft, sent_quote
from tests.support.web import count_queries

pytestmark = pytest.mark.date_sensitive  # validity is read against the account's today


@pytest.fixture
def world():
    return demo_world()


def token(user, *scopes):
    return bearer(issue_token(user, scopes or ("read", "order")))


def fresh(quote) -> Quote:
    db.session.expire_all()
    return db.session.get(Quote, quote.id)


REQUEST = {
    "lines": [
        {"sku": "NW-LT14", "quantity": 200, "target_price": "6500.00", "comment": "tender"},
        {"sku": "nw-mn27", "quantity": "５０"},
    ],
    "note": "For the new wing.",
}


def test_a_buyer_asks_for_a_quote(client, world):
    answer = client.post("/api/v1/quotes", json=REQUEST, headers=token(world.buyer))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    conforms(client, answer, "/api/v1/quotes", "post")
    body = answer.get_json()
    assert body["status"] == "requested"
    [request] = body["versions"]
    assert request["side"] == "buyer"
    assert [(li["sku"], li["quantity"]) for li in request["lines"]] == [
        ("NW-LT14", 200),
        ("NW-MN27", 50),  # full-width digits read
    ]
    assert request["lines"][0]["target_price"] == {"amount": "6500.00", "currency": "CNY"}
    quote = db.session.scalar(sa.select(Quote).where(Quote.number == body["number"]))
    assert (quote.account_id, quote.requested_by_id) == (world.acme.id, world.buyer.id)


def test_the_same_idempotency_key_gets_the_same_quote(client, world):
    headers = {**token(world.buyer), "Idempotency-Key": "po-4711"}
    first = client.post("/api/v1/quotes", json=REQUEST, headers=headers).get_json()
    again = client.post("/api/v1/quotes", json=REQUEST, headers=headers).get_json()
    assert first["number"] == again["number"]
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 1


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ({"sku": "NW-LT14", "quantity": 2, "target_price": "6500,00"}, "6500,00"),
        ({"sku": "NW-LT14", "quantity": "2,5"}, "2,5"),
        ({"sku": "NW-LT14", "quantity": 0}, "at least 1"),
    ],
)
def test_a_decimal_comma_or_a_bad_quantity_is_refused_saying_why(client, world, line, words):
    answer = client.post("/api/v1/quotes", json={"lines": [line]}, headers=token(world.buyer))
    assert answer.status_code == 422
    assert words in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0


def test_an_unknown_sku_is_the_services_refusal(client, world):
    answer = client.post(
        "/api/v1/quotes",
        json={"lines": [{"sku": "NW-NOPE", "quantity": 1}]},
        headers=token(world.buyer),
    )
    assert answer.status_code == 422
    assert "NW-NOPE" in answer.get_data(as_text=True)


def test_a_read_only_token_cannot_ask(client, world):
    answer = client.post("/api/v1/quotes", json=REQUEST, headers=token(world.buyer, "read"))
    assert answer.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0


def test_the_buyer_does_not_see_the_reps_draft(client, world):
    quote = ask(world)
    draft(world, quote)
    answer = client.get(f"/api/v1/quotes/{quote.number}", headers=token(world.buyer))
    assert [(v["number"], v["side"]) for v in answer.get_json()["versions"]] == [(1, "buyer")]
    assert "6900" not in answer.get_data(as_text=True)


def test_the_buyer_sees_the_sent_version_not_the_contract_price(client, world):
    quote = sent_quote(world)
    answer = client.get(f"/api/v1/quotes/{quote.number}", headers=token(world.buyer))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    conforms(client, answer, "/api/v1/quotes/{quote_number}")
    body = answer.get_json()
    assert [(v["number"], v["side"]) for v in body["versions"]] == [(1, "buyer"), (2, "supplier")]
    offer = body["versions"][1]
    [line] = offer["lines"]
    assert line["unit_price"] == {"amount": "7650.00", "currency": "CNY"}
    assert line["line_total"]["amount"] == "15300.00"
    assert offer["total"]["amount"] == "15300.00" and offer["vat"] is not None
    assert offer["valid_until"] == body["valid_until"]
    assert "contract_price" not in answer.get_data(as_text=True)
    assert "depth" not in answer.get_data(as_text=True)


def test_the_buyer_accepts_the_version_read(client, world):
    quote = sent_quote(world)
    headers = token(world.buyer)
    answer = client.post(
        f"/api/v1/quotes/{quote.number}/accept", json={"version": 2}, headers=headers
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    conforms(client, answer, "/api/v1/quotes/{quote_number}/accept", "post")
    assert answer.get_json()["status"] == "accepted"
    assert fresh(quote).status == "accepted"
    again = client.post(
        f"/api/v1/quotes/{quote.number}/accept", json={"version": 2}, headers=headers
    )
    assert again.status_code == 200


def test_accepting_an_older_version_is_refused(client, world):
    quote = sent_quote(world)
    answer = client.post(
        f"/api/v1/quotes/{quote.number}/accept", json={"version": 1}, headers=token(world.buyer)
    )
    assert answer.status_code == 422
    assert fresh(quote).status == "sent"


def test_the_buyer_rejects_with_a_reason(client, world):
    quote = sent_quote(world)
    answer = client.post(
        f"/api/v1/quotes/{quote.number}/reject",
        json={"reason": "price", "comment": "价格太高"},
        headers=token(world.buyer),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert fresh(quote).status == "lost"
    assert fresh(quote).lost_comment == "价格太高"


def test_the_buyer_asks_for_changes(client, world):
    quote = sent_quote(world)
    answer = client.post(
        f"/api/v1/quotes/{quote.number}/changes",
        json={
            "comment": "Can you do 6,900?",
            "lines": [{"sku": "NW-LT14", "quantity": "１,０００"}],
        },
        headers=token(world.buyer),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    latest = body["versions"][-1]
    assert (latest["side"], latest["note"]) == ("buyer", "Can you do 6,900?")
    assert [(li["sku"], li["quantity"]) for li in latest["lines"]] == [("NW-LT14", 1000)]
    assert fresh(quote).status == "requested"


def test_changes_without_lines_ask_for_the_offers_lines_again(client, world):
    quote = sent_quote(world, quantity=3)
    answer = client.post(
        f"/api/v1/quotes/{quote.number}/changes",
        json={"comment": "A longer validity, please."},
        headers=token(world.buyer),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [(li["sku"], li["quantity"]) for li in answer.get_json()["versions"][-1]["lines"]] == [
        ("NW-LT14", 3)
    ]


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("post", "/accept", {"version": 2}),
        ("post", "/reject", {"reason": "price"}),
        ("post", "/changes", {"comment": "x"}),
    ],
)
def test_another_accounts_quote_is_a_404(client, world, method, suffix, payload):
    quote = sent_quote(world)
    headers = token(world.other_buyer)
    answer = getattr(client, method)(
        f"/api/v1/quotes/{quote.number}{suffix}", json=payload, headers=headers
    )
    assert answer.status_code == 404
    assert quote.number not in answer.get_data(as_text=True)
    assert fresh(quote).status == "sent"


def test_the_list_pages_the_accounts_quotes(client, world):
    mine = [ask(world), ask(world)]
    ask_other = client.post("/api/v1/quotes", json=REQUEST, headers=token(world.other_buyer))
    assert ask_other.status_code in (201, 422)
    headers = token(world.buyer)
    first = client.get("/api/v1/quotes?limit=1", headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    conforms(client, first, "/api/v1/quotes")
    rest = client.get(f"/api/v1/quotes?cursor={first.get_json()['next_cursor']}", headers=headers)
    numbers = [q["number"] for q in first.get_json()["data"] + rest.get_json()["data"]]
    assert numbers == [mine[1].number, mine[0].number]


def test_the_list_issues_as_many_queries_for_30_quotes_as_for_3(client, world):
    headers = token(world.buyer)
    client.get("/api/v1/me", headers=headers)  # the token's first use is written once
    for _ in range(3):
        ask(world)
    with count_queries() as few:
        assert len(client.get("/api/v1/quotes", headers=headers).get_json()["data"]) == 3
    for _ in range(27):
        ask(world)
    with count_queries() as many:
        assert len(client.get("/api/v1/quotes", headers=headers).get_json()["data"]) == 30
    assert len(many) == len(few)
    assert db.session.scalar(sa.select(sa.func.count(QuoteLine.id))) >= 30
    assert db.session.scalar(sa.select(sa.func.count(QuoteVersion.id))) >= 30
