"""consult/web is layered, not a circle: its modules import each other in one direction,
all at the top of the module (no import hidden inside a function to dodge a cycle)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import consult.web

WEB = Path(consult.web.__file__).parent


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """The consult.web modules ``path`` imports, and those it imports inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top, hidden = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("consult.web"):
            names = [node.module] if node.module != "consult.web" else [
                f"consult.web.{alias.name}" for alias in node.names]
            top.update(names)
            if node.col_offset > 0:
                hidden.extend(names)
    return top, hidden


def test_web_modules_import_each_other_without_a_cycle_and_only_at_the_top():
    graph, hidden = {}, {}
    for path in sorted(WEB.glob("*.py")):
        name = f"consult.web.{path.stem}" if path.stem != "__init__" else "consult.web"
        graph[name], inner = _imports(path)
        if inner:
            hidden[name] = inner
    assert hidden == {}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        raise AssertionError(f"import cycle in consult.web: {cycle.args[1]}") from None
    # the page context comes after the Jinja environment, the error pages after both
    assert order.index("consult.web.jinja") < order.index("consult.web.templating") \
        < order.index("consult.web.errors") < order.index("consult.web.bodies")
