"""The OpenAPI document as the API's readable page shows it: operations by tag, and each
schema's fields with their types in words."""

import textwrap
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


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


@dataclass
class Parameter:
    name: str
    where: str
    required: bool
    type: str
    description: str
    default: str
    limits: str


#: JSON Schema's limits as the page writes them: "minimum: 1", "maximum length: 200", ...
_LIMITS = (
    ("minimum", _l("minimum: %(value)s")),
    ("exclusiveMinimum", _l("more than %(value)s")),
    ("maximum", _l("maximum: %(value)s")),
    ("exclusiveMaximum", _l("less than %(value)s")),
    ("minLength", _l("minimum length: %(value)s")),
    ("maxLength", _l("maximum length: %(value)s")),
    ("minItems", _l("minimum count: %(value)s")),
    ("maxItems", _l("maximum count: %(value)s")),
    ("pattern", _l("pattern: %(value)s")),
)


def limits_of(schema: dict) -> str:
    """The limits a value must keep, from its schema (of a nullable value's non-null part)."""
    parts = [part for part in schema.get("anyOf", ()) if part.get("type") != "null"]
    if len(parts) == 1:
        schema = {**parts[0], **schema}
    return ", ".join(str(text) % {"value": schema[key]} for key, text in _LIMITS if key in schema)


def parameters_of(op: dict) -> list[Parameter]:
    """An operation's parameters with what the document says of each: its description,
    default and limits."""
    found = []
    for parameter in op.get("parameters", ()):
        schema = parameter.get("schema", {})
        found.append(
            Parameter(
                name=parameter["name"],
                where=parameter["in"],
                required=bool(parameter.get("required")),
                type=type_of(schema),
                description=parameter.get("description") or schema.get("description", ""),
                default="" if "default" not in schema else _plain(schema["default"]),
                limits=limits_of(schema),
            )
        )
    return found


def _plain(value) -> str:
    return (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


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
                    "parameters": parameters_of(op),
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


def verify_example() -> str:
    """The Python example of checking Portal-Signature, as portal.api.webhooks documents it."""
    from portal.api import webhooks

    lines = []
    for line in webhooks.__doc__.split("In Python::", 1)[1].splitlines()[1:]:
        if line.strip() and not line.startswith(" "):
            break  # the indented block ends
        lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip("\n")
