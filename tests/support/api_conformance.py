"""Checking an API answer against the OpenAPI document the app serves."""

import schemathesis


def conforms(client, answer, path: str, method: str = "get") -> None:
    """Fail unless `answer` (a test client's response) is one the document declares for the
    operation at `path` (as the document spells it, such as /api/v1/invoices/{invoice_number})
    and `method`: its status, media type and body schema."""
    document = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    schema[path][method.upper()].validate_response(answer)
