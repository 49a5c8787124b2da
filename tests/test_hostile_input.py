"""Hostile input answers 4xx, never 500 (SECURITY.md 44, 45): a fuzz of every route of
`app.url_map`, as every role, with NUL bytes, huge ids and odd characters in the path, the query
string and every form field any form of the portal has."""

import inspect
import io

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from werkzeug.test import stream_encode_multipart
from wtforms import FieldList, FileField, FormField
from wtforms.fields.core import UnboundField

from portal.core.permissions import BUYER_ROLES, ROLES
from tests.support.access import PUBLIC, build_url, declared_access, rules
from tests.support.web import login

NUL = "po\x00123"
HUGE = "99999999999999999999"
#: What a careless query, template or column would trip over, one value per kind.
ODD = [
    HUGE,
    "-" + HUGE,
    "' OR 1=1 -- %_\\ \"><img src=x onerror=alert(1)>",
    "中文 Ünïcødé 😀 \u202e١٢٣ ＡＢＣ１２",
    "9" * 300 + "é" * 1200,
]
#: Servers refuse request lines of more than about 8 KB: no very long value in a query string.
ODD_IN_URL = ODD[:-1]
#: Arguments views read from the request themselves, beside their forms' fields.
VIEW_ARGUMENTS = {
    "page", "status", "mine", "tab", "account", "scope", "hit", "before", "next", "milestone_id",
    "q", "category", "remove", "v",
}  # fmt: skip
#: Signing out in the middle would turn the rest of the walk anonymous.
SKIPPED = {"auth.logout"}


def _forms(cls=FlaskForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from _forms(sub)


def _field_names(form, prefix=""):
    for name, field in inspect.getmembers(form, lambda v: isinstance(v, UnboundField)):
        if field.field_class is FieldList and field.args[0].field_class is FormField:
            yield from _field_names(field.args[0].args[0], f"{prefix}{name}-0-")
        else:
            yield prefix + name, field.field_class


@pytest.fixture(scope="module")
def fields(app):
    """Every field name any form has (and the ones views read), and which of them take files."""
    names = {name: kind for form in _forms() for name, kind in _field_names(form)}
    files = {name for name, kind in names.items() if issubclass(kind, FileField)}
    return (set(names) | VIEW_ARGUMENTS) - files, files


def _request(client, method, url, fields, value):
    names, files = fields
    data = {name: value for name in names}
    if method == "GET":
        if value not in ODD_IN_URL and value != NUL:
            return None
        return client.get(url, query_string=data)
    for name in files:
        data[name] = (io.BytesIO(f"sku,quantity\r\n{value},1\r\n".encode()), "upload.csv")
    # Encoded in memory: every field of every form with the longest value passes 500 KB, where
    # the test client would spool the body to a temporary file it never closes.
    body, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    with body:
        return client.post(
            url,
            input_stream=body,
            content_length=length,
            content_type=f"multipart/form-data; boundary={boundary}",
        )


def _world_values(app, world):
    """Each rule's arguments for the world's objects, read before any request changes them."""
    adapter = app.url_map.bind("localhost")
    values = {}
    for rule in rules(app, "GET") + rules(app, "POST"):
        method = "GET" if "GET" in rule.methods else "POST"
        url = build_url(app, rule, world)
        values[rule.rule, rule.endpoint] = adapter.match(url, method=method)[1]
    return values


def _paths(app, rule, values):
    """The rule's URL with the world's values, then each argument made hostile in turn."""
    with app.test_request_context():
        yield url_for(rule.endpoint, **values), None
        for argument in sorted(rule.arguments):
            ints = isinstance(rule._converters[argument], IntegerConverter)
            for value in (HUGE,) if ints else (NUL, *ODD[2:]):
                yield url_for(rule.endpoint, **{**values, argument: value}), value


def _may_call(app, role, endpoint):
    access = declared_access(app, endpoint)
    return role is None or access == PUBLIC or role in access


@pytest.mark.parametrize("role", [None, *ROLES], ids=lambda role: role or "anonymous")
def test_hostile_input_to_every_route_answers_4xx_never_5xx(app, client, world, fields, role):
    if role:
        assert login(client, world["users"][role].email).status_code == 302
    world_values = _world_values(app, world)
    failures = []
    for method in ("GET", "POST"):
        for rule in rules(app, method):
            if rule.endpoint in SKIPPED or not _may_call(app, role, rule.endpoint):
                continue
            for url, in_path in _paths(app, rule, world_values[rule.rule, rule.endpoint]):
                if in_path is not None:
                    response = client.open(url, method=method)
                    expected = {NUL: {400}, HUGE: {404}}.get(in_path)
                    if response.status_code >= 500 or (
                        expected and response.status_code not in expected
                    ):
                        failures.append((method, url[:120], response.status_code))
                    continue
                response = _request(client, method, url, fields, NUL)
                if response.status_code != 400:
                    failures.append((method, url, "NUL", response.status_code))
                for value in ODD:
                    response = _request(client, method, url, fields, value)
                    if response is not None and response.status_code >= 500:
                        failures.append((method, url, value[:40], response.status_code))
    assert failures == []
    if role in BUYER_ROLES:  # the walk stayed signed in, so it reached the pages it meant to
        assert client.get("/a/acme/").status_code == 200
