"""Read and write the open pabulib ``.pb`` format (pabulib.org).

Why: results are published with the anonymous ballots as a ``.pb`` file so
anyone can recount them with independent tools, and real elections published
in this format are how we check our own counting (DESIGN.md §5).

A file has three sections, in this order, each a line with the section name,
then a header line, then ``;``-separated rows (``csv`` quoting with ``"``)::

    META                 key;value            budget, vote_type, rule, limits...
    PROJECTS             project_id;cost;...  one project a row
    VOTES                voter_id;vote;...    one ballot a row; ``vote`` lists
                                              project ids, comma separated;
                                              ``points`` (same order) for
                                              cumulative and ordinal ballots

Money is exact: ``budget`` and every ``cost`` must be whole numbers, points
non-negative whole numbers.  Anything malformed raises ``PbFormatError``
naming the 1-based line.  Columns we do not interpret are kept as written so
that ``parse(dump(e)) == e``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike

from consult.voting.tally import (
    RULES,
    Project,
    Result,
    approval_scores,
    ordinal_scores,
    points_scores,
    select,
)

VOTE_TYPES = ("approval", "choose-1", "cumulative", "ordinal")
SECTIONS = ("META", "PROJECTS", "VOTES")
INTEGER_META = ("budget", "num_projects", "num_votes", "min_project_score_threshold")


class PbFormatError(ValueError):
    """A malformed ``.pb`` file; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(slots=True)
