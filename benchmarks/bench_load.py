"""Load test (DESIGN.md section 7, issue 19): simulated buyers and call-centre staff against the
portal as its operators run it, beside a bare Flask route on the same server in the same run.

A deployment (tests/support/deployment.py) on a scratch PostgreSQL database and Redis: two
gunicorn processes of one worker with four threads each, and one `portal worker`. Locust, run
headless as a library, signs every simulated user in first (outside the clock; a sign-in costs an
argon2 verification), then for `--duration` seconds each buyer loops: the catalog page, a quick
order of SKUs from its contract, the checkout page, the checkout (its one-time token, a PO number
of its own) and the order page; a few staff users look callers up. Then the same number of users
ask the portal's /healthz, and a bare Flask app (benchmarks/bare_app.py) served by two gunicorn
processes with the same settings, for `--bare-duration` seconds each.

It prints per step the requests, throughput, p50 and p95 and failures, the ratio of the mix's
throughput to the bare route's, the web processes' CPU per request; then checks against the
database that every order the client placed is there once (no order lost or duplicated) and no
request errored; then profiles the slowest step in-process (cProfile) on the same database.

    .venv/bin/python benchmarks/bench_load.py [--users 50] [--staff 5] [--duration 60]
"""

from gevent import monkey

monkey.patch_all()

# ruff: noqa: E402  (gevent patches the standard library before anything else is imported)
import argparse
import io
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, redirect_stderr
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gevent
import psutil
import sqlalchemy as sa
from locust import FastHttpUser, constant, task
from locust.env import Environment
from locust.exception import StopUser

from benchmarks.load_profile import ACCOUNT_SKUS, CHECKOUT_FORM, PASSWORD, form_fields
from tests.support.deployment import BIN, ROOT, running_deployment, wait_until_answers
from tests.support.environment import free_port, postgres_url

STAFF = ["callcenter", "inside", "inside2", "manager", "chen"]
#: What the call centre types: names, phone numbers, a place, an account, a Chinese name.
LOOKUPS = ["Alice", "+86 21 5555 0100", "acme hosp", "王芳", "Globex", "Chicago", "wang fang"]
BUYER_STEPS = ["catalog", "quick order", "checkout form", "checkout", "order"]
LIMITS = {
    "LOGIN_LIMIT_PER_ADDRESS": "100000 per 15 minutes",
    "LOGIN_LIMIT_PER_EMAIL": "1000 per 15 minutes",
}

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Run:
    """What the simulated users share in one measurement."""

    def __init__(self, hosts, buyers=(), staff=()):
        self.hosts = itertools.cycle(hosts)
        self.buyers = iter(buyers)
        self.staff = itertools.cycle(staff)
        self.signed_in = 0
        self.stopping = False
        self.busy = 0
        self.placed: list[str] = []  # PO numbers of checkouts answered by the order page
        self.tried: list[str] = []  # PO numbers of every checkout sent
        self.po_numbers = itertools.count(1)
        self.server_errors = 0
        self.tag = f"{os.getpid()}-{int(time.time())}"


RUN: Run | None = None


def count_server_errors(response=None, **_kwargs):
    if response is not None and getattr(response, "status_code", 0) >= 500:
        RUN.server_errors += 1


class PortalUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    host = "http://127.0.0.1"

    def __init__(self, environment):
        self.host = next(RUN.hosts)
        super().__init__(environment)

    def expect(self, response, statuses, why=""):
        if response.status_code in statuses:
            response.success()
            return True
        response.failure(f"{response.status_code} {why}".strip())
        return False

    def sign_in(self, email: str) -> None:
        with self.client.get("/login", name="sign in form", catch_response=True) as page:
            if not self.expect(page, (200,)):
                raise StopUser()
            token = CSRF.search(page.text).group(1)
        data = {"csrf_token": token, "email": email, "password": PASSWORD, "next": ""}
        with self.post("/login", data, "sign in") as answer:
            if not self.expect(answer, (302, 303), email):
                raise StopUser()
        RUN.signed_in += 1

    def post(self, path, data, name):
        body = urlencode(data)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.client.post(
            path, data=body, headers=headers, name=name, catch_response=True, allow_redirects=False
        )

    def step(self):
        """Stop between steps once the measurement is over (nothing is left half sent)."""
        if RUN.stopping:
            raise StopUser()


