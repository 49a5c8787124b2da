"""The web layer: stored XSS (SECURITY.md 23), security headers (24), plain 500 pages with a
logged request id (25), and oversized or disguised uploads (26)."""

import io
import logging
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from markupsafe import escape
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import create_app
from portal.accounts.models import KeyAccount
from portal.core.permissions import public
from portal.demo import demo_logo
from portal.extensions import db, limiter
from tests import factories
from tests.support.web import account_form, make_config, reload, signed_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BOOM = "/test-only/boom"
#: The exception text a forced error carries; it must never reach the browser.
SECRET_DETAIL = "db password is hunter2"


@pytest.fixture(scope="module")
def web(app):
    """A second app on the test database, run as production runs it (exceptions are not
    propagated), with a test-only route that fails. Each request has its own session. One for
    the module: it holds nothing of a test's."""
    web = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], TESTING=False))

    @public
    def boom():
        raise RuntimeError(SECRET_DETAIL)

    web.add_url_rule(BOOM, view_func=boom, methods=["GET", "POST"])
    return web


def png(colour="#1f4e9c", size=(64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def noise_png(min_bytes: int) -> bytes:
    """A valid PNG of at least `min_bytes` bytes (stored uncompressed)."""
    side = int((min_bytes / 3) ** 0.5) + 1
    pixels = bytes(i * 7919 % 251 for i in range(side * side * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG", compress_level=0)
    data = buffer.getvalue()
    assert len(data) >= min_bytes
    return data


# SECURITY.md 23: stored XSS

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)
#: What must never appear unescaped in a page.
LIVE_MARKUP = ("<script>alert", "<img src=x", "onerror=alert(1)>")


@pytest.fixture
def hostile_account():
    """An account whose every free-text field carries script, as a careless or hostile
    editor could type it."""
    rep = factories.StaffFactory(role="inside_sales", name=f"Rep {IMG}", phone="+86 1")
    account = factories.AccountFactory(
        slug="hostile",
        name=f"Hostile {SCRIPT} {IMG}",
        welcome_text=f"Hello {SCRIPT}\n{IMG}",
        hotline_phone=f"+86 {IMG}",
        inside_sales_rep=rep,
    )
    account.logo_data = png()
    account.logo_content_type = "image/png"
    account.logo_digest = "0" * 64
    factories.AddressFactory(
        account=account, label=f"Depot {SCRIPT}", lines=f"{IMG}\n{SCRIPT}", city=f"City {IMG}"
    )
    admin = factories.UserFactory(
        account=account, role="customer_admin", email="admin@hostile.example", name=f"A {SCRIPT}"
    )
    buyer = factories.UserFactory(account=account, email="buyer@hostile.example", name=f"B {IMG}")
    db.session.commit()
    return {"account": account, "admin": admin, "buyer": buyer, "rep": rep}


def assert_rendered_escaped(response):
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for live in LIVE_MARKUP:
        assert live not in page
    # The payloads are there, as text: the page really rendered the hostile fields.
    assert any(str(escape(payload)) in page for payload in PAYLOADS)
    return page


def test_hostile_text_renders_escaped_on_the_anonymous_landing_page(web, hostile_account):
    page = assert_rendered_escaped(web.test_client().get("/a/hostile/"))
    assert str(escape(SCRIPT)) in page and str(escape(IMG)) in page
    assert f'alt="Hostile {escape(SCRIPT)} {escape(IMG)} logo"' in page


def test_hostile_text_renders_escaped_for_the_accounts_own_users(web, hostile_account):
    buyer = signed_in(web, "buyer@hostile.example")
    assert_rendered_escaped(buyer.get("/a/hostile/"))
    admin = signed_in(web, "admin@hostile.example")
    page = assert_rendered_escaped(admin.get("/a/hostile/users"))
    assert f"Depot {escape(SCRIPT)}" in page and f"B {escape(IMG)}" in page
    buyer_id = hostile_account["buyer"].id
    assert_rendered_escaped(admin.get(f"/a/hostile/users/{buyer_id}"))


@pytest.mark.parametrize(
    "path",
    [
        "/staff/",
        "/staff/accounts",
        "/staff/accounts/hostile",
        "/staff/accounts/hostile/edit",
        "/staff/accounts/hostile/users/new",
        "/a/hostile/",
    ],
)
def test_hostile_text_renders_escaped_on_staff_pages(web, hostile_account, path):
    if path.endswith(("/edit", "/new")):
        staff = factories.StaffFactory(name=f"Staff {SCRIPT}")  # an account editor
    else:
        staff = hostile_account["rep"]  # the account's rep: it is on their dashboard
    assert_rendered_escaped(signed_in(web, staff.email).get(path))


def test_a_staff_users_edit_page_escapes_the_users_name(web, hostile_account):
    client = signed_in(web, factories.StaffFactory().email)
    buyer_id = hostile_account["buyer"].id
    page = assert_rendered_escaped(client.get(f"/staff/accounts/hostile/users/{buyer_id}"))
    assert f'value="B {escape(IMG)}"' in page


def test_script_typed_into_the_welcome_text_form_comes_back_escaped(web, two_accounts):
    admin = signed_in(web, factories.StaffFactory().email)
    acme = two_accounts["acme"]
    data = {
        "name": f"Acme {IMG}",
        "welcome_text": f"{SCRIPT}\n{IMG}",
        "brand_colour": "#123456",
        "hotline_phone": "",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "tier": "standard",
        "inside_sales_rep_id": "0",
        "backup_rep_id": "0",
        "field_sales_rep_id": "0",
    }
    assert admin.post("/staff/accounts/acme/edit", data=data).status_code == 302
    assert reload(acme).welcome_text == f"{SCRIPT}\n{IMG}"  # stored as typed: plain text
    assert_rendered_escaped(web.test_client().get("/a/acme/"))
    assert_rendered_escaped(admin.get("/staff/accounts/acme"))
    assert_rendered_escaped(admin.get("/staff/accounts/acme/edit"))


def test_an_account_name_cannot_break_out_of_the_theme_stylesheet(web):
    factories.AccountFactory(slug="css", name="x */ body { display: none } /* </style><script>")
    response = web.test_client().get("/a/css/theme.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "display: none" not in css
    assert "<script>" not in css


SAFE_MARKUP = re.compile(r"\|\s*safe\b|\{%-?\s*autoescape\s+false|\{%-?\s*filter\s+safe")

#: `|safe` uses reviewed as harmless: (template, the line's text). Data never goes here.
ALLOWED_SAFE_MARKUP: set[tuple[str, str]] = set()


def test_no_template_marks_data_as_safe_markup():
    found = {
        (str(path.relative_to(TEMPLATES)), line.strip())
        for path in TEMPLATES.rglob("*")
        if path.is_file()
        for line in path.read_text().splitlines()
        if SAFE_MARKUP.search(line)
    }
    assert found - ALLOWED_SAFE_MARKUP == set()


def test_html_templates_are_autoescaped(app):
    for name in ("home/landing.html", "lookup/account.html", "errors/error.html"):
        assert app.jinja_env.autoescape(name) is True


# SECURITY.md 24: security headers on every response


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name.lower()] = values
    return parsed


def assert_security_headers(response, stripe_origin="https://js.stripe.com"):
    headers = response.headers
    csp = directives(headers["Content-Security-Policy"])
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert sorted(csp["script-src"]) == sorted(["'self'", stripe_origin])
    assert "default-src" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", headers["X-Request-ID"])


def twenty_megabytes() -> bytes:
    return b"x" * (20 * 1024 * 1024)


RESPONSES = {
    "200 page": ("GET", "/login", {}, 200),
    "200 json": ("GET", "/healthz", {}, 200),
    "302 redirect": ("GET", "/", {}, 302),
    "404 unknown path": ("GET", "/no/such/page", {}, 404),
    "404 unknown account": ("GET", "/a/no-such-account/", {}, 404),
    "405 GET of a POST-only route": ("GET", "/logout", {}, 405),
    "413 oversized body": (
        "POST",
        "/login",
        {"data": twenty_megabytes, "content_type": "application/x-www-form-urlencoded"},
        413,
    ),
    "500 forced exception": ("GET", BOOM, {}, 500),
}


@pytest.mark.parametrize("case", RESPONSES.values(), ids=RESPONSES.keys())
def test_every_response_carries_the_security_headers(web, case):
    method, path, kwargs, status = case
    kwargs = {key: value() if callable(value) else value for key, value in kwargs.items()}
    response = web.test_client().open(path, method=method, **kwargs)
    assert response.status_code == status
    assert_security_headers(response)


def test_branding_responses_carry_the_security_headers_too(web, two_accounts):
    acme = two_accounts["acme"]
    acme.logo_data, acme.logo_content_type, acme.logo_digest = png(), "image/png", "a" * 64
    db.session.commit()
    client = web.test_client()
    for path in ("/a/acme/", "/a/acme/theme.css", "/a/acme/logo"):
        response = client.get(path)
        assert response.status_code == 200
        assert_security_headers(response)


def test_a_405_still_says_which_methods_are_allowed(web):
    response = web.test_client().get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_scripts_may_come_only_from_the_site_and_the_configured_stripe_origin(app):
    config = make_config(
        app.config["SQLALCHEMY_DATABASE_URI"], STRIPE_JS_ORIGIN="https://js.s.test"
    )
    response = create_app(config).test_client().get("/login")
    assert_security_headers(response, stripe_origin="https://js.s.test")


def hsts(response) -> int | None:
    value = response.headers.get("Strict-Transport-Security")
    if value is None:
        return None
    return int(re.search(r"max-age=(\d+)", value).group(1))


def test_hsts_is_sent_when_configured_on_every_response(app):
    web = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], HSTS=True))
    client = web.test_client()
    for path in ("/login", "/no/such/page", "/logout"):
        assert hsts(client.get(path)) >= 31536000


