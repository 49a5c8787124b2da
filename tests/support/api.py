"""Tokens and calls for the API's tests."""

from portal.api import tokens


def issue_token(user, scopes=("read",), days: int = 30, actor=None) -> str:
    """A live token of `user` with these scopes, issued by `actor` (the user by default)."""
    _token, plain = tokens.issue(actor or user, user, "test", list(scopes), days)
    return plain


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def call(client, method: str, url: str, headers: dict, **extra):
    """One call of an operation; methods that take a body get `json` ({} unless given)."""
    if method in ("POST", "PUT", "PATCH") and "json" not in extra and "data" not in extra:
        extra["json"] = {}
    return client.open(url, method=method, headers=headers, **extra)


def filled(schema: dict, components: dict, text: str, number: int, required_only=False):
    """An instance of a JSON Schema (of the API's document) with every free string `text`,
    every integer `number`, every list one item, every object each of its properties and every
    choice its first value: for feeding one hostile value to every field of a body. With
    `required_only`, objects have their required properties only (a body valid more often)."""

    def inner(schema):
        return filled(schema, components, text, number, required_only)

    if "$ref" in schema:
        return inner(components[schema["$ref"].rsplit("/", 1)[1]])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [option for option in schema[key] if option.get("type") != "null"]
            return inner(options[0] if options else {})
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", ()))
        return {
            name: inner(prop)
            for name, prop in schema.get("properties", {}).items()
            if name in required or not required_only
        }
    if kind == "array":
        return [inner(schema.get("items", {}))]
    if kind == "integer":
        return number
    if kind == "number":
        return number
    if kind == "boolean":
        return True
    return text


def snapshot(db, skipped=frozenset()) -> dict[str, list]:
    """Every row of every table but `skipped`, as read now."""
    db.session.expire_all()
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in skipped:
            continue
        order = [*table.primary_key.columns] or [*table.columns]
        found[table.name] = [
            tuple(row) for row in db.session.execute(table.select().order_by(*order))
        ]
    return found
