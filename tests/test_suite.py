"""The suite's own layout: fixtures shared between directories are plugins (tests/fixtures/,
listed in tests/conftest.py), helpers are plain modules (tests/support/), and nothing imports a
fixture, a conftest.py or another test module."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def modules(folder: Path = TESTS):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def imported_modules(tree: ast.Module) -> list[str]:
    """The modules of tests/ that the module imports, or imports from."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return [name for name in names if name.startswith("tests.") and is_module(name)]


def is_module(name: str) -> bool:
    path = TESTS.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def is_fixture(node) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        "fixture" in ast.unparse(decorator) for decorator in node.decorator_list
    )


def test_nothing_imports_a_conftest_or_a_test_module():
    found = [
        f"{path.relative_to(TESTS)} imports {name}"
        for path, tree in modules()
        for name in imported_modules(tree)
        if any(part == "conftest" or part.startswith("test_") for part in name.split("."))
    ]
    assert found == []


def test_fixture_modules_are_all_loaded_as_plugins_and_helpers_define_no_fixtures():
    plugins = {f"tests.fixtures.{path.stem}" for path in (TESTS / "fixtures").glob("[!_]*.py")}
    (listed,) = [
        ast.literal_eval(node.value)
        for node in ast.parse((TESTS / "conftest.py").read_text()).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "pytest_plugins"
    ]
    assert set(listed) == plugins
    fixtures_in_support = [
        f"{path.relative_to(TESTS)}: {node.name}"
        for path, tree in modules(TESTS / "support")
        for node in tree.body
        if is_fixture(node)
    ]
    assert fixtures_in_support == []
