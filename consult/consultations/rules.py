"""Pure rules of consultations: round states, the idea state machine, input checks.

Nothing here touches the database or reads the clock; ``now`` is always passed in,
so every rule is tested with plain values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from consult.db import ids
from consult.i18n import N_, Msg
from consult.parsing import MAX_FEN, clean_text, format_yuan, parse_money  # noqa: F401 (used as rules.*)

ROUND_KINDS = ("collect", "review", "revise", "vote", "decide")
DEFAULT_CATEGORIES = ("实事项目", "自治项目", "共筹项目", "维修与补充项目")

TITLE_MAX = 60
DESCRIPTION_MAX = 2000
COMMENT_MAX = 1000
REASON_MAX = 500
MAX_PHOTOS = 3
MAX_CATEGORIES = 12

IDEA_STATES = ("draft", "submitted", "shortlisted", "revision_requested", "merged", "rejected",
               "withdrawn", "selected", "not_selected", "in_progress", "completed",
               "below_threshold")
#: ideas still in the running: they can be supported, reviewed and carried
ACTIVE = frozenset({"submitted", "shortlisted", "revision_requested"})

#: action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"draft"}), "submitted"),
    "revise": (frozenset({"revision_requested"}), "submitted"),
    "shortlist": (frozenset({"submitted", "revision_requested"}), "shortlisted"),
    "request_revision": (frozenset({"submitted", "shortlisted"}), "revision_requested"),
    "merge": (ACTIVE, "merged"),
    "reject": (ACTIVE, "rejected"),
    "restore": (frozenset({"rejected"}), "submitted"),
    "withdraw": (frozenset({"draft"}) | ACTIVE, "withdrawn"),
    "select": (frozenset({"shortlisted", "not_selected"}), "selected"),
    "not_select": (frozenset({"shortlisted", "selected"}), "not_selected"),
    "start": (frozenset({"selected"}), "in_progress"),
    "complete": (frozenset({"in_progress"}), "completed"),
}
REVIEW_ACTIONS = ("shortlist", "request_revision", "merge", "reject", "restore")
#: round kinds in which the committee may act on ideas and authors may revise them
WORKING_KINDS = frozenset({"collect", "review", "revise"})


def round_state(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """``upcoming`` before it opens, ``open`` until it closes, then ``closed``."""
    if now < opens_at:
        return "upcoming"
    if now < closes_at:
        return "open"
    return "closed"


def next_state(state: str, action: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None when it is not allowed."""
    sources, target = TRANSITIONS[action]
    return target if state in sources else None


def transition_problem(state: str, action: str) -> Msg | None:
    if next_state(state, action) is None:
        return Msg(N_("This cannot be done to the idea in its current state."))
    return None


def round_problem(kind: str | None, state: str | None) -> Msg | None:
    """Can the committee act on (or the author revise) an idea whose current round is this?"""
    if kind is None or state is None:
        return Msg(N_("This idea is not in any round yet."))
    if kind not in WORKING_KINDS:
        return Msg(N_("Ideas cannot be changed during a vote or a decision round."))
    if state == "upcoming":
        return Msg(N_("This idea's round has not opened yet."))
    if state == "closed":
        return Msg(N_("This idea's round has closed. Carry the ideas into the next round before acting on them."))
    return None


def review_problem(action: str, idea_state: str, round_kind: str | None,
                   round_state_: str | None) -> Msg | None:
    if action not in REVIEW_ACTIONS:
        return Msg(N_("Unknown action."))
    return round_problem(round_kind, round_state_) or transition_problem(idea_state, action)


def submit_problem(collect_open: bool, submitted_by_author: int, limit: int) -> Msg | None:
    """A draft can be submitted while a collect round is open, within the per-resident limit."""
    if not collect_open:
        return Msg(N_("Ideas can only be submitted while a collection round is open."))
    if limit and submitted_by_author >= limit:
        return Msg(N_("Each resident may submit at most %(limit)s ideas in this consultation."),
                   {"limit": limit})
    return None


def edit_problem(idea_state: str, round_kind: str | None, round_state_: str | None,
                 by_moderator: bool) -> Msg | None:
    """Who may change an idea's text when.

    A draft is the author's own until submitted. After that the author may edit while
    the collect round is open, revise when asked to (in any working round), and refine
    a shortlisted idea in a revise round; the committee may edit in any working round.
    """
    if idea_state == "draft":
        return None if not by_moderator else Msg(N_("A draft can only be changed by its author."))
    if idea_state not in ACTIVE:
        return transition_problem(idea_state, "revise")
    if problem := round_problem(round_kind, round_state_):
        return problem
    if by_moderator or idea_state == "revision_requested" or round_kind == "collect":
        return None
    if round_kind == "revise" and idea_state == "shortlisted":
        return None
    return Msg(N_("The idea can only be edited while the collection round is open, or when the committee asks for a revision."))


