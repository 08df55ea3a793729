"""Pure rules for star ratings: weights, thresholds, mapping each source to 0–100,
the exact weighted total and its star level, the notice period, what each state of a
campaign and of a contest allows, and the forum grid.

All arithmetic is exact (``Fraction``); rounding happens only for display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from consult.i18n import N_, Msg
from consult.ratings.models import SOURCES, SUBJECT_KINDS, SURVEY_MEASURES
from consult.surveys.rules import whole_number

NAME_MAX = 120
EVIDENCE_MAX = 500
OBJECTION_MAX = 1000
STAR_LEVELS = 5

SOURCE_NAMES = {
    "staff": N_("Score entered by staff (with evidence)"),
    "forum": N_("Representatives' forum ratings"),
    "survey": N_("Satisfaction survey"),
    "contest": N_("Public star votes"),
    "project": N_("Residents' rating of the project"),
}
MEASURE_NAMES = {
    "rate": N_("satisfaction rate"),
    "mean": N_("mean level"),
}
SUBJECT_KIND_NAMES = {
    "owners_committee": N_("Owners' committee"),
    "building_group": N_("Building group"),
    "project": N_("Completed project"),
}
STATE_NAMES = {
    "draft": N_("Being prepared"),
    "notice": N_("Published, in the notice period"),
    "final": N_("Final"),
}


# -- campaign set-up ----------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionDraft:
    name: str
    weight: int | None
    source: str
    survey_measure: str | None = None
    contest_id: int | None = None


def criteria_problems(drafts: Sequence[CriterionDraft], contest_ids: Sequence[int] = ()) -> dict[str, Msg]:
    """Problems keyed ``c<index>_<field>``, plus ``weights`` when they do not sum to 100."""
    problems: dict[str, Msg] = {}
    if not drafts:
        return {"weights": Msg(N_("Please give at least one criterion."))}
    names: set[str] = set()
    for i, d in enumerate(drafts):
        name = d.name.strip()
        if not name:
            problems[f"c{i}_name"] = Msg(N_("Please name the criterion."))
        elif len(name) > NAME_MAX:
            problems[f"c{i}_name"] = Msg(N_("A name must have at most %(max)s characters."), {"max": NAME_MAX})
        elif name in names:
            problems[f"c{i}_name"] = Msg(N_("Two criteria have the same name."))
        names.add(name)
        if d.weight is None or not 1 <= d.weight <= 100:
            problems[f"c{i}_weight"] = Msg(N_("A weight is a whole number from 1 to 100."))
        if d.source not in SOURCES:
            problems[f"c{i}_source"] = Msg(N_("Please choose where the score comes from."))
        elif d.source == "survey" and d.survey_measure not in SURVEY_MEASURES:
            problems[f"c{i}_source"] = Msg(N_("Please choose the satisfaction rate or the mean level."))
        elif d.source == "contest" and d.contest_id not in contest_ids:
            problems[f"c{i}_source"] = Msg(N_("Please choose the contest whose votes count."))
    if problem := weights_problem([d.weight for d in drafts]):
        problems["weights"] = problem
    return problems


def weights_problem(weights: Sequence[int | None]) -> Msg | None:
    """Weights are whole numbers and add up to exactly 100."""
    if any(w is None for w in weights):
        return Msg(N_("Every criterion needs a whole-number weight."))
    total = sum(weights)  # type: ignore[arg-type]
    if total != 100:
        return Msg(N_("The weights add up to %(total)s; they must add up to exactly 100."),
                   {"total": total})
    return None


def thresholds_problem(thresholds: Sequence[int | None]) -> Msg | None:
    """Five whole numbers from 0 to 100, strictly increasing from 1 star to 5 stars."""
    if len(thresholds) != STAR_LEVELS or any(t is None for t in thresholds):
        return Msg(N_("Please give a whole-number threshold for each of the five star levels."))
    if any(not 0 <= t <= 100 for t in thresholds):  # type: ignore[operator]
        return Msg(N_("Thresholds are between 0 and 100."))
    if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):  # type: ignore[operator]
        return Msg(N_("Each star level needs a higher threshold than the level below it."))
    return None


def subject_problems(kind: str, name: str) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    if kind not in SUBJECT_KINDS:
        problems["kind"] = Msg(N_("Please choose what is rated."))
    if not name.strip():
        problems["name"] = Msg(N_("Please give a name."))
    elif len(name.strip()) > NAME_MAX:
        problems["name"] = Msg(N_("A name must have at most %(max)s characters."), {"max": NAME_MAX})
    return problems


def staff_score(raw: str) -> tuple[int | None, Msg | None]:
    """A staff score is blank (not scored yet) or a whole number 0–100."""
    if not raw.strip():
        return None, None
    value = whole_number(raw)
    if value is None or not 0 <= value <= 100:
        return None, Msg(N_("A score is a whole number from 0 to 100."))
    return value, None


def stars_problem(raw: str) -> tuple[int | None, Msg | None]:
    value = whole_number(raw)
    if value is None or not 1 <= value <= 5:
        return None, Msg(N_("Please give between 1 and 5 stars."))
    return value, None


def text_problem(text: str, limit: int, empty: str) -> Msg | None:
    if not text.strip():
        return Msg(empty)
    if len(text.strip()) > limit:
        return Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                   {"max": limit, "count": len(text.strip())})
    return None


# -- scores -------------------------------------------------------------------------------


def five_to_100(mean: Fraction) -> Fraction:
    """A mean on the 1–5 scale (stars, forum ratings, satisfaction levels) mapped to 0–100."""
    return (mean - 1) / 4 * 100


def rate_to_100(rate: Fraction) -> Fraction:
    return rate * 100


def weighted_total(weights: Mapping[int, int], scores: Mapping[int, Fraction | None]) -> Fraction:
    """Σ weight × score / 100 over the criteria; a criterion without a score counts 0."""
    total = Fraction(0)
    for criterion_id, weight in weights.items():
        score = scores.get(criterion_id)
        if score is not None:
            total += Fraction(weight) * score / 100
    return total


def stars_for(total: Fraction, thresholds: Sequence[int]) -> int:
    """The highest star level whose threshold the total reaches (0: none)."""
    level = 0
    for stars, threshold in enumerate(thresholds, start=1):
        if total >= threshold:
            level = stars
    return level


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str | None) -> Fraction | None:
    return Fraction(text) if text else None


# -- publishing ---------------------------------------------------------------------------


def campaign_state(published_at: datetime | None, notice_ends_at: datetime | None,
                   now: datetime) -> str:
    if published_at is None:
        return "draft"
    if notice_ends_at is not None and now < notice_ends_at:
        return "notice"
    return "final"


# -- the lifecycles -----------------------------------------------------------------------

#: A campaign's states: being prepared, published (the notice period, objections), final.
#: Its result is frozen on its subjects when it is published; from then on nothing it is
#: computed from changes (set-up, staff scores, forums and their ratings).
CAMPAIGN_STATES = ("draft", "notice", "final")
CAMPAIGN_ACTIONS: dict[str, frozenset[str]] = {
    # thresholds, criteria, subjects (and the survey each is measured by)
    "change_setup": frozenset({"draft"}),
    "enter_staff_scores": frozenset({"draft"}),
    # hold a representatives' forum: its time, place, agenda, minutes and attendees
    "manage_forum": frozenset({"draft"}),
    "enter_forum_ratings": frozenset({"draft"}),
    # a contest whose public votes count for the campaign
    "attach_contest": frozenset({"draft"}),
    "publish": frozenset({"draft"}),
    "file_objection": frozenset({"notice"}),
    # a public answer changes no figure: objections filed in the notice period are
    # answered during it or after
    "answer_objection": frozenset({"notice", "final"}),
}
#: A contest's states (``surveys.rules.state`` of its times): its votes are taken while it
#: is open; its entries are the ballot, fixed once the first star is given.
CONTEST_STATES = ("upcoming", "open", "closed")
CONTEST_ACTIONS: dict[str, frozenset[str]] = {
    "add_entry": frozenset({"upcoming", "open"}),
    "rate_entry": frozenset({"open"}),
}

_CAMPAIGN_REFUSED = {
    "draft": N_("This campaign is not published yet."),
    "notice": N_("This campaign is published: its criteria, subjects, scores and ratings can no longer change. Questions go through an objection."),
    "final": N_("This campaign's results are final: nothing about it can change any more."),
}
_CAMPAIGN_REFUSED_ACTION = {
    ("publish", "notice"): N_("The campaign is already published."),
    ("publish", "final"): N_("The campaign is already published."),
    ("file_objection", "draft"): N_("Objections can be filed only during the notice period."),
    ("file_objection", "final"): N_("Objections can be filed only during the notice period."),
}
_CONTEST_REFUSED = {
    ("add_entry", "closed"): N_("This public vote has closed: its entries can no longer change."),
    ("rate_entry", "upcoming"): N_("This public vote has not opened yet."),
    ("rate_entry", "closed"): N_("This public vote has closed."),
}
#: the API's ``error.code`` of a refusal, by state
CAMPAIGN_CODES = {"draft": "not_published", "notice": "published", "final": "final"}
CONTEST_CODES = {"upcoming": "not_open", "open": "contest_open", "closed": "not_open"}


def campaign_action_allowed(action: str, state: str) -> bool:
    """May ``action`` be done to a campaign in ``state``? (``KeyError`` for an unknown action.)"""
    return state in CAMPAIGN_ACTIONS[action]


def campaign_action_problem(action: str, state: str) -> Msg | None:
    if campaign_action_allowed(action, state):
        return None
    return Msg(_CAMPAIGN_REFUSED_ACTION.get((action, state), _CAMPAIGN_REFUSED[state]))


def contest_action_allowed(action: str, state: str) -> bool:
    """May ``action`` be done to a contest in ``state``? (``KeyError`` for an unknown action.)"""
    return state in CONTEST_ACTIONS[action]


def contest_action_problem(action: str, state: str) -> Msg | None:
    if contest_action_allowed(action, state):
        return None
    return Msg(_CONTEST_REFUSED[(action, state)])


def notice_days_problem(raw: str) -> tuple[int | None, Msg | None]:
    value = whole_number(raw)
    if value is None or not 1 <= value <= 60:
        return None, Msg(N_("The notice period is a whole number of days from 1 to 60."))
    return value, None


# -- forum grid ---------------------------------------------------------------------------


@dataclass
class Grid:
    values: dict[tuple[int, int], int | None] = field(default_factory=dict)
    errors: dict[str, Msg] = field(default_factory=dict)


def cell_name(user_id: int, criterion_id: int) -> str:
    return f"r{user_id}_c{criterion_id}"


def check_grid(people: Sequence[int], criteria: Sequence[int], raw: Mapping[str, str]) -> Grid:
    """Every cell blank (no rating) or a whole number 1–5; errors keyed by cell name."""
    grid = Grid()
    for person in people:
        for criterion in criteria:
            name = cell_name(person, criterion)
            text = str(raw.get(name, "") or "").strip()
            if not text:
                grid.values[(person, criterion)] = None
                continue
            value = whole_number(text)
            if value is None or not 1 <= value <= 5:
                grid.errors[name] = Msg(N_("A rating is a whole number from 1 to 5."))
            else:
                grid.values[(person, criterion)] = value
    if grid.errors:
        grid.values = {}
    return grid
