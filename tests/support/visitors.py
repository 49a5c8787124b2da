"""People and programs using a deployment (tests/support/deployment.py) over HTTP: a browser's
session signed in through the form, and an API token issued as an operator does."""

import re
import subprocess

import requests

from tests.support.deployment import BIN, ROOT, Deployment

#: Every demo user's password (DESIGN.md section 6).
DEMO_PASSWORD = "demo-password"  # noqa: S105
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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
