"""Reading a sheet (CSV text or the first sheet of an .xlsx workbook) as numbered rows
and its header as named columns, and the errors and warnings of reading one.

Shared by :mod:`consult.owners.register` (which re-exports every name here) for the
home register and the ballot list.  Errors carry a machine ``code`` and ``params``
plus an English message template; the web layer translates by code.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# typing.TYPE_CHECKING without importing typing: the recount command starts faster.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from typing import IO, Any

_BRACKETED_UNIT = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")

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
    "owner_ids_mismatch": (
        "Line {line}: home {home_id} lists {expected} owners but {found} identifiers; give one "
        "identifier per owner, in the same order, separated by ';'."
    ),
    "bad_owner_id": (
        "Line {line}: home {home_id} has an owner identifier with invisible characters or a "
        "line break; please type it again."
    ),
    "same_name_in_home": (
        "Line {line}: home {home_id} lists {name} twice with different identifiers; one home "
        "cannot list two owners of the same name."
    ),
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


#: English templates of the warnings a register can be read with (nothing is refused).
WARNINGS: dict[str, str] = {
    "names_only": (
        "The register has no owner identifier column (owner_ids, e.g. 产权证号 or 业主证件号): "
        "owners are told apart by name only, so different owners with the same name are "
        "counted as one owner."
    ),
    "names_merged": (
        "{count} names are on more than one home and each is counted as one owner: {names}. "
        "If some are different people, add an identifier column."
    ),
    "missing_owner_ids": (
        "{count} homes have no owner identifier (first: line {line}, home {home_id}); their "
        "owners are told apart by name."
    ),
}


@dataclass(frozen=True, slots=True)
class Warning_:
    """Something to tell whoever imports a register that does not stop the import."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return WARNINGS[self.code]

    @property
    def message(self) -> str:
        return self.template.format(**self.params)

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


def _header_name(cell: str) -> str:
    """A header cell as compared: trimmed, lower case, without a unit in brackets."""
    return _BRACKETED_UNIT.sub("", cell.strip().lstrip("\ufeff")).strip().lower()


def _read_header(
    rows: Iterator[Row], expected: tuple[str, ...], errors: list[LineError],
    known: dict[str, tuple[str, ...]] | None = None, optional: tuple[str, ...] = (),
    shown: str | None = None,
) -> list[int | None] | None:
    """Consume the header and return where each column sits (None: an absent optional one).

    Each expected column exactly once (by any name in ``known``), the ``optional`` ones at
    most once, nothing else; in any order and letter case, since committees rearrange
    spreadsheets.
    """
    shown = shown or ",".join(expected)
    first = next(rows, None)
    if first is None:
        errors.append(LineError("empty_file", 1, {"expected": shown}))
        return None
    line, cells = first
    column_of = {alias.lower(): column for column, aliases in (known or {}).items()
                 for alias in aliases}
    column_of.update({name: name for name in expected + optional})
    found = [column_of.get(_header_name(c)) for c in cells]
    wanted = expected + optional
    if (None in found or len(set(found)) != len(found)
            or not set(expected) <= set(found)):  # type: ignore[arg-type]
        errors.append(
            LineError("bad_header", line,
                      {"expected": shown, "found": ",".join(c.strip() for c in cells)})
        )
        return None
    return [found.index(name) if name in found else None for name in wanted]


def _row_fields(
    line: int, cells: list[str], positions: list[int | None], errors: list[LineError]
) -> list[str] | None:
    """The trimmed fields of a row in expected order ("" for an absent optional column),
    or None (with an error)."""
    width = sum(p is not None for p in positions)
    if len(cells) != width:
        errors.append(
            LineError("bad_field_count", line, {"expected": width, "found": len(cells)})
        )
        return None
    return [cells[i].strip() if i is not None else "" for i in positions]


def decode_text(data: bytes) -> str:
    """Decode an uploaded CSV: UTF-8 (with or without BOM), else GB18030 as Excel in China saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")