@contextmanager
def limiter_restored():
    """Creating an app rebinds the shared limiter's storage (here to Redis); put the test
    run's own back afterwards."""
    saved = (limiter._storage, limiter._limiter)
    try:
        yield
    finally:
        limiter._storage, limiter._limiter = saved


def test_hsts_is_on_by_default_outside_development(app, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = make_config(app.config["SQLALCHEMY_DATABASE_URI"], PORTAL_ENV="production")
    for key in ("HSTS", "RATELIMIT_STORAGE_URI"):
        del config[key]
    with limiter_restored():
        web = create_app(config)
    assert web.config["HSTS"] is True
    assert hsts(web.test_client().get("/healthz")) >= 31536000


def test_hsts_is_absent_in_development(app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-development-secret-that-is-long-enough")
    config = make_config(app.config["SQLALCHEMY_DATABASE_URI"], PORTAL_ENV="development")
    del config["HSTS"]
    web = create_app(config)
    response = web.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert_security_headers(response)


# SECURITY.md 25: a forced exception gives a plain 500 page, logged with its request id


@pytest.fixture
def captured(web, caplog):
    """Records of the app's logger (it does not propagate to the root logger caplog watches)."""
    web.logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        web.logger.removeHandler(caplog.handler)


def test_a_forced_exception_gives_a_plain_500_page_with_the_request_id(web, captured):
    response = web.test_client().get(BOOM)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    request_id = response.headers["X-Request-ID"]
    assert request_id in page
    assert "Something went wrong on our side" in page
    for leak in ("Traceback", "RuntimeError", SECRET_DETAIL, "werkzeug", 'File "'):
        assert leak not in page


def test_a_forced_exception_is_logged_with_the_request_id_and_traceback(web, captured):
    response = web.test_client().get(BOOM, headers={"X-Request-ID": "req-0123456789"})
    assert response.headers["X-Request-ID"] == "req-0123456789"
    [record] = [r for r in captured.records if r.levelno >= logging.ERROR]
    assert record.request_id == "req-0123456789"
    assert isinstance(record.exc_info[1], RuntimeError)
    # The line the app's own log handler writes names the request and carries the traceback.
    line = web.logger.handlers[0].format(record)
    assert "[req-0123456789]" in line
    assert f"RuntimeError: {SECRET_DETAIL}" in line


def test_a_request_id_that_is_not_a_plain_token_is_replaced(web):
    response = web.test_client().get(BOOM, headers={"X-Request-ID": "<script>alert(1)</script>"})
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert "<script>" not in response.get_data(as_text=True)
    assert request_id in response.get_data(as_text=True)


def test_each_request_gets_its_own_id(web):
    client = web.test_client()
    ids = {client.get("/no/such/page").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


# SECURITY.md 26: oversized bodies and logos checked by content


@pytest.fixture
def staff_client(web):
    return signed_in(web, factories.StaffFactory().email)


def upload_logo(client, account, data: bytes, filename: str, mimetype: str):
    form = account_form(account, welcome_text="Changed with the logo")
    form["logo"] = FileStorage(io.BytesIO(data), filename=filename, content_type=mimetype)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(form)
    return client.post(
        f"/staff/accounts/{account.slug}/edit",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def assert_logo_refused(response, message, account):
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<div class="invalid-feedback">{message}</div>' in page
    account = reload(account)
    assert account.logo_digest is None
    assert account.welcome_text == "Welcome."
    assert (
        db.session.scalar(sa.select(KeyAccount.logo_data).where(KeyAccount.id == account.id))
        is None
    )


def test_the_body_size_limit_is_set_below_20_megabytes(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


def test_a_20_megabyte_upload_is_refused_with_a_friendly_413_page(web, staff_client, two_accounts):
    acme = two_accounts["acme"]
    response = upload_logo(staff_client, acme, twenty_megabytes(), "logo.png", "image/png")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The upload is too large." in page
    assert response.headers["X-Request-ID"] in page
    assert "Request Entity Too Large" not in page
    assert_security_headers(response)
    assert reload(acme).welcome_text == "Welcome."


def test_a_2_megabyte_png_logo_is_refused_on_the_logo_field(staff_client, two_accounts):
    response = upload_logo(
        staff_client, two_accounts["acme"], noise_png(2 * 1024 * 1024), "logo.png", "image/png"
    )
    assert_logo_refused(response, "The image must be at most 1024 KB.", two_accounts["acme"])


@pytest.mark.parametrize(
    ("data", "filename", "mimetype"),
    [
        pytest.param(b"Not an image at all.\n", "logo.png", "image/png", id="text-named-png"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "logo.svg",
            "image/svg+xml",
            id="svg",
        ),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
            b"</script></svg>",
            "logo.png",
            "image/png",
            id="svg-named-png",
        ),
        pytest.param(b"<html><script>alert(1)</script>", "logo.gif", "image/gif", id="html"),
    ],
)
def test_a_logo_whose_bytes_are_not_an_allowed_image_is_refused(
    staff_client, two_accounts, data, filename, mimetype
):
    response = upload_logo(staff_client, two_accounts["acme"], data, filename, mimetype)
    assert_logo_refused(
        response, "The image must be a PNG, JPEG, GIF or WebP image.", two_accounts["acme"]
    )


def test_a_valid_png_logo_is_saved_and_served_with_its_content_type(
    web, staff_client, two_accounts
):
    logo = demo_logo("Acme Hospital", "#0b6e4f")
    acme = two_accounts["acme"]
    response = upload_logo(staff_client, acme, logo, "logo.png", "image/png")
    assert response.status_code == 302
    acme = reload(acme)
    assert acme.welcome_text == "Changed with the logo"
    assert acme.logo_content_type == "image/png"

    client = web.test_client()
    served = client.get("/a/acme/logo")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == logo
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["ETag"] == f'"{acme.logo_digest}"'
    assert (
        client.get("/a/acme/logo", headers={"If-None-Match": served.headers["ETag"]}).status_code
        == 304
    )
    landing = client.get("/a/acme/").get_data(as_text=True)
    assert f'src="/a/acme/logo?v={acme.logo_digest[:12]}"' in landing


def test_a_logo_is_typed_by_its_bytes_not_by_its_name(web, staff_client, two_accounts):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "#ff0000").save(buffer, format="JPEG")
    response = upload_logo(
        staff_client, two_accounts["acme"], buffer.getvalue(), "logo.svg", "image/svg+xml"
    )
    assert response.status_code == 302
    served = web.test_client().get("/a/acme/logo")
    assert served.mimetype == "image/jpeg"


def test_an_account_without_a_logo_answers_404_for_it(web, two_accounts):
    assert web.test_client().get("/a/acme/logo").status_code == 404
