"""Pure rules for surveys: state from time and what each state allows, checking a survey
and its questions, checking answers, the key of a "has answered" mark, and the arithmetic
of results (exact fractions, shown rounded).

Nothing here touches the database; services hand in plain values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from consult.i18n import N_, Msg
from consult.secrecy import hmac_hex
from consult.surveys.models import AUDIENCES, QUESTION_KINDS

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
QUESTION_TEXT_MAX = 300
OPTION_MAX = 120
MAX_OPTIONS = 20
TEXT_LIMIT_MAX = 2000
#: the range a number question may allow: its answers are stored in an INTEGER column
NUMBER_LIMIT = 1_000_000_000
SERIAL_MAX = 40

#: The five levels of a satisfaction question, stored as 5 (best) … 1 (worst).
SATISFACTION_LEVELS = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Neutral"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
SATISFIED = (5, 4)

KIND_NAMES = {
    "single": N_("Single choice"),
    "multiple": N_("Multiple choice"),
    "satisfaction": N_("Five-level satisfaction"),
    "stars": N_("1–5 stars"),
    "number": N_("Number"),
    "text": N_("Free text"),
}
AUDIENCE_NAMES = {
    "residents": N_("Residents"),
    "owners": N_("Owners (one answer per home)"),
    "owners_reps": N_("Owners' representatives"),
}
STATE_NAMES = {
    "upcoming": N_("Not open yet"),
    "open": N_("Open"),
    "closed": N_("Closed"),
}
#: The permission action that answering needs, by audience.
ANSWER_ACTION = {
    "residents": "answer_survey",
    "owners": "answer_owner_survey",
    "owners_reps": "answer_rep_survey",
}
#: The role that puts a person in the audience (owners also need a linked home).
AUDIENCE_ROLE = {"residents": "resident", "owners": "owner", "owners_reps": "owners_rep"}


# -- state --------------------------------------------------------------------------------


def state(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """``upcoming`` before opening, ``open`` from opening until closing, then ``closed``."""
    if now < opens_at:
        return "upcoming"
    if now < closes_at:
        return "open"
    return "closed"


def results_visible(state_now: str, is_staff: bool) -> bool:
    """Staff follow results live; everyone sees them once the survey has closed."""
    return is_staff or state_now == "closed"


# -- the lifecycle ------------------------------------------------------------------------

#: A survey's states, in order. Its results are public from the close: from then on its
#: questions, options, audience, settings and answers are frozen.
SURVEY_STATES = ("upcoming", "open", "closed")

#: Every privileged action on a survey → the states it is allowed in.
SURVEY_ACTIONS: dict[str, frozenset[str]] = {
    # the title and the description (a typo may be fixed while people answer)
    "change_texts": frozenset({"upcoming", "open"}),
    # who answers and whether answers are anonymous: what people are told before answering
    "change_audience": frozenset({"upcoming"}),
    # the opening time: a survey that has opened stays opened
    "reschedule": frozenset({"upcoming"}),
    # the closing time: later (extend) or from now on (close early); never after the close
    "change_closing": frozenset({"upcoming", "open"}),
    # add, move and remove questions (and only before the first answer: ``services``)
    "edit_questions": frozenset({"upcoming", "open"}),
    "answer": frozenset({"open"}),
    "enter_paper": frozenset({"open"}),
}

_REFUSED = {
    "upcoming": N_("This survey has not opened yet, so this cannot be done now."),
    "open": N_("This survey is open: this can no longer be changed."),
    "closed": N_("This survey has closed and its results are public: nothing about it can change any more."),
}
_REFUSED_ACTION = {
    ("change_audience", "open"): N_("This survey is open: who answers it and whether answers are anonymous can no longer change."),
    ("reschedule", "open"): N_("This survey has opened: its opening time can no longer change. You can still change when it closes."),
    ("answer", "upcoming"): N_("This survey has not opened yet."),
    ("enter_paper", "upcoming"): N_("Paper forms can be entered only while the survey is open."),
    ("enter_paper", "closed"): N_("Paper forms can be entered only while the survey is open."),
}
#: a survey opens only with questions: before its first one it cannot be answered, opened
#: early, or left without questions while open
NO_QUESTIONS = Msg(N_("This survey has no questions yet, so it cannot be answered. Staff add its questions first."))
OPEN_NEEDS_QUESTIONS = Msg(N_("Add at least one question before the survey opens: a survey with no questions cannot open."))
LAST_QUESTION = Msg(N_("An open survey keeps at least one question. Add another question before removing this one."))
#: the API's ``error.code`` of a refusal, by state
REFUSAL_CODES = {"upcoming": "not_open", "open": "survey_open", "closed": "survey_closed"}
#: a closing time of an open survey this far in the past is a typing error, not "now"
CLOSE_NOW_SLACK = timedelta(minutes=1)


def survey_action_allowed(action: str, state_now: str) -> bool:
    """May ``action`` be done to a survey in ``state_now``? (``KeyError`` for an unknown action.)"""
    return state_now in SURVEY_ACTIONS[action]


def survey_action_problem(action: str, state_now: str) -> Msg | None:
    """Why ``action`` cannot be done in ``state_now``, or None when it can."""
    if survey_action_allowed(action, state_now):
        return None
    return Msg(_REFUSED_ACTION.get((action, state_now), _REFUSED[state_now]))


def same_minute(a: datetime, b: datetime) -> bool:
    """Forms give times to the minute: an unchanged field is the stored time's minute."""
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def settings_actions(old: Mapping, new: Mapping) -> list[str]:
    """The lifecycle actions a change of settings amounts to (``SURVEY_ACTIONS``).

    ``old`` and ``new`` hold title, description, audience, anonymous, opens_at, closes_at.
    """
    actions = []
    if (old["title"], old["description"]) != (new["title"], new["description"]):
        actions.append("change_texts")
    if (old["audience"], old["anonymous"]) != (new["audience"], new["anonymous"]):
        actions.append("change_audience")
    if not same_minute(old["opens_at"], new["opens_at"]):
        actions.append("reschedule")
    if not same_minute(old["closes_at"], new["closes_at"]):
        actions.append("change_closing")
    return actions


