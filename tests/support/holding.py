"""Receivers that can hold a delivery open, for killing the worker that is making it: a
customer's webhook receiver and an SMTP server on loopback, each in a thread of the test, and
which worker process a held connection comes from.

What they count as delivered is what the sender was told: a webhook answered 2xx, an e-mail
whose DATA the server accepted. A held request is never answered (the webhook's connection is
closed, the e-mail's DATA refused), so it is no delivery.
"""

import asyncio
import os
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.mail import SMTPServer, serving_smtp
from tests.support.webhooks import verify

#: How long a held request waits for release before it is dropped anyway.
HOLD_AT_MOST = 120


@dataclass(frozen=True)
class Held:
    #: The event's id (webhooks) or the Message-ID (e-mail).
    event_id: str
    #: The sender's end of the connection: its local port on 127.0.0.1.
    client_port: int

    @property
    def message_id(self) -> str:
        return self.event_id


class Hold:
    """Arms once with `hold_next()`; the next request is held until `release()`. Every other
    request is answered after `delay` seconds: a receiver that takes its time keeps a worker
    busy with one delivery while the other worker looks for the next."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self._lock = threading.Lock()
        self._armed = False
        self._held: Held | None = None
        self._released = threading.Event()

    def hold_next(self) -> None:
        with self._lock:
            self._armed, self._held = True, None
            self._released.clear()

    def _take(self, held: Held) -> bool:
        """Whether this request is the one to hold (and then it is)."""
        with self._lock:
            if not self._armed:
                return False
            self._armed, self._held = False, held
            return True

    def held(self) -> Held | None:
        with self._lock:
            return self._held

    def release(self) -> None:
        self._released.set()


class HoldingReceiver(Hold):
    """A customer's webhook receiver: every POST's event id and whether it was answered 2xx."""

    def __init__(self, delay: float = 0.0):
        super().__init__(delay)
        self.secret = ""
        self.server: ThreadingHTTPServer | None = None
        #: One Request per POST, in order of arrival.
        self.log: list[Request] = []

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def _arrived(self, event_id: str, signed: bool) -> "Request":
        request = Request(event_id, signed)
        with self._lock:
            self.log.append(request)
        return request

    def acknowledged(self) -> list[str]:
        """The event id of each request answered 2xx (an event twice if answered twice)."""
        with self._lock:
            return [r.event_id for r in self.log if r.answered_2xx]

    def requests_for(self, event_id: str) -> int:
        with self._lock:
            return sum(1 for r in self.log if r.event_id == event_id)

    def forged(self) -> list[str]:
        with self._lock:
            return [r.event_id for r in self.log if not r.signed]


@dataclass
class Request:
    event_id: str
    #: Whether its signature checked out with the receiver's secret.
    signed: bool
    #: Set once the 2xx answer is written to the sender.
    answered_2xx: bool = False


@contextmanager
def running_holding_receiver(delay: float = 0.0):
    receiver = HoldingReceiver(delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            event_id = self.headers.get("Portal-Event-Id", "")
            good = verify(receiver.secret, self.headers.get("Portal-Signature", ""), body)
            arrived = receiver._arrived(event_id, good)
            if receiver._take(Held(event_id, self.client_address[1])):
                receiver._released.wait(HOLD_AT_MOST)
                self.close_connection = True
                return  # no answer at all
            time.sleep(receiver.delay)
            status = 200 if good else 400
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            self.wfile.flush()
            arrived.answered_2xx = status == 200

        def log_message(self, *args):
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        receiver.server.shutdown()
        receiver.server.server_close()


class HoldingSMTPServer(SMTPServer, Hold):
    """The SMTP server of tests/support/mail.py that can hold one message's DATA, then refuse
    it (451) once released: the sender never hears that it was accepted, and it was not."""

    def __init__(self, delay: float = 0.0, **options):
        SMTPServer.__init__(self, **options)
        Hold.__init__(self, delay)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        message_id = message_from_bytes(envelope.original_content, policy=policy.default)[
            "Message-ID"
        ]
        if self._take(Held(message_id, session.peer[1])):
            waited = 0.0
            while not self._released.is_set() and waited < HOLD_AT_MOST:
                await asyncio.sleep(0.05)
                waited += 0.05
            return "451 4.3.0 Held and dropped"
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def running_holding_smtp_server(delay: float = 0.0, **options):
    with serving_smtp(HoldingSMTPServer(delay, **options)) as handler:
        try:
            yield handler
        finally:
            handler.release()  # a held message's session ends before the server stops


def worker_connected_from(workers, port: int):
    """The running worker (tests.support.deployment.Process) that has a TCP connection from
    local port `port` (Linux: read from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for worker in workers:
        if not worker.alive():
            continue
        with suppress(OSError):
            descriptors = Path(f"/proc/{worker.popen.pid}/fd").iterdir()
            if any(_link(fd) in inodes for fd in descriptors):
                return worker
    raise AssertionError(f"no worker has a connection from port {port}")


def _link(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""
