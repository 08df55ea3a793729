"""Owners' votes 业主表决: an estate's register of homes and owners, matters put to the
owners, ballots online, on paper and by proxy, and their count by area and by heads.

This is the domain's public surface (see :mod:`consult.surface`): what other domains,
:mod:`consult.web`, the command line and the demo use of it. Its services, pages and
API are its own; its tests may import those modules directly. The recount command
(``python -m consult owners``) stays light: naming it here loads nothing.
"""

from consult.surface import surface

_SURFACE = {
    "OwnerBallot": "consult.owners.models:OwnerBallot",
    "OwnerMatter": "consult.owners.models:OwnerMatter",  # the audit log names these objects (consult.staffdesk.audit_log)
    "cli_main": "consult.owners.cli:main",
    "load_demo": "consult.owners.demo:load",
    # for owners' committee elections (consult.elections): the register and who is one owner
    "Home": "consult.owners.rules.homes:Home",
    "DEVELOPER": "consult.owners.rules.homes:DEVELOPER",
    "holdings": "consult.owners.rules.homes:holdings",
    "owner_of_home": "consult.owners.rules.homes:owner_of_home",
    "owner_digest": "consult.owners.rules.homes:owner_digest",
    "cents_to_area": "consult.owners.rules.homes:cents_to_area",
    "InputError": "consult.owners.register:InputError",
    "load_homes": "consult.owners.register:load_homes",
    "parse_homes_csv": "consult.owners.register:parse_homes_csv",
    "format_homes_csv": "consult.owners.register:format_homes_csv",
    "decode_text": "consult.owners.register:decode_text",
    "csv_rows": "consult.owners.register:_csv_rows",
    "estate_homes": "consult.owners.services:estate_homes",
    # signed forms kept on file (an election's written proxies): the same storage as matters'
    "store_upload": "consult.owners.services.matters:_store_upload",
    "stored_file": "consult.owners.services.matters:stored_file",
    # one ballot insert for every ballot table: the UNIQUE constraints decide, clearly refused
    "insert_ballot": "consult.owners.services.ballots:insert_ballot",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
