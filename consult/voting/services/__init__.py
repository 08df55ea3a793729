"""Voting services: the only code of the voting domain that touches the session.

Pages, the JSON API and the command line call these (by the names below); each function
that changes something checks ``permissions.allowed`` itself. Who voted for what never
leaves this package except to the voter (their own ballot): turnout is counted by area
and building group, exports are anonymous and shuffled. Nor is it in the database: a
ballot is stored under its voter's key (``consult.voting.secrecy``).

One module per concept:

- ``rounds``: a round with what its pages need, its lifecycle and settings
- ``voters``: who an account votes as: a resident, or a home's owner
- ``ballots``: web ballots: checking, casting, changing; receipts
- ``paper``: paper ballots keyed once or twice, disputes
- ``paper_voters``: paper-only residents, and linking them to an account
- ``counting``: counting in the database (scores by ``GROUP BY``, the ballots streamed once)
- ``results``: turnout, publishing, the published results (and their turnout, kept)
- ``reminders``: telling a round's audience it is open and closes soon
- ``jobs``: publishing as a job, run after the request that asks for it
- ``outcome``: objections in the notice period, the outcome confirmed
- ``exports``: open data: the ``.pb`` and CSV files built once at publication
- ``exchange``: open data: pabulib imports

Importing this package registers the guard consultations ask before changing a vote
round (``rounds._round_guard``; ``consultations.services.GUARDED_KINDS`` names that
module).
"""

from __future__ import annotations

from consult.voting.services.ballots import (
    BallotRefused,
    Cast,
    Checked,
    MyBallot,
    ReceiptCheck,
    ballot_of,
    cast,
    check,
    check_receipt,
    open_problem,
    other_channel_message,
    own_receipt,
    own_web_ballot,
    raw_of,
)
from consult.voting.services.counting import ballot_lines, count_round, counted_ballots
from consult.voting.services.exchange import (
    IMPORT_AUTHOR,
    Imported,
    PbImportError,
    import_election,
    imported_project_ids,
)
from consult.voting.services.exports import (
    VOTE_TYPES,
    ExportFile,
    export_csv,
    export_election,
    export_file,
    export_pb,
)
from consult.voting.services.jobs import (
    JobView,
    active_job,
    job_of,
    job_view,
    pending_jobs,
    request_publish,
    run_publish_job,
)
from consult.voting.services.outcome import (
    DueOutcome,
    answer_objection,
    edit_objection,
    file_objection,
    finalize,
    finalize_due,
    objection_round_id,
    open_objection,
)
from consult.voting.services.paper import (
    Dispute,
    PaperResult,
    PaperRow,
    areas_in_scope,
    disputes,
    enter_paper,
    homes_in_scope,
    paper_rows,
    resolve_dispute,
    staff_within,
)
from consult.voting.services.paper_voters import (
    Linked,
    ListedVoter,
    desk_residents,
    link_paper_voter,
    not_linked,
    paper_voter_of,
    paper_voter_visible,
    paper_voters,
    register_paper_voter,
    voter_list,
)
from consult.voting.services.reminders import tell_voters
from consult.voting.services.results import (
    Recount,
    ResultRow,
    Results,
    Turnout,
    TurnoutRow,
    check_publishable,
    clear_turnout_cache,
    publish,
    recount,
    results,
    turnout,
)
from consult.voting.services.rounds import (
    UNCOUNTED,
    IdeaOnBallot,
    RoundSummary,
    VoteRound,
    ballot_groups,
    ballot_ideas,
    has_ballots,
    ideas_on_ballot,
    load_ballot_round,
    load_round,
    lock_round,
    projects_of,
    published_result,
    require_round_action,
    round_lifecycle,
    save_settings,
    vote_rounds,
)
from consult.voting.services.voters import (
    Voter,
    not_eligible_message,
    resident_place,
    voter_for,
    voter_homes,
)

__all__ = [
    "VoteRound", "load_round", "load_ballot_round", "lock_round",
    "RoundSummary", "vote_rounds", "IdeaOnBallot", "ideas_on_ballot", "ballot_groups", "ballot_ideas",
    "projects_of", "published_result", "round_lifecycle", "require_round_action", "UNCOUNTED",
    "has_ballots", "save_settings", "Voter", "resident_place", "voter_homes",
    "not_eligible_message", "voter_for", "BallotRefused", "MyBallot", "ballot_of", "raw_of",
    "open_problem", "Checked", "check", "own_web_ballot", "other_channel_message", "Cast",
    "cast", "ReceiptCheck", "check_receipt", "own_receipt", "staff_within", "PaperResult", "enter_paper",
    "Dispute", "disputes", "resolve_dispute", "PaperRow", "paper_rows", "homes_in_scope",
    "areas_in_scope", "paper_voters", "voter_list", "ListedVoter", "paper_voter_visible", "register_paper_voter", "Linked",
    "link_paper_voter", "not_linked", "desk_residents", "paper_voter_of", "TurnoutRow", "Turnout", "turnout", "clear_turnout_cache", "counted_ballots",
    "ballot_lines", "count_round", "check_publishable", "publish", "Recount", "recount", "ResultRow", "Results", "results",
    "file_objection", "open_objection", "objection_round_id", "edit_objection",
    "answer_objection", "finalize", "DueOutcome", "finalize_due", "VOTE_TYPES",
    "export_election", "export_pb", "export_csv", "ExportFile", "export_file", "PbImportError", "IMPORT_AUTHOR", "Imported",
    "import_election", "imported_project_ids", "tell_voters",
    "JobView", "active_job", "job_of", "job_view", "pending_jobs", "request_publish", "run_publish_job",
]
