"""Faults of what the portal runs on (issue 19, Deliver 3), each against one deployment of
gunicorn and `portal worker` processes (tests/support/deployment.py):

- the SMTP server refusing mail: the workers retry with a backoff, recording each attempt,
  and deliver each e-mail exactly once when it accepts again;
- Redis unavailable: sign-in fails closed with a clear 503, and everything else works, the
  API and placing an order included; once Redis is back, sign-in works again;
- PostgreSQL stopped and started under load: while it is down every request gets a clean 503
  (its request id on the page, or in the API's problem document, Retry-After, no traceback),
  and once it is back the same gunicorn serves again by itself.

PostgreSQL, Redis and the SMTP server are the test's own (tests/support/private_*.py): the
machine's shared servers serve other test runs and are never stopped."""

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from tests.support.deployment import running_deployment
from tests.support.mail import running_smtp_server
from tests.support.private_postgres import private_postgres
from tests.support.private_redis import private_redis
from tests.support.visitors import api_token, csrf_token, place_order, sign_in, signed_in

pytestmark = [pytest.mark.deployment, pytest.mark.no_transaction]

#: What an unreachable server's error says; none of it may reach a page or a problem.
LEAKS = ("Traceback", "OperationalError", "psycopg", "Connection refused", 'File "', "sqlalchemy")
#: How long the database stays down, and how long the portal may take to serve again after.
OUTAGE_SECONDS = 3
RECOVERY_SECONDS = 30


@dataclass
class Answer:
    phase: str
    path: str
    status: int | None  # None: no HTTP answer at all
    body: str
    headers: dict


@pytest.fixture(scope="module")
def cluster():
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def redis_server():
    with private_redis() as server:
        yield server


@pytest.fixture(scope="module")
def smtp_server():
    with running_smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def deployment(cluster, redis_server, smtp_server, tmp_path_factory):
    """One web process and two workers; a refused e-mail is tried again after 0.5 s, doubled
    after each further refusal up to 2 s."""
    backoff = {"OUTBOX_BACKOFF_SECONDS": "0.5", "OUTBOX_BACKOFF_MAX_SECONDS": "2"}
    with running_deployment(
        tmp_path_factory.mktemp("fault-logs"),
        cluster.url,
        webs=1,
        workers=2,
        mail_port=smtp_server.port,
        redis_url=redis_server.url,
        env=backoff,
        name="portal_faults",
    ) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def token(deployment):
    """An API token of Acme's buyer."""
    return api_token(deployment, "buyer@acme.example")


def wait_for(condition, what: str, deployment, timeout: float = 60):
    """A guard against a hang, not a speed test."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s\n{deployment.output()}"
        time.sleep(0.2)


# --- the SMTP server refusing mail ---

#: How many users ask for a password link while the SMTP server refuses their mail.
FORGETFUL = 3
RESET_SUBJECT = "Reset your password for the Northwind portal"


def users_without_mail(database, count: int) -> list[str]:
    """Demo users the outbox holds nothing for: their refusals are the test's messages'."""
    with database.connect() as connection:
        return list(
            connection.scalars(
                sa.text(
                    "SELECT email FROM users WHERE is_active AND email NOT IN"
                    " (SELECT to_address FROM outbox_messages) ORDER BY email LIMIT :count"
                ),
                {"count": count},
            )
        )


def outbox_rows(database, addresses) -> list:
    """The outbox's messages to `addresses`."""
    with database.connect() as connection:
        return list(
            connection.execute(
                sa.text(
                    "SELECT to_address, subject, status, attempts, last_error, sent_at,"
                    " next_attempt_at, created_at FROM outbox_messages"
                    " WHERE to_address = ANY(:addresses) ORDER BY to_address"
                ),
                {"addresses": list(addresses)},
            )
        )


