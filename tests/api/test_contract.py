"""The API keeps its contract (SECURITY.md 43): schemathesis, against the document the app
serves, for a buyer, an approver and members of staff, finds no server error, no answer outside
the document (status, media type, schema) and no operation that ignores authentication.

Every operation of the document is run, so the test covers each operation as it joins the
blueprint. Each runs with its path parameters generated (mostly unknown ids: the 404s) and fixed
to the world's objects (tests/fixtures/access.py: Acme's order, invoice, quote, hotline request,
so the successful answers are checked against their schema too), with valid and with invalid
data; derandomized and bounded, so a run is repeatable and short. Writes stay in the test's
transaction (tests/conftest.py), rolled back afterwards.
"""

import math
from datetime import timedelta

import pytest
import schemathesis
import time_machine
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from portal.api import tokens
from portal.api.models import ApiToken
from portal.core.access import PAGES, PUBLIC
from portal.core.db import utcnow
from portal.core.permissions import APPROVER, BUYER, CALL_CENTER, INSIDE_SALES
from portal.core.problems import PROBLEM_TYPE
from portal.extensions import db
from tests.support.access import arguments
from tests.support.api import bearer, issue_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
    missing_required_header,
    unsupported_method,
]
#: Examples per operation, role and kind of data: enough to reach every branch of input
#: validation, few enough for the whole file to run in well under two minutes.
EXAMPLES = 10
#: Examples of an operation the role may not call (each answers 403 or 404 at once).
REFUSED_EXAMPLES = 3
#: At most about this many of the coverage phase's variants of a body an operation.
BODY_CASES = 30
#: The tokens: a buyer, an approver, and staff who read (with prices and without).
ROLES = (BUYER, APPROVER, INSIDE_SALES, CALL_CENTER)


def load_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def secured(schema):
    """The operations that need a token (all but the document and its page)."""
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("security") != []:
            yield operation


def has_input(operation) -> bool:
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def fixed_path(operation, values) -> dict:
    names = [parameter.name for parameter in operation.path_parameters]
    return {name: values[name] for name in names if name in values}


def run(operation, strategy, headers, examples) -> str | None:
    """The first failure hypothesis finds (shrunk), as text; None when there is none."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        check()
    except Exception as error:  # noqa: BLE001  (a failure of any check, reported at the end)
        return f"{operation.label}: {error}"
    return None


def may_call(role, operation) -> bool:
    allowed = PAGES["api." + operation.definition.raw["operationId"]]
    return allowed == PUBLIC or role in allowed


def coverage(schema, operation, headers) -> str | None:
    """schemathesis' coverage phase, as its command line runs it: each parameter and header at
    and beyond its bounds, missing, of another type, other methods on the path (405), and a
    spread of the many variants of the body."""
    cases = list(
        schema.iter_coverage_cases(
            operation,
            generation_modes=list(GenerationMode),
            generation_config=schema.config.generation_for(operation=operation),
        )
    )
    body = [case for case in cases if _location(case) == ParameterLocation.BODY]
    chosen = [case for case in cases if _location(case) != ParameterLocation.BODY]
    chosen += body[:: max(1, math.ceil(len(body) / BODY_CASES))]
    for case in chosen:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as error:  # noqa: BLE001  (reported at the end)
            return f"{operation.label} ({case.meta.phase.data.description}): {error}"
    return None


def _location(case):
    return getattr(case.meta.phase.data, "parameter_location", None)


def first_caller(operation) -> str | None:
    """The first role of ROLES that may call the operation: it runs the coverage phase."""
    return next((role for role in ROLES if may_call(role, operation)), None)


def plan(operation, role, values):
    """(strategy, examples) to run: the world's objects in the path (or generated values when
    it has none); for the roles that may call it, also invalid data and unknown ids. Others are
    refused before the data is read, which a few examples show."""
    path = fixed_path(operation, values)
    if not may_call(role, operation):
        return [(operation.as_strategy(path_parameters=path), REFUSED_EXAMPLES)]
    found = [(operation.as_strategy(path_parameters=path), EXAMPLES)]
    if has_input(operation):  # nothing to make invalid otherwise
        found.append((operation.as_strategy(GenerationMode.NEGATIVE), EXAMPLES))
    if path:
        found.append((operation.as_strategy(), EXAMPLES))
    return found


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_nothing_for_each_role(app, world, monkeypatch, role):
    # Hundreds of requests a token: the rate limit is tested in tests/api/test_foundation.py.
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    user = world["users"][role]
    headers = bearer(issue_token(user, tokens.allowed_scopes(user)))
    schema = load_schema(app)
    values = arguments(world)
    failures, ran = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()
        for strategy, examples in plan(operation, role, values):
            failures.append(run(operation, strategy, headers, examples))
        if first_caller(operation) == role:
            failures.append(coverage(schema, operation, headers))
        ran.add(operation.label)
    assert [failure for failure in failures if failure] == []
    assert {"GET /api/v1/docs", "GET /api/v1/me"} <= ran


@pytest.mark.parametrize("token", ["none", "unknown", "revoked", "expired"])
def test_every_operation_with_security_answers_401_without_a_live_token(app, client, world, token):
    """Not left to sampling: each operation the document secures, called with its world
    arguments, answers 401 as a problem, before it reads the body."""
    buyer = world["users"][BUYER]
    plain = issue_token(buyer, ("read", "order"), days=1)
    if token == "revoked":
        tokens.revoke(
            buyer, db.session.query(ApiToken).filter_by(token_hash=tokens.digest(plain)).one()
        )
    headers = {
        "none": {},
        "unknown": bearer("kap_" + "x" * 43),
        "revoked": bearer(plain),
        "expired": bearer(plain),
    }[token]
    later = utcnow() + (timedelta(days=1, seconds=1) if token == "expired" else timedelta(0))
    schema = load_schema(app)
    values = arguments(world)
    checked = []
    with time_machine.travel(later, tick=False):
        for operation in secured(schema):
            url = "/api/v1" + operation.path.removeprefix("/api/v1").format(
                **fixed_path(operation, values)
            )
            body = {"json": {}} if operation.definition.raw.get("requestBody") else {}
            answer = client.open(url, method=operation.method.upper(), headers=headers, **body)
            assert answer.status_code == 401, (operation.label, answer.status_code)
            assert answer.mimetype == PROBLEM_TYPE, operation.label
            assert answer.headers["WWW-Authenticate"].startswith("Bearer"), operation.label
            checked.append(operation.label)
    assert "GET /api/v1/me" in checked
