"""Counting a round in the database: scores by ``GROUP BY``, the ballots streamed once.

``rules.count`` is the definition (ballot by ballot, in memory); this computes the same
without one Python object per ballot, so that a city's million ballots count in seconds
and in bounded memory:

- the ideas' scores are aggregates (``_scores``): approval and choose-one count the
  choices of each idea, cumulative sums their points, ordinal counts each idea at each
  position of the ranking (``row_number()``), weighted by the points per rank;
- the digest (``rules.ballot_digest``: the canonical lines sorted, each ending in a
  newline) is hashed while the lines stream from the database in that order
  (``ballot_lines``): each ballot keeps its line (``Ballot.line``, written with its
  choices), so on PostgreSQL the count sorts one column by ``COLLATE "C"``, the
  code-point order Python sorts by (at a million ballots about a second, where
  building each line from its choices by ``string_agg`` over a join took most of the
  count); on SQLite the lines are sorted here. A ballot without a stored line has it
  built from its choices;
- the equal-shares rules read the approvals as compact columns of voter numbers
  (``tally.Approvals``), filled from the same stream.

A recount repeats this with every line built from the choices (``stored=False``), so it
also checks the stored lines; ``tests/voting/test_city_counting.py`` checks both
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


def counted_lines(db: Session, round_id: int, kind: str, *, stored: bool = True
                  ) -> Iterator[list[str]]:
    """Every counted ballot's ``rules.counted_line``, in the digest's order (sorted by code
    point), streamed in lists of up to ``STREAM_ROWS``.

    ``stored``: read each ballot's ``Ballot.line`` (one column sorted; a ballot without
    one has it built from its choices); False (a recount): build every line from the
    choices, checking the stored lines."""
    if db.get_bind().dialect.name == "postgresql":
        # sorting a city's lines in memory rather than on disk, for this transaction only
        db.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY_MB}MB'"))
        if stored:
            built = core_select(_stored_line(kind)).where(_C.c.ballot_id == _B.c.id).scalar_subquery()
            statement = (core_select(func.coalesce(_B.c.line, built).collate("C").label("line"))
                         .where(_B.c.round_id == round_id, _COUNTED).order_by(literal_column("line")))
        else:
            statement = (core_select(_stored_line(kind).collate("C").label("line"))
                         .select_from(_B.outerjoin(_C, _C.c.ballot_id == _B.c.id))
                         .where(_B.c.round_id == round_id, _COUNTED).group_by(_B.c.id)
                         .order_by(literal_column("line")))
        yield from db.execute(statement.execution_options(yield_per=STREAM_ROWS)).scalars().partitions()
        return
    # SQLite: no ordered aggregates; the choices (of the ballots without a stored line)
    # stream in ballot order, lines sorted here.
    joined = _C.c.ballot_id == _B.c.id
    if stored:
        joined = joined & _B.c.line.is_(None)
    statement = (core_select(_B.c.id, _B.c.line if stored else literal_column("NULL"),
                             _C.c.idea_id, _C.c.points, _C.c.rank)
                 .select_from(_B.outerjoin(_C, joined))
                 .where(_B.c.round_id == round_id, _COUNTED).order_by(_B.c.id, *_rank_order()))
    lines: list[str] = []
    current, kept, choices = None, None, []
    for ballot_id, line, idea_id, points, rank in db.execute(statement.execution_options(yield_per=STREAM_ROWS)):
        if ballot_id != current:
            if current is not None:
                lines.append(kept if kept is not None else rules.counted_line(kind, choices))
            current, kept, choices = ballot_id, line, []
        if idea_id is not None:
            choices.append((idea_id, points, rank))
    if current is not None:
        lines.append(kept if kept is not None else rules.counted_line(kind, choices))
    lines.sort()
    for start in range(0, len(lines), STREAM_ROWS):
        yield lines[start:start + STREAM_ROWS]


def ballot_lines(db: Session, round_id: int, kind: str, *, stored: bool = True
                 ) -> Iterator[tuple[str, str]]:
    """Every counted ballot as (canonical line, ordinal points "p1,p2,…" or ""), in the
    digest's order (``counted_lines``, one at a time)."""
    for chunk in counted_lines(db, round_id, kind, stored=stored):
        for line in chunk:
            yield rules.split_counted_line(line)


def _stored_line(kind: str):
    """``rules.counted_line`` of a ballot's choices, as one SQL aggregate (PostgreSQL)."""
    line, points = _line_parts(kind)
    return line + "\t" + points if kind == "ordinal" else line


#: what may watch the ballots stream by while counting: lists of ``rules.counted_line``
LineSink = Callable[[list[str]], None]


def count_round(db: Session, vr: VoteRound, ideas: list[IdeaOnBallot] | None = None,
                sink: LineSink | None = None, *, stored: bool = True) -> rules.Count:
    """Count the round's ballots now (publication stores this; a recount repeats it).

    ``sink`` sees every counted ballot as it streams by (publication writes the exports
    from it), in the digest's order. ``stored`` False: the lines built from the choices,
    not read from the ballots (``ballot_lines``), as a recount does."""
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
        for chunk in counted_lines(db, vr.id, kind, stored=stored):
            lines = [line.partition("\t")[0] for line in chunk] if kind == "ordinal" else chunk
            digest.update(("\n".join(lines) + "\n").encode())
            if supporters is not None:
                for voter, line in enumerate(lines, start=total):
                    if line:
                        for pid in line.split(","):
                            supporters[position[pid]].append(voter)
            if sink is not None:
                sink(chunk)
            total += len(chunk)
    except (BallotError, KeyError):
        raise Conflict(N_("A ballot names an idea that is no longer in this round; the round cannot be counted."),
                       code="uncountable") from None
    approvals = tally.Approvals(total, supporters) if supporters is not None else None
    return rules.count_scores(settings, [(i.id, i.cost_fen) for i in ideas], scores, vr.budget_fen,
                              digest=digest.hexdigest(), ballots=total, approvals=approvals)

