"""Reading a home register and a ballot list, all-or-nothing.

A register comes from the property office or the committee as CSV or Excel with
the columns ``home_id,building,room,area_m2,owners,developer_held`` and, optionally,
``owner_ids`` (the co-owners' identifiers — 不动产权证号, the last digits of an ID, a
committee code — separated by ";" like the names).  The headers may also be in
Chinese (房号,楼号,室号,面积,业主,开发商持有,业主证件号 and the like, see
:data:`HOME_HEADERS`), in any order.  Without identifiers, owners are told apart by
name and the reading carries a warning that same-named owners are merged.  Every wrong
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
from collections.abc import Iterable
from dataclasses import dataclass
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
    same_name_owners,
)
from .sheets import (
    MESSAGES as MESSAGES,  # re-exported: the register's public names stay here
)
from .sheets import (
    WARNINGS as WARNINGS,
)
from .sheets import (
    BallotError,
    LineError,
    RegisterError,
    Row,
    Warning_,
    _csv_rows,
    _read_header,
    _row_fields,
    _xlsx_rows,
    decode_text,
)
from .sheets import (
    InputError as InputError,
)

HOME_COLUMNS = ("home_id", "building", "room", "area_m2", "owners", "developer_held")
#: The optional column of owner identifiers, one per name in ``owners``.
OWNER_IDS = "owner_ids"
BALLOT_COLUMNS = ("home_id", "choice", "channel")
OWNER_SEPARATOR = ";"

#: The headers each register column is known by (compared trimmed, lower case, without
#: a unit in brackets such as 面积（㎡） or area (m2)).
HOME_HEADERS: dict[str, tuple[str, ...]] = {
    "home_id": ("home_id", "房号", "房屋编号", "房屋编码", "房屋代码", "户号"),
    "building": ("building", "楼号", "楼栋", "楼栋号", "栋号", "幢号"),
    "room": ("room", "室号", "房间号", "门牌号"),
    "area_m2": ("area_m2", "面积", "建筑面积", "专有部分面积", "产权面积"),
    "owners": ("owners", "业主", "业主姓名", "产权人", "权利人", "姓名"),
    "developer_held": ("developer_held", "开发商持有", "开发商", "是否开发商持有"),
    OWNER_IDS: ("owner_ids", "owner_id", "业主证件号", "证件号", "身份证后四位", "产权证号",
                "不动产权证号", "房产证号", "业主编号", "业主代码", "业主标识"),
}
_EXPECTED_HOMES = (",".join(HOME_COLUMNS) + "[," + OWNER_IDS + "] (" + ",".join(
    HOME_HEADERS[c][1] for c in HOME_COLUMNS) + "[," + HOME_HEADERS[OWNER_IDS][2] + "])")
#: What 开发商持有 may say: 1 or 0, or 是 or 否 as Chinese registers write it.
_YES, _NO = ("1", "是"), ("0", "否")

# typing.TYPE_CHECKING without importing typing: the recount command starts faster.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from typing import IO, TypeVar

    _E = TypeVar("_E", Choice, Channel)

# Plain decimal notation only: no exponent, no thousands separator, ASCII digits only
# (``\d`` would also accept full-width digits).  A minus sign is let through so that
# a negative area is reported as "not positive" rather than "not a number".
_AREA_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

@dataclass(frozen=True, slots=True)
class RegisterRead:
    """The homes of a register that was read, and its warnings."""

    homes: list[Home]
    warnings: list[Warning_]


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


def _owner_ids(
    line: int, home_id: str, owners: tuple[str, ...], ids_text: str, errors: list[LineError]
) -> tuple[str, ...]:
    """The identifiers of a home's owners (empty if none are given), checked."""
    if not ids_text or not owners:
        return ()
    ids = tuple(i.strip() for i in ids_text.split(OWNER_SEPARATOR))
    if len(ids) != len(owners) or not all(ids):
        errors.append(LineError("owner_ids_mismatch", line,
                                {"home_id": home_id, "expected": len(owners),
                                 "found": sum(1 for i in ids if i)}))
    elif any(person_name_problem(i) or not i.isprintable() for i in ids):
        errors.append(LineError("bad_owner_id", line, {"home_id": home_id}))
    else:
        seen: dict[str, str] = {}
        for name, ident in zip(owners, ids, strict=True):
            if seen.setdefault(name, ident) != ident:
                errors.append(LineError("same_name_in_home", line,
                                        {"home_id": home_id, "name": name}))
                break
    return ids


