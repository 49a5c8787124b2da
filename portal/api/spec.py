"""The API's operations, declared where they are written, and the OpenAPI 3.1 document built
from those declarations, so the document cannot drift from the code.

Each view of the API is a route of the `api` blueprint wrapped in `operation(...)`, which names
its pydantic models (query, body, response), the token scope it needs and its summary. The
wrapper authenticates (a live Bearer token, `bearer.load_token_user`), checks the role against
`core.access.PAGES` like every page (a buyer-side caller outside the roles gets 404, staff
403), checks the scope, validates the query and the JSON body with the models, calls the view,
and turns what it returns into JSON through the response model.

pydantic emits JSON Schema 2020-12, the dialect of OpenAPI 3.1, so `build_document` copies the
models' schemas into `components.schemas` unchanged and writes one path item per route of the
url_map that carries an operation (`tests/api/test_spec.py` checks that every route of the
blueprint is in the document and that the document is valid OpenAPI 3.1).
"""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from portal.core.access import PAGES
from portal.core.permissions import is_buyer_side
from portal.core.problems import PROBLEM_TYPE, problem

JSON = "application/json"


class ApiProblem(Exception):
    """Answer with a problem document: `raise ApiProblem(404)`."""

    def __init__(self, status: int, detail: str = "", *, code: str | None = None, headers=None):
        super().__init__(detail)
        self.status, self.detail, self.code, self.headers = status, detail, code, headers

    def response(self) -> Response:
        return problem(self.status, self.detail, code=self.code, headers=self.headers)


class FieldError(BaseModel):
    #: Where in the request: "body.lines.0.quantity", "query.limit", or a form field's name.
    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457), with the request id to quote to the hotline."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str
    code: str | None = None
    errors: list[FieldError] | None = None


@dataclass(frozen=True)
class Header:
    """A request header an operation reads, such as Idempotency-Key."""

    name: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Operation:
    summary: Any  # a lazy string, rendered in the reader's language
    tag: str
    #: The token scope it needs; None for the public document and its page.
    scope: str | None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    #: The media type of a successful answer that is not JSON, such as application/pdf.
    media: str = JSON
    headers: tuple[Header, ...] = ()
    #: Other answers it gives beside the ones every operation may give: a problem for an
    #: error status (409), the response model for a success (200 beside 201 for a repeat).
    answers: dict[int, Any] = field(default_factory=dict)


#: The document's info.description (API_DESCRIPTION replaces it).
DESCRIPTION = _l(
    "The key-account portal's services for procurement systems and scripts, as JSON over "
    "HTTPS. Authenticate each request with an API token of a user: Authorization: Bearer "
    "kap_...; the token acts as its user, within its scopes (read, order, approve). Amounts are "
    "decimal strings with their currency; dates and times are ISO 8601. Lists come a page at a "
    "time: pass next_cursor as cursor. Errors are problem documents "
    "(application/problem+json) with a detail in the caller's language (Accept-Language) and "
    "the request id to quote to the hotline; another account's data answers 404. Placing an "
    "order takes an Idempotency-Key header. Requests are limited per token (429 with "
    "Retry-After)."
)

#: Answers any authenticated operation may give.
COMMON_ERRORS = {
    400: "The request could not be read (malformed JSON, a bad cursor).",
    401: "No token, or the token is unknown, revoked or expired.",
    403: "The token's scope or its user's role does not allow this.",
    404: "No such thing, or it belongs to another account.",
    415: "The body is not JSON.",
    422: "The request's data is not valid, or a business rule refused it; nothing changed.",
    429: "Too many requests for this token; wait and retry.",
}


def operation(
    *,
    summary,
    tag: str,
    scope: str | None = "read",
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    media: str = JSON,
    headers: tuple[Header, ...] = (),
    answers: dict[int, Any] | None = None,
) -> Callable:
    """Declare a view of the API (see the module's docstring). The view receives `query=` and
    `body=` as validated models when declared, and returns a `response` model instance, a
    (model, status[, headers]) tuple, or a ready Response (files)."""
    declared = Operation(
        summary, tag, scope, query, body, response, status, media, headers, answers or {}
    )

    def decorate(view):
        @wraps(view)
        def wrapper(**kwargs):
            if declared.scope is not None:
                _check_access(declared.scope)
            _check_headers(declared.headers)
            if declared.query is not None:
                kwargs["query"] = _validated(declared.query, request.args.to_dict(), "query")
            if declared.body is not None:
                kwargs["body"] = _validated(declared.body, _json_body(), "body")
            return _respond(declared, view(**kwargs))

        wrapper.api_operation = declared
        if declared.scope is None:
            wrapper.is_public = True
        else:
            wrapper.is_restricted = True
        return wrapper

    return decorate


