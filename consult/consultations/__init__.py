"""Consultations 征询: ideas collected, supported, discussed and reviewed round by round,
then carried into a vote (run by :mod:`consult.voting`) and their outcome recorded.

This is the domain's public surface (see :mod:`consult.surface`): what other domains,
:mod:`consult.web`, the command line and the demo use of it. Its services, pages and
API are its own; its tests may import those modules directly.
"""

from consult.surface import surface

_SURFACE = {
    "Comment": "consult.consultations.models:Comment",  # the audit log names these objects (consult.staffdesk.audit_log)
    # tables others read and join: a vote round is a consultation's round
    "Category": "consult.consultations.models:Category",
    "Consultation": "consult.consultations.models:Consultation",
    "Idea": "consult.consultations.models:Idea",
    "IdeaRound": "consult.consultations.models:IdeaRound",
    "Round": "consult.consultations.models:Round",
    "TimelineEntry": "consult.consultations.models:TimelineEntry",
    # where the domain that runs a kind of round registers its guard ("vote": voting)
    "ROUND_GUARDS": "consult.consultations.services.rounds:ROUND_GUARDS",
    # where voting registers what a published vote said of an idea (the idea page shows it)
    "IDEA_OUTCOMES": "consult.consultations.services.voted:IDEA_OUTCOMES",
    "VoteOutcome": "consult.consultations.services.voted:VoteOutcome",
    # what a vote round needs of its ideas, and the outcome it records on them
    "RoundIdea": "consult.consultations.services.outcomes:RoundIdea",
    "ideas_in_round": "consult.consultations.services.outcomes:ideas_in_round",
    "record_outcome": "consult.consultations.services.outcomes:record_outcome",
    # a selected idea's project started or was accepted (delivery): the idea follows
    "record_delivery": "consult.consultations.services.outcomes:record_delivery",
    # what a domain building on consultations shows on an idea's page (delivery: its project)
    "IDEA_PANELS": "consult.consultations.services.panels:IDEA_PANELS",
    "IdeaPanel": "consult.consultations.services.panels:IdeaPanel",
    # a consultation whose vote was held elsewhere (voting's open-data import)
    "HeldVote": "consult.consultations.services.consultations:HeldVote",
    "create_held_vote": "consult.consultations.services.consultations:create_held_vote",
    # text, money and round times as this domain reads them (voting reads them alike)
    "clean_text": "consult.consultations.rules:clean_text",
    "parse_money": "consult.consultations.rules:parse_money",
    "round_state": "consult.consultations.rules:round_state",
    # ideas of rounds that closed go on by themselves (``finalize-due``)
    "carry_due": "consult.consultations.services.rounds:carry_due",
    # photos kept with a refused idea form and never claimed are dropped (``finalize-due``)
    "drop_abandoned_photos": "consult.consultations.services.pending:drop_abandoned_photos",
    # ideas of these authors that were shortlisted (the points club credits them, issue 19)
    "shortlisted_by": "consult.consultations.services.ideas:shortlisted_by",
    "load_demo": "consult.consultations.demo:load",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
