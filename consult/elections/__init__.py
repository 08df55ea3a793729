"""Elections 选举: owners' committees (业主委员会) elected by floor area and headcount, and
the recount of residents' committee (居民委员会) elections.

This is the domain's public surface (see :mod:`consult.surface`): what other domains,
:mod:`consult.web`, the command line and the demo use of it. Its services, pages and API
are its own. The recount commands stay light: naming them here loads nothing.

- ``owners_cli_main``: ``python -m consult owners elect …``
- ``residents_cli_main``: ``python -m consult elect …``
- ``load_demo``: the demonstration elections of ``python -m consult demo``
"""

from consult.surface import surface

_SURFACE = {
    "OwnerElection": "consult.elections.models:OwnerElection",
    "ResidentElection": "consult.elections.models:ResidentElection",  # the audit log names these objects (consult.staffdesk.audit_log)
    "owners_cli_main": "consult.elections.cli:owners_main",
    "residents_cli_main": "consult.elections.cli:residents_main",
    "load_demo": "consult.elections.demo:load",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