def _home_from_row(
    line: int, fields: list[str], first_seen: dict[str, int], errors: list[LineError]
) -> Home | None:
    home_id, building, room, area_text, owners_text, developer_text, ids_text = fields
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
    developer_held = developer_text in _YES
    if not developer_held and developer_text not in _NO:
        errors.append(LineError("bad_developer_held", line, {"value": developer_text}))
    owners: tuple[str, ...] = ()
    if owners_text:
        owners = tuple(name.strip() for name in owners_text.split(OWNER_SEPARATOR))
        if not all(owners):
            errors.append(LineError("empty_owner_name", line, {"home_id": home_id}))
        elif any(person_name_problem(name) for name in owners):
            errors.append(LineError("bad_owner_name", line, {"home_id": home_id}))
    elif not developer_held:
        errors.append(LineError("missing_owners", line, {"home_id": home_id}))
    ids = _owner_ids(line, home_id, owners, ids_text, errors)
    if len(errors) > count:
        return None
    return Home(home_id, building, room, area, owners, developer_held, ids)


def read_home_rows(rows: Iterable[Row]) -> RegisterRead:
    """Build homes from (line, cells) rows, header first, with the reading's warnings;
    raise :class:`RegisterError` if any line is wrong."""
    errors: list[LineError] = []
    homes: list[Home] = []
    lines: list[int] = []
    iterator = iter(rows)
    positions = _read_header(iterator, HOME_COLUMNS, errors, HOME_HEADERS, (OWNER_IDS,),
                             _EXPECTED_HOMES)
    if positions is not None:
        first_seen: dict[str, int] = {}
        for line, cells in iterator:
            fields = _row_fields(line, cells, positions, errors)
            if fields is not None:
                home = _home_from_row(line, fields, first_seen, errors)
                if home is not None:
                    homes.append(home)
                    lines.append(line)
        if not errors and not homes:
            errors.append(LineError("no_homes", None))
    if errors:
        raise RegisterError(errors)
    assert positions is not None
    return RegisterRead(homes, _warnings(homes, lines, has_ids=positions[-1] is not None))


def _warnings(homes: list[Home], lines: list[int], *, has_ids: bool) -> list[Warning_]:
    """Tell when owners are told apart by name: which names that merges, which homes lack ids."""
    warnings = []
    if not has_ids:
        warnings.append(Warning_("names_only"))
        merged = same_name_owners(homes)
        if merged:
            shown = sorted(merged, key=lambda n: (-merged[n], n))[:10]
            warnings.append(Warning_("names_merged", {
                "count": len(merged),
                "names": "、".join(f"{n} ({merged[n]})" for n in shown)
                         + ("…" if len(merged) > len(shown) else "")}))
        return warnings
    bare = [(line, home) for line, home in zip(lines, homes, strict=True)
            if home.owners and not home.owner_ids and not home.developer_held]
    if bare:
        warnings.append(Warning_("missing_owner_ids", {
            "count": len(bare), "line": bare[0][0], "home_id": bare[0][1].home_id}))
    return warnings


def parse_home_rows(rows: Iterable[Row]) -> list[Home]:
    """Build homes from (line, cells) rows, header first; raise if any line is wrong."""
    return read_home_rows(rows).homes


def read_homes_csv(text: str) -> RegisterRead:
    """Read a register from CSV text, with its warnings; raise :class:`RegisterError`."""
    return read_home_rows(_csv_rows(text))


def parse_homes_csv(text: str) -> list[Home]:
    """Read a register from CSV text; raise :class:`RegisterError` listing every bad line."""
    return read_homes_csv(text).homes


def read_homes_xlsx(source: str | Path | IO[bytes]) -> RegisterRead:
    """Read a register from the first sheet of an .xlsx workbook (path or binary file)."""
    try:
        rows = list(_xlsx_rows(source))
    except Exception as exc:  # openpyxl raises many unrelated types for a bad file
        name = getattr(source, "name", str(source))
        raise RegisterError(
            [LineError("unreadable_file", None, {"name": name, "reason": type(exc).__name__})]
        ) from exc
    return read_home_rows(rows)


def parse_homes_xlsx(source: str | Path | IO[bytes]) -> list[Home]:
    """The homes of an .xlsx register (see :func:`read_homes_xlsx`)."""
    return read_homes_xlsx(source).homes


def read_homes_file(path: str | Path) -> RegisterRead:
    """Read a register file with its warnings, choosing Excel or CSV by its suffix."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return read_homes_xlsx(path)
    return read_homes_csv(decode_text(path.read_bytes()))


def load_homes(path: str | Path) -> list[Home]:
    """Read a register file, choosing Excel or CSV by its suffix."""
    return read_homes_file(path).homes


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
    homes = list(homes)
    with_ids = any(home.owner_ids for home in homes)
    rows = [list(HOME_COLUMNS) + ([OWNER_IDS] if with_ids else [])]
    for home in homes:
        if any(OWNER_SEPARATOR in value for value in home.owners + home.owner_ids):
            raise ValueError(f"home {home.home_id}: an owner name or identifier contains "
                             f"'{OWNER_SEPARATOR}'")
        rows.append([
            home.home_id, home.building, home.room, str(cents_to_area(home.area_cents)),
            OWNER_SEPARATOR.join(home.owners), "1" if home.developer_held else "0",
        ] + ([OWNER_SEPARATOR.join(home.owner_ids)] if with_ids else []))
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
