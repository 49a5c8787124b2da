"""PostgreSQL stopped and started again under load (issue 19, faults): while it is down every
request gets a clean 503 (its request id on the page, or in the problem document of an API
call, Retry-After, no traceback), and once it is back the same gunicorn serves again by itself.

The cluster is a private one of the test's own (tests/support/private_postgres.py): the
machine's shared server serves other test runs and is never restarted."""

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
import requests

from tests.support.deployment import running_deployment
from tests.support.private_postgres import private_postgres
from tests.support.visitors import api_token, signed_in

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
def deployment(cluster, tmp_path_factory):
    logs = tmp_path_factory.mktemp("restart-logs")
    with running_deployment(logs, cluster.url, webs=1, workers=1, name="portal_faults_pg") as d:
        yield d


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
    deployment, cluster
):
    base = deployment.urls[0]
    buyer = signed_in(base, "buyer@acme.example")
    token = api_token(deployment, "buyer@acme.example")
    web_pids = [web.popen.pid for web in deployment.webs]

    with Load(base, buyer, token) as load:
        load.wait_for(8, "before")
        load.phase = "stopping"
        cluster.stop()
        load.phase = "down"
        load.wait_for(8, "down")
        time.sleep(OUTAGE_SECONDS)
        load.phase = "starting"
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
    for answer in load.in_phase("stopping") + load.in_phase("starting") + load.in_phase("up"):
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
