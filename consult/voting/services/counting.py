"""Counting a round in the database: scores by ``GROUP BY``, the ballots streamed once.

``rules.count`` is the definition (ballot by ballot, in memory); this computes the same
without one Python object per ballot, so that a city's million ballots count in seconds
and in bounded memory:

- the ideas' scores are aggregates (``_scores``): approval and choose-one count the
  choices of each idea, cumulative sums their points, ordinal counts each idea at each
  position of the ranking (``row_number()``), weighted by the points per rank;
- the digest (``rules.ballot_digest``: the canonical lines sorted, each ending in a
  newline) is hashed while the lines stream from the database in that order
  (``ballot_lines``; on PostgreSQL each line is built by ``string_agg`` and sorted by
  ``COLLATE "C"``, the code-point order Python sorts by; on SQLite the choices stream in
  ballot order and the lines are sorted here);
- the equal-shares rules read the approvals as compact columns of voter numbers
  (``tally.Approvals``), filled from the same stream.

A recount repeats exactly this; ``tests/voting/test_city_counting.py`` checks it
against ``rules.count`` of ``counted_ballots`` on both databases.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterator

from sqlalchemy import String, func, literal_column, text
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.errors import Conflict
from consult.i18n import N_
from consult.voting import rules, tally
from consult.voting.models import Ballot, BallotChoice, VoteSettings
from consult.voting.services.rounds import IdeaOnBallot, VoteRound, ideas_on_ballot
from consult.voting.tally import BallotError

_B, _C = Ballot.__table__, BallotChoice.__table__
_COUNTED = (_B.c.status == "counted")
#: rows fetched at a time while streaming (a server-side cursor on PostgreSQL)
STREAM_ROWS = 20_000
#: PostgreSQL's ``work_mem`` while the lines are sorted (1M ballots: about 60 MB of lines)
SORT_MEMORY_MB = 128


def counted_ballots(db: Session, round_id: int) -> list[list[tuple[int, int, int | None]]]:
    """The choices of every counted ballot (empty ballots included), in ballot order (one
    query). In memory: for tests and small rounds; counting streams (``count_round``)."""
    rows = db.exec(select(Ballot.id, BallotChoice.idea_id, BallotChoice.points, BallotChoice.rank)
                   .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
                   .where(Ballot.round_id == round_id, Ballot.status == "counted")
                   .order_by(Ballot.id, BallotChoice.rank, BallotChoice.idea_id)).all()
    ballots: dict[int, list[tuple[int, int, int | None]]] = {}
    for ballot_id, idea_id, points, rank in rows:
        choices = ballots.setdefault(ballot_id, [])
        if idea_id is not None:
            choices.append((idea_id, points, rank))
    return list(ballots.values())


def _rank_order():
    """A ranking's order: by rank (none as 0, as ``rules.canonical_ballot``), then idea."""
    return (func.coalesce(_C.c.rank, 0), _C.c.idea_id)


def _counted_choices(round_id: int, *columns):
    return (core_select(*columns).select_from(_C.join(_B, _B.c.id == _C.c.ballot_id))
            .where(_B.c.round_id == round_id, _COUNTED))


def _scores(db: Session, round_id: int, kind: str, points_per_rank: list[int],
            idea_ids: list[int]) -> dict[str, int]:
    """Every idea's score (by id as text) by ``GROUP BY``; ``BallotError`` for a choice of an
    idea not on the ballot, or a ranking longer than the points per rank."""
    scores = {str(i): 0 for i in idea_ids}
    if kind == "ordinal":
        position = func.row_number().over(partition_by=_C.c.ballot_id, order_by=_rank_order())
        ranked = _counted_choices(round_id, _C.c.idea_id, position.label("position")).subquery()
        rows = db.execute(core_select(ranked.c.idea_id, ranked.c.position, func.count())
                          .group_by(ranked.c.idea_id, ranked.c.position)).all()
        items = []
        for idea_id, position, n in rows:
            if position > len(points_per_rank):
                raise BallotError("ranking_too_long", max=len(points_per_rank), count=position)
            items.append((idea_id, n * points_per_rank[position - 1]))
    else:
        total = func.count() if kind in rules.APPROVAL_KINDS else func.sum(_C.c.points)
        items = db.execute(_counted_choices(round_id, _C.c.idea_id, total)
                           .group_by(_C.c.idea_id)).all()
    for idea_id, score in items:
        key = str(idea_id)
        if key not in scores:
            raise BallotError("unknown_project", project=key)
        scores[key] += int(score)
    return scores


