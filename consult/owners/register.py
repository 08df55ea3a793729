"""Reading a home register and a ballot list, all-or-nothing.

A register comes from the property office or the committee as CSV or Excel with
the columns ``home_id,building,room,area_m2,owners,developer_held``.  Every wrong
line is collected (not just the first), each with its line number (the header is
line 1), and then :class:`RegisterError` is raised so nothing half-read is ever
imported.  Errors carry a machine ``code`` and ``params`` plus an English message
template; the web layer translates by code.

Ballots come as CSV ``home_id,choice,channel``.  An owner may hand in their ballot
through any of their homes; the same choice given again (through any home or
channel) counts once, the first line being kept, while two different choices from
one owner are refused, because we cannot tell which one they meant.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from consult.accounts.rules import person_name_problem

from .rules import (
    MAX_AREA,
    Channel,
    Choice,
    Home,
    OwnerKey,
    cents_to_area,
    owner_of_home,
)

HOME_COLUMNS = ("home_id", "building", "room", "area_m2", "owners", "developer_held")
BALLOT_COLUMNS = ("home_id", "choice", "channel")
OWNER_SEPARATOR = ";"

# typing.TYPE_CHECKING without importing typing: the recount command starts faster.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from typing import IO, Any, TypeVar

    _E = TypeVar("_E", Choice, Channel)

# Plain decimal notation only: no exponent, no thousands separator, ASCII digits only
# (``\d`` would also accept full-width digits).  A minus sign is let through so that
# a negative area is reported as "not positive" rather than "not a number".
_AREA_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

#: English message templates by error code; ``{line}`` and the params fill them in.
MESSAGES: dict[str, str] = {
    "empty_file": "The file is empty; the first line must be the header {expected}.",
    "bad_header": "Line {line}: the header must be {expected}, not {found}.",
    "no_homes": "The register lists no homes.",
    "bad_field_count": "Line {line}: expected {expected} fields, found {found}.",
    "missing_home_id": "Line {line}: the home id is missing.",
    "duplicate_home_id": "Line {line}: home {home_id} is already listed on line {first_line}.",
    "area_not_a_number": "Line {line}: the area “{value}” is not a plain number of m² such as 89.50.",
    "area_not_positive": "Line {line}: the area “{value}” must be greater than zero.",
    "area_too_large": "Line {line}: the area “{value}” is implausibly large for one home.",
    "area_too_precise": "Line {line}: the area “{value}” has more than two decimals.",
    "missing_owners": "Line {line}: home {home_id} lists no owners and is not developer-held.",
    "empty_owner_name": "Line {line}: home {home_id} has an empty owner name between the ';' separators.",
    "bad_owner_name": (
        "Line {line}: home {home_id} has an owner name with invisible characters, direction "
        "marks or a line break; please type it again."
    ),
    "bad_developer_held": "Line {line}: developer_held must be 0 or 1, not “{value}”.",
    "unreadable_file": "The file {name} cannot be read: {reason}.",
    "unknown_home": "Line {line}: home {home_id} is not in the register.",
    "bad_choice": "Line {line}: the choice “{value}” must be agree, disagree or abstain.",
    "bad_channel": "Line {line}: the channel “{value}” must be web, paper or proxy.",
    "conflicting_ballots": (
        "Line {line}: home {home_id} votes {choice}, but the same owner already voted "
        "{first_choice} on line {first_line} (home {first_home_id})."
    ),
}


@dataclass(frozen=True, slots=True)
class LineError:
    """One problem in an input file: where, what (``code``) and the details."""

    code: str
    line: int | None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        """The English template, for the translation catalogue's msgid."""
        return MESSAGES[self.code]

    @property
    def message(self) -> str:
        return self.template.format(line=self.line, **self.params)

    def __str__(self) -> str:
        return self.message


class InputError(ValueError):
    """One or more lines of an input file are wrong; nothing was imported."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        self.errors: list[LineError] = list(errors)
        super().__init__("\n".join(e.message for e in self.errors))


class RegisterError(InputError):
    """The home register is wrong somewhere; no home was imported."""


class BallotError(InputError):
    """The ballot list is wrong somewhere; no ballot was counted."""


# --- shared reading -----------------------------------------------------------


Row = tuple[int, list[str]]


def _csv_rows(text: str) -> Iterator[Row]:
    """Yield (starting line number, cells) per non-blank record, BOM removed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(text.splitlines(keepends=True), strict=False)
    next_line = 1
    for cells in reader:
        line, next_line = next_line, reader.line_num + 1
        if "".join(cells).strip():  # not blank; faster than any() over the cells
            yield line, cells


