"""Who may call which operation of the API, built from app.url_map like tests/test_access.py
does for pages: a token of each role with every scope its role allows, against the access
table (portal.core.access.PAGES); another account's token gets 404 for Acme's objects
(SECURITY.md 14, 49); and hostile input to every operation answers 4xx, never 5xx, and stores
nothing (SECURITY.md 44, 45)."""

import json

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from portal.api import tokens
from portal.core.access import PAGES, PUBLIC
from portal.core.permissions import BUYER_ROLES, ROLES
from portal.extensions import db
from tests.support.access import api_rules, arguments
from tests.support.api import bearer, call, filled, issue_token, snapshot
from tests.support.environment import skip_or_fail

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DENIED = {401, 403, 404}
#: Rules whose only arguments name the supplier's catalogue, the same for every account.
SHARED_ARGUMENTS = {"sku"}
#: What Acme's objects would show of themselves (tests/fixtures/access.py).
ACME_MARKERS = [b"Acme Hospital Group", b"Acme Street 1", b"buyer@test.example", b"acme"]

NUL = "po\x00123"
CONTROL = "po\x01\x1b123"
HUGE = "99999999999999999999"
ODD = [
    HUGE,
    "-" + HUGE,
    "' OR 1=1 -- %_\\ \"><img src=x onerror=alert(1)>",
    "中文 Ünïcødé 😀 \u202e١٢٣ ＡＢＣ１２",
]
#: Query arguments an operation may read beside its declared ones.
QUERY_NAMES = ("q", "cursor", "limit", "order", "status", "account", "sku")
#: Values of required query arguments (an operation that needs one answers 422 without).
QUERY_VALUES = {"q": "Acme"}
#: Rows a refused request may still write: the token's last use, the audit of reads, sessions.
BOOKKEEPING = {"api_tokens", "audit_events", "user_sessions"}


def token_of(user) -> dict:
    return bearer(issue_token(user, tokens.allowed_scopes(user)))


def walk(app):
    """(method, rule) of every operation, reads first (writes may change the world)."""
    return [(method, rule) for method in METHODS for rule in api_rules(app, method)]


def may_call(role, endpoint) -> bool:
    allowed = PAGES[endpoint]
    return allowed == PUBLIC or role in allowed


def declared(app, rule):
    return app.view_functions[rule.endpoint].api_operation


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_token_reaches_exactly_its_operations(app, client, world, role):
    """Allowed roles get an answer (200 for reads of the world's objects); the others 404 on
    the buyer's side and 403 for staff, as on the pages. The token carries every scope the role
    allows, so a 403 for a missing scope means the table allows a role its scopes do not."""
    user = world["users"][role]
    headers = token_of(user)
    denied = 404 if role in BUYER_ROLES else 403
    scopes = set(tokens.allowed_scopes(user))
    values = arguments(world)
    document = client.get("/api/v1/openapi.json").get_json()
    wrong = []
    for method, rule in walk(app):
        query = {name: QUERY_VALUES[name] for name in _required_query(document, rule, method)}
        answer = call(client, method, url_of(app, rule, values), headers, query_string=query)
        scope = declared(app, rule).scope
        if not may_call(role, rule.endpoint):
            expected = {denied}
        elif scope is not None and scope not in scopes:
            expected = {403}
        elif method == "GET" and not _required_query(document, rule, method):
            expected = {200}
        else:
            expected = set(range(200, 500)) - DENIED
        if answer.status_code not in expected:
            wrong.append((method, rule.rule, answer.status_code))
    assert wrong == []


@pytest.mark.parametrize("who", ["globex_buyer", "globex_admin"])
def test_another_accounts_token_gets_404_on_every_acme_operation(app, client, world, who):
    """Every operation that takes an id, number or slug, with Acme's, answers 404 to a Globex
    token with every scope its role allows, with nothing of Acme in the body."""
    headers = token_of(world[who])
    values = arguments(world)
    document = client.get("/api/v1/openapi.json").get_json()
    checked = []
    for method, rule in walk(app):
        if not rule.arguments or rule.arguments <= SHARED_ARGUMENTS:
            continue
        url = url_of(app, rule, values)
        # A body valid enough to reach the lookup (an empty one would be refused before it).
        body = _body(document, rule, method, "Hacked", 1, required_only=True)
        answer = call(client, method, url, headers, **({} if body is None else {"json": body}))
        assert answer.status_code == 404, (method, url, answer.status_code)
        for marker in ACME_MARKERS:
            assert marker not in answer.data, (method, url, marker)
        checked.append(rule.endpoint)
    if not checked:
        skip_or_fail("no operation of the API takes an id yet (they join on the merge)")


