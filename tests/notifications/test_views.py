"""The outbox page: sysadmins only, counts, dead letters sent again, constant queries."""

import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import OutboxMessage
from tests import factories
from tests.support.web import count_queries, signed_in

ADMIN = "sysadmin@northwind.example"


def test_the_outbox_shows_counts_dead_letters_with_their_error_and_the_latest_mail(web):
    factories.StaffFactory(role="sysadmin", email=ADMIN)
    factories.OutboxMessageFactory(status="sent", attempts=1)
    factories.OutboxMessageFactory(subject="Waiting <b>now</b>")
    dead = factories.OutboxMessageFactory(
        status="dead", attempts=8, last_error="550 5.1.1 <script>alert(1)</script>"
    )
    page = signed_in(web, ADMIN).get("/staff/outbox").data.decode()
    assert 'data-count-pending="1"' in page
    assert 'data-count-sent="1"' in page
    assert 'data-count-dead="1"' in page
    assert 'data-dead-count="1"' in page
    assert f"/staff/outbox/{dead.id}/retry" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Waiting &lt;b&gt;now&lt;/b&gt;" in page


def test_a_sysadmin_sends_a_dead_letter_again(web):
    factories.StaffFactory(role="sysadmin", email=ADMIN)
    dead = factories.OutboxMessageFactory(status="dead", attempts=8, last_error="550 no")
    response = signed_in(web, ADMIN).post(f"/staff/outbox/{dead.id}/retry")
    assert response.status_code == 302
    db.session.expire_all()
    again = db.session.get(OutboxMessage, dead.id)
    assert (again.status, again.attempts) == ("pending", 0)


def test_only_a_dead_letter_can_be_sent_again(web):
    factories.StaffFactory(role="sysadmin", email=ADMIN)
    sent = factories.OutboxMessageFactory(status="sent", attempts=1)
    client = signed_in(web, ADMIN)
    response = client.post(f"/staff/outbox/{sent.id}/retry", follow_redirects=True)
    assert b"Only a message given up on can be sent again." in response.data
    db.session.expire_all()
    assert db.session.get(OutboxMessage, sent.id).status == "sent"
    assert client.post("/staff/outbox/999999/retry").status_code == 404


def test_other_staff_and_buyers_cannot_see_the_outbox(web, two_accounts):
    factories.StaffFactory(role="finance", email="finance@northwind.example")
    dead = factories.OutboxMessageFactory(status="dead")
    finance = signed_in(web, "finance@northwind.example")
    assert finance.get("/staff/outbox").status_code == 403
    assert finance.post(f"/staff/outbox/{dead.id}/retry").status_code == 403
    buyer = signed_in(web, "buyer@acme.example")
    assert buyer.get("/staff/outbox").status_code == 404
    db.session.expire_all()
    assert db.session.get(OutboxMessage, dead.id).status == "dead"


def test_the_outbox_issues_as_many_statements_for_60_messages_as_for_6(web):
    factories.StaffFactory(role="sysadmin", email=ADMIN)
    client = signed_in(web, ADMIN)

    def statements() -> int:
        client.get("/staff/outbox")  # warm up: the session's last-seen time settles
        with count_queries() as issued:
            assert client.get("/staff/outbox").status_code == 200
        return len(issued)

    def add(n: int) -> None:
        for i in range(n):
            factories.OutboxMessageFactory(status=("pending", "sent", "dead")[i % 3])

    add(6)
    six = statements()
    add(54)
    sixty = statements()
    assert sixty == six
    assert sixty <= 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 60