def _cell_text(value: object) -> str:
    """An Excel cell as the text a person typed; floats via their shortest repr."""
    if value is None:
        return ""
    if isinstance(value, float):
        # repr is the shortest string that round-trips, i.e. what the sheet stores;
        # it goes through the same text checks as CSV, so 1e-05 is still refused.
        return repr(value)
    return str(value)


def _xlsx_rows(source: str | Path | IO[bytes]) -> Iterator[Row]:
    """Yield (row number, cells) from the first sheet; openpyxl is imported only here.

    A blank cell is an empty field, so rows are padded to the header's width; only
    a non-blank cell beyond the header makes a row too long.
    """
    import openpyxl

    book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        width = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                width = width or len(cells)
                yield number, cells + [""] * (width - len(cells))
    finally:
        book.close()


def _read_header(
    rows: Iterator[Row], expected: tuple[str, ...], errors: list[LineError]
) -> list[int] | None:
    """Consume the header and return where each expected column sits, or None.

    Exactly the expected columns are needed, but in any order and letter case,
    since committees rearrange spreadsheets.
    """
    first = next(rows, None)
    if first is None:
        errors.append(LineError("empty_file", 1, {"expected": ",".join(expected)}))
        return None
    line, cells = first
    found = [c.strip().lower() for c in cells]
    if sorted(found) != sorted(expected):
        errors.append(
            LineError(
                "bad_header",
                line,
                {"expected": ",".join(expected), "found": ",".join(c.strip() for c in cells)},
            )
        )
        return None
    return [found.index(name) for name in expected]


def _row_fields(
    line: int, cells: list[str], positions: list[int], errors: list[LineError]
) -> list[str] | None:
    """The trimmed fields of a row in expected order, or None (with an error)."""
    if len(cells) != len(positions):
        errors.append(
            LineError("bad_field_count", line, {"expected": len(positions), "found": len(cells)})
        )
        return None
    return [cells[i].strip() for i in positions]


# --- homes --------------------------------------------------------------------


def parse_area(text: str) -> Decimal:
    """Read an area in m²: a positive plain decimal with at most two decimals.

    Raises ``ValueError`` whose first argument is the error code.  Trailing zeros
    beyond two decimals (``89.500``) are exact and therefore accepted.
    """
    if not _AREA_RE.fullmatch(text):
        raise ValueError("area_not_a_number")
    area = Decimal(text)
    if area <= 0:
        raise ValueError("area_not_positive")
    if area >= MAX_AREA:
        raise ValueError("area_too_large")
    # Plain notation, so the decimals are the digits after the point (trailing zeros
    # are exact); checked on the text, as the count converts each area only once.
    if len(text.partition(".")[2].rstrip("0")) > 2:
        raise ValueError("area_too_precise")
    return area


def _home_from_row(
    line: int, fields: list[str], first_seen: dict[str, int], errors: list[LineError]
) -> Home | None:
    home_id, building, room, area_text, owners_text, developer_text = fields
    count = len(errors)
    if not home_id:
        errors.append(LineError("missing_home_id", line))
    elif home_id in first_seen:
        errors.append(
            LineError(
                "duplicate_home_id", line, {"home_id": home_id, "first_line": first_seen[home_id]}
            )
        )
    else:
        first_seen[home_id] = line
    try:
        area = parse_area(area_text)
    except ValueError as exc:
        errors.append(LineError(str(exc.args[0]), line, {"value": area_text}))
    developer_held = developer_text == "1"
    if developer_text not in ("0", "1"):
        errors.append(LineError("bad_developer_held", line, {"value": developer_text}))
    owners: tuple[str, ...] = ()
    if owners_text:
        owners = tuple(name.strip() for name in owners_text.split(OWNER_SEPARATOR))
        if not all(owners):
            errors.append(LineError("empty_owner_name", line, {"home_id": home_id}))
        elif any(person_name_problem(name) for name in owners):
            errors.append(LineError("bad_owner_name", line, {"home_id": home_id}))
    elif developer_text == "0":
        errors.append(LineError("missing_owners", line, {"home_id": home_id}))
    if len(errors) > count:
        return None
    return Home(home_id, building, room, area, owners, developer_held)


def parse_home_rows(rows: Iterable[Row]) -> list[Home]:
    """Build homes from (line, cells) rows, header first; raise if any line is wrong."""
    errors: list[LineError] = []
    homes: list[Home] = []
    iterator = iter(rows)
    positions = _read_header(iterator, HOME_COLUMNS, errors)
    if positions is not None:
        first_seen: dict[str, int] = {}
        for line, cells in iterator:
            fields = _row_fields(line, cells, positions, errors)
            if fields is not None:
                home = _home_from_row(line, fields, first_seen, errors)
                if home is not None:
                    homes.append(home)
        if not errors and not homes:
            errors.append(LineError("no_homes", None))
    if errors:
        raise RegisterError(errors)
    return homes


