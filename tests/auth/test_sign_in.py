"""Sign-in: the throttle (SECURITY.md 1-3), account enumeration (7) and ?next= (13)."""

import difflib
import re

import pytest

from portal.config import ConfigError, check_production
from portal.extensions import db
from tests.factories import UserFactory
from tests.support.auth import argon2_parameters
from tests.support.web import PASSWORD, login

WRONG = "not the password at all"
SAME_PAGE_MESSAGE = b"The e-mail or password is not correct."
THROTTLED_MESSAGE = b"Too many attempts"


def from_address(app, address: str):
    """A browser at `address` (REMOTE_ADDR, as the WSGI server reports it)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fail_from(client, email: str, **extra):
    response = login(client, email, WRONG, **extra)
    assert response.status_code == 200, "a failure inside the limit is an ordinary error"
    assert SAME_PAGE_MESSAGE in response.data
    return response


# SECURITY.md 1: brute force, per e-mail and per client address; successes are not counted.


def test_the_sixth_failure_for_one_email_answers_429_even_from_new_addresses(app, buyer):
    # Given five failures for one e-mail, each from a different address
    for n in range(5):
        fail_from(from_address(app, f"198.51.100.{n}"), "buyer@acme.example")

    # When the right password arrives from a sixth address
    response = login(from_address(app, "198.51.100.99"), "buyer@acme.example")

    # Then it is refused with 429, and nobody is signed in
    assert response.status_code == 429
    assert THROTTLED_MESSAGE in response.data
    assert "Location" not in response.headers


def test_the_email_limit_ignores_case_and_surrounding_spaces(app, buyer):
    # Given five failures spelling the e-mail five ways
    spellings = ["Buyer@Acme.example", "BUYER@ACME.EXAMPLE", " buyer@acme.example "]
    for n, email in enumerate(spellings + ["buyer@ACME.example", "bUyer@acme.example"]):
        fail_from(from_address(app, f"198.51.100.{n}"), email)

    # When the canonical spelling tries the right password, then it is throttled
    assert login(from_address(app, "198.51.100.99"), "buyer@acme.example").status_code == 429


def test_the_email_limit_leaves_other_emails_alone(app, buyer):
    # Given a throttled e-mail
    for n in range(5):
        fail_from(from_address(app, f"198.51.100.{n}"), "victim@acme.example")

    # When another user signs in from one of those addresses, then they get in
    response = login(from_address(app, "198.51.100.0"), "buyer@acme.example")
    assert response.status_code == 302


def test_the_twenty_first_failure_from_one_address_answers_429_for_any_email(app, buyer):
    # Given twenty failures from one address, each for a different e-mail
    attacker = from_address(app, "203.0.113.7")
    for n in range(20):
        fail_from(attacker, f"guess{n}@acme.example")

    # When that address tries a real user's right password, then it is refused
    assert login(attacker, "buyer@acme.example").status_code == 429
    # And the same credentials from another address still work
    assert login(from_address(app, "203.0.113.8"), "buyer@acme.example").status_code == 302


def test_successful_sign_ins_are_not_counted(app, buyer):
    # Given four failures and then ten successful sign-ins for one e-mail and one address
    for _ in range(4):
        fail_from(from_address(app, "198.51.100.1"), "buyer@acme.example")
    for _ in range(10):
        assert login(from_address(app, "198.51.100.1"), "buyer@acme.example").status_code == 302

    # When a fifth failure arrives, then it is still an ordinary failure
    fail_from(from_address(app, "198.51.100.1"), "buyer@acme.example")
    # And only then is the e-mail throttled
    assert login(from_address(app, "198.51.100.1"), "buyer@acme.example").status_code == 429


def test_production_refuses_memory_rate_limit_storage(make_app):
    production = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-0123456789",
    }
    # Per-process memory:// storage would give every worker its own counter
    with pytest.raises(ConfigError, match="REDIS_URL"):
        check_production({**production, "RATELIMIT_STORAGE_URI": "memory://"})
    with pytest.raises(ConfigError, match="REDIS_URL"):
        make_app(**production)  # make_config's memory:// storage
    # Shared storage is accepted
    check_production({**production, "RATELIMIT_STORAGE_URI": "redis://redis:6379/0"})


# SECURITY.md 2: behind ProxyFix(x_for=1) a forged X-Forwarded-For changes nothing.


def test_twenty_forged_forwarded_for_headers_behind_the_proxy_are_still_limited(make_app, buyer):
    # Given the app behind one proxy, which appends the real client address to the header
    proxied = make_app(PROXY_FIX_X_FOR=1)
    client = from_address(proxied, "10.0.0.2")

    def forged(n):
        return {"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.7"}

    # When one client fails twenty times, forging a different address each time
    for n in range(20):
        response = client.post(
            "/login",
            data={"email": f"guess{n}@acme.example", "password": WRONG},
            headers=forged(n),
        )
        assert response.status_code == 200

    # Then the next attempt, with yet another forged address, is refused
    response = client.post(
        "/login", data={"email": "buyer@acme.example", "password": PASSWORD}, headers=forged(99)
    )
    assert response.status_code == 429


def test_behind_the_proxy_each_real_client_has_its_own_address_limit(make_app, buyer):
    # Given one real client throttled behind the proxy
    proxied = make_app(PROXY_FIX_X_FOR=1)
    client = from_address(proxied, "10.0.0.2")
    for n in range(20):
        client.post(
            "/login",
            data={"email": f"guess{n}@acme.example", "password": WRONG},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )

    # When another real client signs in through the same proxy, then it gets in
    response = client.post(
        "/login",
        data={"email": "buyer@acme.example", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.8"},
    )
    assert response.status_code == 302


def test_without_a_proxy_a_forged_forwarded_for_header_is_ignored(app, buyer):
    client = from_address(app, "203.0.113.7")
    for n in range(20):
        client.post(
            "/login",
            data={"email": f"guess{n}@acme.example", "password": WRONG},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )
    response = client.post(
        "/login",
        data={"email": "buyer@acme.example", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.99"},
    )
    assert response.status_code == 429


# SECURITY.md 3: the 429 path costs no hashing.


def test_a_sign_in_throttled_by_email_never_calls_the_password_hasher(app, buyer, hasher_spy):
    # Given five failures for one e-mail, which the spy sees verified
    for n in range(5):
        fail_from(from_address(app, f"198.51.100.{n}"), "buyer@acme.example")
    assert len(hasher_spy.verified) == 5
    hasher_spy.reset()

    # When the e-mail is tried again, with the right password and with a wrong one
    right = login(from_address(app, "198.51.100.98"), "buyer@acme.example")
    wrong = login(from_address(app, "198.51.100.99"), "buyer@acme.example", WRONG)

    # Then both answer 429 without hashing anything
    assert (right.status_code, wrong.status_code) == (429, 429)
    assert hasher_spy.calls == 0


def test_a_sign_in_throttled_by_address_never_calls_the_password_hasher(app, buyer, hasher_spy):
    attacker = from_address(app, "203.0.113.7")
    for n in range(20):
        fail_from(attacker, f"guess{n}@acme.example")
    assert len(hasher_spy.verified) == 20
    hasher_spy.reset()

    assert login(attacker, "buyer@acme.example").status_code == 429
    assert login(attacker, "fresh-guess@acme.example", WRONG).status_code == 429
    assert hasher_spy.calls == 0


# SECURITY.md 7: unknown and known e-mails are indistinguishable.


def failure_page(response, email: str) -> tuple[int, str]:
    """Status and body of a failed sign-in, with the echoed e-mail taken out."""
    return response.status_code, response.get_data(as_text=True).replace(email, "EMAIL")


def differences(pages: set[tuple[int, str]]) -> str:
    """The lines in which failure pages differ, for the assertion's message."""
    (first_status, first), *others = sorted(pages)
    return "\n".join(
        line
        for status, body in others
        for line in difflib.unified_diff(
            [str(first_status), *first.splitlines()], [str(status), *body.splitlines()], n=0
        )
    )


