"""The voting domain (participatory budgeting votes): its public surface.

Other domains, the web app and the command line use voting through these names only;
the pages (``consult.voting.routes``) and the JSON API (``consult.voting.api``) are
collected by the app factory by module name. Everything else in the package (the
service modules, ``rules``, ``tally``, ``pabulib``) is the domain's own.

- ``secrecy``: the ballot key, configured once at start (``secrecy.configure``)
- ``Ballot``, ``VoteResult``, ``VoteSettings``: the stored ballot, result and settings
  (for schema checks and tests); ``UNCOUNTED`` the condition of the uncounted-ballots index
- ``finalize_due``: the daily confirmation of outcomes whose notice period has ended
- ``tell_voters``: the daily notices of rounds open and closing soon (once per person)
- ``OUTCOME_HOOKS``: what else a confirmed outcome does (delivery makes its projects)
- ``pending_jobs``, ``run_publish_job``: publications asked for and not yet run (the
  ``python -m consult publish-jobs`` command)
- ``pb_main``: the ``python -m consult pb`` command (pabulib files)
- ``load_demo``: the demonstration votes of ``python -m consult demo``
- ``configure_exports``: the directory of the exports built at publication (unset:
  ``exports`` in the environment's ``CONSULT_MEDIA_DIR``)
"""

from consult.surface import surface

_SURFACE = {
    "Ballot": "consult.voting.models:Ballot",
    "Objection": "consult.voting.models:Objection",
    "VoteResult": "consult.voting.models:VoteResult",
    "VoteSettings": "consult.voting.models:VoteSettings",
    "UNCOUNTED": "consult.voting.services:UNCOUNTED",
    "finalize_due": "consult.voting.services:finalize_due",
    "tell_voters": "consult.voting.services:tell_voters",
    # where delivery registers what a confirmed outcome also does (its projects)
    "OUTCOME_HOOKS": "consult.voting.services.outcome:OUTCOME_HOOKS",
    "pending_jobs": "consult.voting.services.jobs:pending_jobs",
    "run_publish_job": "consult.voting.services.jobs:run_publish_job",
    "pb_main": "consult.voting.cli:main",
    "load_demo": "consult.voting.demo:load",
    "configure_exports": "consult.voting.services.exports:configure",
}

__all__ = sorted([*_SURFACE, "secrecy"])  # secrecy: the submodule, imported by name
__getattr__, __dir__ = surface(__name__, _SURFACE)
