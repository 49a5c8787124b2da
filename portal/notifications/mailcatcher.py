"""The demo's SMTP server: `python -m portal.notifications.mailcatcher --port 8025 --maildir
instance/mail` accepts every message (aiosmtpd, a real SMTP server), stores it as a .eml file
and prints one line per message. Nothing goes further; `make demo` starts it on loopback."""

import argparse
import itertools
import signal
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path


class MailCatcher:
    """An aiosmtpd handler that keeps each message as <maildir>/<time>-<n>.eml."""

    def __init__(self, maildir: str | Path, *, echo=print):
        self.maildir = Path(maildir)
        self.maildir.mkdir(parents=True, exist_ok=True)
        self.echo = echo
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers):05d}.eml"
        (self.maildir / name).write_bytes(content)
        headers = message_from_bytes(content, policy=policy.default)
        self.echo(f"mail to {', '.join(envelope.rcpt_tos)}: {headers['Subject']}  ({name})")
        return "250 Message accepted for delivery"


def main(argv=None) -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", default="instance/mail")
    args = parser.parse_args(argv)

    handler = MailCatcher(args.maildir, echo=lambda line: print(line, flush=True))
    controller = Controller(handler, hostname=args.host, port=args.port)
    controller.start()
    print(f"SMTP server on {args.host}:{args.port}, keeping mail in {args.maildir}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):  # a timeout, so that the signal handler gets to run
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
