"""Several processes, one portal (issue 19): two gunicorn web processes and two `portal worker`
processes on one PostgreSQL database and one Redis, with a real SMTP server and a customer's
webhook receiver on loopback. A sign-in is good on either web process, the sign-in throttle
counts across both, each e-mail and webhook is delivered once, each sweep runs once per period,
and a worker killed mid-delivery loses and doubles nothing.

"Delivered" means the receiver answered 2xx, or the SMTP server accepted the DATA: a request a
receiver holds and never answers is not a delivery.
"""

import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy import orm

from portal.api.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from portal.demo import DEMO_PASSWORD
from portal.notifications.models import OutboxMessage, SweepRun
from portal.worker import LOCK_NAMESPACE, SWEEPS, lock_key
from tests.support.deployment import LOCAL_REDIS, running_deployment
from tests.support.environment import postgres_url, skip_or_fail
from tests.support.holding import (
    HoldingReceiver,
    running_holding_receiver,
    running_holding_smtp_server,
    worker_connected_from,
)

pytestmark = [pytest.mark.deployment, pytest.mark.no_transaction]

#: How long a test waits for the workers to finish what it gave them.
PATIENCE = 60
#: How long the SMTP server and the webhook receiver take to answer: long enough that one
#: worker is still delivering when the other looks for work, so that a claim that did not
#: lock would show as a delivery made twice.
SLOW = 0.2
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
THROTTLED = "Too many attempts. Please wait a few minutes and try again."
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A sweep's line in a worker's log, in the app's log format ("INFO [-] portal.worker: sweep
#: refunds: ...") or the worker command's own ("INFO portal.worker [4711] sweep refunds: ...").
SWEEP_LINE = re.compile(r" portal\.worker:? (?:\[\d+\] )?sweep (\w+)(?:: | failed)")


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(LOCAL_REDIS, socket_timeout=3).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def mail():
    with running_holding_smtp_server(SLOW) as server:
        yield server


@pytest.fixture(scope="module")
def receiver():
    with running_holding_receiver(SLOW) as hooks:
        yield hooks


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, mail):
    postgres = postgres_url()
    if postgres is None or not redis_answers():
        skip_or_fail(
            "the several-processes test needs PostgreSQL at 127.0.0.1:5432 (or "
            "PORTAL_TEST_DATABASE_URL) and Redis at 127.0.0.1:6379"
        )
    logs = tmp_path_factory.mktemp("deployment")
    # A held webhook must still be waiting when the test kills its worker.
    env = {"WEBHOOK_TIMEOUT": "60"}
    with running_deployment(logs, postgres, mail_port=mail.port, env=env) as running:
        yield running


def signed_in_everywhere(deployment, email):
    """A session of `email` signed in on each web process."""
    sessions = [signed_in_session(url, email) for url in deployment.urls]
    yield sessions
    for session in sessions:
        session.close()


@pytest.fixture(scope="module")
def lotus_buyer(deployment):
    yield from signed_in_everywhere(deployment, "buyer@lotus.example")


@pytest.fixture(scope="module")
def initech_admin(deployment):
    yield from signed_in_everywhere(deployment, "admin@initech.example")


@pytest.fixture(scope="module")
def endpoint(deployment, receiver):
    """Initech's webhook endpoint at the receiver, added through the service as the customer
    admin's page adds it; the receiver checks each request's signature with its secret."""
    from portal import create_app
    from portal.accounts.models import KeyAccount, User
    from portal.extensions import db
    from tests.support.web import make_config
    from tests.support.webhooks import add_endpoint

    app = create_app(make_config(deployment.database_url))
    with app.app_context():
        admin = db.session.scalar(sa.select(User).filter_by(email="admin@initech.example"))
        account = db.session.scalar(sa.select(KeyAccount).filter_by(slug="initech"))
        endpoint, secret = add_endpoint(admin, account, receiver.url)
        endpoint_id = endpoint.id
        db.engine.dispose()
    receiver.secret = secret
    return endpoint_id


