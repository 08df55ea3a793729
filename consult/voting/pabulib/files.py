"""The ``.pb`` format: its parts (``Election``), reading (``parse``, ``load``) and writing (``dump``, ``write``).

The format itself is described in the package's docstring (``consult.voting.pabulib``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from os import PathLike
from typing import TextIO

from consult.voting.tally import (
    Project,
)

VOTE_TYPES = ("approval", "choose-1", "cumulative", "ordinal", "scoring")
#: Vote types whose ``points`` column is required and summed per project.
POINTS_TYPES = ("cumulative", "scoring")
SECTIONS = ("META", "PROJECTS", "VOTES")
INTEGER_META = ("num_projects", "num_votes", "min_project_score_threshold")
MONEY_META = ("budget",)
#: More decimals than this in a cost is no currency's: refused rather than scaled forever.
MAX_DECIMALS = 6
#: META ``rule`` values the format allows that say how the city chose without being a
#: rule a recount can apply: the file is read, and a recount needs a rule named for it.
OPEN_RULES = {
    "unknown": "the rule the city applied is not known",
    "greedy-custom": "a city-specific variant of greedy, described in the file's comment",
    "greedy-exclusive": "greedy with projects that exclude one another, which the file does not list",
}


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
    cost: Decimal | int
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
    #: What was accepted but is worth a look (e.g. a vote naming a project twice).
    warnings: list[str] = field(default_factory=list, compare=False)

    @property
    def budget(self) -> Decimal:
        return Decimal(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"]

    @property
    def money_scale(self) -> int:
        """10**d for the most decimals in the budget or a cost: counting is in that unit."""
        places = max((_decimals(Decimal(p.cost)) for p in self.projects), default=0)
        return 10 ** max(places, _decimals(self.budget))

    def counting_budget(self) -> int:
        """The budget in whole counting units (see :attr:`money_scale`)."""
        return int(self.budget * self.money_scale)

    def tally_projects(self) -> list[Project]:
        scale = self.money_scale
        return [Project(p.id, int(Decimal(p.cost) * scale)) for p in self.projects]

    @staticmethod
    def fen(amount: Decimal | int) -> int:
        """An amount of the file's currency in hundredths (fen); ValueError past two decimals."""
        hundredths = Decimal(amount) * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"the amount {amount} has more than two decimals")
        return int(hundredths)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# --------------------------------------------------------------------------- parsing


def _integer(text: str, line: int, what: str) -> int:
    """A non-negative whole number, or a line error (no decimals: money is exact)."""
    value = text.strip()
    if not (value.isascii() and value.isdecimal()):
        raise PbFormatError(line, f"{what} must be a non-negative whole number, not {text!r}")
    return int(value)


def _money(text: str, line: int, what: str) -> Decimal:
    """A non-negative plain decimal such as ``12500`` or ``12500.50`` (no exponent, no sign)."""
    value = text.strip()
    whole, dot, fraction = value.partition(".")
    digits = whole + fraction
    if not (digits.isascii() and digits.isdecimal() and whole and (fraction or not dot)):
        raise PbFormatError(line, f"{what} must be a non-negative number such as 1250 or 1250.50, "
                                  f"not {text!r}")
    if len(fraction) > MAX_DECIMALS:
        raise PbFormatError(line, f"{what} has more than {MAX_DECIMALS} decimals: {text!r}")
    return Decimal(value)


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
        warnings: list[str] = []
        votes, vote_columns = _parse_votes(reader, meta["vote_type"], {p.id for p in projects},
                                           warnings)
    except csv.Error as error:  # e.g. a field over csv's size limit
        raise PbFormatError(max(reader.line, 1), f"unreadable line ({error})") from None
    for key, actual in (("num_projects", len(projects)), ("num_votes", len(votes))):
        if key in meta and int(meta[key]) != actual:
            raise PbFormatError(meta_lines[key], f"{key} is {meta[key]} but the file has {actual}")
    return Election(meta, projects, votes, project_columns, vote_columns, warnings)


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
        if key in MONEY_META:
            _money(value, reader.line, key)
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
        cost = _money(row[cost_at], reader.line, f"cost of project {pid}")
        projects.append(PbProject(pid, cost, {name: row[i] for i, name in others}))
    else:
        raise PbFormatError(reader.line + 1, "missing VOTES section")
    return projects, header


def _parse_votes(
    reader: _Reader, vote_type: str, known: set[str], warnings: list[str]
) -> tuple[list[PbVote], list[str]]:
    header = _header(reader, "VOTES", ["voter_id", "vote"])
    voter_at, vote_at = header.index("voter_id"), header.index("vote")
    points_at = header.index("points") if "points" in header else -1
    if vote_type in POINTS_TYPES and points_at < 0:
        raise PbFormatError(reader.line, f"{vote_type} votes need a points column")
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
            twice = next(x for x in ids if ids.count(x) > 1)
            warnings.append(f"line {reader.line}: voter {voter} names project {twice} more than "
                            f"once; it is counted as the file's own votes or score column counts it")
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


def _write_head(writer, meta: dict[str, str], projects: Sequence[PbProject],
                project_columns: Sequence[str]) -> None:
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(meta.items())

    writer.writerow(["PROJECTS"])
    columns = _columns(project_columns, ["project_id", "cost"], [p.fields for p in projects])
    writer.writerow(columns)
    for p in projects:
        values = {**p.fields, "project_id": p.id, "cost": str(p.cost)}
        writer.writerow([values.get(name, "") for name in columns])


def _counted_meta(meta: dict[str, str], projects: int, votes: int) -> dict[str, str]:
    meta = dict(meta)
    for key, actual in (("num_projects", projects), ("num_votes", votes)):
        if key in meta:
            meta[key] = str(actual)
    return meta


def dump(election: Election) -> str:
    """Write ``election`` as ``.pb`` text; ``parse(dump(e)) == e``.

    ``num_projects`` and ``num_votes``, when the META has them, are written as
    the actual counts so the file stays consistent.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    meta = _counted_meta(election.meta, len(election.projects), len(election.votes))
    _write_head(writer, meta, election.projects, election.project_columns)

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


def write_head(out: TextIO, meta: dict[str, str], projects: Sequence[PbProject], num_votes: int,
               points: bool) -> None:
    """Write a ``.pb`` file's head to ``out``, up to the VOTES section's column names, as
    :func:`dump` writes it for an election of ``num_votes`` votes (the META's count) with
    points (``points``) or without; the votes follow by :func:`write_votes`."""
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    _write_head(writer, _counted_meta(meta, len(projects), num_votes), projects, ())
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote", "points"] if points else ["voter_id", "vote"])


def write_votes(out: TextIO, rows: Iterable[Sequence[str]]) -> None:
    """Write votes after :func:`write_head`: rows (voter id, project ids "a,b"[, points
    "1,2"]), with points exactly when the head says so, as :func:`dump` writes them."""
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