class PbProject:
    """A PROJECTS row: ``fields`` holds the other columns as written."""

    id: str
    cost: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PbVote:
    """A VOTES row: ``points[i]`` goes with ``vote[i]`` when there are points."""

    voter_id: str
    vote: tuple[str, ...]
    points: tuple[int, ...] | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Election:
    """A whole ``.pb`` file.

    ``project_columns`` / ``vote_columns`` are the header lines; when empty,
    ``dump`` derives them from the rows.
    """

    meta: dict[str, str]
    projects: list[PbProject]
    votes: list[PbVote]
    project_columns: list[str] = field(default_factory=list)
    vote_columns: list[str] = field(default_factory=list)

    @property
    def budget(self) -> int:
        return int(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"]

    def tally_projects(self) -> list[Project]:
        return [Project(p.id, p.cost) for p in self.projects]


# --------------------------------------------------------------------------- parsing


def _integer(text: str, line: int, what: str) -> int:
    """A non-negative whole number, or a line error (no decimals: money is exact)."""
    value = text.strip()
    if not (value.isascii() and value.isdecimal()):
        raise PbFormatError(line, f"{what} must be a non-negative whole number, not {text!r}")
    return int(value)


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


class _Reader:
    """csv rows with their line numbers, skipping blank lines."""

    def __init__(self, text: str) -> None:
        self.rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")

    @property
    def line(self) -> int:
        return self.rows.line_num

    def next_row(self) -> list[str] | None:
        for row in self.rows:
            if not _is_blank(row):
                return row
        return None


def _section_name(row: list[str]) -> str | None:
    if len(row) == 1 and row[0].strip().upper() in SECTIONS:
        return row[0].strip().upper()
    return None


def _header(reader: _Reader, section: str, required: Sequence[str]) -> list[str]:
    """Read the header line that follows a section line."""
    row = reader.next_row()
    if row is None or _section_name(row) is not None:
        raise PbFormatError(reader.line + (row is None), f"missing the {section} header line")
    header = [column.strip() for column in row]
    if len(set(header)) != len(header):
        raise PbFormatError(reader.line, f"repeated column in the {section} header")
    for name in required:
        if name not in header:
            raise PbFormatError(reader.line, f"the {section} header has no {name} column")
    return header


def _row_error(reader: _Reader, row: list[str], columns: int) -> PbFormatError:
    name = _section_name(row)
    if name:
        return PbFormatError(reader.line, f"unexpected {name} section")
    return PbFormatError(reader.line, f"expected {columns} columns, found {len(row)}")


def parse(text: str) -> Election:
    """Parse the text of a ``.pb`` file (see the module docstring).

    Each section reader stops after consuming the next section's name line.
    """
    reader = _Reader(text)
    try:
        first = reader.next_row()
        if first is None or _section_name(first) != "META":
            raise PbFormatError(max(reader.line, 1), "the file must start with a META section")
        meta, meta_lines = _parse_meta(reader)
        projects, project_columns = _parse_projects(reader)
        votes, vote_columns = _parse_votes(reader, meta["vote_type"], {p.id for p in projects})
    except csv.Error as error:  # e.g. a field over csv's size limit
        raise PbFormatError(max(reader.line, 1), f"unreadable line ({error})") from None
    for key, actual in (("num_projects", len(projects)), ("num_votes", len(votes))):
        if key in meta and int(meta[key]) != actual:
            raise PbFormatError(meta_lines[key], f"{key} is {meta[key]} but the file has {actual}")
    return Election(meta, projects, votes, project_columns, vote_columns)


def _parse_meta(reader: _Reader) -> tuple[dict[str, str], dict[str, int]]:
    header = _header(reader, "META", ["key", "value"])
    header_line = reader.line
    if len(header) != 2:
        raise PbFormatError(header_line, "the META header must be key;value")
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    while (row := reader.next_row()) is not None:
        if _section_name(row) == "PROJECTS":
            break
        if len(row) != 2:
            raise _row_error(reader, row, 2)
        key, value = row[0].strip(), row[1].strip()
        if key in meta:
            raise PbFormatError(reader.line, f"META key {key} appears twice")
        if key in INTEGER_META:
            _integer(value, reader.line, key)
        if key == "vote_type" and value not in VOTE_TYPES:
            raise PbFormatError(reader.line, f"vote_type must be one of {', '.join(VOTE_TYPES)}")
        meta[key] = value
        lines[key] = reader.line
    else:
        raise PbFormatError(reader.line + 1, "missing PROJECTS section")
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise PbFormatError(header_line, f"META has no {key}")
    return meta, lines


def _parse_projects(reader: _Reader) -> tuple[list[PbProject], list[str]]:
    header = _header(reader, "PROJECTS", ["project_id", "cost"])
    id_at, cost_at = header.index("project_id"), header.index("cost")
    others = [(i, name) for i, name in enumerate(header) if i not in (id_at, cost_at)]
    projects: list[PbProject] = []
    seen: set[str] = set()
    while (row := reader.next_row()) is not None:
        if _section_name(row) == "VOTES":
            break
        if len(row) != len(header):
            raise _row_error(reader, row, len(header))
        pid = row[id_at].strip()
        if not pid or pid in seen:
            raise PbFormatError(reader.line, f"project_id {pid!r} is empty or appears twice")
        seen.add(pid)
        cost = _integer(row[cost_at], reader.line, f"cost of project {pid}")
        projects.append(PbProject(pid, cost, {name: row[i] for i, name in others}))
    else:
        raise PbFormatError(reader.line + 1, "missing VOTES section")
    return projects, header


def _parse_votes(
    reader: _Reader, vote_type: str, known: set[str]
) -> tuple[list[PbVote], list[str]]:
    header = _header(reader, "VOTES", ["voter_id", "vote"])
    voter_at, vote_at = header.index("voter_id"), header.index("vote")
    points_at = header.index("points") if "points" in header else -1
    if vote_type == "cumulative" and points_at < 0:
        raise PbFormatError(reader.line, "cumulative votes need a points column")
    others = [(i, name) for i, name in enumerate(header) if i not in (voter_at, vote_at, points_at)]
    columns = len(header)
    votes: list[PbVote] = []
    voters: set[str] = set()
    # The hot loop of the module (60,000 ballots): keep per-row work small.
    for row in reader.rows:
        if len(row) != columns:
            if _is_blank(row):
                continue
            raise _row_error(reader, row, columns)
        voter = row[voter_at].strip()
        if voter in voters or not voter:
            raise PbFormatError(reader.line, f"voter_id {voter!r} is empty or appears twice")
        voters.add(voter)
        text = row[vote_at]
        ids = tuple(text.split(",")) if text.strip() else ()
        if " " in text:
            ids = tuple(x.strip() for x in ids)
        unique = set(ids)
        if not unique <= known:
            unknown = next(x for x in ids if x not in known)
            raise PbFormatError(reader.line, f"vote names unknown project {unknown!r}")
        if len(unique) != len(ids):
            raise PbFormatError(reader.line, "vote names a project twice")
        points = None
        if points_at >= 0:
            points = _parse_points(row[points_at], len(ids), reader.line)
        fields = {name: row[i] for i, name in others} if others else {}
        votes.append(PbVote(voter, ids, points, fields))
    return votes, header


def _parse_points(text: str, count: int, line: int) -> tuple[int, ...]:
    parts = text.split(",") if text.strip() else []
    if len(parts) != count:
        raise PbFormatError(line, f"{len(parts)} points for {count} projects")
    return tuple(_integer(part, line, "points") for part in parts)


def load(path: str | PathLike[str]) -> Election:
    """Read and parse a ``.pb`` file (UTF-8, with or without BOM)."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PbFormatError(data.count(b"\n", 0, error.start) + 1, "not UTF-8 text") from None
    return parse(text)


# --------------------------------------------------------------------------- writing


def _columns(given: Sequence[str], fixed: list[str], rows: Sequence[dict[str, str]]) -> list[str]:
    """The header to write: as given, or the fixed columns then every extra field."""
    if given:
        return list(given)
    columns = list(fixed)
    for fields in rows:
        columns.extend(name for name in fields if name not in columns)
    return columns


def dump(election: Election) -> str:
    """Write ``election`` as ``.pb`` text; ``parse(dump(e)) == e``.

    ``num_projects`` and ``num_votes``, when the META has them, are written as
    the actual counts so the file stays consistent.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    meta = dict(election.meta)
    for key, actual in (("num_projects", election.projects), ("num_votes", election.votes)):
        if key in meta:
            meta[key] = str(len(actual))
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(meta.items())

    writer.writerow(["PROJECTS"])
    columns = _columns(
        election.project_columns, ["project_id", "cost"], [p.fields for p in election.projects]
    )
    writer.writerow(columns)
    for p in election.projects:
        values = {**p.fields, "project_id": p.id, "cost": str(p.cost)}
        writer.writerow([values.get(name, "") for name in columns])

    writer.writerow(["VOTES"])
    fixed = ["voter_id", "vote"]
    if election.meta.get("vote_type") == "cumulative" or any(
        v.points is not None for v in election.votes
    ):
        fixed.append("points")
    columns = _columns(election.vote_columns, fixed, [v.fields for v in election.votes])
    writer.writerow(columns)
    for v in election.votes:
        values = {**v.fields, "voter_id": v.voter_id, "vote": ",".join(v.vote)}
        if v.points is not None:
            values["points"] = ",".join(map(str, v.points))
        writer.writerow([values.get(name, "") for name in columns])
    return out.getvalue()


# --------------------------------------------------------------------------- counting


def tally_election(
    election: Election,
    rule: str | None = None,
    *,
    points_per_rank: Sequence[int] | None = None,
    k: int | None = None,
) -> Result:
    """Count an election with its own META ``rule`` unless ``rule`` is given.

    Ordinal ballots score with the file's ``points`` column, or with
    ``points_per_rank`` when given (e.g. a file without a points column).
    ``greedy-threshold`` takes its threshold from META
    ``min_project_score_threshold``.  Raises ``ValueError`` when the file
    lacks what the rule needs.
    """
    rule = rule or election.meta.get("rule")
    if rule not in RULES:
        raise ValueError(f"unknown or missing rule {rule!r}; expected one of {', '.join(RULES)}")
    projects = election.tally_projects()
    kind = election.vote_type
    approvals = None
    if kind in ("approval", "choose-1"):
        approvals = [v.vote for v in election.votes]
        scores = approval_scores(projects, approvals)
    elif kind == "ordinal" and points_per_rank is not None:
        scores = ordinal_scores(projects, (v.vote for v in election.votes), points_per_rank)
    else:
        ballots = []
        for vote in election.votes:
            if vote.points is None:
                raise ValueError(f"{kind} votes need a points column (or points per rank)")
            ballots.append(dict(zip(vote.vote, vote.points, strict=True)))
        scores = points_scores(projects, ballots)
    threshold = election.meta.get("min_project_score_threshold")
    return select(
        rule,
        projects,
        scores,
        election.budget,
        approvals=approvals,
        min_score=int(threshold) if threshold is not None else None,
        k=k,
    )