def closing_time(state_now: str, closes_at: datetime, now: datetime) -> tuple[datetime, Msg | None]:
    """The closing time to store for a survey in ``state_now``: an open survey closes now
    at the earliest (a time in the current minute closes it now); earlier is refused."""
    if state_now != "open" or closes_at >= now:
        return closes_at, None
    if now - closes_at <= CLOSE_NOW_SLACK:
        return now, None
    return closes_at, Msg(N_("People have answered until now: an open survey can close now at the earliest."))


# -- who has answered ---------------------------------------------------------------------

ANSWER_KINDS = ("user", "home")


def answer_key(key: bytes, survey_id: int, kind: str, number: int) -> str:
    """The "has answered" mark of a person (``user``) or a home (owners' surveys) on a
    survey: 40 hex characters of HMAC-SHA256 of ``survey:<survey>:<kind>:<id>`` under the
    ballot key. Without the key nobody can tell whose mark it is, and the same person has
    unrelated marks on two surveys."""
    if kind not in ANSWER_KINDS:
        raise ValueError(kind)
    return hmac_hex(key, f"survey:{survey_id}:{kind}:{number}")


# -- building -----------------------------------------------------------------------------


def survey_problems(*, title: str, description: str, audience: str, opens_at: datetime | None,
                    closes_at: datetime | None) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    if not title.strip():
        problems["title"] = Msg(N_("Please give the survey a title."))
    elif len(title.strip()) > TITLE_MAX:
        problems["title"] = Msg(N_("The title must have at most %(max)s characters."), {"max": TITLE_MAX})
    if len(description) > DESCRIPTION_MAX:
        problems["description"] = Msg(N_("The description must have at most %(max)s characters."),
                                      {"max": DESCRIPTION_MAX})
    if audience not in AUDIENCES:
        problems["audience"] = Msg(N_("Please choose who answers the survey."))
    if opens_at is None:
        problems["opens_at"] = Msg(N_("Please give a valid date and time."))
    if closes_at is None:
        problems["closes_at"] = Msg(N_("Please give a valid date and time."))
    if opens_at and closes_at and closes_at <= opens_at:
        problems["closes_at"] = Msg(N_("The survey must close after it opens."))
    return problems