def _check_access(scope: str) -> None:
    token = g.get("api_token")
    if token is None:
        raise ApiProblem(
            401,
            _("Send a valid API token: Authorization: Bearer <token>."),
            code="invalid_token",
            headers={"WWW-Authenticate": 'Bearer realm="portal", error="invalid_token"'},
        )
    if current_user.role not in PAGES[request.endpoint]:
        if is_buyer_side(current_user):
            raise ApiProblem(404, _("Not found."))
        raise ApiProblem(403, _("Your role does not allow this."), code="forbidden")
    if scope not in token.scope_set:
        raise ApiProblem(
            403,
            _("The token lacks the scope %(scope)s.", scope=scope),
            code="insufficient_scope",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="portal", error="insufficient_scope", scope="{scope}"'
                )
            },
        )


#: The longest value of a declared request header (the document's maxLength).
MAX_HEADER = 200


class MissingHeader(ApiProblem):
    """400 naming a required request header that is missing, blank or too long; its code is
    the header's name: "idempotency_key_required"."""

    def __init__(self, name: str):
        message = ngettext(
            "Send the %(header)s header (1 to %(num)d character) with this request.",
            "Send the %(header)s header (1 to %(num)d characters) with this request.",
            MAX_HEADER,
            header=name,
        )
        super().__init__(400, message, code=name.lower().replace("-", "_") + "_required")
        self.field = f"header.{name}"

    def response(self) -> Response:
        errors = [{"field": self.field, "message": self.detail}]
        return problem(self.status, self.detail, code=self.code, errors=errors)


def _check_headers(headers: tuple[Header, ...]) -> None:
    """Every header the operation declares required is there: no view has to remember."""
    for header in headers:
        if header.required and not 0 < len(request.headers.get(header.name, "").strip()) <= (
            MAX_HEADER
        ):
            raise MissingHeader(header.name)


def _json_body() -> Any:
    if not request.is_json:
        raise ApiProblem(415, _("Send the body as JSON (Content-Type: application/json)."))
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, _("The body is not valid JSON."))
    return data


def _validated(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(error, where) from error


class InvalidInput(Exception):
    """The request's data does not fit the model: 422 with one error per field, in the
    caller's language (`field_errors`)."""

    def __init__(self, error: ValidationError, where: str):
        super().__init__(str(error))
        self.errors = field_errors(error, where)

    def response(self) -> Response:
        return problem(422, _("The request's data is not valid."), errors=self.errors)


#: The tag pydantic appends to the location of an error of one member of a union
#: ("quantity.int", "quantity.str"): not a field of ours.
_UNION_MEMBER = re.compile(r"^(int|str|float|bool|decimal|none|list|dict|[\w-]+\[.*\])$")


def field_errors(error: ValidationError, where: str) -> list[dict]:
    """pydantic's errors as {"field", "message"}, one per field: the members of a union that
    all refused a value are one error at the union's field."""
    found: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=True):
        loc = [str(part) for part in item["loc"]]
        if loc and _UNION_MEMBER.match(loc[-1]) and item["type"] != "extra_forbidden":
            loc = loc[:-1]
        found.setdefault(".".join([where, *loc]), message_of(item))
    return [{"field": name, "message": message} for name, message in found.items()]


def message_of(item: dict) -> str:
    """The message of one pydantic error in the caller's language (pydantic's own, English,
    for the rare types the catalogue does not know)."""
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", "")) or item["msg"].removeprefix("Value error, ")
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("float_type", "float_parsing", "decimal_type", "decimal_parsing"):
        return _("Enter a number, such as 12.50.")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limits = {
            "greater_than_equal": (_("Enter %(limit)s or more."), "ge"),
            "less_than_equal": (_("Enter %(limit)s or less."), "le"),
            "greater_than": (_("Enter more than %(limit)s."), "gt"),
            "less_than": (_("Enter less than %(limit)s."), "lt"),
        }
        text, key = limits[kind]
        return text % {"limit": ctx.get(key, "")}
    if kind == "string_too_short":
        count = int(ctx.get("min_length", 1))
        return ngettext(
            "Enter at least %(num)d character.", "Enter at least %(num)d characters.", count
        )
    if kind == "string_too_long":
        count = int(ctx.get("max_length", 1))
        return ngettext(
            "Enter at most %(num)d character.", "Enter at most %(num)d characters.", count
        )
    if kind == "too_short":
        count = int(ctx.get("min_length", 1))
        return ngettext("Send at least %(num)d item.", "Send at least %(num)d items.", count)
    if kind == "too_long":
        count = int(ctx.get("max_length", 1))
        return ngettext("Send at most %(num)d item.", "Send at most %(num)d items.", count)
    if kind == "string_type":
        return _("Enter text.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Enter true or false.")
    if kind in ("enum", "literal_error"):
        return _(
            "Choose one of: %(choices)s.",
            choices=str(ctx.get("expected", "")).replace(" or ", ", "),
        )
    if kind == "extra_forbidden":
        return _("This field is not known here; leave it out.")
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    return item["msg"]


