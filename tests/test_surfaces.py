"""Domains with doors: what other code may use of a domain is named in its ``__init__``.

For the domains that have one (consultations, owners): every name resolves to the
object its module defines; nothing outside the domain reaches past the surface; and
naming the surface loads nothing, so light modules stay light.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("consultations", "owners", "elections", "points", "delivery")


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_public_name_is_its_module_s_own(domain):
    package = import_module(f"consult.{domain}")
    assert package.__all__
    for name in package.__all__:
        module, _, attribute = package._SURFACE[name].partition(":")
        assert getattr(package, name) is getattr(import_module(module), attribute), name
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018
    assert import_module(f"consult.{domain}.models").__name__ == f"consult.{domain}.models"


def _imports_past_the_surface(path: Path, domain: str, surface: set[str]) -> list[str]:
    package = f"consult.{domain}"
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(package + ".")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(package + "."):
                found.append(node.module)
            elif node.module == package:
                found += [f"{package}.{a.name}" for a in node.names if a.name not in surface]
    return [f"{path.relative_to(ROOT)}:{name}" for name in found]


@pytest.mark.parametrize("domain", DOMAINS)
def test_other_code_uses_only_the_surface(domain):
    surface = set(import_module(f"consult.{domain}").__all__)
    inside = ROOT / "consult" / domain
    offenders = [hit for path in sorted((ROOT / "consult").rglob("*.py"))
                 if inside not in path.parents
                 for hit in _imports_past_the_surface(path, domain, surface)]
    assert offenders == []


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    return set(done.stdout.split())


def test_the_surface_loads_nothing_until_used():
    recount = _loaded_after("import consult.owners.cli")
    assert not {m for m in recount if m.startswith(("sqlalchemy", "consult.owners.services"))}
    elect = _loaded_after("import consult.elections.cli")
    assert not {m for m in elect if m.startswith(("sqlalchemy", "consult.owners.services",
                                                  "consult.elections.services"))}
    models = _loaded_after("import consult.db.models")
    assert not {m for m in models if m.startswith(("consult.consultations.services",
                                                   "consult.owners.services",
                                                   "consult.elections.services"))}
