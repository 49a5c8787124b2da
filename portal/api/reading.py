"""The OpenAPI document as the API's readable page shows it: operations by tag, and each
schema's fields with their types in words."""

from dataclasses import dataclass


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str


def type_of(schema: dict) -> str:
    """ "string", "integer", "Order", "list of OrderLine", "string or null", ..."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " or ".join(type_of(part) for part in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    if schema.get("type") == "array":
        return "list of " + type_of(schema.get("items", {}))
    kind = schema.get("type", "any")
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def fields_of(schema: dict) -> list[Field]:
    required = set(schema.get("required", ()))
    return [
        Field(name, type_of(prop), name in required, prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


def operations_by_tag(document: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            request = op.get("requestBody", {}).get("content", {})
            body = next(iter(request.values()), {}).get("schema")
            found.setdefault(op["tags"][0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "op": op,
                    "body": type_of(body) if body else None,
                    "responses": {
                        status: type_of(next(iter(answer["content"].values()))["schema"])
                        if answer.get("content")
                        else ""
                        for status, answer in op["responses"].items()
                    },
                }
            )
    return found


def schemas(document: dict) -> dict[str, list[Field]]:
    return {name: fields_of(schema) for name, schema in document["components"]["schemas"].items()}
