"""Reading a ballot (a form, a JSON body), checking it against the settings, its running total;
a paper ballot's serial."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from consult.db.ids import parse_count
from consult.i18n import N_, Msg
from consult.voting import tally
from consult.voting.rules.texts import MAX_SERIAL
from consult.voting.tally import Project


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


_NUMBER_GAPS = re.compile(r"[\s,;、]+")


def read_numbers(kind: str, text: str, idea_ids: Sequence[int]) -> RawBallot:
    """A paper ballot keyed as the numbers printed beside its ideas (1 for the first idea on
    the ballot): ``3 17 42`` for the ideas ticked, ``3:2 17:1`` (number:points) on a
    cumulative ballot, best first on a ranked one. Full-width digits and punctuation are
    taken as typed on a Chinese keyboard."""
    raw = RawBallot()
    for token in _NUMBER_GAPS.split(unicodedata.normalize("NFKC", text or "").strip()):
        if not token:
            continue
        number, _, points = token.partition(":") if kind == "cumulative" else (token, "", "")
        position = parse_count(number)
        if not position or position > len(idea_ids):
            raise BallotFormError(Msg(N_("Number %(n)s is not on the ballot: it has ideas 1 to %(last)s."),
                                      {"n": number[:12], "last": len(idea_ids)}))
        idea = str(idea_ids[position - 1])
        if kind == "cumulative":
            raw.points.append((idea, points or "1"))
        elif kind == "ordinal":
            raw.ranking.append(idea)
        else:
            raw.choices.append(idea)
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


#: the one field of a JSON ballot that each kind of ballot takes
JSON_BALLOT_FIELDS = ("choices", "points", "ranking")


def json_ballot_field(kind: str) -> str:
    return {"cumulative": "points", "ordinal": "ranking"}.get(kind, "choices")


def json_ballot_shape(kind: str, data: Mapping[str, object]) -> dict[str, Msg]:
    """What is wrong with the shape of a JSON ballot for a round of ``kind``, by field:
    the field of another kind of ballot (``ranking`` on an approval round), or none at all."""
    expected = json_ballot_field(kind)
    wrong = {key: Msg(N_("This round's ballots are given as “%(expected)s”, not “%(field)s”."),
                      {"expected": expected, "field": key})
             for key in JSON_BALLOT_FIELDS if key in data and key != expected}
    if expected not in data and not wrong:
        wrong[expected] = Msg(N_("This round's ballots are given as “%(expected)s”."),
                              {"expected": expected})
    return wrong


def read_json_ballot(kind: str, data: Mapping[str, object]) -> RawBallot:
    """The API's ballot body: ``choices`` (list), ``points`` (object) or ``ranking`` (list);
    check its shape first with :func:`json_ballot_shape`."""
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


def serial_problem(serial: str) -> Msg | None:
    if not serial:
        return Msg(N_("Please enter the serial number printed on the paper ballot."))
    if len(serial) > MAX_SERIAL or not all(ch.isalnum() or ch in "-_/" for ch in serial):
        return Msg(N_("A serial number has at most %(max)s letters, digits or dashes."), {"max": MAX_SERIAL})
    return None
