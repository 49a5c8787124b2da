"""Where one step of bench_load.py spends its time: the step run in-process (Flask test client,
the deployment's database, no gevent) under cProfile counting CPU time, as the slowest step is
profiled after the load test. Also on its own:

    .venv/bin/python benchmarks/load_profile.py checkout --database URL --email E --slug S
"""

import argparse
import cProfile
import html
import io
import pstats
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "demo-password"  # noqa: S105  (the demo's documented password)
#: The demo accounts the load buyers order for, with SKUs their contracts price (DESIGN.md 6).
ACCOUNT_SKUS = {
    "acme": ["NW-LT14", "NW-MN27", "NW-SVC3Y", "NW-DOCK"],
    "globex": ["NW-LT14", "NW-SRV2", "NW-DOCK"],
    "initech": ["NW-DOCK", "NW-MN27", "NW-DT7"],
    "qingdao": ["NW-DT7", "NW-MN27", "NW-DOCK"],
}
CHECKOUT_FORM = 'class="checkout-form"'
ATTRIBUTE = re.compile(r'([\w:-]+)(?:="([^"]*)")?')
STEPS = ("journey", "catalog", "quick order", "checkout form", "checkout", "order", "lookup")


def form_fields(page: str, marker: str) -> list[tuple[str, str]]:
    """The fields a browser would send with the form whose tag holds `marker`, as the page
    rendered them (hidden inputs, selected options, checked boxes)."""
    match = re.search(r"<form\b[^>]*" + re.escape(marker) + r"[^>]*>(.*?)</form>", page, re.S)
    if match is None:
        raise ValueError(f"no form {marker}")
    body = match.group(1)
    fields, radios = [], {}
    for tag in re.finditer(r"<input\b([^>]*)>", body):
        attrs = {k: html.unescape(v or "") for k, v in ATTRIBUTE.findall(tag.group(1))}
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind in ("submit", "button", "file"):
            continue
        if kind == "radio":
            if "checked" in attrs or name not in radios:
                radios[name] = attrs.get("value", "on")
        elif kind == "checkbox":
            if "checked" in attrs:
                fields.append((name, attrs.get("value", "y")))
        else:
            fields.append((name, attrs.get("value", "")))
    fields += list(radios.items())
    for select in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        options = [
            {k: html.unescape(v or "") for k, v in ATTRIBUTE.findall(o)}
            for o in re.findall(r"<option\b([^>]*)>", select.group(2))
        ]
        chosen = next((o for o in options if "selected" in o), options[0] if options else None)
        if chosen is not None:
            fields.append((select.group(1), chosen.get("value", "")))
    fields += [(name, "") for name in re.findall(r'<textarea\b[^>]*name="([^"]+)"', body)]
    return fields


def step_requests(client, slug: str):
    """For each step, a function that prepares one run (outside the clock) and returns the
    request to time."""
    base = f"/a/{slug}"
    skus = ACCOUNT_SKUS[slug]

    def quick_order():
        lines = "\n".join(f"{sku} 1" for sku in skus[:2])
        return client.post(f"{base}/cart/quick-order", data={"lines": lines})

    def checkout():
        quick_order()
        page = client.get(f"{base}/checkout").get_data(as_text=True)
        fields = [(k, v) for k, v in form_fields(page, CHECKOUT_FORM) if k != "po_number"]
        data = dict([*fields, ("po_number", f"PROFILE-{time.time_ns()}")])
        return lambda: client.post(f"{base}/checkout", data=data)

    def order():
        path = urlsplit(checkout()().headers["Location"]).path
        return lambda: client.get(path)

    def journey():
        client.get(f"{base}/catalog")
        quick_order()
        post = checkout()
        return client.get(urlsplit(post().headers["Location"]).path)

    return {
        "journey": lambda: journey,
        "catalog": lambda: lambda: client.get(f"{base}/catalog"),
        "quick order": lambda: quick_order,
        "checkout form": lambda: (quick_order(), lambda: client.get(f"{base}/checkout"))[1],
        "checkout": checkout,
        "order": order,
        "lookup": lambda: lambda: client.get("/staff/lookup", query_string={"q": "Alice"}),
    }


def _package(filename: str) -> str:
    """What a profiled function belongs to: a package, templates, the portal or Python."""
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
    if filename.endswith(".html"):
        return "templates"
    if "/portal/" in filename:
        return "portal"
    return "python" if filename.startswith(("/", "<")) or "~" in filename else filename


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=STEPS)
    parser.add_argument("--database", required=True)
    parser.add_argument("--email", required=True, help="a buyer of --slug")
    parser.add_argument("--slug", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--callers", help="a regular expression: print who calls these instead")
    parser.add_argument("--only", help="a regular expression: print only functions matching it")
    args = parser.parse_args()

    from portal import create_app
    from portal.config import database_url
    from portal.extensions import db
    from tests.support.web import make_config

    config = make_config(database_url(args.database), PORTAL_ENV="development", TESTING=False)
    app = create_app(config)
    client = app.test_client()
    who = "callcenter@northwind.example" if args.step == "lookup" else args.email
    answer = client.post("/login", data={"email": who, "password": PASSWORD})
    assert answer.status_code in (302, 303), answer.status_code
    prepare = step_requests(client, args.slug)[args.step]
    prepare()()  # warm

    wall = cpu = 0.0
    for _ in range(args.runs):  # unprofiled, for the time a request takes
        request = prepare()
        start, start_cpu = time.perf_counter(), time.process_time()
        request()
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    profiler = cProfile.Profile(time.process_time)
    for _ in range(args.runs):
        request = prepare()
        profiler.enable()
        response = request()
        profiler.disable()
        assert response.status_code < 400, response.status_code
    with app.app_context():
        db.engine.dispose()
    print(
        f"\nprofile of '{args.step}' in-process, {args.runs} runs: "
        f"{1000 * wall / args.runs:.1f} ms wall, {1000 * cpu / args.runs:.1f} ms CPU a request "
        "(unprofiled); the profile counts CPU time"
    )
    by_package: dict[str, float] = {}
    for (filename, _line, _name), row in pstats.Stats(profiler).stats.items():
        by_package[_package(filename)] = by_package.get(_package(filename), 0.0) + row[2]
    total = sum(by_package.values()) or 1.0
    print(
        "\nown CPU by package: "
        + ", ".join(
            f"{name} {100 * seconds / total:.0f}%"
            for name, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:12]
        )
    )
    if args.callers:
        stats = pstats.Stats(profiler).sort_stats("tottime")
        stats.print_callers(args.callers, args.top)
        return
    # The portal's own functions by time with what they call (where in the code the time
    # goes), then every function by its own time (what the time is spent on).
    for order, title, only in (
        ("cumulative", "cumulative CPU (with callees), the portal's functions", r"/portal/"),
        ("tottime", "own CPU", None),
    ):
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream).sort_stats(order)
        only = args.only or only
        stats.print_stats(*([only] if only else []), args.top)
        text = stream.getvalue()
        print(f"\ntop {args.top} by {title}:")
        print(text[text.find("   ncalls") :].rstrip().replace(str(ROOT) + "/", ""))


if __name__ == "__main__":
    main()
