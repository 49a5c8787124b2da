"""The route table at the top of each views file tells the truth: every route of `app.url_map`
is listed in the file whose view serves it, nothing listed is missing from the map, and the
methods and the roles agree with the routes' roles in the access table (core.access.PAGES).

A table row, in a comment before the file's first route:

    #   GET POST  /a/<slug>/checkout   checkout   BUYER_ROLES   optional words

methods, the path (parameter names and converters are not compared; a query string may
follow), the endpoint within the blueprint, and `public` or role names (a role, or a tuple of
roles, from the views module, its domain's permissions module, core.permissions or
core.access), joined by
commas.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

import portal
from portal.core import access as core_access
from portal.core import permissions as core_permissions

PORTAL = Path(portal.__file__).parent
METHOD = r"(?:GET|POST|PUT|PATCH|DELETE)"
ROW = re.compile(
    rf"^#\s+(?P<methods>{METHOD}(?:\s+{METHOD})*)\s+(?P<path>/\S*)\s+(?P<endpoint>\w+)"
    r"(?:\s+(?P<roles>[\w,]+))?"
)
IGNORED = {"static", "bootstrap.static"}


def view_modules() -> list[str]:
    files = sorted(PORTAL.glob("*/views.py")) + sorted(PORTAL.glob("*/*_views.py"))
    return [".".join(f.relative_to(PORTAL.parent).with_suffix("").parts) for f in files]


def shape(path: str) -> str:
    """A path as the table and the map both spell it: no query, parameters unnamed."""
    return re.sub(r"<[^>]*>", "<>", path.split("?", 1)[0])


def table_of(module) -> dict[tuple[str, str], dict]:
    """(path shape, endpoint) -> the row's methods and roles, from the comments above the
    module's first route."""
    source = inspect.getsource(module)
    head = source.split("\n@bp.", 1)[0]
    rows = {}
    for line in head.splitlines():
        found = ROW.match(line)
        if found is None:
            continue
        key = (shape(found["path"]), f"{module.bp.name}.{found['endpoint']}")
        assert key not in rows, f"{module.__name__} lists {key} twice"
        rows[key] = {
            "methods": frozenset(found["methods"].split()),
            "roles": found["roles"],
            "line": line.strip(),
        }
    return rows


def routes_of(app, module_name: str) -> dict[tuple[str, str], dict]:
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED:
            continue
        view = app.view_functions[rule.endpoint]
        if view.__module__ != module_name:
            continue
        routes[(shape(rule.rule), rule.endpoint)] = {
            "methods": frozenset(rule.methods - {"HEAD", "OPTIONS"}),
            "view": view,
        }
    return routes


def roles_named(module, names: str):
    """The roles a table row names: `public`, or the union of the named roles and tuples."""
    if names == "public":
        return "public"
    domain = module.__name__.rsplit(".", 1)[0]
    try:
        domain_permissions = importlib.import_module(f"{domain}.permissions")
    except ModuleNotFoundError:
        domain_permissions = None
    roles = set()
    for name in names.split(","):
        namespaces = (
            vars(module),
            vars(domain_permissions or module),
            vars(core_permissions),
            vars(core_access),
        )
        for namespace in namespaces:
            if name in namespace:
                value = namespace[name]
                break
        else:
            raise AssertionError(f"{module.__name__}: the table names unknown roles {name!r}")
        roles.update([value] if isinstance(value, str) else value)
    return frozenset(roles)


def roles_of(view):
    return "public" if getattr(view, "is_public", False) else view.allowed_roles


def test_every_views_module_has_a_table():
    assert "portal.ordering.views" in view_modules()
    assert "portal.payments.card_views" in view_modules()


def test_every_route_is_served_from_a_views_module(app):
    modules = set(view_modules())
    strays = [
        f"{rule.endpoint} ({app.view_functions[rule.endpoint].__module__})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in IGNORED
        and app.view_functions[rule.endpoint].__module__ not in modules
    ]
    assert strays == []


@pytest.mark.parametrize("module_name", view_modules())
def test_the_route_table_matches_the_url_map(app, module_name):
    module = importlib.import_module(module_name)
    table = table_of(module)
    routes = routes_of(app, module_name)
    assert sorted(set(routes) - set(table)) == [], "routes missing from the table"
    assert sorted(set(table) - set(routes)) == [], "table rows without a route"
    wrong_methods = [
        (row["line"], sorted(routes[key]["methods"]))
        for key, row in table.items()
        if row["methods"] != routes[key]["methods"]
    ]
    assert wrong_methods == []
    wrong_roles = [
        (row["line"], roles_of(routes[key]["view"]))
        for key, row in table.items()
        if row["roles"] is None
        or roles_named(module, row["roles"]) != roles_of(routes[key]["view"])
    ]
    assert wrong_roles == []


def test_a_wrong_table_is_caught(app):
    """The comparison sees a missing row, an extra row, other methods and other roles."""
    module = importlib.import_module("portal.ordering.views")
    table = table_of(module)
    routes = routes_of(app, "portal.ordering.views")
    assert set(table) == set(routes)
    checkout = ("/a/<>/checkout", "ordering.checkout")
    assert table[checkout]["methods"] == routes[checkout]["methods"] == {"GET", "POST"}
    assert roles_named(module, "BUYER_ROLES") == roles_of(routes[checkout]["view"])
    assert roles_named(module, "APPROVER") != roles_of(routes[checkout]["view"])
    assert roles_named(module, "ORDER_DESK,RELEASERS") >= roles_named(module, "RELEASERS")
    assert ROW.match("#   GET  /a/<slug>/orders/<int:number>?page=  list_orders  X")
    assert shape("/a/<slug>/orders/<int:number>?page=") == "/a/<>/orders/<>"
