"""The API's validation messages: the house's, in the caller's language, one per field (not
pydantic's English "Field required" or "Value error, ...")."""

import uuid

import pytest

from tests.support.api import bearer, issue_token


@pytest.fixture
def orderer(shop):
    return bearer(issue_token(shop.buyer, scopes=("read", "order")))


def errors_of(answer) -> dict[str, str]:
    assert answer.status_code == 422, answer.get_data(as_text=True)
    return {error["field"]: error["message"] for error in answer.get_json()["errors"]}


def test_limits_and_kinds_are_said_with_the_numbers_of_the_model(client, shop, orderer):
    assert errors_of(client.get("/api/v1/orders?limit=0", headers=orderer)) == {
        "query.limit": "Enter 1 or more."
    }
    assert errors_of(client.get("/api/v1/orders?limit=201", headers=orderer)) == {
        "query.limit": "Enter 200 or less."
    }
    assert errors_of(client.get("/api/v1/orders?limit=many", headers=orderer)) == {
        "query.limit": "Enter a whole number."
    }


def test_a_missing_field_and_an_unknown_one(client, shop, orderer):
    found = errors_of(client.post("/api/v1/prices", json={}, headers=orderer))
    assert found == {"body.lines": "This field is required."}
    found = errors_of(client.post("/api/v1/prices", json={"lines": []}, headers=orderer))
    assert found == {"body.lines": "Send at least 1 item."}


def test_a_fraction_is_one_error_with_the_house_message(client, shop, orderer):
    answer = client.post(
        "/api/v1/prices", json={"lines": [{"sku": "NW-LT14", "quantity": 1.5}]}, headers=orderer
    )
    found = errors_of(answer)
    assert list(found) == ["body.lines.0.quantity"]
    typed = client.post(
        "/api/v1/prices", json={"lines": [{"sku": "NW-LT14", "quantity": "1.5"}]}, headers=orderer
    )
    assert found == errors_of(typed)


def test_a_union_refusing_a_value_is_one_error_at_its_field(client, shop, orderer):
    answer = client.post(
        "/api/v1/prices", json={"lines": [{"sku": "NW-LT14", "quantity": [1]}]}, headers=orderer
    )
    assert list(errors_of(answer)) == ["body.lines.0.quantity"]


def test_messages_are_in_the_callers_language_without_pydantics_prefix(client, shop, orderer):
    body = {"lines": [{"sku": "NW-LT14", "quantity": "1,5"}]}
    headers = {**orderer, "Accept-Language": "zh-CN", "Idempotency-Key": uuid.uuid4().hex}
    found = errors_of(client.post("/api/v1/quotes", json=body, headers=headers))
    [message] = found.values()
    assert "Value error" not in message
    assert any("\u4e00" <= char <= "\u9fff" for char in message), message
