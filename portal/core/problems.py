"""Errors of machine endpoints as `application/problem+json` (RFC 9457): a status, a title, a
detail in the caller's language, the request id to quote to the hotline, and for invalid input
the fields at fault. Used by the JSON API and by the error handlers for paths under /api/."""

from flask import Response, g, json
from flask_babel import lazy_gettext as _l
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"

#: The detail of a problem raised without one (a page's wording, "The page you asked for...",
#: does not fit a machine).
DEFAULT_DETAILS = {
    400: _l("The request could not be read."),
    403: _l("Your role does not allow this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    503: _l(
        "The service is briefly unavailable. Try again after the number of seconds in the "
        "Retry-After header."
    ),
}


def problem(
    status: int,
    detail: str = "",
    *,
    errors: list[dict] | None = None,
    headers: dict | list | None = None,
    code: str | None = None,
) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": str(detail or DEFAULT_DETAILS.get(status, "")),
        "request_id": g.get("request_id", ""),
    }
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in dict(headers or {}).items():
        response.headers[name] = value
    return response


def is_machine_path(path: str) -> bool:
    """Paths whose errors are problem documents, not pages."""
    return path.startswith("/api/")


def machine_detail(status: int) -> str | None:
    """What a machine path's error of `status` says when its raiser said nothing."""
    found = DEFAULT_DETAILS.get(status)
    return str(found) if found is not None else None