def test_unknown_email_wrong_password_and_inactive_user_get_the_same_answer(client, buyer):
    # Given a known buyer, an inactive one, and an e-mail nobody has
    UserFactory(
        account=buyer.account,
        email="left@acme.example",
        is_active=False,
        password_hash=buyer.password_hash,
    )
    attempts = {
        "nobody@acme.example": WRONG,
        "buyer@acme.example": WRONG,
        "left@acme.example": PASSWORD,  # the right password of a deactivated user
    }

    # When each fails to sign in
    pages = {failure_page(login(client, e, p), e) for e, p in attempts.items()}

    # Then all three see exactly the same status and page (else the lines that differ)
    assert len(pages) == 1, differences(pages)
    status, body = pages.pop()
    assert status == 200
    assert SAME_PAGE_MESSAGE.decode() in body


@pytest.mark.production_password_hashing
def test_an_unknown_email_costs_the_same_password_verification_as_a_known_one(
    client, two_accounts, hasher_spy
):
    # When an unknown e-mail and a known one each fail once
    login(client, "nobody@acme.example", WRONG)
    login(client, "buyer@acme.example", WRONG)

    # Then each cost one argon2 verification, of a hash with the same parameters
    assert len(hasher_spy.verified) == 2
    unknown, known = (argon2_parameters(h) for h in hasher_spy.verified)
    assert unknown == known


def test_a_deactivated_user_with_the_right_password_is_not_signed_in(client, buyer):
    buyer.is_active = False
    db.session.commit()
    response = login(client, "buyer@acme.example")
    assert response.status_code == 200
    assert SAME_PAGE_MESSAGE in response.data


# SECURITY.md 13: ?next= never leaves the site.

OFF_SITE = [
    "https://evil.example",
    "https://evil.example/a/acme/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\t\\evil.example",
    "/\n\\evil.example",
    " //evil.example",
    "https:evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", OFF_SITE, ids=repr)
def test_an_off_site_next_sends_the_user_home_after_sign_in(client, buyer, target):
    # Given the sign-in form reached through /login?next=<off-site>
    form_page = client.get("/login", query_string={"next": target})
    assert form_page.status_code == 200

    # When the user signs in with that next value
    response = login(client, "buyer@acme.example", next=target)

    # Then they land on their own portal
    assert response.status_code == 302
    assert response.headers["Location"] == "/a/acme/"


@pytest.mark.parametrize("target", OFF_SITE, ids=repr)
def test_a_signed_in_user_visiting_login_with_an_off_site_next_stays_on_the_site(
    client, buyer, target
):
    login(client, "buyer@acme.example")
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/a/acme/"


def test_an_on_site_next_is_followed_after_sign_in(client, buyer):
    response = login(client, "buyer@acme.example", next="/password?from=landing")
    assert response.headers["Location"] == "/password?from=landing"


def test_off_site_targets_would_leave_the_site_if_followed():
    # The list above is worth testing: each entry names another host in a browser's eyes
    # (browsers drop tabs and newlines, and read a backslash as a slash), or is a scheme.
    for target in OFF_SITE:
        cleaned = re.sub(r"[\t\r\n]", "", target).strip().replace("\\", "/")
        assert cleaned.startswith("//") or ":" in cleaned, target