class Buyer(PortalUser):
    def on_start(self):
        self.email, self.slug = next(RUN.buyers)
        self.skus = ACCOUNT_SKUS[self.slug]
        self.sign_in(self.email)

    @task
    def order(self):
        self.step()
        RUN.busy += 1
        try:
            self.journey()
        finally:
            RUN.busy -= 1

    def journey(self):
        base = f"/a/{self.slug}"
        with self.client.get(f"{base}/catalog", name="catalog", catch_response=True) as page:
            if not self.expect(page, (200,)):
                return
            token = CSRF.search(page.text).group(1)
        lines = "\n".join(
            f"{sku} {random.randint(1, 3)}"
            for sku in random.sample(self.skus, 2)  # noqa: S311
        )
        data = {"csrf_token": token, "lines": lines}
        with self.post(f"{base}/cart/quick-order", data, "quick order") as answer:
            if not self.expect(answer, (302, 303), answer.text[:200]):
                return
        with self.client.get(f"{base}/checkout", name="checkout form", catch_response=True) as page:
            if not self.expect(page, (200,)):
                return
            fields = [(k, v) for k, v in form_fields(page.text, CHECKOUT_FORM) if k != "po_number"]
        po_number = f"LOAD-{RUN.tag}-{next(RUN.po_numbers)}"
        RUN.tried.append(po_number)
        with self.post(
            f"{base}/checkout", [*fields, ("po_number", po_number)], "checkout"
        ) as answer:
            location = answer.headers.get("Location", "")
            if not self.expect(answer, (303,), answer.text[:300]) or "/orders/" not in location:
                return
            RUN.placed.append(po_number)
        with self.client.get(urlsplit(location).path, name="order", catch_response=True) as page:
            self.expect(page, (200,))


class Staff(PortalUser):
    def on_start(self):
        self.sign_in(f"{next(RUN.staff)}@northwind.example")

    @task
    def look_up(self):
        self.step()
        query = random.choice(LOOKUPS)  # noqa: S311
        with self.client.get(
            "/staff/lookup", params={"q": query}, name="lookup", catch_response=True,
            allow_redirects=False,
        ) as page:  # fmt: skip
            self.expect(page, (200, 303))


class Healthz(PortalUser):
    def on_start(self):
        RUN.signed_in += 1

    @task
    def health(self):
        self.client.get("/healthz", name="/healthz (portal)")