def test_mail_the_smtp_server_refuses_is_retried_and_delivered_exactly_once(
    deployment, database, smtp_server
):
    base = deployment.urls[0]
    forgetful = users_without_mail(database, FORGETFUL)
    assert len(forgetful) == FORGETFUL
    for address in forgetful:
        smtp_server.refuse_address[address] = 451
    for address in forgetful:
        visitor = requests.Session()
        page = visitor.get(f"{base}/password/forgot", timeout=30).text
        answer = visitor.post(
            f"{base}/password/forgot",
            data={"email": address, "csrf_token": csrf_token(page)},
            timeout=30,
        )
        assert answer.status_code == 200
    # Refused, again and again: each attempt recorded, the next one after a backoff.
    wait_for(
        lambda: (
            [row.attempts >= 3 for row in outbox_rows(database, forgetful)]
            == [True] * len(forgetful)
        ),
        "three refused attempts of each",
        deployment,
    )
    for row in outbox_rows(database, forgetful):
        assert row.subject == RESET_SUBJECT
        assert row.status == "pending" and row.sent_at is None
        assert "451" in row.last_error
        assert row.next_attempt_at > row.created_at
    # The server accepts again.
    for address in forgetful:
        del smtp_server.refuse_address[address]
    wait_for(
        lambda: {row.status for row in outbox_rows(database, forgetful)} == {"sent"},
        "every message sent",
        deployment,
    )
    time.sleep(1)  # time for a duplicate to arrive, were one sent
    delivered = [m for m in smtp_server.messages if m["Subject"] == RESET_SUBJECT]
    assert sorted(m["To"] for m in delivered) == sorted(forgetful)  # each exactly once
    refusals = Counter(address for address, code in smtp_server.refusals)
    for row in outbox_rows(database, forgetful):
        # Every attempt is recorded: the refused ones and the one that went through.
        assert row.attempts == refusals[row.to_address] + 1
    assert all(worker.alive() for worker in deployment.workers)


# --- Redis unavailable ---


def test_without_redis_sign_in_fails_closed_and_everything_else_works(
    deployment, redis_server, token
):
    base = deployment.urls[0]
    buyer = signed_in(base, "buyer@acme.example")
    redis_server.stop()
    try:
        refused = sign_in(base, "approver@acme.example")
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) > 0
        assert "Signing in is briefly unavailable" in refused.text
        catalog = refused.session.get(f"{base}/a/acme/catalog", allow_redirects=False)
        assert catalog.status_code == 302  # not signed in
        # Everything else: the signed-in buyer's pages, an order, the API.
        for path in ("/a/acme/", "/a/acme/catalog", "/a/acme/orders", "/password"):
            assert buyer.get(base + path, allow_redirects=False, timeout=30).status_code == 200
        number = place_order(buyer, base, "acme", "NW-DOCK 2", po="FAULT-REDIS-1")
        page = buyer.get(f"{base}/a/acme/orders/{number}", timeout=30)
        assert page.status_code == 200 and "NW-DOCK" in page.text
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        for _ in range(3):
            assert api.get(f"{base}/api/v1/me", timeout=30).status_code == 200
        orders = api.get(f"{base}/api/v1/orders", timeout=30)
        assert orders.status_code == 200 and number in orders.text
        # Still closed once the API's limit has failed too: no fallback to a count per process.
        assert sign_in(base, "approver@acme.example").status_code == 503
    finally:
        redis_server.start()
    # Both are logged, for the operator.
    log = deployment.webs[0].output()
    assert "the sign-in throttle cannot count" in log
    assert "Failed to rate limit" in log
    # Back: sign-in works again.
    assert sign_in(base, "approver@acme.example").status_code in (302, 303)


def test_a_redis_that_hangs_holds_up_no_request_for_long(deployment, redis_server, token):
    """Its client gives up after 2 s (RATELIMIT_STORAGE_OPTIONS); without that a request
    would wait until gunicorn killed its worker."""
    base = deployment.urls[0]
    redis_server.pause()
    try:
        refused = sign_in(base, "approver@acme.example")
        assert refused.status_code == 503
        assert "Signing in is briefly unavailable" in refused.text
        bearer = {"Authorization": f"Bearer {token}"}
        me = requests.get(f"{base}/api/v1/me", headers=bearer, timeout=30)
        assert me.status_code == 200
    finally:
        redis_server.resume()
    assert sign_in(base, "approver@acme.example").status_code in (302, 303)


# --- PostgreSQL stopped and started under load ---