# --- what a browser does ---


def token_on(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    match = TOKEN.search(page.text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(session, base, email, password=DEMO_PASSWORD) -> requests.Response:
    data = {"email": email, "password": password, "csrf_token": token_on(session, base + "/login")}
    return session.post(base + "/login", data=data, allow_redirects=False, timeout=30)


def signed_in_as(session, url) -> str | None:
    """The e-mail of the user the page at `url` shows signed in; None when it asks to sign in."""
    page = session.get(url, timeout=30)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    match = re.search(r'data-user-email="([^"]+)"', page.text)
    if match:
        return match.group(1)
    assert 'action="/login' in page.text, f"{page.url} neither signed in nor a sign-in form"
    return None


def signed_in_session(base, email) -> requests.Session:
    session = requests.Session()
    answer = sign_in(session, base, email)
    assert answer.status_code == 302, f"{email} could not sign in on {base}"
    return session


def file_hotline_requests(deployment, sessions, count: int) -> None:
    """`count` hotline requests filed by Lotus's buyer (signed in on each web process: the
    `sessions`), on each web process in turn; each e-mails the inside-sales rep it goes to."""
    for number in range(count):
        session, base = sessions[number % 2], deployment.urls[number % 2]
        url = f"{base}/a/lotus/hotline"
        data = {
            "csrf_token": token_on(session, url),
            "topic": "technical",
            "description": f"Request {number} for the several-processes test.",
            "phone": "+86 21 5555 0100",
            "callback_window": "any",
            "order_number": "",
            "contact_id": "0",
        }
        answer = session.post(url, data=data, allow_redirects=False, timeout=30)
        assert answer.status_code == 303, f"filing a request failed: {answer.status_code}"


def send_test_events(deployment, sessions, endpoint_id: int, count: int) -> None:
    """`count` "webhook.test" events, sent by Initech's customer admin (signed in on each web
    process: the `sessions`) from the endpoint's page on each web process in turn."""
    for number in range(count):
        session, base = sessions[number % 2], deployment.urls[number % 2]
        page = f"{base}/a/initech/settings/webhooks/{endpoint_id}"
        data = {"csrf_token": token_on(session, page)}
        answer = session.post(f"{page}/test", data=data, allow_redirects=False, timeout=30)
        assert answer.status_code == 303, f"sending a test event failed: {answer.status_code}"


# --- what the database and the receivers have ---


def wait_for(condition, what: str, deployment, timeout: float = PATIENCE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}\n{deployment.output()}")


def rows(database: sa.Engine, query, **values) -> list:
    """The rows of a query (text with :values, or a select) on the deployment's database."""
    query = sa.text(query) if isinstance(query, str) else query
    with database.connect() as connection:
        return list(connection.execute(query, values))


def outbox(database) -> list[OutboxMessage]:
    with orm.Session(database) as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def webhook_deliveries(database, endpoint_id: int) -> list:
    return rows(
        database,
        sa.select(
            WebhookEvent.public_id,
            WebhookDelivery.status,
            WebhookDelivery.attempts,
            WebhookDelivery.id,
        )
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id),
    )


def webhook_attempts(database, endpoint_id: int) -> list:
    return rows(
        database,
        sa.select(WebhookAttempt.delivery_id, WebhookAttempt.status_code)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id),
    )


def pending(database, endpoint_id: int | None = None) -> bool:
    """Whether an e-mail, or a webhook to the endpoint, is still pending."""
    waiting = [row for row in outbox(database) if row.status == "pending"]
    if endpoint_id is not None:
        waiting += [d for d in webhook_deliveries(database, endpoint_id) if d.status == "pending"]
    return bool(waiting)


def assert_each_email_sent_once(database, mail) -> None:
    accepted = Counter(mail.message_ids())
    messages = outbox(database)
    assert messages, "nothing was queued"
    assert {m.status for m in messages} == {"sent"}, messages
    assert all(m.attempts == 1 for m in messages), messages
    assert {id_: n for id_, n in accepted.items() if n != 1} == {}, "accepted more than once"
    assert set(accepted) == {m.message_id for m in messages}


