"""A Redis server of the test's own, on a free port, that a fault test may stop and start again
(the machine's shared Redis on 6379 serves other test runs and is never stopped)."""

import shutil
import signal
import subprocess
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from tests.support.environment import free_port, skip_or_fail


@dataclass
class PrivateRedis:
    port: int
    #: redis://127.0.0.1:<port>/0
    url: str
    process: subprocess.Popen | None = field(default=None)

    def start(self) -> None:
        import redis

        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            with suppress(redis.RedisError):
                if client.ping():
                    return
            assert self.process.poll() is None, "redis-server ended"
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)

    def pause(self) -> None:
        """Hung: connections are accepted (by the kernel) and never answered."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Gone at once, as a crashed server is: its port refuses connections."""
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.kill()
            self.process.wait(10)


@contextmanager
def private_redis():
    if shutil.which("redis-server") is None:
        skip_or_fail("no redis-server on this machine: apt-get install redis-server")
    port = free_port()
    server = PrivateRedis(port, f"redis://127.0.0.1:{port}/0")
    server.start()
    try:
        yield server
    finally:
        server.stop()