def support_problem(idea_state: str, round_kind: str | None, round_state_: str | None) -> Msg | None:
    if idea_state not in ACTIVE or round_kind not in WORKING_KINDS or round_state_ != "open":
        return Msg(N_("Supports are closed for this idea."))
    return None


def withdraw_problem(idea_state: str, round_kind: str | None) -> Msg | None:
    if round_kind in ("vote", "decide") and idea_state != "draft":
        return Msg(N_("An idea cannot be withdrawn during a vote or a decision round."))
    return transition_problem(idea_state, "withdraw")


def carry_states(from_kind: str, to_kind: str) -> frozenset[str]:
    """Which ideas a closed round hands to the next one.

    A vote takes only the shortlist; a decision round the vote's outcome; after
    collection every idea still in the running goes on; after a review the
    shortlist and the ideas waiting for a revision; after a revision round every
    idea still in the running (revised ones are back to "submitted").
    """
    if to_kind == "vote":
        return frozenset({"shortlisted"})
    if to_kind == "decide":
        return frozenset({"shortlisted", "selected", "not_selected"})
    if from_kind == "review":
        return frozenset({"shortlisted", "revision_requested"})
    return ACTIVE


def supports_needed(kind: str, settings: dict) -> int:
    """The supports (附议) an idea needs by the close of a round to go on: a collect
    round's ``supports_needed``, 0 (none) for every other kind."""
    if kind != "collect":
        return 0
    return int(settings.get("supports_needed") or 0)


def below_threshold(support_count: int, needed: int) -> bool:
    """Does an idea with ``support_count`` supports miss a threshold of ``needed``?"""
    return bool(needed) and support_count < needed


#: kinds of rounds whose ideas go on by themselves when they close (a vote round's go on
#: once its outcome is published, by the voting domain)
SELF_CARRYING = frozenset({"collect", "review", "revise"})


# -- input checks -------------------------------------------------------------------------


def idea_problems(title: str, description: str, category_ok: bool, place_ok: bool,
                  cost_problem: Msg | None) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if not title:
        errors["title"] = Msg(N_("Please give your idea a title."))
    elif len(title) > TITLE_MAX:
        errors["title"] = Msg(N_("The title can have at most %(max)s characters (now %(n)s)."),
                              {"max": TITLE_MAX, "n": len(title)})
    if not description:
        errors["description"] = Msg(N_("Please describe your idea."))
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = Msg(
            N_("The description can have at most %(max)s characters (now %(n)s)."),
            {"max": DESCRIPTION_MAX, "n": len(description)})
    if not category_ok:
        errors["category_id"] = Msg(N_("Please choose one of the categories."))
    if not place_ok:
        errors["place_id"] = Msg(N_("Please choose a place within this consultation's area."))
    if cost_problem:
        errors["estimated_cost"] = cost_problem
    return errors


def reason_problem(reason: str, required: bool = True) -> Msg | None:
    if required and not reason:
        return Msg(N_("Please give a reason; it is shown publicly."))
    if len(reason) > REASON_MAX:
        return Msg(N_("This can have at most %(max)s characters."), {"max": REASON_MAX})
    return None


def comment_problem(body: str) -> Msg | None:
    if not body:
        return Msg(N_("Please write a comment."))
    if len(body) > COMMENT_MAX:
        return Msg(N_("A comment can have at most %(max)s characters."), {"max": COMMENT_MAX})
    return None


def parse_categories(text: str) -> tuple[list[str], Msg | None]:
    """One category per line; blank lines ignored, order kept, duplicates refused."""
    names = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not names:
        return [], Msg(N_("Please give at least one category."))
    if len(names) > MAX_CATEGORIES:
        return [], Msg(N_("At most %(max)s categories."), {"max": MAX_CATEGORIES})
    if any(len(name) > 40 for name in names):
        return [], Msg(N_("A category name can have at most %(max)s characters."), {"max": 40})
    if len(set(names)) != len(names):
        return [], Msg(N_("Each category can be listed only once."))
    return names, None


def consultation_problems(title: str, year: str, description: str,
                          budget_problem: Msg | None) -> tuple[int | None, dict[str, Msg]]:
    errors: dict[str, Msg] = {}
    if not title:
        errors["title"] = Msg(N_("Please give the consultation a title."))
    elif len(title) > 120:
        errors["title"] = Msg(N_("The title can have at most %(max)s characters (now %(n)s)."),
                              {"max": 120, "n": len(title)})
    parsed_year = int(year) if ids.is_digits(year) and len(year) == 4 else None
    if parsed_year is None or not 2000 <= parsed_year <= 2100:
        errors["year"] = Msg(N_("Please enter a year such as 2026."))
        parsed_year = None
    if len(description) > 4000:
        errors["description"] = Msg(
            N_("The description can have at most %(max)s characters (now %(n)s)."),
            {"max": 4000, "n": len(description)})
    if budget_problem:
        errors["budget"] = budget_problem
    return parsed_year, errors


