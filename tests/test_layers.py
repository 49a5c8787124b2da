"""Imports go one way, down the stack of DESIGN.md section 3: never up, never into another
domain's views, and no module imports one that imports it back (except the app factory and its
command line). Read from the source, function-level imports included. And no module grows past
what one concern needs."""

import ast
from pathlib import Path

import portal

PACKAGE = Path(portal.__file__).parent

#: DESIGN.md section 3, top to bottom. A domain may import its own layer and those below.
#: The app factory, its command line, its template helpers, the demo data and the worker
#: compose everything.
STACK = (
    ("portal", "cli", "templating", "demo", "worker"),
    ("home", "lookup", "insights", "api"),
    ("pipeline",),
    ("payments", "quotes"),
    ("hotline",),
    ("ordering",),
    ("cart",),
    ("contracts", "auth"),
    ("accounts", "catalog", "tax", "notifications"),
    ("core", "config", "extensions"),
)
LAYER = {part: depth for depth, parts in enumerate(STACK) for part in parts}
#: Where the blueprints are registered, and the command line it brings: the one cycle.
FACTORY = {"portal", "portal.cli"}


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def imported_module(dotted: str) -> str | None:
    """The portal module that `import dotted` or `from a import b` (as a.b) loads."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in map(imported_module, targets) if t is not None)
    return found


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def domain(module: str) -> str:
    """portal.ordering.gate -> ordering; portal.worker -> worker; portal -> portal."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def is_views(module: str) -> bool:
    return module.rpartition(".")[2] in ("views",) or module.endswith("_views")


def test_every_domain_has_its_place_in_the_stack():
    assert {domain(m) for m in MODULES} <= set(LAYER)


def test_no_import_goes_up_the_stack():
    upward = [
        f"{importer} imports {target}"
        for importer, targets in GRAPH.items()
        for target in targets
        if LAYER[domain(importer)] > LAYER[domain(target)]
    ]
    assert upward == []


def test_no_domain_imports_another_domains_views():
    into_views = [
        f"{importer} imports {target}"
        for importer, targets in GRAPH.items()
        for target in targets
        if is_views(target) and domain(target) != domain(importer) and importer not in FACTORY
    ]
    assert into_views == []


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components of more than one node: the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_module_imports_one_that_imports_it_back():
    assert [c for c in strongly_connected(GRAPH) if c != FACTORY] == []


def test_no_two_domains_import_each_other():
    domains: dict[str, set[str]] = {}
    for importer, targets in GRAPH.items():
        if importer not in FACTORY:
            domains.setdefault(domain(importer), set()).update(
                domain(t) for t in targets if domain(t) != domain(importer)
            )
    assert strongly_connected(domains) == []


def test_the_checks_see_a_cycle_and_an_upward_import():
    """The checks above can fail: a made-up graph with both is caught."""
    made_up = {
        "portal.core.money": {"portal.ordering.gate"},
        "portal.ordering.gate": {"portal.core.money"},
    }
    assert strongly_connected(made_up) == [set(made_up)]
    assert LAYER[domain("portal.core.money")] > LAYER[domain("portal.ordering.gate")]
    assert GRAPH["portal.ordering.gate"] >= {"portal.ordering.credit", "portal.ordering.models"}


#: A module longer than this holds several concerns (issue 12): split it by concern.
MAX_MODULE_LINES = 600


def test_no_module_is_longer_than_one_concern_needs():
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
