"""What the API's answers say where the browser walk found them wanting: a 404's detail, the
body's field names in a refusal, the reason a second cancel is refused, and the fapiao types an
order may ask for."""

import uuid

import pytest

from portal.tax.fapiao_models import ELECTRONIC, ORDINARY
from tests.support.api import bearer, issue_token
from tests.support.api_answers import assert_documented
from tests.support.fapiao import keep_details


@pytest.fixture
def orderer(shop):
    return bearer(issue_token(shop.buyer, scopes=("read", "order")))


def order(client, shop, headers, **changes):
    body = {
        "lines": [{"sku": "NW-MN27", "quantity": 1}],
        "ship_to_address_id": shop.address.id,
        "po_number": "PO-1",
        **changes,
    }
    return client.post(
        "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
    )


def test_an_unknown_api_path_says_not_found(client, shop, orderer):
    answer = client.get("/api/v1/no-such-thing", headers=orderer)
    assert answer.status_code == 404
    assert answer.get_json()["detail"] == "Not found."


def test_a_hotline_request_that_cannot_exist_has_a_detail(client, shop, orderer):
    answer = client.get("/api/v1/hotline-requests/abc", headers=orderer)
    assert answer.status_code == 404
    assert answer.get_json()["detail"] == "Not found."


def test_cancelling_twice_says_the_order_is_cancelled_already(client, shop, orderer):
    number = order(client, shop, orderer).get_json()["number"]
    url = f"/api/v1/orders/{number}/cancel"
    assert client.post(url, json={"reason": "wrong"}, headers=orderer).status_code == 200
    again = client.post(url, json={"reason": "wrong"}, headers=orderer)
    assert again.status_code == 422
    assert again.get_json()["detail"] == "This order is cancelled already."


def test_a_missing_reason_names_the_bodys_field(client, shop, orderer):
    number = order(client, shop, orderer).get_json()["number"]
    answer = client.post(f"/api/v1/orders/{number}/cancel", json={"reason": " "}, headers=orderer)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["body.reason"]


def test_the_fapiao_types_are_discoverable_and_listed_when_missing(client, shop, orderer):
    keep_details(shop.account, types=(ORDINARY, ELECTRONIC))

    me = client.get("/api/v1/me", headers=orderer)
    assert_documented(client, me, "/api/v1/me", "get")
    account = me.get_json()["account"]
    assert account["fapiao_types"] == [ORDINARY, ELECTRONIC]
    assert account["default_fapiao_type"] == ORDINARY

    refused = order(client, shop, orderer)
    assert refused.status_code == 422
    assert "ordinary, electronic" in refused.get_json()["detail"]
    assert [e["field"] for e in refused.get_json()["errors"]] == ["body.fapiao_type"]

    placed = order(client, shop, orderer, fapiao_type=ELECTRONIC)
    assert placed.status_code == 201, placed.get_data(as_text=True)
    shown = client.get(f"/api/v1/orders/{placed.get_json()['number']}", headers=orderer)
    assert shown.get_json()["fapiao_type"] == ELECTRONIC


def test_an_account_without_fapiao_lists_none(client, shop, orderer):
    account = client.get("/api/v1/me", headers=orderer).get_json()["account"]
    assert (account["fapiao_types"], account["default_fapiao_type"]) == ([], None)