def url_of(app, rule, values, **hostile):
    """The rule's URL with the world's `values` (read once: rows expire as the test goes)."""
    with app.test_request_context():
        return url_for(rule.endpoint, **{**{n: values[n] for n in rule.arguments}, **hostile})


def _paths(app, rule, values, method):
    """The rule's URL with each argument made hostile in turn, and the answers allowed: a read
    of what cannot exist is a 4xx; a write may be a no-op (removing a cart line that is not
    there), but never a 5xx."""
    odd = set(range(400, 500)) if method == "GET" else set(range(200, 500))
    for name in sorted(rule.arguments):
        if isinstance(rule._converters[name], IntegerConverter):
            hostile = [(HUGE, {404})]
        else:
            hostile = [(NUL, {400}), (CONTROL, {400}), *((value, odd) for value in ODD)]
        for value, expected in hostile:
            yield url_of(app, rule, values, **{name: value}), expected


def _query_names(document, rule, method):
    from portal.api.spec import _path

    operation = document["paths"][_path(rule.rule)][method.lower()]
    names = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
    return sorted(names | set(QUERY_NAMES))


def _required_query(document, rule, method) -> list[str]:
    from portal.api.spec import _path

    operation = document["paths"][_path(rule.rule)][method.lower()]
    return [
        p["name"] for p in operation.get("parameters", ()) if p["in"] == "query" and p["required"]
    ]


def _body(document, rule, method, text, number, required_only=False):
    from portal.api.spec import _path

    operation = document["paths"][_path(rule.rule)][method.lower()]
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    return filled(schema, document["components"]["schemas"], text, number, required_only)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_to_every_operation_answers_4xx_and_stores_nothing(
    app, client, world, monkeypatch, role
):
    """NUL bytes and other control characters in the path, the query string, every string of
    the JSON body and a header are refused with 400 and change no row; huge ids in the path
    answer 404; odd characters anywhere and huge numbers in the body answer below 500."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    headers = token_of(world["users"][role])
    document = client.get("/api/v1/openapi.json").get_json()
    operations = [(m, r) for m, r in walk(app) if may_call(role, r.endpoint)]
    values = arguments(world)
    failures = []

    def expect(answer, allowed, *what):
        if answer.status_code not in (allowed or range(400, 500)):
            failures.append((*what, answer.status_code))

    before = snapshot(db, BOOKKEEPING)
    for method, rule in operations:
        url = url_of(app, rule, values)
        for value in (NUL, CONTROL):
            for hostile_url, expected in _paths(app, rule, values, method):
                if expected == {400}:
                    expect(call(client, method, hostile_url, headers), {400}, method, hostile_url)
            query = dict.fromkeys(_query_names(document, rule, method), value)
            expect(
                call(client, method, url, headers, query_string=query), {400}, method, url, "query"
            )
            body = _body(document, rule, method, value, 1)
            if body is not None and value in json.dumps(body, ensure_ascii=False):
                expect(call(client, method, url, headers, json=body), {400}, method, url, "body")
            header = {**headers, "Idempotency-Key": value, "X-Request-Note": value}
            expect(call(client, method, url, header), {400}, method, url, "header")
    changed = [name for name, rows in snapshot(db, BOOKKEEPING).items() if rows != before[name]]
    assert changed == [], f"control characters stored in {changed}"

    for method, rule in operations:
        url = url_of(app, rule, values)
        for hostile_url, expected in _paths(app, rule, values, method):
            if expected != {400}:
                expect(call(client, method, hostile_url, headers), expected, method, hostile_url)
        for value in ODD:
            query = dict.fromkeys(_query_names(document, rule, method), value)
            answer = call(client, method, url, headers, query_string=query)
            if answer.status_code >= 500:
                failures.append((method, url, "query", value[:20], answer.status_code))
            body = _body(document, rule, method, value, int(HUGE))
            if body is not None:
                answer = call(client, method, url, headers, json=body)
                if answer.status_code >= 500:
                    failures.append((method, url, "body", value[:20], answer.status_code))
    assert failures == []
    assert operations, f"{role} may call no operation of the API"