class Load:
    """A few threads asking for a signed-in buyer's catalog, an anonymous visitor's account
    page, an API call and the readiness check, over and over; each answer is kept with the
    phase the test was in when it came back."""

    def __init__(self, base: str, buyer: requests.Session, token: str):
        self.phase = "before"
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.requests = [
            (buyer, "/a/acme/catalog", {}),
            (requests.Session(), "/a/acme/", {}),
            (requests.Session(), "/api/v1/me", {"Authorization": f"Bearer {token}"}),
            (requests.Session(), "/readyz", {}),
        ]
        self.base = base
        self.threads = [
            threading.Thread(target=self._run, args=(offset,), daemon=True) for offset in range(3)
        ]

    def _run(self, offset: int) -> None:
        turn = offset
        while not self.stop.is_set():
            session, path, headers = self.requests[turn % len(self.requests)]
            turn += 1
            phase = self.phase
            try:
                response = session.get(
                    self.base + path, headers=headers, allow_redirects=False, timeout=20
                )
                answer = Answer(phase, path, response.status_code, response.text, response.headers)
            except requests.RequestException as error:
                answer = Answer(phase, path, None, repr(error), {})
            # The phase it ends in too: an answer that spans a change belongs to neither side.
            if self.phase != phase:
                answer.phase = "changing"
            with self._lock:
                self.answers.append(answer)
            time.sleep(0.05)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def in_phase(self, phase: str) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.phase == phase]

    def wait_for(self, count: int, phase: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.in_phase(phase)) < count:
            assert time.monotonic() < deadline, f"fewer than {count} answers while {phase}"
            time.sleep(0.1)


def assert_clean_unavailable(answer: Answer) -> None:
    where = f"{answer.path} while {answer.phase}"
    assert answer.status == 503, f"{where}: {answer.status} {answer.body[:300]}"
    if answer.path == "/readyz":
        return  # a probe's answer: its status is all it says
    assert int(answer.headers["Retry-After"]) > 0, where
    request_id = answer.headers["X-Request-ID"]
    assert request_id in answer.body, f"{where}: no request id"
    if answer.path.startswith("/api/"):
        assert answer.headers["Content-Type"].startswith("application/problem+json"), where
    else:
        assert "The service is briefly unavailable" in answer.body, where
    for leak in LEAKS:
        assert leak not in answer.body, f"{where}: {leak!r} shown"


def test_a_database_restart_gives_clean_503s_and_the_portal_recovers_by_itself(
    deployment, cluster, token
):
    base = deployment.urls[0]
    buyer = signed_in(base, "buyer@acme.example")
    web_pids = [web.popen.pid for web in deployment.webs]

    with Load(base, buyer, token) as load:
        load.wait_for(8, "before")
        load.phase = "stopping"
        cluster.stop()
        try:
            load.phase = "down"
            load.wait_for(8, "down")
            time.sleep(OUTAGE_SECONDS)
            load.phase = "starting"
        finally:
            cluster.start()
        load.phase = "up"
        # By itself: the same processes, no restart of gunicorn, within a bounded time.
        deadline = time.monotonic() + RECOVERY_SECONDS
        while not {a.path for a in load.in_phase("up") if a.status == 200} >= {
            path for _, path, _ in load.requests
        }:
            assert time.monotonic() < deadline, "the portal did not serve again\n" + (
                deployment.output()
            )
            time.sleep(0.2)
        load.phase = "recovered"
        load.wait_for(12, "recovered")

    before = load.in_phase("before")
    assert [a.status for a in before] == [200] * len(before), before[:3]
    down = load.in_phase("down")
    assert {a.path for a in down} == {path for _, path, _ in load.requests}
    for answer in down:
        assert_clean_unavailable(answer)
    # Around the stop and the start: served or a clean 503, never an error page or no answer.
    around = ("changing", "stopping", "starting", "up")
    for answer in [a for phase in around for a in load.in_phase(phase)]:
        if answer.status != 200:
            assert_clean_unavailable(answer)
    recovered = load.in_phase("recovered")
    assert Counter(a.status for a in recovered) == {200: len(recovered)}, recovered[:3]

    assert [web.popen.pid for web in deployment.webs] == web_pids
    assert all(web.alive() for web in deployment.webs)
    # gunicorn's worker was not replaced either (it would boot again after a crash).
    assert [web.output().count("Booting worker") for web in deployment.webs] == [1] * len(web_pids)
    assert all(worker.alive() for worker in deployment.workers), deployment.output()
    # The buyer is still signed in: the session outlived the outage.
    assert buyer.get(base + "/a/acme/catalog", allow_redirects=False, timeout=20).status_code == 200
