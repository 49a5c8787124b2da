"""The operator's guide in README.md says what the code does: its table names every setting
portal/config.py reads from the environment and no other, and the migrations have the one head
its upgrade command assumes."""

import ast
import re
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[1]


def variables_read_from_the_environment() -> set[str]:
    """The names config.py passes to env.get(...) or os.environ.get(...)."""
    tree = ast.parse((ROOT / "portal" / "config.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and ast.unparse(node.func.value) in ("env", "os.environ")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return names


def variables_in_the_guide() -> set[str]:
    """The names in the first column of the table under "### Configuration"."""
    guide = (ROOT / "README.md").read_text().split("## Operator's guide", 1)[1]
    table = guide.split("### Configuration", 1)[1].split("\n\n")[2]
    names = set()
    for row in table.splitlines()[2:]:
        names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    return names


def test_the_guide_lists_every_variable_config_reads_and_no_other():
    read = variables_read_from_the_environment()
    assert len(read) > 40  # the parse found them
    listed = variables_in_the_guide()
    assert read - listed == set(), "read from the environment but missing from the guide"
    assert listed - read == set(), "in the guide but not read from the environment"


def test_the_migrations_have_one_head():
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
