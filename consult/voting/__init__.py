"""The voting domain (participatory budgeting votes): its public surface.

Other domains, the web app and the command line use voting through these names only;
the pages (``consult.voting.routes``) and the JSON API (``consult.voting.api``) are
collected by the app factory by module name. Everything else in the package (the
service modules, ``rules``, ``tally``, ``pabulib``) is the domain's own.

- ``secrecy``: the ballot key, configured once at start (``secrecy.configure``)
- ``Ballot``, ``VoteResult``, ``VoteSettings``: the stored ballot, result and settings
  (for schema checks and tests); ``UNCOUNTED`` the condition of the uncounted-ballots index
- ``finalize_due``: the daily confirmation of outcomes whose notice period has ended
- ``pb_main``: the ``python -m consult pb`` command (pabulib files)
- ``load_demo``: the demonstration votes of ``python -m consult demo``
"""

from __future__ import annotations

from consult.voting import secrecy
from consult.voting.models import Ballot, VoteResult, VoteSettings
from consult.voting.services import UNCOUNTED, finalize_due


def pb_main(argv: list[str]) -> int:
    """``python -m consult pb …``. Imported when run: ``python -m consult.voting.cli``
    must not find the module already imported by its package."""
    from consult.voting.cli import main

    return main(argv)


def load_demo(db, settings, places, users) -> None:
    """The demonstration vote rounds (``consult.voting.demo``), loaded on demand: the
    demo data is not needed to serve a request."""
    from consult.voting import demo

    demo.load(db, settings, places, users)


__all__ = ["UNCOUNTED", "Ballot", "VoteResult", "VoteSettings", "finalize_due", "load_demo",
           "pb_main", "secrecy"]