def assert_each_event_delivered_once(
    deployment, database, receiver: HoldingReceiver, endpoint_id
) -> None:
    deliveries = webhook_deliveries(database, endpoint_id)
    assert deliveries, "no event was queued"
    # The receiver notes its answer just after writing it, maybe after the worker's commit.
    wait_for(
        lambda: {d.public_id for d in deliveries} <= set(receiver.acknowledged()),
        "the receiver's answers",
        deployment,
        timeout=5,
    )
    assert {d.status for d in deliveries} == {"delivered"}, deliveries
    assert all(d.attempts == 1 for d in deliveries), deliveries
    attempts = webhook_attempts(database, endpoint_id)
    assert sorted(a.delivery_id for a in attempts) == sorted(d.id for d in deliveries)
    assert all(200 <= a.status_code < 300 for a in attempts), attempts
    acknowledged = Counter(receiver.acknowledged())
    assert {id_: n for id_, n in acknowledged.items() if n != 1} == {}, "acknowledged twice"
    assert set(acknowledged) == {d.public_id for d in deliveries}
    assert receiver.forged() == [], "a request with a bad signature"


# --- the tests ---


def test_a_session_signed_in_on_one_web_process_is_valid_on_the_other(deployment):
    first, second = deployment.urls
    browser = requests.Session()
    assert signed_in_as(browser, f"{second}/a/acme/orders") is None
    assert sign_in(browser, first, "buyer@acme.example").status_code == 302

    assert signed_in_as(browser, f"{second}/a/acme/orders") == "buyer@acme.example"
    assert signed_in_as(browser, f"{first}/a/acme/catalog") == "buyer@acme.example"

    # Signing out on the second (with the CSRF token of the first's session) ends the session
    # everywhere: its cookie, replayed on the first, is signed out too.
    cookies = requests.utils.dict_from_cookiejar(browser.cookies)
    token = token_on(browser, f"{first}/a/acme/catalog")
    answer = browser.post(
        f"{second}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302
    replayed = requests.Session()
    replayed.cookies.update(cookies)
    assert signed_in_as(replayed, f"{first}/a/acme/orders") is None
    assert signed_in_as(browser, f"{first}/a/acme/orders") is None


def test_the_sign_in_throttle_counts_wrong_passwords_on_both_web_processes(deployment):
    # Five wrong passwords, the limit, alternated: neither process saw five of them itself.
    for attempt in range(5):
        base = deployment.urls[attempt % 2]
        answer = sign_in(requests.Session(), base, "buyer@globex.example", "wrong-password")
        assert answer.status_code == 200, f"attempt {attempt + 1} on {base}: {answer.status_code}"
        assert THROTTLED not in answer.text

    for base in deployment.urls:
        answer = sign_in(requests.Session(), base, "buyer@globex.example")
        assert answer.status_code == 429, f"{base} let the right password in"
        assert THROTTLED in answer.text


def test_each_email_is_sent_once_with_two_workers(deployment, database, mail, lotus_buyer):
    assert all(worker.alive() for worker in deployment.workers)
    file_hotline_requests(deployment, lotus_buyer, 6)
    assert len(outbox(database)) >= 6

    wait_for(lambda: not pending(database), "the outbox to empty", deployment)
    assert_each_email_sent_once(database, mail)


def test_each_webhook_event_is_delivered_once_with_two_workers(
    deployment, database, receiver, endpoint, initech_admin
):
    assert all(worker.alive() for worker in deployment.workers)
    send_test_events(deployment, initech_admin, endpoint, 6)
    assert len(webhook_deliveries(database, endpoint)) == 6

    wait_for(lambda: not pending(database, endpoint), "the deliveries", deployment)
    assert_each_event_delivered_once(deployment, database, receiver, endpoint)


def sweep_runs(deployment) -> Counter:
    """How often each sweep ran (or failed), as the workers' logs have it."""
    runs = Counter()
    for worker in deployment.workers:
        for match in SWEEP_LINE.finditer(worker.output()):
            runs[match.group(1)] += 1
    return runs


def end_every_period(database, deployment) -> tuple[datetime, Counter]:
    """Make every sweep due now, under all their locks (so that none is running meanwhile);
    when, and how often each had run by then (sweep_runs)."""
    with database.connect() as connection:
        for sweep in SWEEPS:
            key = (LOCK_NAMESPACE, lock_key(sweep.name))
            connection.execute(sa.select(sa.func.pg_advisory_lock(*key)))
        runs = sweep_runs(deployment)
        now = connection.scalar(sa.select(sa.func.now()))
        for sweep in SWEEPS:
            connection.execute(
                sa.update(SweepRun)
                .where(SweepRun.name == sweep.name)
                .values(last_started_at=now - sweep.every)
            )
        connection.commit()
        connection.execute(sa.select(sa.func.pg_advisory_unlock_all()))
        connection.commit()
    return now, runs


def test_each_sweep_runs_once_per_period_across_both_workers(deployment, database):
    names = {sweep.name for sweep in SWEEPS}

    def run_since(moment) -> set[str]:
        return {
            row.name
            for row in rows(
                database,
                sa.select(SweepRun.name).where(
                    SweepRun.last_started_at >= moment, SweepRun.last_finished_at >= moment
                ),
            )
        }

    wait_for(lambda: run_since(EPOCH) == names, "every sweep's first run", deployment)
    for period in range(1, 4):
        # Both workers find every sweep due at once, and race for each.
        started, before = end_every_period(database, deployment)
        wait_for(
            lambda since=started: run_since(since) == names,
            f"the sweeps of period {period}",
            deployment,
        )
        time.sleep(1.5)  # each worker polls every 0.5 s: a second run would show by now
        ran = sweep_runs(deployment) - before
        assert ran == Counter(names), f"period {period}: {ran}\n{deployment.output()}"
    logs = "\n".join(worker.output() for worker in deployment.workers)
    assert not re.search(r" ERROR |Traceback", logs), logs


def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(
    deployment, database, mail, receiver, endpoint, lotus_buyer, initech_admin
):
    # A webhook: the receiver holds the first request, unanswered; the other worker delivers
    # the rest (and never the held one: its row is locked); the holder is killed.
    receiver.hold_next()
    send_test_events(deployment, initech_admin, endpoint, 4)
    held = wait_for(receiver.held, "a held webhook", deployment)
    victim = worker_connected_from(deployment.workers, held.client_port)
    others = {d.public_id for d in webhook_deliveries(database, endpoint)} - {held.event_id}
    wait_for(
        lambda: others <= set(receiver.acknowledged()),
        "the other worker's deliveries",
        deployment,
    )
    assert receiver.requests_for(held.event_id) == 1
    deployment.stop(victim, signal.SIGKILL)
    wait_for(lambda: not pending(database, endpoint), "the held delivery", deployment)
    receiver.release()
    assert receiver.requests_for(held.event_id) == 2
    assert_each_event_delivered_once(deployment, database, receiver, endpoint)

    # An e-mail: the SMTP server holds the DATA of the first message; its worker is killed at
    # once (its SMTP client would give up after MAIL_TIMEOUT), and the others send everything.
    deployment.start_worker()
    mail.hold_next()
    file_hotline_requests(deployment, lotus_buyer, 3)
    held_mail = wait_for(mail.held, "a held e-mail", deployment)
    victim = worker_connected_from(deployment.workers, held_mail.client_port)
    deployment.stop(victim, signal.SIGKILL)
    wait_for(lambda: not pending(database, endpoint), "the outbox to empty", deployment)
    mail.release()
    assert held_mail.message_id in mail.message_ids()
    assert_each_email_sent_once(database, mail)
