"""Error pages: plain, translated, and never a traceback (SECURITY.md 25)."""

from flask import g, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

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
        return render_error(code), code, headers

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        return render_error(500), 500


def render_error(code: int) -> str:
    message = MESSAGES.get(code) or MESSAGES[500 if code >= 500 else 400]
    return render_template(
        "errors/error.html", code=code, message=message, request_id=g.get("request_id")
    )