class Bare(PortalUser):
    def on_start(self):
        RUN.signed_in += 1

    @task
    def bare(self):
        self.client.get("/", name="/ (bare Flask)")


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            parent = psutil.Process(pid)
            for process in [parent, *parent.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(label, classes, counts, run, duration, pids):
    """Start the users, wait until every one has signed in, then measure for `duration` s."""
    global RUN
    RUN = run
    for cls, count in zip(classes, counts, strict=True):
        cls.fixed_count = count
    environment = Environment(user_classes=classes)
    environment.events.request.add_listener(count_server_errors)
    runner = environment.create_local_runner()
    total = sum(counts)
    print(f"\n{label}: {total} users, signing in ...", flush=True)
    started = time.monotonic()
    runner.start(total, spawn_rate=total)
    while run.signed_in < total:
        if time.monotonic() - started > 600 or runner.stats.total.num_failures:
            runner.quit()
            failures = {k: v.error for k, v in runner.stats.errors.items()}
            raise RuntimeError(f"the users did not all sign in: {failures}")
        gevent.sleep(0.2)
    sign_in = runner.stats.get("sign in", "POST")
    sign_ins = (sign_in.num_requests, sign_in.median_response_time)
    print(
        f"  {run.signed_in} signed in in {time.monotonic() - started:.1f} s; measuring {duration} s"
    )
    runner.stats.reset_all()
    cpu_before, start = cpu_seconds(pids), time.monotonic()
    gevent.sleep(duration)
    cpu = cpu_seconds(pids) - cpu_before
    elapsed = time.monotonic() - start
    rows = {
        name: (
            entry.num_requests,
            entry.num_requests / elapsed,
            entry.get_response_time_percentile(0.5),
            entry.get_response_time_percentile(0.95),
            entry.num_failures,
        )
        for (name, _method), entry in runner.stats.entries.items()
    }
    window_requests = runner.stats.total.num_requests
    run.stopping = True
    deadline = time.monotonic() + 120
    while run.busy and time.monotonic() < deadline:
        gevent.sleep(0.1)
    runner.stop()
    runner.quit()
    # A request that failed, and a task that raised (the client could not read a page).
    failures = runner.stats.total.num_failures + sum(e["count"] for e in runner.exceptions.values())
    errors = {str(error.error)[:300]: error.occurrences for error in runner.stats.errors.values()}
    errors.update({e["msg"][:300]: e["count"] for e in runner.exceptions.values()})
    return {
        "rows": rows,
        "requests": window_requests,
        "rps": window_requests / elapsed,
        "cpu_ms": 1000 * cpu / max(window_requests, 1),
        "cpu_share": cpu / elapsed,
        "failures": failures,
        "errors": errors,
        "sign_ins": sign_ins,
    }


def print_table(results, bare_rps):
    print(f"\n{'step':<22}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'failures':>10}")
    for label, result, steps in results:
        print(f"-- {label}")
        for name in steps or sorted(result["rows"]):
            if name in result["rows"]:
                count, rps, p50, p95, failed = result["rows"][name]
                print(f"{name:<22}{count:>10}{rps:>9.1f}{p50:>9.0f}{p95:>9.0f}{failed:>10}")
        ratio = bare_rps / result["rps"] if result["rps"] else float("inf")
        print(
            f"{'all':<22}{result['requests']:>10}{result['rps']:>9.1f}{'':>18}"
            f"{sum(r[4] for r in result['rows'].values()):>10}"
            f"   {result['cpu_share']:.2f} CPUs, {result['cpu_ms']:.1f} ms CPU/request,"
            f" throughput 1/{ratio:.1f} of bare"
        )


def start_bare(logs: Path, count: int, threads: int):
    processes, urls = [], []
    for number in range(count):
        port = free_port()
        command = [
            str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--threads", str(threads), "--graceful-timeout", "5", "benchmarks.bare_app:app",
        ]  # fmt: skip
        log = (logs / f"bare-{number + 1}.log").open("ab")
        processes.append(
            subprocess.Popen(
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )  # noqa: S603
        )
        log.close()
        urls.append(f"http://127.0.0.1:{port}")
        wait_until_answers(urls[-1] + "/")
    return processes, urls


def stop_bare(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)


def make_buyers(deployment, users: int) -> list[tuple[str, str]]:
    """`users` buyers spread over the accounts of ACCOUNT_SKUS, like each account's demo buyer
    (role, spending limit, password)."""
    slugs = list(ACCOUNT_SKUS)
    engine = deployment.engine()
    buyers = []
    with engine.begin() as connection:
        users_table = sa.Table("users", sa.MetaData(), autoload_with=connection)
        demo = {
            row.slug: row
            for row in connection.execute(
                sa.text(
                    "SELECT DISTINCT ON (a.slug) a.slug, u.* FROM users u "
                    "JOIN key_accounts a ON a.id = u.account_id "
                    "WHERE u.role = 'buyer' AND a.slug = ANY(:slugs) ORDER BY a.slug, u.id"
                ),
                {"slugs": slugs},
            )
        }
        rows = []
        for number in range(users):
            slug = slugs[number % len(slugs)]
            template = demo[slug]._mapping
            email = f"load{number + 1}@{slug}.example"
            row = {c.name: template[c.name] for c in users_table.columns if c.name != "id"}
            row.update(email=email, name=f"Load Buyer {number + 1}", phone="", phone_e164="")
            rows.append(row)
            buyers.append((email, slug))
        connection.execute(users_table.insert(), rows)
    engine.dispose()
    return buyers


def check_orders(deployment, run: Run, failures: int) -> bool:
    engine = deployment.engine()
    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT po_number, count(*) FROM orders WHERE po_number = ANY(:numbers) "
                "GROUP BY po_number"
            ),
            {"numbers": run.tried},
        ).all()
    engine.dispose()
    in_database = sum(count for _po, count in found)
    duplicated = sum(count - 1 for _po, count in found if count > 1)
    print(
        f"\norders placed: {len(run.placed)}, orders in the database: {in_database}, "
        f"duplicated: {duplicated}, errors: {run.server_errors + failures}"
    )
    print(
        f"  (checkouts sent: {len(run.tried)}; 5xx answers: {run.server_errors}; "
        f"locust failures: {failures})"
    )
    return (
        in_database == len(run.placed) and not duplicated and not run.server_errors and not failures
    )


