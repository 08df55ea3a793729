"""Owners' committee elections: the only code of this domain that touches the session.

Kept by concept, one module each (:mod:`.elections` the election and its candidates,
:mod:`.ballots`, :mod:`.counting` the gauge, door-to-door list, result and exports;
:mod:`.common` is what they share); every public name is here, so the pages, API, demo
and tests call ``services.<name>``. The count goes through the recount command's own
functions, so the result page and ``python -m consult owners elect`` cannot disagree.
"""

from consult.elections.services.ballots import (
    PaperEntry,
    Voice,
    cast_web_ballot,
    enter_paper_ballot,
    enter_proxy_ballot,
    proxies_of,
    proxy_scan,
    resolve_paper,
    uncounted_papers,
    voices,
)
from consult.elections.services.common import (
    COUNTED,
    election_homes,
    election_register,
    get_election,
    get_estate,
    may,
    state_of,
)
from consult.elections.services.counting import (
    DoorStop,
    Gauge,
    ballots_csv,
    door_to_door,
    gauge,
    outcome,
    register_csv,
    result,
)
from consult.elections.services.elections import (
    add_candidate,
    candidate_election,
    candidates_of,
    create_election,
    elections_of,
    refresh_register,
    remove_candidate,
)
from consult.elections.services.nominations import add_resident_candidate, nominators_of
from consult.elections.services.residents import (
    ResidentTurnout,
    add_voter,
    cast_resident_ballot,
    create_resident_election,
    enter_resident_paper,
    get_area,
    get_resident_election,
    my_registration,
    publish_candidates,
    remove_voter,
    resident_ballots_csv,
    resident_candidates_of,
    resident_elections_of,
    resident_register_csv,
    resident_result,
    resident_state,
    resident_turnout,
    small_groups,
    voter_election,
    voters_of,
)

__all__ = [
    "COUNTED", "DoorStop", "Gauge", "PaperEntry", "Voice", "add_candidate", "ballots_csv", "candidate_election",
    "candidates_of", "cast_web_ballot", "create_election", "door_to_door", "election_homes",
    "election_register", "elections_of", "enter_paper_ballot", "enter_proxy_ballot", "proxies_of", "proxy_scan", "gauge",
    "get_election", "get_estate", "may", "outcome", "refresh_register", "register_csv",
    "remove_candidate", "resolve_paper", "ResidentTurnout", "add_resident_candidate", "add_voter",
    "cast_resident_ballot", "create_resident_election", "enter_resident_paper", "get_area",
    "get_resident_election", "my_registration", "nominators_of", "publish_candidates", "remove_voter",
    "resident_candidates_of", "resident_ballots_csv", "resident_elections_of", "resident_register_csv", "resident_result", "resident_state",
    "resident_turnout", "small_groups", "voter_election", "voters_of", "result", "state_of", "uncounted_papers", "voices",
]
