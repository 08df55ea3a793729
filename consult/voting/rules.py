"""Pure rules of the voting domain: settings, reading a ballot, counting a round, receipts.

Nothing here touches the database or reads the clock. Counting is delegated to
:mod:`consult.voting.tally` (the same code ``python -m consult pb tally`` runs), so
the platform's result and anyone's recount of the exported ``.pb`` file agree.

Money on the platform is integer fen. The tally counts in a *money unit*: the yuan
when every cost and the budget are whole yuan, otherwise the fen (see
:func:`money_unit`). Greedy rules do not depend on the unit; the Method of Equal
Shares' add-one completion raises every voter's share by one unit at a time, like
the cities that use it do with their currency.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from consult.clock import to_local
from consult.db.ids import parse_count
from consult.i18n import N_, Msg
from consult.parsing import clean_text, parse_money
from consult.voting import tally
from consult.voting.tally import BallotError, Project

BALLOT_KINDS = ("approval", "approval_budget", "cumulative", "ordinal", "choose_one")
APPROVAL_KINDS = frozenset({"approval", "approval_budget", "choose_one"})
#: the selection rules a vote round can use, in the order a form lists them
SELECTION_RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "equalshares/add1", "top-k")
ELIGIBILITY = ("residents", "owners")
CHANNELS = ("web", "paper", "import")
MAX_SERIAL = 40
MAX_OBJECTION = 4000
MAX_ANSWER = 1000
MAX_NOTICE_DAYS = 60
MAX_LIMIT = 1000
MAX_POINTS = 10000

BALLOT_KIND_NAMES = {
    "approval": N_("Approval: choose ideas"),
    "approval_budget": N_("Approval within the budget: chosen ideas must fit the budget"),
    "cumulative": N_("Cumulative: distribute points"),
    "ordinal": N_("Ranking: rank your favourite ideas"),
    "choose_one": N_("Choose one idea"),
}
RULE_NAMES = {
    "greedy": N_("Greedy by score within the budget (skip what does not fit)"),
    "greedy-no-skip": N_("Greedy by score, stopping at the first idea that does not fit"),
    "greedy-threshold": N_("Greedy by score among ideas reaching a minimum score"),
    "equalshares": N_("Method of Equal Shares"),
    "equalshares/add1": N_("Method of Equal Shares (with the add-one completion)"),
    "equalshares/add1-comparison": N_("Method of Equal Shares (add-one completion, then compared with the greedy outcome)"),
    "top-k": N_("The ideas with the highest scores, whatever they cost"),
}
ELIGIBILITY_NAMES = {
    "residents": N_("Verified residents of the area"),
    "owners": N_("Owners of record, one ballot per home"),
}
STATUS_NAMES = {
    "counted": N_("Counted"),
    "pending": N_("Waiting for the second entry"),
    "disputed": N_("The two entries differ: waiting for a moderator"),
}
CHANNEL_NAMES = {"web": N_("Online"), "paper": N_("Paper"), "import": N_("Imported")}
#: tally.TIE_BREAKING as stored with a result → its translatable wording
TIE_BREAKING_TEXT = {
    tally.TIE_BREAKING: N_("Ties are broken in favour of the higher score, then the lower cost, "
                           "then the idea listed first (the lower idea number)."),
}

#: ``tally.BALLOT_MESSAGES`` (English ``{name}`` templates) in the catalogue's ``%(name)s``
#: form; ``ballot_text`` converts one into the other and a test checks they agree.
BALLOT_TEXTS = {
    "too_few_choices": N_("Choose at least %(min)s projects (you chose %(count)s)."),
    "too_many_choices": N_("Choose at most %(max)s projects (you chose %(count)s)."),
    "over_budget": N_("Your choices cost %(total)s, more than the budget of %(budget)s."),
    "unknown_project": N_("There is no project %(project)s on this ballot."),
    "duplicate_project": N_("Project %(project)s appears more than once."),
    "points_not_integer": N_("Points for project %(project)s must be a whole number, not %(value)s."),
    "points_negative": N_("Points for project %(project)s cannot be negative (%(points)s)."),
    "points_over_project_limit": N_("At most %(max)s points per project (%(project)s has %(points)s)."),
    "points_over_limit": N_("You gave %(total)s points; at most %(max)s may be given."),
    "points_under_limit": N_("You gave %(total)s points; give at least %(min)s."),
    "ranking_too_long": N_("Rank at most %(max)s projects (you ranked %(count)s)."),
    "ranking_too_short": N_("Rank at least %(min)s projects (you ranked %(count)s)."),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def ballot_text(template: str) -> str:
    """A ``tally.BALLOT_MESSAGES`` template (``{name}``) in gettext form (``%(name)s``)."""
    return _PLACEHOLDER.sub(r"%(\1)s", template.replace("%", "%%"))


def money(fen: int | None) -> str:
    """Integer fen as ``¥1,234.50`` (the same as the templates' ``money`` filter)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{rest:02d}"


def ballot_message(error: BallotError, titles: Mapping[str, str] | None = None,
                   money_params: bool = True) -> Msg:
    """A tally ``BallotError`` as a translatable message naming ideas by their titles.

    Costs in the ``over_budget`` message are fen and shown as money.
    """
    params = dict(error.params)
    if "project" in params:
        key = str(params["project"])
        params["project"] = (titles or {}).get(key) or f"“{key[:20]}”"
    if "value" in params:
        params["value"] = f"“{str(params['value'])[:20]}”"
    if error.code == "over_budget" and money_params:
        params["total"], params["budget"] = money(params["total"]), money(params["budget"])
    return Msg(BALLOT_TEXTS[error.code], params)


# -- settings ----------------------------------------------------------------------------


#: what the settings form sets of a round's ``VoteSettings`` (the rules below read these
#: attributes of any settings object)
SETTINGS_FIELDS = ("ballot_kind", "min_choices", "max_choices", "max_points",
                   "max_points_per_idea", "ranking_length", "points_per_rank", "rule",
                   "min_score", "k", "budget_fen", "eligibility", "double_key", "notice_days")


def _whole(text: object, *, low: int = 0, high: int = MAX_LIMIT) -> tuple[int | None, bool]:
    """A whole number typed in a form: (value, ok); empty → (None, True)."""
    text = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()
    if not text:
        return None, True
    value = parse_count(text)
    if value is None:
        return None, False
    return (value, True) if low <= value <= high else (None, False)


def parse_settings(form: Mapping[str, object], consultation_budget_fen: int | None, values
                   ) -> tuple[object, dict[str, Msg]]:
    """Read the settings form into ``values`` (a ``VoteSettings``, every field of
    ``SETTINGS_FIELDS`` set from the form); return it and one message per bad field."""
    errors: dict[str, Msg] = {}
    number = Msg(N_("Please enter a whole number from %(low)s to %(high)s."), {"low": 0, "high": MAX_LIMIT})

    def whole(name: str, low: int = 0, high: int = MAX_LIMIT) -> int | None:
        value, ok = _whole(form.get(name), low=low, high=high)
        if not ok:
            errors[name] = Msg(number.text, {"low": low, "high": high})
        return value

    kind = clean_text(form.get("ballot_kind"))
    if kind not in BALLOT_KINDS:
        errors["ballot_kind"] = Msg(N_("Please choose the kind of ballot."))
    values.ballot_kind = kind
    values.min_choices = whole("min_choices") or 0
    values.max_choices = whole("max_choices", 1)
    values.max_points = whole("max_points", 1, MAX_POINTS)
    values.max_points_per_idea = whole("max_points_per_idea", 1, MAX_POINTS)
    values.ranking_length = whole("ranking_length", 1, 100)
    rule = clean_text(form.get("rule"))
    if rule not in SELECTION_RULES:
        errors["rule"] = Msg(N_("Please choose a selection rule."))
    values.rule = rule
    values.min_score = whole("min_score", 0, 10**9)
    values.k = whole("k", 1)
    values.notice_days = whole("notice_days", 0, MAX_NOTICE_DAYS)
    if values.notice_days is None and "notice_days" not in errors:
        values.notice_days = 7
    budget, problem = parse_money(clean_text(form.get("budget")))
    if problem:
        errors["budget"] = problem
    values.budget_fen = budget
    eligibility = clean_text(form.get("eligibility")) or "residents"
    if eligibility not in ELIGIBILITY:
        errors["eligibility"] = Msg(N_("Please choose who may vote."))
    values.eligibility = eligibility
    values.double_key = clean_text(form.get("double_key")) in ("1", "on", "true")

    values.points_per_rank = []
    points_text = unicodedata.normalize("NFKC", clean_text(form.get("points_per_rank")))
    if points_text:
        parts = [p.strip() for p in re.split(r"[,，\s]+", points_text) if p.strip()]
        if not all(parse_count(p, MAX_POINTS) is not None for p in parts):
            errors["points_per_rank"] = Msg(N_("Write whole numbers separated by commas, such as 3,2,1."))
        else:
            values.points_per_rank = [int(p) for p in parts]
    errors.update(settings_problems(values, consultation_budget_fen, skip=set(errors)))
    return values, errors


def settings_problems(values, consultation_budget_fen: int | None,
                      skip: Iterable[str] = ()) -> dict[str, Msg]:
    """Combinations that cannot work; fills in defaults (e.g. points per rank k, k-1, … 1)."""
    errors: dict[str, Msg] = {}
    skip = set(skip)
    kind, rule = values.ballot_kind, values.rule
    if values.max_choices is not None and values.max_choices < values.min_choices:
        errors["max_choices"] = Msg(N_("The maximum cannot be less than the minimum."))
    if kind == "cumulative" and values.max_points is None and "max_points" not in skip:
        errors["max_points"] = Msg(N_("Say how many points each voter distributes."))
    if kind == "ordinal":
        if values.ranking_length is None and "ranking_length" not in skip:
            errors["ranking_length"] = Msg(N_("Say how many ideas each voter may rank."))
        elif values.ranking_length is not None:
            if not values.points_per_rank and "points_per_rank" not in skip:
                values.points_per_rank = list(range(values.ranking_length, 0, -1))
            elif values.points_per_rank and len(values.points_per_rank) != values.ranking_length:
                errors["points_per_rank"] = Msg(
                    N_("Give exactly %(n)s numbers, one for each rank."), {"n": values.ranking_length})
            if values.min_choices > values.ranking_length:
                errors["min_choices"] = Msg(N_("The minimum cannot be more than the ranking length."))
    if rule in ("equalshares", "equalshares/add1") and kind in BALLOT_KINDS and kind not in APPROVAL_KINDS:
        errors["rule"] = Msg(N_("The Method of Equal Shares needs approval or choose-one ballots."))
    if rule == "greedy-threshold" and values.min_score is None and "min_score" not in skip:
        errors["min_score"] = Msg(N_("Give the minimum score an idea needs."))
    if rule == "top-k" and values.k is None and "k" not in skip:
        errors["k"] = Msg(N_("Say how many ideas are selected."))
    needs_budget = rule != "top-k" or kind == "approval_budget"
    if needs_budget and values.budget_fen is None and consultation_budget_fen is None and "budget" not in skip:
        errors["budget"] = Msg(N_("This vote needs a budget: give one here or in the consultation."))
    return errors


def budget_of(values, consultation_budget_fen: int | None) -> int | None:
    """The vote's own budget, else the consultation's."""
    return values.budget_fen if values.budget_fen is not None else consultation_budget_fen


# -- reading a ballot ----------------------------------------------------------------------


@dataclass
class RawBallot:
    """A ballot as submitted, before checking: idea ids as text, points as typed.

    ``choices`` for approval kinds, ``points`` (pairs, so a repeated idea is caught)
    for cumulative, ``ranking`` (best first) for ordinal.
    """

    choices: list[str] = field(default_factory=list)
    points: list[tuple[str, object]] = field(default_factory=list)
    ranking: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Choice:
    idea_id: int
    points: int = 1
    rank: int | None = None


class BallotFormError(ValueError):
    """A form that cannot even be read as a ballot (e.g. two ideas with the same rank)."""

    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(msg.text)


def read_form_ballot(kind: str, items: Iterable[tuple[str, object]]) -> RawBallot:
    """The ballot fields of a submitted form: ``idea`` (checkboxes or radio),
    ``points-<id>`` (number inputs; blank is 0) or ``rank-<id>`` (selects; blank is unranked)."""
    raw = RawBallot()
    ranks: list[tuple[str, str]] = []
    for name, value in items:
        value = value if isinstance(value, str) else ""
        if name == "idea":
            raw.choices.append(value.strip())
        elif name.startswith("points-"):
            if value.strip():
                raw.points.append((name.removeprefix("points-"), value.strip()))
        elif name.startswith("rank-") and value.strip():
            ranks.append((name.removeprefix("rank-"), value.strip()))
    if kind == "ordinal":
        raw.ranking = ranking_from_ranks(ranks)
    return raw


def ranking_from_ranks(ranks: Sequence[tuple[str, str]]) -> list[str]:
    """(idea id, rank typed) pairs → ideas best first; ranks must be 1, 2, … without repeats or gaps."""
    by_rank: dict[int, str] = {}
    for idea, text in ranks:
        text = unicodedata.normalize("NFKC", text)
        rank = parse_count(text.strip())
        if not rank:
            raise BallotFormError(Msg(N_("A rank must be a whole number from 1 up.")))
        if rank in by_rank:
            raise BallotFormError(Msg(N_("Two ideas have rank %(rank)s; give each rank to one idea only."),
                                      {"rank": rank}))
        by_rank[rank] = idea
    expected = list(range(1, len(by_rank) + 1))
    if sorted(by_rank) != expected:
        missing = next(r for r in expected if r not in by_rank)
        raise BallotFormError(Msg(N_("Rank %(rank)s is missing; number your choices 1, 2, 3… without gaps."),
                                  {"rank": missing}))
    return [by_rank[r] for r in expected]


def read_json_ballot(kind: str, data: Mapping[str, object]) -> RawBallot:
    """The API's ballot body: ``choices`` (list), ``points`` (object) or ``ranking`` (list)."""
    raw = RawBallot()

    def ids(key: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise BallotFormError(Msg(N_("“%(field)s” must be a list of idea numbers."), {"field": key}))
        return [str(v) for v in value]

    if kind == "cumulative":
        points = data.get("points", {})
        if not isinstance(points, dict):
            raise BallotFormError(Msg(N_("“points” must map idea numbers to points.")))
        raw.points = [(str(k), v) for k, v in points.items()]
    elif kind == "ordinal":
        raw.ranking = ids("ranking")
    else:
        raw.choices = ids("choices")
    return raw


def check_ballot(values, projects: Sequence[Project], raw: RawBallot,
                 budget_fen: int | None) -> list[Choice]:
    """Check a ballot against the round's settings; raise ``BallotError`` when it is invalid.

    ``projects`` are the round's ideas, ids as text and costs in fen.
    """
    kind = values.ballot_kind
    if kind in ("approval", "approval_budget"):
        chosen = tally.validate_approval(
            raw.choices, projects, min_choices=values.min_choices, max_choices=values.max_choices,
            budget=budget_fen if kind == "approval_budget" else None)
        return [Choice(int(pid)) for pid in chosen]
    if kind == "choose_one":
        chosen = tally.validate_approval(raw.choices, projects, min_choices=1, max_choices=1)
        return [Choice(int(pid)) for pid in chosen]
    if kind == "cumulative":
        points = tally.validate_cumulative(
            raw.points, projects, max_sum_points=values.max_points or 0, min_sum_points=1,
            max_points=values.max_points_per_idea)
        return [Choice(int(pid), p) for pid, p in points.items()]
    if kind == "ordinal":
        ranking = tally.validate_ranking(raw.ranking, projects, max_length=values.ranking_length or 0,
                                         min_length=values.min_choices)
        per_rank = values.points_per_rank
        return [Choice(int(pid), per_rank[r], r + 1) for r, pid in enumerate(ranking)]
    raise ValueError(f"unknown ballot kind {kind!r}")


@dataclass(frozen=True)
class Running:
    """The running total a ballot page shows: what is chosen and what it costs or weighs."""

    chosen: int
    cost_fen: int
    points: int
    budget_fen: int | None

    @property
    def left_fen(self) -> int | None:
        return None if self.budget_fen is None else self.budget_fen - self.cost_fen

    @property
    def over(self) -> bool:
        return self.budget_fen is not None and self.cost_fen > self.budget_fen


def running_total(kind: str, raw: RawBallot, costs: Mapping[str, int | None],
                  budget_fen: int | None) -> Running:
    """Tolerant of bad input (unknown ideas and non-numbers are ignored): shown next to errors."""
    if kind == "cumulative":
        points = 0
        given = set()
        for pid, value in raw.points:
            text = unicodedata.normalize("NFKC", str(value)).strip()
            if pid in costs and (number := parse_count(text)) is not None:
                points += number
                given.add(pid)
        return Running(len(given), 0, points, None)
    ids = raw.ranking if kind == "ordinal" else raw.choices
    known = list(dict.fromkeys(pid for pid in ids if pid in costs))
    cost = sum(costs[pid] or 0 for pid in known)
    return Running(len(known), cost, 0, budget_fen if kind == "approval_budget" else None)


# -- counting ------------------------------------------------------------------------------


def money_unit(costs_fen: Iterable[int], budget_fen: int | None) -> int:
    """100 (count in yuan) when every amount is whole yuan, else 1 (count in fen)."""
    amounts = [*costs_fen, budget_fen or 0]
    return 100 if all(a % 100 == 0 for a in amounts) else 1


def canonical_ballot(kind: str, choices: Iterable[tuple[int, int, int | None]]) -> str:
    """One ballot as text, independent of the order choices were stored in.

    Approval kinds: idea numbers ascending, comma separated (``3,12,40``);
    cumulative: ``idea:points`` by idea number (``3:2,12:1``); ordinal: idea numbers
    best first, separated by ``>`` (``12>3>40``).
    """
    choices = list(choices)
    if kind == "ordinal":
        return ">".join(str(i) for i, _, _ in sorted(choices, key=lambda c: c[2] or 0))
    if kind == "cumulative":
        return ",".join(f"{i}:{p}" for i, p, _ in sorted(choices))
    return ",".join(str(i) for i, _, _ in sorted(choices))


def ballot_digest(kind: str, ballots: Iterable[Iterable[tuple[int, int, int | None]]]) -> str:
    """SHA-256 of the counted ballots: their canonical lines sorted, each ending in a newline.

    Anyone can recompute it from the published ballots (the CSV or ``.pb`` export).
    """
    lines = sorted(canonical_ballot(kind, b) for b in ballots)
    return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()


@dataclass
class Count:
    """The outcome of counting a round: the tally's result, with what it was computed from."""

    result: tally.Result
    parameters: dict
    digest: str
    ballots: int

    @property
    def selected_ids(self) -> list[int]:
        return [int(pid) for pid in self.result.selected]


def count(values, ideas: Sequence[tuple[int, int | None]],
          ballots: Sequence[Sequence[tuple[int, int, int | None]]], budget_fen: int | None) -> Count:
    """Count a round: ``ideas`` are (id, cost in fen) in listing order, ``ballots`` the counted
    ballots' (idea id, points, rank) choices. An idea without a cost counts as costing nothing."""
    costs = [cost or 0 for _, cost in ideas]
    unit = money_unit(costs, budget_fen)
    projects = [Project(str(i), (cost or 0) // unit) for i, cost in ideas]
    kind = values.ballot_kind
    approvals = None
    if kind in APPROVAL_KINDS:
        approvals = [[str(i) for i, _, _ in b] for b in ballots]
        scores = tally.approval_scores(projects, approvals)
    elif kind == "ordinal":
        rankings = [[str(i) for i, _, _ in sorted(b, key=lambda c: c[2] or 0)] for b in ballots]
        scores = tally.ordinal_scores(projects, rankings, values.points_per_rank)
    else:
        scores = tally.points_scores(projects, [{str(i): p for i, p, _ in b} for b in ballots])
    budget_units = (budget_fen or 0) // unit
    result = tally.select(values.rule, projects, scores, budget_units, approvals=approvals,
                          min_score=values.min_score, k=values.k)
    parameters = {
        "ballot_kind": kind, "rule": values.rule, "budget_fen": budget_fen, "money_unit_fen": unit,
        "min_choices": values.min_choices, "max_choices": values.max_choices,
        "max_points": values.max_points, "max_points_per_idea": values.max_points_per_idea,
        "ranking_length": values.ranking_length, "points_per_rank": list(values.points_per_rank),
        "min_score": values.min_score, "k": values.k,
    }
    return Count(result, parameters, ballot_digest(kind, ballots), len(ballots))


def method_description(parameters: Mapping[str, object]) -> list[Msg]:
    """The method and its parameters in plain words, for the results page."""
    p = parameters
    kind, rule = p.get("ballot_kind"), p.get("rule")
    budget = money(p.get("budget_fen")) if p.get("budget_fen") is not None else ""
    lines: list[Msg] = []
    if kind in ("approval", "approval_budget"):
        if p.get("max_choices"):
            lines.append(Msg(N_("Each voter chose between %(min)s and %(max)s ideas."),
                             {"min": p.get("min_choices") or 0, "max": p["max_choices"]}))
        else:
            lines.append(Msg(N_("Each voter chose as many ideas as they liked (at least %(min)s)."),
                             {"min": p.get("min_choices") or 0}))
        if kind == "approval_budget":
            lines.append(Msg(N_("The chosen ideas together had to cost no more than the budget of %(budget)s."),
                             {"budget": budget}))
        lines.append(Msg(N_("An idea's score is the number of ballots that chose it.")))
    elif kind == "choose_one":
        lines.append(Msg(N_("Each voter chose one idea; an idea's score is the number of ballots that chose it.")))
    elif kind == "cumulative":
        lines.append(Msg(N_("Each voter distributed up to %(points)s points among the ideas; an idea's score is the sum of its points."),
                         {"points": p.get("max_points")}))
        if p.get("max_points_per_idea"):
            lines.append(Msg(N_("At most %(points)s points could go to one idea."),
                             {"points": p["max_points_per_idea"]}))
    elif kind == "ordinal":
        lines.append(Msg(N_("Each voter ranked up to %(k)s ideas; the points per rank were %(points)s (first rank first); an idea's score is the sum of its points."),
                         {"k": p.get("ranking_length"),
                          "points": ", ".join(str(x) for x in p.get("points_per_rank") or [])}))
    rule_lines = {
        "greedy": N_("Ideas were taken from the highest score down; each idea that still fitted in what was left of the budget of %(budget)s was selected, the others were skipped."),
        "greedy-no-skip": N_("Ideas were taken from the highest score down and selected until the first idea that no longer fitted in the budget of %(budget)s; the count stopped there."),
        "greedy-threshold": N_("Only ideas with a score of at least %(min)s could be selected; among them, ideas were taken from the highest score down and selected while they fitted in the budget of %(budget)s."),
        "equalshares": N_("Method of Equal Shares: the budget of %(budget)s was shared equally among the voters, and each idea was paid for by its supporters from their shares, choosing at each step the idea that cost its supporters least per unit of satisfaction."),
        "equalshares/add1": N_("Method of Equal Shares: the budget of %(budget)s was shared equally among the voters, and each idea was paid for by its supporters from their shares, choosing at each step the idea that cost its supporters least per unit of satisfaction. Each voter's share was then raised by one unit at a time while the selected ideas still fitted in the budget (the add-one completion)."),
        "equalshares/add1-comparison": N_("Method of Equal Shares with the add-one completion, as above; its outcome was then compared with the greedy outcome (ideas by votes while the budget of %(budget)s lasts), and the greedy outcome would have been taken only if more voters preferred it, a voter preferring the outcome that spends more on the ideas she chose."),
        "top-k": N_("The %(k)s ideas with the highest scores were selected, whatever they cost."),
    }
    if rule in rule_lines:
        lines.append(Msg(rule_lines[rule], {"budget": budget, "min": p.get("min_score"), "k": p.get("k")}))
    if p.get("money_unit_fen") == 1 and rule.startswith("equalshares"):
        lines.append(Msg(N_("Amounts were counted in fen, because some costs are not whole yuan.")))
    return lines


# -- receipts, notice period, voter keys ---------------------------------------------------

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to copy by hand
RECEIPT_LENGTH = 16  # 80 bits
RECEIPT_PREFIX = 4
# A receipt is RECEIPT_LENGTH letters of a 32-letter alphabet: 5 bits each, which is
# exactly the base32 encoding of RECEIPT_BYTES, its letters renamed.
RECEIPT_BYTES = RECEIPT_LENGTH * 5 // 8
_BASE32_TO_RECEIPT = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", RECEIPT_ALPHABET.encode())
assert len(RECEIPT_ALPHABET) == 32 and RECEIPT_BYTES * 8 == RECEIPT_LENGTH * 5


def receipt_letters(bits: bytes) -> str:
    """RECEIPT_BYTES of random or secret bits as a receipt code."""
    return base64.b32encode(bits[:RECEIPT_BYTES]).translate(_BASE32_TO_RECEIPT).decode()


def receipt_code(ballot_key: bytes, round_id: int, ballot_id: int, choices: Iterable[Choice]) -> str:
    """The receipt of web ballot ``ballot_id`` saying ``choices``: HMAC-SHA256 under the
    ballot key of the round, the ballot and its choices (in idea order), as letters.

    Why not random: the same ballot sent twice (a double click, a retried request) must
    show the voter the receipt the stored ballot already has, and only its hash is
    stored. Derived from what the ballot says, an identical submission has the stored
    receipt and a changed ballot a new one, which replaces it (changed back, the ballot
    says again what its first receipt named, and that receipt checks again). Without the key nobody can
    derive a receipt; with it, one names a ballot that can be found by its hash anyway."""
    said = ";".join(f"{c.idea_id},{c.points},{'' if c.rank is None else c.rank}"
                    for c in sorted(choices, key=lambda c: (c.idea_id, c.rank or 0, c.points)))
    message = f"receipt:{round_id}:{ballot_id}:{said}".encode()
    return receipt_letters(hmac.new(ballot_key, message, hashlib.sha256).digest())


def normalize_receipt(text: str) -> str:
    """What the voter typed → the code as issued: upper case, without spaces or dashes."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return "".join(ch for ch in text if ch.isalnum())[:64]


def format_receipt(code: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: groups of four are easier to read out and copy."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def receipt_hash(code: str) -> str:
    return hashlib.sha256(normalize_receipt(code).encode()).hexdigest()


VOTER_KINDS = ("user", "home", "paper")


def voter_key(ballot_key: bytes, round_id: int, kind: str, number: int) -> str:
    """The key a ballot of round ``round_id`` is stored under: 40 hex characters (160 bits)
    of HMAC-SHA256 of ``round:<round>:<kind>:<id>`` under the ballot key.

    ``kind`` is ``user`` (an account), ``home`` (owner eligibility) or ``paper`` (a
    paper-only resident). Without the ballot key nobody can tell whose key it is, and the
    same voter has unrelated keys in two rounds."""
    if kind not in VOTER_KINDS:
        raise ValueError(kind)
    message = f"round:{round_id}:{kind}:{number}".encode()
    return hmac.new(ballot_key, message, hashlib.sha256).hexdigest()[:40]


def ballot_day(when: datetime) -> datetime:
    """The time stored with a ballot: the start of its day in Beijing time (as UTC), so
    that ballot times cannot be matched with the exact times of anything else."""
    return to_local(when).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def notice_until(published_at: datetime, notice_days: int) -> datetime:
    return published_at + timedelta(days=notice_days)


def notice_open(notice_until_: datetime, finalized_at: datetime | None, now: datetime) -> bool:
    """Objections are taken while the notice period runs and the outcome is not final."""
    return finalized_at is None and now < notice_until_


def finalize_problem(notice_until_: datetime, finalized_at: datetime | None, unanswered: int,
                     now: datetime) -> Msg | None:
    if finalized_at is not None:
        return Msg(N_("The outcome has already been confirmed."))
    if now < notice_until_:
        return Msg(N_("The notice period has not ended yet."))
    if unanswered:
        return Msg(N_("Answer every objection before confirming the outcome (%(n)s unanswered)."),
                   {"n": unanswered})
    return None


def objection_problem(body: str, limit: int = MAX_OBJECTION) -> Msg | None:
    if not body:
        return Msg(N_("Please write your objection."))
    if len(body) > limit:
        return Msg(N_("This can have at most %(max)s characters."), {"max": limit})
    return None


def serial_problem(serial: str) -> Msg | None:
    if not serial:
        return Msg(N_("Please enter the serial number printed on the paper ballot."))
    if len(serial) > MAX_SERIAL or not all(ch.isalnum() or ch in "-_/" for ch in serial):
        return Msg(N_("A serial number has at most %(max)s letters, digits or dashes."), {"max": MAX_SERIAL})
    return None


def bar_items(ideas: Sequence[tuple[int, str, int | None]], scores: Mapping[str, int],
              selected: Iterable[int]) -> list[tuple[int, str, int, bool]]:
    """Ideas (id, title, cost) best first, ties as the tally breaks them: (id, title, score, selected)."""
    chosen = set(selected)
    order = {i: n for n, (i, _, _) in enumerate(ideas)}
    cost = {i: c or 0 for i, _, c in ideas}
    rows = [(i, title, int(scores.get(str(i), 0)), i in chosen) for i, title, _ in ideas]
    return sorted(rows, key=lambda r: (-r[2], cost[r[0]], order[r[0]]))


def turnout_share(voted: int, eligible: int | None) -> str:
    """``12.5%`` with one decimal, exactly rounded half up; blank when unknown."""
    if not eligible:
        return ""
    tenths = (voted * 1000 * 2 + eligible) // (2 * eligible)
    return f"{tenths // 10}.{tenths % 10}%"


def titles_by_id(ideas: Iterable[tuple[int, str]]) -> dict[str, str]:
    return {str(i): f"“{title}”" for i, title in ideas}



# -- the round's lifecycle ----------------------------------------------------------------

#: A vote round's states, in order: not open yet, open, closed with its result not yet
#: published, published (the notice period, 公示期), its outcome confirmed.
ROUND_STATES = ("upcoming", "open", "closed", "published", "finalized")
#: Settings that change what a ballot says or how ballots are counted: they are the terms
#: voters vote under, so they are fixed from the moment voting opens.
COUNT_FIELDS = ("ballot_kind", "min_choices", "max_choices", "max_points", "max_points_per_idea",
                "ranking_length", "points_per_rank", "eligibility", "rule", "min_score", "k",
                "budget_fen")

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
