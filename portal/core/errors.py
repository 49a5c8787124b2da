"""Error pages: plain, translated, and never a traceback (SECURITY.md 25)."""

from flask import (
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.core.http import form_page
from portal.core.outages import RETRY_AFTER_SECONDS, is_database_unavailable
from portal.core.problems import is_machine_path, machine_detail, problem
from portal.extensions import db, login_manager

MESSAGES = {
    400: _l("The request could not be understood. Please reload the page and try again."),
    403: _l("You do not have permission to do this."),
    404: _l("The page you asked for does not exist."),
    405: _l("That action is not allowed here."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l(
        "Something went wrong on our side. Please try again; if it persists, give the "
        "hotline the request id below."
    ),
    503: _l(
        "The service is briefly unavailable. Please try again in a minute; if it persists, "
        "give the hotline the request id below."
    ),
}


class ServiceError(Exception):
    """A business rule refused the request; `message` is shown to the user, `field` names
    the form field it belongs to, if any. Nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def register_errorhandlers(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        # Keep what the error says beyond its page, such as Allow on 405 or Retry-After on 429.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if code >= 500:
            roll_back()
        message = getattr(error, "message", None)
        if is_machine_path(request.path):
            detail = message or machine_detail(code) or MESSAGES.get(code) or MESSAGES[500]
            return problem(code, detail, headers=headers)
        return render_error(code, message), code, headers

    @app.errorhandler(CSRFError)
    def form_expired(error: CSRFError):
        """The form's token no longer matches the session (the browser was restarted, or the
        user signed in again meanwhile): say so, and lead back to the form, through sign-in
        when the session has ended too."""
        back = form_page()
        signed_in = current_user.is_authenticated
        if not signed_in:
            back = url_for("auth.login", next=back) if back else url_for("auth.login")
        page = render_template(
            "errors/expired.html", back=back or url_for("home.index"), signed_in=signed_in
        )
        return page, 400

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if is_database_unavailable(error):
            return database_unavailable(error)
        # The failed transaction first: the page itself may read (who is signed in, the brand),
        # and nothing of a failed request may be committed later (SECURITY.md 46).
        roll_back()
        app.logger.exception("unhandled error")
        if is_machine_path(request.path):
            return problem(500, MESSAGES[500])
        return render_error(500), 500


def roll_back() -> None:
    """Roll the session back, and have the signed-in user loaded again when next read: a
    rollback expires every object, and every page reads the user's account (lazy="raise") for
    its navigation."""
    db.session.rollback()
    if has_request_context():
        g.pop("_login_user", None)


def database_unavailable(error: Exception):
    """The database cannot be reached for now: a 503 to retry after a while, whose page reads
    nothing from the database. Who is signed in, their language and their account's brand
    would each need it (loading the user may be what failed), so the page is an anonymous
    visitor's, in the language of the session or the browser."""
    roll_back()
    g._login_user = login_manager.anonymous_user()
    current_app.logger.error(
        "database unavailable: %s", str(error).partition("\n")[0] or type(error).__name__
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if is_machine_path(request.path):
        return problem(503, machine_detail(503), headers=headers)
    return render_error(503), 503, headers


def render_error(code: int, message: str | None = None) -> str:
    message = message or MESSAGES.get(code) or MESSAGES[500 if code >= 500 else 400]
    return render_template(
        "errors/error.html", code=code, message=message, request_id=g.get("request_id")
    )


def signed_out_mid_form():
    """Flask-Login's answer to a visitor who is not signed in. A page is sent to sign in and
    back; a form whose session ended while it was open is too, to the form's page (its POST
    URL may not answer GET), with a word on why nothing was saved."""
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    flash(
        _(
            "Your session ended while the form was open, so nothing was saved. Sign in, and "
            "you are taken back to the form."
        ),
        "warning",
    )
    back = form_page()
    return redirect(url_for("auth.login", next=back) if back else url_for("auth.login"), 303)