def profile_step(deployment, step: str, buyers, runs: int) -> None:
    """Profile `step` in a process of its own, without gevent (benchmarks/load_profile.py)."""
    email, slug = buyers[0]
    command = [
        sys.executable, str(Path(__file__).with_name("load_profile.py")), step,
        "--database", deployment.database_url, "--email", email, "--slug", slug,
        "--runs", str(runs),
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated buyers (50)")
    parser.add_argument("--staff", type=int, default=5, help="simulated call-centre staff (5)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the mix (60)")
    parser.add_argument(
        "--bare-duration", type=float, default=20, help="seconds of /healthz and bare (20)"
    )
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile-runs", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    server = postgres_url()
    if server is None:
        print("PostgreSQL does not answer: set PORTAL_TEST_DATABASE_URL")
        return 2
    total = args.users + args.staff
    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        logs = Path(folder)
        print(
            f"deployment: {args.webs} gunicorn x {args.threads} threads, "
            f"{args.workers} worker(s), PostgreSQL, Redis"
        )
        with ExitStack() as stack:
            with redirect_stderr(io.StringIO()):  # the migrations' log
                deployment = stack.enter_context(
                    running_deployment(
                        logs,
                        server,
                        webs=args.webs,
                        workers=args.workers,
                        threads=args.threads,
                        env=LIMITS,
                        name=f"portal_bench_load_{os.getpid()}",
                    )  # fmt: skip
                )
            buyers = make_buyers(deployment, args.users)
            pids = [process.popen.pid for process in deployment.webs]
            run = Run(deployment.urls, buyers, STAFF)
            mix = measure(
                "portal mix", [Buyer, Staff], [args.users, args.staff], run, args.duration, pids
            )
            health = measure(
                "portal /healthz",
                [Healthz],
                [total],
                Run(deployment.urls),
                args.bare_duration,
                pids,
            )
            bare_processes, bare_urls = start_bare(logs, args.webs, args.threads)
            try:
                bare = measure(
                    "bare Flask", [Bare], [total], Run(bare_urls), args.bare_duration,
                    [p.pid for p in bare_processes],
                )  # fmt: skip
            finally:
                stop_bare(bare_processes)
            count, median = mix["sign_ins"]
            print(f"\nsign-ins before the clock: {count}, median {median:.0f} ms (argon2)")
            print_table(
                [
                    ("portal mix", mix, [*BUYER_STEPS, "lookup"]),
                    ("portal /healthz", health, None),
                    ("bare Flask route", bare, None),
                ],
                bare["rps"],
            )
            print(f"\nportal mix / bare throughput: 1/{bare['rps'] / mix['rps']:.1f}")
            for name, result in (("mix", mix), ("healthz", health), ("bare", bare)):
                for error, occurrences in result["errors"].items():
                    print(f"  {name} failure x{occurrences}: {error}")
            ok = check_orders(deployment, run, mix["failures"])
            if not ok:
                print(deployment.output()[-6000:])
            if not args.no_profile:
                steps = {k: v for k, v in mix["rows"].items() if k in [*BUYER_STEPS, "lookup"]}
                slowest = max(steps, key=lambda name: steps[name][2])
                profile_step(deployment, slowest, buyers, args.profile_runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