def parse_count(text: str, maximum: int) -> int | None:
    text = str(text if text is not None else "").strip()
    if not text:
        return 0
    return ids.parse_count(text, maximum)


def schedule_problem(times: Sequence[tuple[datetime, datetime]]) -> Msg | None:
    """Rounds, in order, must each close after they open and not overlap the next one."""
    for opens, closes in times:
        if closes <= opens:
            return Msg(N_("A round must close after it opens."))
    for (_, closes), (next_opens, _) in zip(times, times[1:], strict=False):
        if next_opens < closes:
            return Msg(N_("Rounds cannot overlap: each round must open after the one before it closes."))
    return None


# -- similar titles ----------------------------------------------------------------------

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _grams(title: str) -> set[str]:
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", title).lower())
    if len(text) < 2:
        return {text} if text else set()
    return {text[i:i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient over character pairs: works for Chinese, which has no spaces.

    A ranking score only (never money or a count), so a float is fine here.
    """
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def similar_titles(title: str, candidates: Iterable[tuple[int, str]], *, limit: int = 5,
                   threshold: float = 0.25, exclude: int | None = None) -> list[int]:
    """Ids of the candidates whose titles look most like ``title``, best first."""
    scored = [(similarity(title, other), idea_id) for idea_id, other in candidates
              if idea_id != exclude]
    scored = [(score, idea_id) for score, idea_id in scored if score >= threshold]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [idea_id for _, idea_id in scored[:limit]]


# -- names shown to people ---------------------------------------------------------------

STATE_NAMES = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "shortlisted": N_("Shortlisted"),
    "revision_requested": N_("Revision requested"),
    "merged": N_("Merged"),
    "rejected": N_("Not taken forward"),
    "withdrawn": N_("Withdrawn"),
    "selected": N_("Selected"),
    "not_selected": N_("Not selected"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "below_threshold": N_("Did not reach the support threshold"),
}
ROUND_KIND_NAMES = {
    "collect": N_("Collecting ideas"),
    "review": N_("Committee review"),
    "revise": N_("Revision"),
    "vote": N_("Vote"),
    "decide": N_("Decision and public notice"),
}
ROUND_STATE_NAMES = {"upcoming": N_("Not yet open"), "open": N_("Open"), "closed": N_("Closed")}
ACTOR_ROLE_NAMES = {
    "author": N_("The author"),
    "moderator": N_("Neighbourhood committee"),
    "admin": N_("Sub-district office"),
    "expert": N_("Expert"),
    "system": N_("The platform"),
}
TIMELINE_ACTIONS = {
    "submitted": N_("Submitted the idea"),
    "edited": N_("Edited the idea (version %(version)s)"),
    "revised": N_("Published a revised version (version %(version)s)"),
    "shortlisted": N_("Shortlisted the idea"),
    "request_revision": N_("Asked the author for a revision"),
    "merged": N_("Merged this idea into “%(target)s”"),
    "merged_in": N_("Merged “%(source)s” into this idea"),
    "rejected": N_("Did not take the idea forward"),
    "restored": N_("Restored the idea"),
    "withdrawn": N_("Withdrew the idea"),
    "carried": N_("Carried the idea into round %(round)s: %(kind)s"),
    "advice": N_("Gave expert advice"),
    "selected": N_("The idea was selected"),
    "not_selected": N_("The idea was not selected"),
    "below_threshold": N_("Did not reach the support threshold: %(count)s of the %(needed)s supports needed"),
}
REVIEW_ACTION_NAMES = {
    "shortlist": N_("Shortlist"),
    "request_revision": N_("Ask for a revision"),
    "merge": N_("Merge into another idea"),
    "reject": N_("Do not take forward"),
    "restore": N_("Restore"),
}
SORTS = {"newest": N_("Newest first"), "supported": N_("Most supported")}
#: the pipeline's columns on the consultation page
PIPELINE_COUNTS = ("submitted", "shortlisted", "merged", "rejected", "withdrawn")


def timeline_text(action: str, details: dict, t: Callable[[str], str]) -> str:
    """The sentence for one timeline entry in the reader's language (``t`` translates)."""
    template = TIMELINE_ACTIONS.get(action, action)
    params = {k: v for k, v in details.items() if f"%({k})s" in template}
    if "kind" in params:
        params["kind"] = t(ROUND_KIND_NAMES.get(params["kind"], params["kind"]))
    return t(Msg(template, params))