def _line_parts(kind: str):
    """The canonical line of a ballot (``rules.canonical_ballot``) and, for ordinal ballots,
    its points in rank order, as SQL aggregates (PostgreSQL)."""
    idea = sa_cast(_C.c.idea_id, String)
    if kind == "ordinal":
        line = func.string_agg(idea, aggregate_order_by(literal_column("'>'"), *_rank_order()))
        points = func.string_agg(sa_cast(_C.c.points, String),
                                 aggregate_order_by(literal_column("','"), *_rank_order()))
        return func.coalesce(line, ""), func.coalesce(points, "")
    item = idea + ":" + sa_cast(_C.c.points, String) if kind == "cumulative" else idea
    line = func.string_agg(item, aggregate_order_by(literal_column("','"), _C.c.idea_id))
    return func.coalesce(line, ""), literal_column("''")


def ballot_lines(db: Session, round_id: int, kind: str) -> Iterator[tuple[str, str]]:
    """Every counted ballot as (canonical line, ordinal points "p1,p2,…" or ""), the lines
    in the digest's order (sorted by code point), streamed."""
    join = _B.outerjoin(_C, _C.c.ballot_id == _B.c.id)
    where = (_B.c.round_id == round_id, _COUNTED)
    if db.get_bind().dialect.name == "postgresql":
        # sorting a city's lines in memory rather than on disk, for this transaction only
        db.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY_MB}MB'"))
        line, points = _line_parts(kind)
        statement = (core_select(line.collate("C").label("line"), points).select_from(join)
                     .where(*where).group_by(_B.c.id).order_by(literal_column("line")))
        for row in db.execute(statement.execution_options(yield_per=STREAM_ROWS)):
            yield row[0], row[1]
        return
    # SQLite: no ordered aggregates; the choices stream in ballot order, lines sorted here.
    statement = (core_select(_B.c.id, _C.c.idea_id, _C.c.points, _C.c.rank).select_from(join)
                 .where(*where).order_by(_B.c.id, *_rank_order()))
    lines: list[tuple[str, str]] = []
    current, choices = None, []
    for ballot_id, idea_id, points, rank in db.execute(statement.execution_options(yield_per=STREAM_ROWS)):
        if ballot_id != current:
            if current is not None:
                lines.append(_line(kind, choices))
            current, choices = ballot_id, []
        if idea_id is not None:
            choices.append((idea_id, points, rank))
    if current is not None:
        lines.append(_line(kind, choices))
    lines.sort()
    yield from lines


def _line(kind: str, choices: list[tuple[int, int, int | None]]) -> tuple[str, str]:
    points = ",".join(str(p) for _, p, _ in sorted(choices, key=lambda c: c[2] or 0)) if kind == "ordinal" else ""
    return rules.canonical_ballot(kind, choices), points


#: what may watch the ballots stream by while counting: (canonical line, ordinal points)
LineSink = Callable[[str, str], None]


def count_round(db: Session, vr: VoteRound, ideas: list[IdeaOnBallot] | None = None,
                sink: LineSink | None = None) -> rules.Count:
    """Count the round's ballots now (publication stores this; a recount repeats it).

    ``sink`` sees every counted ballot as it streams by (publication writes the exports
    from it), in the digest's order."""
    ideas = ideas if ideas is not None else ideas_on_ballot(db, vr)
    # on a copy: the check fills in defaults, and the round's own settings stay as saved
    problems = rules.settings_problems(VoteSettings(**{
        name: getattr(vr.settings, name) for name in rules.SETTINGS_FIELDS}), vr.consultation.budget_fen)
    if problems:
        raise Conflict(N_("The vote's settings are incomplete; complete them before counting."),
                       code="settings_incomplete")
    settings, kind = vr.settings, vr.settings.ballot_kind
    try:
        scores = _scores(db, vr.id, kind, list(settings.points_per_rank or []), [i.id for i in ideas])
        mes = kind in rules.APPROVAL_KINDS and settings.rule.startswith("equalshares")
        position = {str(i.id): j for j, i in enumerate(ideas)}
        supporters = [array("l") for _ in ideas] if mes else None
        digest = hashlib.sha256()
        total = 0
        for line, points in ballot_lines(db, vr.id, kind):
            digest.update(line.encode() + b"\n")
            if supporters is not None and line:
                for pid in line.split(","):
                    supporters[position[pid]].append(total)
            if sink is not None:
                sink(line, points)
            total += 1
    except (BallotError, KeyError):
        raise Conflict(N_("A ballot names an idea that is no longer in this round; the round cannot be counted."),
                       code="uncountable") from None
    approvals = tally.Approvals(total, supporters) if supporters is not None else None
    return rules.count_scores(settings, [(i.id, i.cost_fen) for i in ideas], scores, vr.budget_fen,
                              digest=digest.hexdigest(), ballots=total, approvals=approvals)

