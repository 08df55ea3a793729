"""The layout of the code: no module over the size the developers' guide allows.

A module over ~500 lines holds several concepts; the guide asks for services (and
rules, routes…) split by concept into modules, as ``consult/voting/services/`` and
``consult/surveys/services/`` are. The exceptions below are the modules still waiting
for their split (and the consultations' demo data, one long table of made-up ideas).
"""

import subprocess
import sys
from pathlib import Path

import consult

LIMIT = 500

#: Modules allowed over the limit, as paths under ``consult/``. This list must only
#: shrink: split a module instead of adding it here, and remove its entry once it is
#: split (the second test says when).
ALLOWED_OVER = {
    "consultations/demo.py",
}

PACKAGE = Path(consult.__file__).parent


def _sizes() -> dict[str, int]:
    return {path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_is_over_the_limit():
    over = {name: lines for name, lines in _sizes().items()
            if lines > LIMIT and name not in ALLOWED_OVER}
    assert not over, f"split these modules by concept (at most {LIMIT} lines each): {over}"


def test_every_allowed_exception_is_still_needed():
    sizes = _sizes()
    stale = sorted(name for name in ALLOWED_OVER if sizes.get(name, 0) <= LIMIT)
    assert not stale, f"remove from ALLOWED_OVER (gone or within {LIMIT} lines now): {stale}"


def test_every_guarded_kind_names_the_module_that_registers_its_guard():
    """Consultations may not import voting (voting builds on consultations: see the
    import-linter contracts), so ``GUARDED_KINDS`` names the module whose import
    registers the guard of a kind of round. In a fresh interpreter, importing that
    module and nothing else registers it."""
    from consult.consultations.services.rounds import GUARDED_KINDS

    assert GUARDED_KINDS
    for kind, module in GUARDED_KINDS.items():
        script = ("import importlib, sys\n"
                  "from consult.consultations.services.rounds import ROUND_GUARDS\n"
                  f"assert {kind!r} not in ROUND_GUARDS\n"
                  f"importlib.import_module({module!r})\n"
                  f"sys.exit(0 if callable(ROUND_GUARDS.get({kind!r})) else 1)\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=PACKAGE.parent,
                              capture_output=True, text=True)
        assert done.returncode == 0, (kind, module, done.stderr)