def parse_homes_csv(text: str) -> list[Home]:
    """Read a register from CSV text; raise :class:`RegisterError` listing every bad line."""
    return parse_home_rows(_csv_rows(text))


def parse_homes_xlsx(source: str | Path | IO[bytes]) -> list[Home]:
    """Read a register from the first sheet of an .xlsx workbook (path or binary file)."""
    try:
        rows = list(_xlsx_rows(source))
    except Exception as exc:  # openpyxl raises many unrelated types for a bad file
        name = getattr(source, "name", str(source))
        raise RegisterError(
            [LineError("unreadable_file", None, {"name": name, "reason": type(exc).__name__})]
        ) from exc
    return parse_home_rows(rows)


def decode_text(data: bytes) -> str:
    """Decode an uploaded CSV: UTF-8 (with or without BOM), else GB18030 as Excel in China saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def load_homes(path: str | Path) -> list[Home]:
    """Read a register file, choosing Excel or CSV by its suffix."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return parse_homes_xlsx(path)
    return parse_homes_csv(decode_text(path.read_bytes()))


# --- ballots ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ballot:
    """One owner's counted ballot, with the line and home it was given through."""

    owner: OwnerKey
    choice: Choice
    channel: Channel
    home_id: str
    line: int


def parse_ballot_rows(rows: Iterable[Row], homes: Iterable[Home]) -> dict[OwnerKey, Ballot]:
    """One ballot per owner from (line, cells) rows; raise if any line is wrong."""
    owner_of = owner_of_home(homes)
    errors: list[LineError] = []
    ballots: dict[OwnerKey, Ballot] = {}
    iterator = iter(rows)
    positions = _read_header(iterator, BALLOT_COLUMNS, errors)
    if positions is not None:
        for line, cells in iterator:
            fields = _row_fields(line, cells, positions, errors)
            if fields is None:
                continue
            home_id, choice_text, channel_text = fields
            count = len(errors)
            owner = owner_of.get(home_id)
            if not home_id:
                errors.append(LineError("missing_home_id", line))
            elif owner is None:
                errors.append(LineError("unknown_home", line, {"home_id": home_id}))
            choice = _member(Choice, choice_text)
            if choice is None:
                errors.append(LineError("bad_choice", line, {"value": choice_text}))
            channel = _member(Channel, channel_text)
            if channel is None:
                errors.append(LineError("bad_channel", line, {"value": channel_text}))
            if len(errors) > count or owner is None or choice is None or channel is None:
                continue
            first = ballots.get(owner)
            if first is None:
                ballots[owner] = Ballot(owner, choice, channel, home_id, line)
            elif first.choice != choice:
                errors.append(
                    LineError(
                        "conflicting_ballots",
                        line,
                        {
                            "home_id": home_id,
                            "choice": choice.value,
                            "first_choice": first.choice.value,
                            "first_line": first.line,
                            "first_home_id": first.home_id,
                        },
                    )
                )
    if errors:
        raise BallotError(errors)
    return ballots


def _member(enum: type[_E], text: str) -> _E | None:
    """The enum member named by ``text`` (case-insensitive), or None."""
    return enum._value2member_map_.get(text.lower())  # a dict lookup: enum(...) is slow


def parse_ballots_csv(text: str, homes: Iterable[Home]) -> dict[OwnerKey, Ballot]:
    """Read ballots from CSV text against a register; raise :class:`BallotError` if any is wrong."""
    return parse_ballot_rows(_csv_rows(text), homes)


def choices(ballots: dict[OwnerKey, Ballot]) -> dict[OwnerKey, Choice]:
    """The owner → choice mapping that :func:`consult.owners.rules.tally` counts."""
    return {owner: ballot.choice for owner, ballot in ballots.items()}


# --- writing ------------------------------------------------------------------


def format_homes_csv(homes: Iterable[Home]) -> str:
    """A register as ``homes.csv`` text that :func:`parse_homes_csv` reads back exactly."""
    rows = [list(HOME_COLUMNS)]
    for home in homes:
        if any(OWNER_SEPARATOR in name for name in home.owners):
            raise ValueError(f"home {home.home_id}: an owner name contains '{OWNER_SEPARATOR}'")
        rows.append([
            home.home_id, home.building, home.room, str(cents_to_area(home.area_cents)),
            OWNER_SEPARATOR.join(home.owners), "1" if home.developer_held else "0",
        ])
    return _format_csv(rows)


def format_ballots_csv(ballots: Iterable[tuple[str, Choice | str, Channel | str]]) -> str:
    """``ballots.csv`` text from (home_id, choice, channel) triples."""
    rows = [list(BALLOT_COLUMNS)]
    rows += [[home_id, str(choice), str(channel)] for home_id, choice, channel in ballots]
    return _format_csv(rows)


def _format_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