@dataclass(frozen=True)
class QuestionDraft:
    """A question as typed by staff, before it is stored."""

    kind: str
    text: str
    hint: str = ""
    required: bool = True
    options: tuple[str, ...] = ()
    max_choices: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None


def question_problems(draft: QuestionDraft) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    if draft.kind not in QUESTION_KINDS:
        return {"kind": Msg(N_("Please choose a kind of question."))}
    if not draft.text.strip():
        problems["text"] = Msg(N_("Please write the question."))
    elif len(draft.text.strip()) > QUESTION_TEXT_MAX:
        problems["text"] = Msg(N_("The question must have at most %(max)s characters."),
                               {"max": QUESTION_TEXT_MAX})
    if len(draft.hint) > QUESTION_TEXT_MAX:
        problems["hint"] = Msg(N_("The hint must have at most %(max)s characters."),
                               {"max": QUESTION_TEXT_MAX})
    if draft.kind in ("single", "multiple"):
        options = [o.strip() for o in draft.options if o.strip()]
        if len(options) < 2:
            problems["options"] = Msg(N_("Please give at least two choices, one per line."))
        elif len(options) > MAX_OPTIONS:
            problems["options"] = Msg(N_("At most %(max)s choices are allowed."), {"max": MAX_OPTIONS})
        elif any(len(o) > OPTION_MAX for o in options):
            problems["options"] = Msg(N_("Each choice must have at most %(max)s characters."),
                                      {"max": OPTION_MAX})
        elif len(set(options)) != len(options):
            problems["options"] = Msg(N_("Each choice must be different."))
        if draft.kind == "multiple" and draft.max_choices is not None and not (
                1 <= draft.max_choices <= max(len(options), 1)):
            problems["max_choices"] = Msg(
                N_("The maximum number of choices must be between 1 and the number of choices."))
    if draft.kind == "number":
        if draft.min_value is None or draft.max_value is None:
            problems["min_value"] = Msg(N_("Please give the smallest and the largest allowed number."))
        elif draft.min_value >= draft.max_value:
            problems["min_value"] = Msg(N_("The smallest number must be less than the largest."))
        elif draft.min_value < -NUMBER_LIMIT or draft.max_value > NUMBER_LIMIT:
            problems["min_value"] = Msg(N_("Allowed numbers go from %(low)s to %(high)s at the most."),
                                        {"low": -NUMBER_LIMIT, "high": NUMBER_LIMIT})
    if draft.kind == "text" and draft.max_length is not None and not (
            1 <= draft.max_length <= TEXT_LIMIT_MAX):
        problems["max_length"] = Msg(N_("The length limit must be between 1 and %(max)s characters."),
                                     {"max": TEXT_LIMIT_MAX})
    return problems


# -- answering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    """What answering a stored question needs to know."""

    id: int
    kind: str
    required: bool
    option_ids: tuple[int, ...] = ()
    max_choices: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None

    @property
    def field(self) -> str:
        return f"q{self.id}"


@dataclass(frozen=True)
class AnswerValue:
    question_id: int
    option_id: int | None = None
    value: int | None = None
    text: str | None = None


@dataclass
class Checked:
    answers: list[AnswerValue] = field(default_factory=list)
    errors: dict[str, Msg] = field(default_factory=dict)


def whole_number(raw: str) -> int | None:
    raw = raw.strip()
    if raw.startswith(("-", "+")):
        sign, digits = raw[0], raw[1:]
    else:
        sign, digits = "", raw
    if not digits.isdecimal() or not digits.isascii() or len(digits) > 12:
        return None
    return int(sign + digits)


