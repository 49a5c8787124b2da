"""Two people acting on one quote at the same moment: two signers of different departments,
two buyers asking at once. Nothing is lost and nothing happens twice: the quote's version makes
the later of two changes a Conflict (to reload and repeat), and the number counter's row lock
gives each request its own number."""

import threading
import uuid

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.core.db import write_ahead
from portal.core.versioning import Conflict
from portal.demo import seed_demo
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.quotes import services
from portal.quotes.models import Quote, QuoteEvent
from portal.quotes.services import DraftLine, RequestLine
from tests.support.concurrency import WAIT, at_once, no_errors
from tests.support.quotes import account, user, valid_until

pytestmark = pytest.mark.no_transaction


def acting(app, number: str, email: str, department: str):
    def call(barrier):
        with app.app_context():
            write_ahead()  # as a POST request does
            quote = db.session.scalar(sa.select(Quote).where(Quote.number == number))
            actor = db.session.scalar(sa.select(User).where(User.email == email))
            db.session.commit()  # SQLite: no write lock held while waiting for the other
            barrier.wait(WAIT)
            services.sign_off(actor, quote, department)
            return department

    return call


@pytest.mark.parametrize("which", ["pg_app", "sqlite_app"])
def test_two_signers_at_once_the_quote_is_sent_exactly_once(request, which):
    app = request.getfixturevalue(which)
    with app.app_context():
        seed_demo(quotes=False, history=False)
        buyer, acme = user("buyer@acme.example"), account("acme")
        quote = services.request_quote(buyer, acme, [RequestLine("NW-LT14", 2)])
        services.save_draft(
            user("inside@northwind.example"),
            quote,
            [DraftLine("NW-LT14", 2)],
            valid_until=valid_until(acme),
            terms="Delivery in two lots",
        )
        services.submit(user("inside@northwind.example"), quote)
        number = quote.number
    calls = {
        "product": acting(app, number, "admin@northwind.example", "product"),
        "legal": acting(app, number, "director@northwind.example", "legal"),
    }
    results = at_once(list(calls.values()))
    assert all(r in calls or isinstance(r, Conflict) for r in results), results
    for department, result in zip(calls, results, strict=True):
        if isinstance(result, Conflict):  # reload and sign again
            calls[department](threading.Barrier(1))
    with app.app_context():
        quote = db.session.scalar(sa.select(Quote).where(Quote.number == number))
        assert quote.status == "sent"
        kinds = db.session.scalars(
            sa.select(QuoteEvent.kind).where(QuoteEvent.quote_id == quote.id)
        ).all()
        assert kinds.count("signed_off") == 2 and kinds.count("sent") == 1
        mails = db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.to_address == "buyer@acme.example",
                OutboxMessage.subject.contains(number),
            )
        )
        assert mails == 1


@pytest.mark.parametrize("which", ["pg_app", "sqlite_app"])
def test_two_requests_at_once_get_numbers_of_their_own(request, which):
    app = request.getfixturevalue(which)
    with app.app_context():
        seed_demo(quotes=False, history=False)

    def asking(email, slug):
        def call(barrier):
            with app.app_context():
                write_ahead()
                buyer = db.session.scalar(sa.select(User).where(User.email == email))
                acct = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == slug))
                db.session.commit()
                barrier.wait(WAIT)
                return services.request_quote(buyer, acct, [RequestLine("NW-MN27", 3)]).number

        return call

    results = at_once(
        [asking("buyer@acme.example", "acme"), asking("wangfang@qingdao.example", "qingdao")]
    )
    no_errors(results)
    assert len(set(results)) == 2
    first, second = sorted(int(n[-6:]) for n in results)
    assert second == first + 1


@pytest.mark.parametrize("which", ["pg_app", "sqlite_app"])
def test_the_same_request_form_sent_twice_at_once_makes_one_quote(request, which):
    app = request.getfixturevalue(which)
    with app.app_context():
        seed_demo(quotes=False, history=False)
    token = uuid.uuid4().hex

    def asking(barrier):
        with app.app_context():
            write_ahead()
            buyer = db.session.scalar(sa.select(User).where(User.email == "buyer@acme.example"))
            acct = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
            db.session.commit()
            barrier.wait(WAIT)
            return services.request_quote(
                buyer, acct, [RequestLine("NW-MN27", 3)], token=token
            ).number

    results = at_once([asking, asking])
    no_errors(results)
    assert results[0] == results[1]
    with app.app_context():
        made = sa.select(sa.func.count(Quote.id)).where(Quote.request_token == token)
        assert db.session.scalar(made) == 1
        mails = db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.subject.contains(results[0])
            )
        )
        assert mails == 1
