"""Answers of the API checked against the OpenAPI document the API itself serves: the status
is declared for the operation and the body validates against its declared schema."""

import jsonschema_rs

from portal.api.spec import _path


def assert_documented(client, answer, rule: str, method: str) -> None:
    """`answer` (to `method` on the route `rule`, such as "/api/v1/orders/<number>") is one of
    the operation's declared answers, and its JSON body matches the declared schema."""
    document = client.get("/api/v1/openapi.json").get_json()
    declared = document["paths"][_path(rule)][method.lower()]["responses"]
    status = str(answer.status_code)
    assert status in declared, (status, sorted(declared))
    content = declared[status].get("content")
    if content is None:
        assert not answer.get_data(), "a body where none is declared"
        return
    assert answer.mimetype in content, (answer.mimetype, sorted(content))
    schema = {**content[answer.mimetype]["schema"], "components": document["components"]}
    jsonschema_rs.Draft202012Validator(schema).validate(answer.get_json())