def _respond(declared: Operation, result) -> Response:
    if isinstance(result, Response):
        return result
    status, headers = declared.status, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    if result is None:
        return Response(status=204, headers=headers)
    body = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    return Response(body, status=status, mimetype=JSON, headers=headers)


# --- the document ---


def build_document(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every operation in the url_map."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        declared = getattr(app.view_functions[rule.endpoint], "api_operation", None)
        if declared is not None:
            found.append((rule, declared))
    models = {(Problem, "serialization")}
    for _rule, declared in found:
        models |= {(m, "validation") for m in (declared.query, declared.body) if m is not None}
        if declared.response is not None:
            models.add((declared.response, "serialization"))
    refs, schemas = models_json_schema(
        sorted(models, key=lambda pair: (pair[0].__name__, pair[1])),
        ref_template="#/components/schemas/{model}",
    )
    components = schemas.get("$defs", {})
    paths: dict[str, dict] = {}
    for rule, declared in found:
        path = _path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_object(
                rule, declared, refs, components
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Key-account ordering portal API",
            "version": "1",
            "description": current_app.config.get("API_DESCRIPTION") or str(DESCRIPTION),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (kap_...), issued in the portal; its scopes "
                    "are read, order and approve.",
                }
            },
        },
    }


_CONVERTED = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(rule: str) -> str:
    return _CONVERTED.sub(lambda match: "{" + match.group(2) + "}", rule)


def _operation_object(rule, declared: Operation, refs: dict, components: dict) -> dict:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1}
            if converter == "int"
            else {"type": "string", "minLength": 1, "maxLength": 100},
        }
        for converter, name in _CONVERTED.findall(rule.rule)
    ]
    if declared.query is not None:
        schema = components[refs[(declared.query, "validation")]["$ref"].rsplit("/", 1)[1]]
        required = set(schema.get("required", ()))
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                **({"description": prop["description"]} if "description" in prop else {}),
                "schema": prop,
            }
            for name, prop in schema.get("properties", {}).items()
        ]
    parameters += [
        {
            "name": header.name,
            "in": "header",
            "required": header.required,
            "description": header.description,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_HEADER},
        }
        for header in declared.headers
    ]
    problem_content = {PROBLEM_TYPE: {"schema": refs[(Problem, "serialization")]}}
    responses = {str(declared.status): _success(declared, refs)}
    answers = {} if declared.scope is None else dict(COMMON_ERRORS)
    if declared.body is None:
        answers.pop(415, None)
    answers.update(declared.answers)
    for status, text in sorted(answers.items()):
        if status < 400:
            responses[str(status)] = {**_success(declared, refs), "description": str(text)}
        else:
            responses[str(status)] = {"description": str(text), "content": problem_content}
    found = {
        "operationId": rule.endpoint.removeprefix("api."),
        "summary": str(declared.summary),
        "tags": [declared.tag],
        "parameters": parameters,
        "responses": responses,
    }
    view = current_app.view_functions[rule.endpoint]
    if view.__doc__:
        found["description"] = _dedent(view.__doc__)
    if declared.scope is None:
        found["security"] = []
    else:
        found["security"] = [{"bearerAuth": []}]
        found["x-scope"] = declared.scope
    if declared.body is not None:
        found["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": refs[(declared.body, "validation")]}},
        }
    return found


def _success(declared: Operation, refs: dict) -> dict:
    if declared.status == 204:
        return {"description": "Done."}
    if declared.response is not None:
        schema = refs[(declared.response, "serialization")]
        return {"description": "OK.", "content": {declared.media: {"schema": schema}}}
    return {
        "description": "OK.",
        "content": {declared.media: {"schema": {"type": "string", "format": "binary"}}},
    }


def _dedent(text: str) -> str:
    return inspect.cleandoc(text)
