"""A real SMTP server (aiosmtpd) on loopback for the e-mail tests."""

from contextlib import contextmanager

from tests.support.environment import free_port


class SMTPServer:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it accepts in `messages`, and
    refuses what it is told to: `refuse_next(code, n)` the next n recipients, `refuse_rate` a
    share of all attempts (seeded), `refuse_address[address] = code` always."""

    def __init__(self, seed: int = 6):
        import random
        import threading

        #: What was accepted, as received; `messages` parses it (later: parsing is slow).
        self.received: list[bytes] = []
        self._parsed: list = []
        self.refusals: list[tuple[str, int]] = []
        self.refuse_rate = 0.0
        self.refuse_address: dict[str, int] = {}
        self._queued: list[int] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def refuse_next(self, code: int, times: int = 1) -> None:
        with self._lock:
            self._queued.extend([code] * times)

    def _refusal(self, address: str) -> int | None:
        with self._lock:
            if address in self.refuse_address:
                return self.refuse_address[address]
            if self._queued:
                return self._queued.pop(0)
            if self.refuse_rate and self._random.random() < self.refuse_rate:
                return 451
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self._refusal(address)
        if code is not None:
            with self._lock:
                self.refusals.append((address, code))
            kind = "4.3.0 Try again later" if code < 500 else "5.1.1 No such mailbox"
            return f"{code} {kind}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.received.append(envelope.original_content)
        return "250 Message accepted"

    @property
    def messages(self) -> list:
        """The accepted messages, parsed (email.message.EmailMessage)."""
        from email import message_from_bytes, policy

        with self._lock:
            received = list(self.received)
        for raw in received[len(self._parsed) :]:
            self._parsed.append(message_from_bytes(raw, policy=policy.default))
        return list(self._parsed)

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@contextmanager
def running_smtp_server(**options):
    """An SMTPServer listening on 127.0.0.1 at a free port (`.port`), stopped afterwards."""
    with serving_smtp(SMTPServer(**options)) as handler:
        yield handler


@contextmanager
def serving_smtp(handler):
    """`handler` (an SMTPServer) listening on 127.0.0.1 at a free port (`.port`) in the block."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()
