"""Request ids, logging and security headers on every response (SECURITY.md 24, 25), and where
a request may send the user next (SECURITY.md 13)."""

import logging
import re
import uuid
from urllib.parse import urlsplit

from flask import g, has_request_context, request, url_for

from portal.core.inputs import refuse_control_characters

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    # On the logger too, so every handler attached to it (error trackers, tests) sees the id.
    app.logger.filters[:] = [RequestIdFilter()]
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = False
    # Flask-Limiter says when it lets a request through because Redis failed
    # (RATELIMIT_SWALLOW_ERRORS): one line a request, in the same log, without the traceback.
    limiter_log = logging.getLogger("flask-limiter")
    limiter_log.handlers[:] = [handler]
    limiter_log.filters[:] = [WithoutTraceback()]
    limiter_log.propagate = False


class WithoutTraceback(logging.Filter):
    """The error's type and message at the end of the line, instead of its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(app) -> str:
    """Scripts from the site and the configured Stripe origin only. stripe.js talks to its API
    (the real Stripe's, or localstripe's stand-in to its own origin) and frames its card
    element from its origin."""
    stripe = app.config.get("STRIPE_JS_ORIGIN") or origin(app.config["STRIPE_JS_URL"])
    stripe_api = "https://api.stripe.com" if stripe == "https://js.stripe.com" else stripe
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe}",
            f"connect-src 'self' {stripe_api}",
            f"frame-src {stripe}" + (" https://hooks.stripe.com" if stripe_api != stripe else ""),
            "img-src 'self' data:",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def register_http(app) -> None:
    csp = content_security_policy(app)

    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    # First of all, before the rate limiter's check (registered with the extensions), so that
    # a 429 carries its request id too.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)

    # Before anything reads the request into a query (the signed-in user is loaded next).
    app.before_request(refuse_control_characters)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        extra = g.get(FORM_ACTION_ORIGIN)
        headers["Content-Security-Policy"] = (
            csp.replace("form-action 'self'", f"form-action 'self' {extra}") if extra else csp
        )
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["X-Request-ID"] = g.get("request_id", "")
        if response.mimetype == "text/html":
            # Pages are in the browser's language when nobody chose one (core.locales).
            response.vary.add("Accept-Language")
        if app.config["HSTS"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


#: Where `allow_form_action` keeps the one origin this response's forms may also post to.
FORM_ACTION_ORIGIN = "form_action_origin"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$")


def allow_form_action(url: str) -> None:
    """Let this response's forms post to `url`'s origin as well as to the site (a PunchOut
    cart goes back to the procurement system, portal.api.punchout_views). Anything but a
    plain http(s) origin is refused."""
    allowed = origin(url).lower()
    if not _ORIGIN.match(allowed):
        raise ValueError("not an http(s) origin")
    setattr(g, FORM_ACTION_ORIGIN, allowed)


def home_url(user, signed_out: bool = False) -> str:
    """Buyers start on their account's landing page, staff on the staff dashboard."""
    if user.is_authenticated and user.is_buyer_side:
        return url_for("home.landing", slug=user.account.slug)
    if signed_out:
        return url_for("auth.login")
    return url_for("home.staff_dashboard")


def form_page() -> str | None:
    """The page a posted form was on, to return to: the referrer when it is a page of this
    site, else the posted URL when it answers GET; None when neither."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        target = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
        if target:
            return target
    if request.url_rule is not None and "GET" in request.url_rule.methods:
        return safe_next(request.full_path.rstrip("?"))
    return None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site; never another host, scheme-relative or not (SECURITY.md 13)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\\\r\n\t"):
        return None
    return target
