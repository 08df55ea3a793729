"""A vote round's lifecycle: its states and what may be done in each."""

from __future__ import annotations

from consult.i18n import N_, Msg

#: A vote round's states, in order: not open yet, open, closed with its result not yet
#: published, published (the notice period, 公示期), its outcome confirmed.
ROUND_STATES = ("upcoming", "open", "closed", "published", "finalized")
#: Settings that change what a ballot says or how ballots are counted: they are the terms
#: voters vote under, so they are fixed from the moment voting opens.
COUNT_FIELDS = ("ballot_kind", "min_choices", "max_choices", "max_points", "max_points_per_idea",
                "ranking_length", "points_per_rank", "eligibility", "rule", "min_score", "k",
                "budget_fen", "assisted_voting")

#: Every privileged action on a vote round → the states it is allowed in. Nothing changes
#: a round's voters, ballots or ideas once its results are published.
ROUND_ACTIONS: dict[str, frozenset[str]] = {
    # the round's times (consultations' round management)
    "reschedule": frozenset({"upcoming"}),
    "extend": frozenset({"upcoming", "open", "closed"}),
    "close_early": frozenset({"open"}),
    # ideas carried on from this round (after the result is out), or into it (before ballots)
    "carry_from": frozenset({"published", "finalized"}),
    "carry_into": frozenset({"upcoming", "open"}),
    # settings: the counting terms until voting opens, the rest until publication
    "change_count_settings": frozenset({"upcoming"}),
    "change_settings": frozenset({"upcoming", "open", "closed"}),
    # paper: voters are registered, ballots keyed and disputes decided before publication; a
    # person is linked to their account at any time, but the ballots of published rounds stay
    "register_paper_voter": frozenset({"upcoming", "open", "closed"}),
    "link_paper_voter": frozenset(ROUND_STATES),
    "enter_paper_ballot": frozenset({"open", "closed"}),
    "resolve_dispute": frozenset({"open", "closed"}),
    # the result
    "publish": frozenset({"closed"}),
    "finalize": frozenset({"published"}),
    "file_objection": frozenset({"published"}),
    "answer_objection": frozenset({"published"}),
}

_REFUSED = {
    "upcoming": N_("Voting has not opened yet, so this cannot be done now. Come back once the round is open."),
    "open": N_("Voting is still open: this can be done only after the round has closed."),
    "closed": N_("Voting has closed: this can no longer be done. The results can be published on the round's page."),
    "published": N_("The results of this vote are published: its voters, ballots and settings can no longer change. Questions go through an objection on the results page."),
    "finalized": N_("The outcome of this vote is confirmed: nothing about it can change any more."),
}
_REFUSED_ACTION = {
    ("change_count_settings", "open"): N_("Voting has opened: the kind of ballot, its limits, the budget, the selection rule and who may vote can no longer change. Extend the round or change the notice period instead."),
    ("change_count_settings", "closed"): N_("Voting has opened: the kind of ballot, its limits, the budget, the selection rule and who may vote can no longer change. Extend the round or change the notice period instead."),
    ("carry_from", "upcoming"): N_("Ideas go on from a vote round once its results are published."),
    ("carry_from", "open"): N_("Ideas go on from a vote round once its results are published."),
    ("carry_from", "closed"): N_("Ideas go on from a vote round once its results are published. Publish them first."),
    ("carry_into", "closed"): N_("This vote round has closed: ideas can no longer be added to its ballot."),
    ("publish", "published"): N_("The results of this round are already published."),
    ("finalize", "upcoming"): N_("The results are not published yet."),
    ("finalize", "open"): N_("The results are not published yet."),
    ("finalize", "closed"): N_("The results are not published yet."),
    ("finalize", "finalized"): N_("The outcome has already been confirmed."),
    ("file_objection", "closed"): N_("Objections can be raised only during the notice period after publication."),
    ("file_objection", "finalized"): N_("Objections can be raised only during the notice period after publication."),
    ("answer_objection", "finalized"): N_("The outcome of this vote is confirmed; objections can no longer be answered here."),
}
#: the code of a refusal, by state (the API's ``error.code``)
REFUSAL_CODES = {"upcoming": "round_not_open", "open": "round_not_closed", "closed": "round_closed",
                 "published": "published", "finalized": "finalized"}


def lifecycle_state(time_state: str, published: bool, finalized: bool) -> str:
    """The round's state from its times (``upcoming | open | closed``) and its result."""
    if finalized:
        return "finalized"
    if published:
        return "published"
    return time_state


def round_action_allowed(action: str, state: str) -> bool:
    """May ``action`` be done to a vote round in ``state``? (``KeyError`` for an unknown action.)"""
    return state in ROUND_ACTIONS[action]


def round_action_problem(action: str, state: str) -> Msg | None:
    """Why ``action`` cannot be done in ``state``, or None when it can."""
    if round_action_allowed(action, state):
        return None
    return Msg(_REFUSED_ACTION.get((action, state), _REFUSED[state]))


def changed_count_fields(old, new) -> list[str]:
    """The counting terms (``COUNT_FIELDS``) that differ between two sets of settings."""
    return [name for name in COUNT_FIELDS if getattr(old, name) != getattr(new, name)]


def objection_edit_problem(author_id: int, user_id: int, answered: bool) -> Msg | None:
    """A resident edits their own objection while it waits for its answer."""
    if author_id != user_id:
        return Msg(N_("You can change only your own objection."))
    if answered:
        return Msg(N_("This objection has been answered, so it can no longer change. You can raise a new one."))
    return None
