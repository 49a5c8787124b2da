"""Accessibility checks with axe-core (Deque, MPL-2.0) in the page the browser shows.

axe-core comes from the npm registry at the version tests/journeys/package-lock.json pins
(`make test` runs `npm ci` there) and is read from that local file into the page: nothing is
fetched from a CDN, and the page's own CSP is untouched (Playwright evaluates it through the
DevTools protocol, not as a script of the page's).
"""

from pathlib import Path

from tests.support.environment import skip_or_fail

AXE = Path(__file__).resolve().parents[1] / "journeys" / "node_modules" / "axe-core" / "axe.min.js"

#: axe's impacts that fail a journey: a "serious" or "critical" violation keeps someone out.
BLOCKING = ("serious", "critical")

#: WCAG 2.1 A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(page) -> list[dict]:
    """axe's violations of the page as it is now, of every impact."""
    if not AXE.exists():
        skip_or_fail("axe-core is missing: run `npm ci --prefix tests/journeys` (make test does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}).then(result => result.violations)",
        TAGS,
    )


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}".rstrip())
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    """No serious or critical axe violation on the page as it is now."""
    blocking = [v for v in violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {where or page.url}:\n{describe(blocking)}"
