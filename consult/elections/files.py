"""Reading an election's ballot files, all-or-nothing, for the recount commands and for
the platform's own count (which feeds its stored ballots through the same functions).

Owners' committee: ``ballots.csv`` ``home_id,candidates,channel`` against a register in
the ``homes.csv`` format of ``owners tally``; ``candidates`` are the approved candidate
ids separated by ``;`` (empty: the owner took part and approved no one). An owner's
ballot may come through any of their homes; the same ballot again (the same candidates,
through any home or channel) counts once, two different ones are refused.

Residents' committee: ``voters.csv`` ``voter_id`` (the register) and ``ballots.csv``
``voter_id,candidates``; a second ballot of one voter is refused.

Every wrong line is reported (the header is line 1) and nothing is counted.
"""

from __future__ import annotations

import csv
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from consult import owners

COMMITTEE_COLUMNS = ("home_id", "candidates", "channel")
VOTER_COLUMNS = ("voter_id",)
RESIDENT_BALLOT_COLUMNS = ("voter_id", "candidates")
CHANNELS = ("web", "paper", "proxy")
SEPARATOR = ";"
MAX_ID = 40

Row = tuple[int, list[str]]


class BallotFileError(ValueError):
    """One or more lines of an input are wrong; ``problems`` names each line."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def csv_rows(text: str) -> Iterator[Row]:
    """(starting line number, cells) of every non-blank record, as the owners' files are read."""
    return owners.csv_rows(text)


def _fields(rows: Iterator[Row], columns: tuple[str, ...], problems: list[str]
            ) -> Iterator[tuple[int, list[str]]]:
    """The trimmed fields of each row in ``columns`` order, after checking the header
    (those columns exactly, in any order and letter case)."""
    first = next(rows, None)
    if first is None:
        problems.append(f"the file is empty; the first line must be {','.join(columns)}")
        return
    found = [c.strip().lower() for c in first[1]]
    if sorted(found) != sorted(columns):
        problems.append(f"line {first[0]}: the header must be {','.join(columns)}, "
                        f"not {','.join(c.strip() for c in first[1])}")
        return
    positions = [found.index(name) for name in columns]
    for line, cells in rows:
        if len(cells) != len(columns):
            problems.append(f"line {line}: expected {len(columns)} fields, found {len(cells)}")
            continue
        yield line, [cells[i].strip() for i in positions]


def _ident(text: str) -> bool:
    return 0 < len(text) <= MAX_ID and text.isprintable() and SEPARATOR not in text


def parse_candidates(text: str, seats: int) -> tuple[tuple[str, ...], str | None]:
    """The candidate ids of one ballot's field, and what is wrong with it (or None)."""
    if not text.strip():
        return (), None
    ids = tuple(part.strip() for part in text.split(SEPARATOR))
    if not all(ids):
        return ids, "an empty candidate id between the ';' separators"
    if not all(_ident(i) for i in ids):
        return ids, "a candidate id that is too long or holds invisible characters"
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        return ids, f"candidate {twice} is named twice"
    if len(ids) > seats:
        return ids, f"{len(ids)} candidates approved for {seats} seats"
    return tuple(sorted(ids)), None


@dataclass(frozen=True, slots=True)
class CommitteeBallot:
    """One owner's ballot as read: the line and home it came through."""

    owner: Hashable
    candidates: frozenset[str]
    channel: str
    home_id: str
    line: int


def parse_committee_ballots(rows: Iterable[Row], owner_of: dict[str, Hashable], seats: int
                            ) -> dict[Hashable, CommitteeBallot]:
    """One ballot per owner from (line, cells) rows, header first; ``owner_of`` maps every
    home of the register to its owner. Raise :class:`BallotFileError` naming every bad line."""
    problems: list[str] = []
    ballots: dict[Hashable, CommitteeBallot] = {}
    for line, (home_id, candidates_text, channel) in _fields(iter(rows), COMMITTEE_COLUMNS, problems):
        before = len(problems)
        owner = owner_of.get(home_id)
        if not home_id:
            problems.append(f"line {line}: the home id is missing")
        elif owner is None:
            problems.append(f"line {line}: home {home_id} is not in the register")
        ids, problem = parse_candidates(candidates_text, seats)
        if problem:
            problems.append(f"line {line}: {problem}")
        if channel.lower() not in CHANNELS:
            problems.append(f"line {line}: the channel “{channel}” must be web, paper or proxy")
        if len(problems) > before:
            continue
        first = ballots.get(owner)
        if first is None:
            ballots[owner] = CommitteeBallot(owner, frozenset(ids), channel.lower(), home_id, line)
        elif first.candidates != frozenset(ids):
            problems.append(
                f"line {line}: home {home_id} approves {SEPARATOR.join(ids) or 'no one'}, but the "
                f"same owner already voted {SEPARATOR.join(sorted(first.candidates)) or 'for no one'} "
                f"on line {first.line} (home {first.home_id})")
    if problems:
        raise BallotFileError(problems)
    return ballots


def committee_rows(ballots: Iterable[tuple[str, Iterable[str], str]]) -> list[Row]:
    """Stored ballots (home id, candidate ids, channel) as the rows of a ``ballots.csv``."""
    rows: list[Row] = [(1, list(COMMITTEE_COLUMNS))]
    rows += [(line, [home, SEPARATOR.join(sorted(ids)), channel])
             for line, (home, ids, channel) in enumerate(ballots, start=2)]
    return rows


def format_rows(rows: Iterable[Row]) -> str:
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(cells for _, cells in rows)
    return out.getvalue()


def parse_voters(rows: Iterable[Row]) -> list[str]:
    """The register of a residents' committee election: voter ids, each once."""
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for line, (voter,) in _fields(iter(rows), VOTER_COLUMNS, problems):
        if not _ident(voter):
            problems.append(f"line {line}: the voter id is missing or not plain text")
        elif voter in first_line:
            problems.append(f"line {line}: voter {voter} is already listed on line {first_line[voter]}")
        else:
            first_line[voter] = line
    if not problems and not first_line:
        problems.append("the register lists no voters")
    if problems:
        raise BallotFileError(problems)
    return list(first_line)


def parse_resident_ballots(rows: Iterable[Row], voters: Iterable[str], seats: int
                           ) -> dict[str, tuple[str, ...]]:
    """voter id → candidate ids, one ballot per registered voter."""
    register = set(voters)
    problems: list[str] = []
    ballots: dict[str, tuple[str, ...]] = {}
    first_line: dict[str, int] = {}
    for line, (voter, candidates_text) in _fields(iter(rows), RESIDENT_BALLOT_COLUMNS, problems):
        before = len(problems)
        if voter not in register:
            problems.append(f"line {line}: voter {voter or '(empty)'} is not on the register")
        elif voter in first_line:
            problems.append(f"line {line}: voter {voter} already has a ballot on line {first_line[voter]}")
        ids, problem = parse_candidates(candidates_text, seats)
        if problem:
            problems.append(f"line {line}: {problem}")
        if len(problems) > before:
            continue
        first_line[voter] = line
        ballots[voter] = ids
    if problems:
        raise BallotFileError(problems)
    return ballots
