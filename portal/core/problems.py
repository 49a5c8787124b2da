"""Errors of machine endpoints as `application/problem+json` (RFC 9457): a status, a title, a
detail in the caller's language, the request id to quote to the hotline, and for invalid input
the fields at fault. Used by the JSON API and by the error handlers for paths under /api/."""

from flask import Response, g, json
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"


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
        "detail": str(detail),
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
