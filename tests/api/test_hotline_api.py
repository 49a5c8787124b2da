"""The API's hotline: a buyer's token files a request as the hotline form does (routed, with
its deadline) and reads the account's requests; nothing of another account's."""

import pytest
import time_machine

from portal.extensions import db
from portal.hotline.models import HotlineRequest
from tests import factories
from tests.support.api import bearer, issue_token
from tests.support.api_conformance import conforms
from tests.support.hotline import THURSDAY_10
from tests.support.web import count_queries

CHINESE = "我们计划下个月采购两百台笔记本电脑，请尽快回电。"


@pytest.fixture
def desk():
    with factories.committed_once():
        inside = factories.StaffFactory(role="inside_sales", email="inside@northwind.example")
        acme = factories.AccountFactory(
            slug="acme", tier="platinum", time_zone="Asia/Shanghai", inside_sales_rep_id=inside.id
        )
        globex = factories.AccountFactory(slug="globex", time_zone="America/Chicago")
        return {
            "acme": acme,
            "inside": inside,
            "buyer": factories.UserFactory(account=acme, email="buyer@acme.example"),
            "other_buyer": factories.UserFactory(account=globex, email="buyer@globex.example"),
            "call_center": factories.StaffFactory(role="call_center"),
        }


def headers(user, *scopes):
    return bearer(issue_token(user, scopes or ("read", "order")))


def body(**changes):
    return {
        "topic": "purchase_plan",
        "description": "We plan to buy 200 laptops next month.",
        "phone": "+86 21 5555 0100",
        "callback_window": "morning",
        **changes,
    }


def test_a_buyer_files_a_request_routed_with_its_deadline(client, desk):
    with time_machine.travel(THURSDAY_10, tick=False):
        answer = client.post(
            "/api/v1/hotline-requests", json=body(), headers=headers(desk["buyer"])
        )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    filed = answer.get_json()
    assert filed["number"] == f"HL-{filed['id']:06d}"
    assert filed["status"] == "open"
    assert filed["assignee"]["email"] == "inside@northwind.example"
    # A platinum account: two business hours, 10:00 -> 12:00 in Shanghai, 04:00 UTC.
    assert filed["due_at"].startswith("2026-11-26T04:00:00")
    assert filed["phone"] == "+86 21 5555 0100"
    conforms(client, answer, "/api/v1/hotline-requests", "post")
    row = db.session.get(HotlineRequest, filed["id"])
    assert (row.topic, row.filed_by_id) == ("purchase_plan", desk["buyer"].id)


def test_chinese_text_and_full_width_digits_round_trip(client, desk, shop_order):
    answer = client.post(
        "/api/v1/hotline-requests",
        json=body(
            description=CHINESE,
            phone="０２１－５５５５ ０１００",
            order_number="ｎｗ－" + shop_order.number[3:],
        ),
        headers=headers(desk["buyer"]),
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert CHINESE.encode() in answer.data  # as UTF-8, not \\u escapes
    filed = answer.get_json()
    assert filed["description"] == CHINESE
    assert filed["phone"] == "021-5555 0100"  # read as plain digits
    assert filed["order_number"] == shop_order.number
    again = client.get(
        f"/api/v1/hotline-requests/{filed['number']}", headers=headers(desk["buyer"])
    )
    assert again.get_json()["description"] == CHINESE
    conforms(client, again, "/api/v1/hotline-requests/{request_id}")


@pytest.fixture
def shop_order(desk):
    contract = factories.ContractFactory(account=desk["acme"])
    order = factories.OrderFactory(contract=contract, number="NW-2026-000123")
    db.session.commit()
    return order


def test_the_services_refusal_is_a_422_naming_the_field(client, desk):
    answer = client.post(
        "/api/v1/hotline-requests", json=body(phone="call me"), headers=headers(desk["buyer"])
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "phone"
    assert db.session.query(HotlineRequest).count() == 0


def test_an_order_of_another_account_is_refused(client, desk):
    contract = factories.ContractFactory(account=desk["other_buyer"].account)
    order = factories.OrderFactory(contract=contract)
    db.session.commit()
    answer = client.post(
        "/api/v1/hotline-requests",
        json=body(order_number=order.number),
        headers=headers(desk["buyer"]),
    )
    assert answer.status_code == 422
    assert db.session.query(HotlineRequest).count() == 0


def test_a_read_only_token_cannot_file(client, desk):
    answer = client.post(
        "/api/v1/hotline-requests", json=body(), headers=headers(desk["buyer"], "read")
    )
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "insufficient_scope"
    assert db.session.query(HotlineRequest).count() == 0


def test_staff_tokens_file_no_buyer_requests(client, desk):
    answer = client.post(
        "/api/v1/hotline-requests", json=body(), headers=headers(desk["call_center"], "read")
    )
    assert answer.status_code == 403
    assert db.session.query(HotlineRequest).count() == 0


def _requests(account, count):
    for _ in range(count):
        factories.HotlineRequestFactory(account=account)
    db.session.commit()


def test_the_list_shows_the_accounts_requests_only(client, desk):
    _requests(desk["acme"], 2)
    _requests(desk["other_buyer"].account, 1)
    token = headers(desk["buyer"])
    answer = client.get("/api/v1/hotline-requests?limit=1", headers=token)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    conforms(client, answer, "/api/v1/hotline-requests")
    first = answer.get_json()
    cursor = first["next_cursor"]
    rest = client.get(f"/api/v1/hotline-requests?cursor={cursor}", headers=token)
    assert rest.status_code == 200, rest.get_data(as_text=True)
    ids = [r["id"] for r in first["data"] + rest.get_json()["data"]]
    acme_ids = db.session.scalars(
        db.select(HotlineRequest.id)
        .where(HotlineRequest.account_id == desk["acme"].id)
        .order_by(HotlineRequest.id.desc())
    ).all()
    assert ids == list(acme_ids)


def test_another_accounts_request_is_a_404(client, desk):
    _requests(desk["other_buyer"].account, 1)
    other = db.session.query(HotlineRequest).one()
    for reference in (str(other.id), other.number, "HL-x", "99999999999999999999"):
        answer = client.get(f"/api/v1/hotline-requests/{reference}", headers=headers(desk["buyer"]))
        assert answer.status_code == 404, reference


def test_the_list_issues_as_many_queries_for_30_requests_as_for_3(client, desk):
    token = headers(desk["buyer"])
    client.get("/api/v1/me", headers=token)  # the token's first use is written once
    _requests(desk["acme"], 3)
    with count_queries() as few:
        assert len(client.get("/api/v1/hotline-requests", headers=token).get_json()["data"]) == 3
    _requests(desk["acme"], 27)
    with count_queries() as many:
        answer = client.get("/api/v1/hotline-requests", headers=token)
        assert len(answer.get_json()["data"]) == 30
    assert len(many) == len(few)
