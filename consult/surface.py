"""A domain's public surface, named in its ``__init__`` and resolved on first use.

Each domain's ``__init__`` lists what other domains, :mod:`consult.web`, the command
line and the demo may use of it, as ``name → "module:attribute"``; everything else is
the domain's own. The names are looked up when first used (PEP 562), not when the
package is imported, so a light part of a domain stays light: :mod:`consult.db.models`
imports every domain's models without loading its services, and the owners' recount
command loads no database code at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module


def surface(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], object],
                                                              Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public ``names`` map to
    ``"module:attribute"``; a name once looked up stays on the package."""

    def __getattr__(name: str) -> object:
        try:
            module, _, attribute = names[name].partition(":")
        except KeyError:  # also how ``from package import submodule`` finds submodules
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(module), attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__
