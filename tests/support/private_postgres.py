"""A PostgreSQL cluster of the test's own, on a free port, that a fault test may stop and
start as it likes: the machine's shared server (127.0.0.1:5432) serves other test runs and is
never restarted."""

import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.environment import free_port, skip_or_fail

BIN = Path("/usr/lib/postgresql/15/bin")
#: The OS user that runs the cluster: initdb and postgres refuse to run as root.
OWNER = "postgres"


@dataclass
class PrivatePostgres:
    #: postgresql://postgres@127.0.0.1:<port>/postgres, trust authentication.
    url: str
    data: Path
    port: int
    log: Path

    def _ctl(self, *arguments: str) -> None:
        options = (
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        _as_owner(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", *arguments,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        """A fast shutdown, as an operator's restart does: open connections are ended."""
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _as_owner(*command: str) -> None:
    prefix = ["runuser", "-u", OWNER, "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)  # noqa: S603


@contextmanager
def private_postgres():
    """A fresh cluster in a temporary directory (trust authentication, its socket there too),
    started; stopped and removed afterwards."""
    if not (BIN / "initdb").exists():
        skip_or_fail(f"no PostgreSQL 15 binaries in {BIN}: apt-get install postgresql-15")
    root = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(OWNER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    port = free_port()
    server = PrivatePostgres(
        f"postgresql://postgres@127.0.0.1:{port}/postgres", data, port, root / "postgres.log"
    )
    try:
        _as_owner(
            str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        server.start()
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
