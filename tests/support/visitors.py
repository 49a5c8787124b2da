"""People and programs using a deployment (tests/support/deployment.py) over HTTP: a browser's
session signed in through the form, and an API token issued as an operator does."""

import re
import subprocess
from html.parser import HTMLParser

import requests

from tests.support.deployment import BIN, ROOT, Deployment

#: Every demo user's password (DESIGN.md section 6).
DEMO_PASSWORD = "demo-password"  # noqa: S105
_CSRF = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')


def csrf_token(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(base: str, email: str, password: str = DEMO_PASSWORD) -> requests.Response:
    """Post the sign-in form from a fresh session; the answer, not followed (`.session` on it
    is the session used)."""
    session = requests.Session()
    token = csrf_token(session.get(f"{base}/login", timeout=30).text)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    response.session = session
    return response


def signed_in(base: str, email: str, password: str = DEMO_PASSWORD) -> requests.Session:
    response = sign_in(base, email, password)
    assert response.status_code in (302, 303), f"{email} could not sign in: {response.status_code}"
    return response.session


def api_token(deployment: Deployment, email: str, scopes: str = "read,order") -> str:
    """A token for the user with `email`, issued with the operators' command."""
    command = [str(BIN / "flask"), "--app", "portal", "api-token", "issue", email]
    command += ["--name", "fault test", "--scopes", scopes]
    done = subprocess.run(  # noqa: S603 - our own command
        command, cwd=ROOT, env=deployment.env, capture_output=True, text=True, timeout=60
    )
    match = re.search(r"kap_[A-Za-z0-9_-]+", done.stdout)
    assert match, f"no token issued:\n{done.stdout}\n{done.stderr}"
    return match.group(0)


class _Form(HTMLParser):
    """The fields of the form posting to `action` (or with no action, on the page at it):
    inputs' values, a select's selected (else first) option; no checkbox, radio or textarea."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.fields, self._inside, self._select = action, {}, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = (attrs.get("action") or self.action).split("?")[0] == self.action
        elif not self._inside or not attrs.get("name") and tag != "option":
            return
        elif tag == "input" and attrs.get("type") not in ("checkbox", "radio", "submit"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs["name"]
        elif (
            tag == "option"
            and self._select
            and attrs.get("value")
            and (self._select not in self.fields or "selected" in attrs)
        ):
            self.fields[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


def form_fields(page: str, action: str) -> dict:
    parser = _Form(action)
    parser.feed(page)
    assert parser.fields, f"no form posting to {action}"
    return parser.fields


def place_order(session: requests.Session, base: str, slug: str, lines: str, po: str) -> str:
    """Order `lines` ("SKU quantity" per line) as a buyer does: quick order into the cart,
    then checkout; the number of the order placed."""
    cart = f"{base}/a/{slug}/cart"
    token = csrf_token(session.get(cart, timeout=30).text)
    added = session.post(
        f"{cart}/quick-order", data={"lines": lines, "csrf_token": token}, timeout=30
    )
    assert added.status_code == 200, added.status_code
    checkout = f"/a/{slug}/checkout"
    fields = form_fields(session.get(base + checkout, timeout=30).text, checkout)
    fields["po_number"] = po
    placed = session.post(base + checkout, data=fields, allow_redirects=False, timeout=30)
    assert placed.status_code == 303, f"{placed.status_code}: {placed.text[:2000]}"
    return placed.headers["Location"].rstrip("/").rpartition("/")[2]
