"""Owners' votes 业主表决: an estate's register of homes and owners, matters put to the
owners, ballots online, on paper and by proxy, and their count by area and by heads.

This is the domain's public surface (see :mod:`consult.surface`): what other domains,
:mod:`consult.web`, the command line and the demo use of it. Its services, pages and
API are its own; its tests may import those modules directly. The recount command
(``python -m consult owners``) stays light: naming it here loads nothing.
"""

from consult.surface import surface

_SURFACE = {
    "cli_main": "consult.owners.cli:main",
    "load_demo": "consult.owners.demo:load",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