def check_answers(questions: Sequence[QuestionSpec], raw: Mapping[str, Sequence[str]]) -> Checked:
    """Check a whole form at once; every problem is reported against its question.

    ``raw`` maps a field name (``q<ID>``) to the submitted values (several for a
    multiple-choice question). Unknown fields are ignored.
    """
    result = Checked()
    for q in questions:
        values = [v for v in (str(x) for x in raw.get(q.field, ())) if v.strip()]
        if not values:
            if q.required:
                result.errors[q.field] = Msg(N_("Please answer this question."))
            continue
        problem = _check_one(q, values, result.answers)
        if problem:
            result.errors[q.field] = problem
    if result.errors:
        result.answers = []
    return result


def _check_one(q: QuestionSpec, values: list[str], out: list[AnswerValue]) -> Msg | None:
    if q.kind in ("single", "multiple"):
        chosen: list[int] = []
        for raw in values:
            number = whole_number(raw)
            if number is None or number not in q.option_ids:
                return Msg(N_("Please choose one of the listed answers."))
            if number not in chosen:
                chosen.append(number)
        if q.kind == "single" and len(chosen) > 1:
            return Msg(N_("Please choose only one answer."))
        if q.kind == "multiple" and q.max_choices is not None and len(chosen) > q.max_choices:
            return Msg(N_("Please choose at most %(max)s answers."), {"max": q.max_choices})
        out.extend(AnswerValue(q.id, option_id=o) for o in chosen)
        return None
    if len(values) > 1:
        return Msg(N_("Please give only one answer."))
    raw = values[0]
    if q.kind in ("stars", "satisfaction"):
        number = whole_number(raw)
        if number is None or not 1 <= number <= 5:
            if q.kind == "stars":
                return Msg(N_("Please give between 1 and 5 stars."))
            return Msg(N_("Please choose one of the five levels."))
        out.append(AnswerValue(q.id, value=number))
        return None
    if q.kind == "number":
        number = whole_number(raw)
        if number is None:
            return Msg(N_("Please enter a whole number."))
        if (q.min_value is not None and number < q.min_value) or (
                q.max_value is not None and number > q.max_value):
            return Msg(N_("Please enter a number from %(min)s to %(max)s."),
                       {"min": q.min_value, "max": q.max_value})
        out.append(AnswerValue(q.id, value=number))
        return None
    text = raw.strip()
    limit = q.max_length or TEXT_LIMIT_MAX
    if len(text) > limit:
        return Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                   {"max": limit, "count": len(text)})
    out.append(AnswerValue(q.id, text=text))
    return None


def serial_problem(serial: str) -> Msg | None:
    serial = serial.strip()
    if not serial:
        return Msg(N_("Please enter the serial number written on the paper form."))
    if len(serial) > SERIAL_MAX:
        return Msg(N_("The serial number must have at most %(max)s characters."), {"max": SERIAL_MAX})
    return None


# -- results ------------------------------------------------------------------------------


def satisfaction_rate(counts: Mapping[int, int]) -> Fraction | None:
    """满意率 = (very satisfied + satisfied) / answers; None when nobody answered."""
    total = sum(counts.values())
    if not total:
        return None
    return Fraction(sum(counts.get(level, 0) for level in SATISFIED), total)


def mean(total: int, count: int) -> Fraction | None:
    return Fraction(total, count) if count else None


def share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def _rounded(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(value: Fraction | None) -> str:
    """A fraction as a percentage with one decimal, rounded half up: 2/3 → ``66.7%``."""
    if value is None:
        return "–"
    return f"{_rounded(value * 100, 1)}%"


def two_decimals(value: Fraction | None) -> str:
    """A mean shown with two decimals: 17/4 → ``4.25``."""
    if value is None:
        return "–"
    return str(_rounded(value, 2))


def bar_width(value: Fraction | None, full: int) -> int:
    """The length of a chart bar for a share, in whole units (exact, capped at ``full``)."""
    if not value or value < 0:
        return 0
    return min(full, value.numerator * full // value.denominator)


def short_label(text: str, limit: int = 16) -> str:
    """Chart labels cannot wrap; the full text is in the table next to the chart."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
