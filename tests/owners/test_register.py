"""Reading registers and ballot lists: every error found, with its line, nothing imported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from consult.owners.register import (
    MESSAGES,
    BallotError,
    LineError,
    RegisterError,
    choices,
    decode_text,
    load_homes,
    parse_area,
    parse_ballots_csv,
    parse_homes_csv,
    parse_homes_xlsx,
)
from consult.owners.rules import DEVELOPER, Channel, Choice, Home

HEADER = "home_id,building,room,area_m2,owners,developer_held\n"
GOOD = HEADER + (
    "1-101,1,101,89.57,li,0\n"
    '1-102,1,102,70,"wang ; zhao",0\n'
    "1-103,1,103,65.5,zhao;wang,0\n"
    "1-104,1,104,120.00,,1\n"
    "1-105,1,105,99.01,qian,1\n"
    "1-106,1,106,45.1,li,0\n"
)


def errors_of(text: str) -> list[tuple[str, int | None]]:
    with pytest.raises(RegisterError) as caught:
        parse_homes_csv(text)
    return [(e.code, e.line) for e in caught.value.errors]


def only_error(text: str) -> LineError:
    with pytest.raises(RegisterError) as caught:
        parse_homes_csv(text)
    [error] = caught.value.errors
    return error


# --- a good register --------------------------------------------------------------


def test_good_register_is_read_exactly() -> None:
    homes = parse_homes_csv(GOOD)
    assert [h.home_id for h in homes] == ["1-101", "1-102", "1-103", "1-104", "1-105", "1-106"]
    assert homes[0] == Home("1-101", "1", "101", Decimal("89.57"), ("li",), False)
    assert homes[1].owners == ("wang", "zhao")  # whitespace trimmed
    assert homes[2].area_cents == 6550
    assert homes[3].owners == () and homes[3].developer_held
    assert homes[4].owners == ("qian",) and homes[4].developer_held


def test_bom_blank_lines_crlf_and_column_order_are_tolerated() -> None:
    text = (
        "\ufeffowners,home_id,building,room,area_m2,developer_held\r\n"
        "\r\n"
        "li,1-101,1,101,89.57,0\r\n"
        " , , , , , \r\n"
        "wang,1-102,1,102,70,0\r\n"
    )
    homes = parse_homes_csv(text)
    assert [(h.home_id, h.owners) for h in homes] == [("1-101", ("li",)), ("1-102", ("wang",))]


def test_decode_text_accepts_utf8_bom_and_gb18030() -> None:
    assert decode_text("\ufeff业主".encode()) == "业主"
    assert decode_text("业主".encode("gb18030")) == "业主"


def test_parse_area_accepts_plain_decimals() -> None:
    assert parse_area("89.57") == Decimal("89.57")
    assert parse_area("89.5") == Decimal("89.5")
    assert parse_area("89") == Decimal("89")
    assert parse_area("89.500") == Decimal("89.5")  # exact, so not "too precise"


# --- every register error, with its line number ---------------------------------------------


def test_empty_file() -> None:
    assert errors_of("") == [("empty_file", 1)]
    assert errors_of("\n\n") == [("empty_file", 1)]


def test_header_only_has_no_homes() -> None:
    assert errors_of(HEADER) == [("no_homes", None)]


@pytest.mark.parametrize(
    "header",
    [
        "home_id,building,room,area,owners,developer_held",  # misnamed column
        "home_id,building,room,area_m2,owners",  # missing column
        "home_id,building,room,area_m2,owners,developer_held,notes",  # extra column
        "home_id,home_id,room,area_m2,owners,developer_held",  # duplicated column
        "1-101,1,101,89.57,li,0",  # no header at all
    ],
)
def test_wrong_header(header: str) -> None:
    error = only_error(header + "\n1-101,1,101,89.57,li,0\n")
    assert (error.code, error.line) == ("bad_header", 1)
    assert "home_id,building,room,area_m2,owners,developer_held" in error.message


def test_wrong_header_after_blank_lines_names_its_line() -> None:
    assert errors_of("\n\nfoo,bar\n") == [("bad_header", 3)]


def test_duplicate_home_id_names_both_lines() -> None:
    error = only_error(
        HEADER + "1-101,1,101,89.57,li,0\n1-102,1,102,70,wang,0\n1-101,1,101,5,x,0\n"
    )
    assert (error.code, error.line) == ("duplicate_home_id", 4)
    assert error.params == {"home_id": "1-101", "first_line": 2}
    assert error.message == "Line 4: home 1-101 is already listed on line 2."


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ("-89.57", "area_not_positive"),
        ("0", "area_not_positive"),
        ("0.00", "area_not_positive"),
        ("-0", "area_not_positive"),
        ("89.571", "area_too_precise"),
        ("0.001", "area_too_precise"),
        ("1000000000", "area_too_large"),
        ("abc", "area_not_a_number"),
        ("", "area_not_a_number"),
        ("1e2", "area_not_a_number"),
        ("8.957E1", "area_not_a_number"),
        ("NaN", "area_not_a_number"),
        ("Infinity", "area_not_a_number"),
        ("1,089.50", "area_not_a_number"),
        ("89,5", "area_not_a_number"),
        ("８９.５", "area_not_a_number"),  # full-width digits
        ("89.5m2", "area_not_a_number"),
        ("0x10", "area_not_a_number"),
    ],
)
def test_bad_area(area: str, code: str) -> None:
    error = only_error(HEADER + "1-101,1,101,89.57,li,0\n" + f'1-102,1,102,"{area}",wang,0\n')
    assert (error.code, error.line) == (code, 3)
    assert error.params == {"value": area}


def test_missing_owners_when_not_developer_held() -> None:
    error = only_error(HEADER + "1-101,1,101,89.57,li,0\n1-102,1,102,70, ,0\n")
    assert (error.code, error.line, error.params) == ("missing_owners", 3, {"home_id": "1-102"})


@pytest.mark.parametrize("owners", ["li;;wang", "li;", ";li", "li; ;wang"])
def test_empty_owner_name_between_separators(owners: str) -> None:
    error = only_error(HEADER + f"1-101,1,101,89.57,{owners},0\n")
    assert (error.code, error.line) == ("empty_owner_name", 2)


@pytest.mark.parametrize("owners", ["li;\u200b\u200b", "\u202eil", "li\x07wang", "li;\u2066wang"])
def test_owner_names_with_invisible_or_direction_characters_are_refused(owners: str) -> None:
    error = only_error(HEADER + f"1-101,1,101,89.57,{owners},0\n")
    assert (error.code, error.line) == ("bad_owner_name", 2)


@pytest.mark.parametrize("flag", ["", "2", "yes", "true", "-1", "1.0", "01"])
def test_bad_developer_held(flag: str) -> None:
    error = only_error(HEADER + f"1-101,1,101,89.57,li,{flag}\n")
    assert (error.code, error.line, error.params) == ("bad_developer_held", 2, {"value": flag})


def test_missing_home_id() -> None:
    assert errors_of(HEADER + ",1,101,89.57,li,0\n") == [("missing_home_id", 2)]


def test_wrong_number_of_fields() -> None:
    error = only_error(HEADER + "1-101,1,101,89.57,li\n")
    assert (error.code, error.line, error.params) == (
        "bad_field_count",
        2,
        {"expected": 6, "found": 5},
    )


def test_every_error_is_collected_with_its_line_and_nothing_is_returned() -> None:
    text = HEADER + (
        "1-101,1,101,89.57,li,0\n"  # 2 fine
        "1-102,1,102,-3,wang,0\n"  # 3 negative area
        "1-101,1,101,10,zhao,0\n"  # 4 duplicate
        "1-104,1,104,10.123,,0\n"  # 5 too precise and no owners
        "1-105,1,105,10,qian,maybe\n"  # 6 bad flag
        "1-106,1,106,10\n"  # 7 short row
        "1-107,1,107,10,sun,1\n"  # 8 fine
    )
    assert errors_of(text) == [
        ("area_not_positive", 3),
        ("duplicate_home_id", 4),
        ("area_too_precise", 5),
        ("missing_owners", 5),
        ("bad_developer_held", 6),
        ("bad_field_count", 7),
    ]


def test_line_numbers_count_physical_lines_of_multiline_fields() -> None:
    text = HEADER + '1-101,1,101,x,"li;\nwang",0\n1-102,1,102,bad,zhao,0\n'
    # The first record spans lines 2-3 and is reported where it starts.
    assert errors_of(text) == [("area_not_a_number", 2), ("area_not_a_number", 4)]


def test_every_code_has_a_template_that_formats() -> None:
    params = {
        "expected": "x",
        "found": "y",
        "home_id": "h",
        "first_line": 2,
        "value": "v",
        "name": "n",
        "reason": "r",
        "choice": "agree",
        "first_choice": "disagree",
        "first_home_id": "g",
    }
    for code in MESSAGES:
        message = LineError(code, 7, params).message
        assert "{" not in message and message


# --- Excel -------------------------------------------------------------------------


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_register_with_numeric_cells(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "homes.xlsx",
        [
            list(HEADER.strip().split(",")),
            [101, 1, 101, 89.57, "li", 0],
            ["1-102", "1", "102", 70, "wang;zhao", 0],
            ["1-103", "1", "103", "65.50", None, 1],
            [None, None, None, None, None, None],
        ],
    )
    homes = load_homes(path)
    assert [(h.home_id, h.area_cents, h.owners, h.developer_held) for h in homes] == [
        ("101", 8957, ("li",), False),
        ("1-102", 7000, ("wang", "zhao"), False),
        ("1-103", 6550, (), True),
    ]


def test_xlsx_errors_carry_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "homes.xlsx",
        [
            list(HEADER.strip().split(",")),
            ["1-101", "1", "101", 89.571, "li", 0],
            ["1-102", "1", "102", 1e-5, "wang", 0],
            ["1-101", "1", "101", 10, "zhao", True],
            ["1-105", "1", "105", 10, "sun", None],  # blank last cell: an empty field
            ["1-106", "1", "106", 10, "sun", 0, "note"],
        ],
    )
    with pytest.raises(RegisterError) as caught:
        parse_homes_xlsx(path)
    assert [(e.code, e.line) for e in caught.value.errors] == [
        ("area_too_precise", 2),
        ("area_not_a_number", 3),
        ("duplicate_home_id", 4),
        ("bad_developer_held", 4),
        ("bad_developer_held", 5),
        ("bad_field_count", 6),
    ]


def test_unreadable_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "homes.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(RegisterError) as caught:
        load_homes(path)
    assert [e.code for e in caught.value.errors] == ["unreadable_file"]


# --- ballots ---------------------------------------------------------------------------

BALLOT_HEADER = "home_id,choice,channel\n"


@pytest.fixture
def homes() -> list[Home]:
    return parse_homes_csv(GOOD)


def ballot_errors(text: str, homes: list[Home]) -> list[LineError]:
    with pytest.raises(BallotError) as caught:
        parse_ballots_csv(text, homes)
    return caught.value.errors


def test_ballot_through_any_home_of_the_owner(homes: list[Home]) -> None:
    ballots = parse_ballots_csv(
        BALLOT_HEADER + "1-106,agree,web\n1-103,Disagree,PAPER\n1-105,abstain,proxy\n", homes
    )
    assert choices(ballots) == {
        frozenset({"li"}): Choice.AGREE,
        frozenset({"wang", "zhao"}): Choice.DISAGREE,
        DEVELOPER: Choice.ABSTAIN,
    }
    assert ballots[frozenset({"li"})].home_id == "1-106"
    assert ballots[DEVELOPER].channel is Channel.PROXY


def test_repeated_identical_ballots_count_once(homes: list[Home]) -> None:
    text = BALLOT_HEADER + (
        "1-101,agree,web\n"
        "1-101,agree,web\n"
        "1-106,agree,paper\n"  # same owner through another home and channel
        "1-102,disagree,web\n"
        "1-103,disagree,proxy\n"  # same co-owners, listed in the other order
    )
    ballots = parse_ballots_csv(text, homes)
    assert len(ballots) == 2
    assert ballots[frozenset({"li"})].line == 2  # the first is kept
    assert ballots[frozenset({"li"})].channel is Channel.WEB


def test_conflicting_ballots_of_one_owner_are_refused(homes: list[Home]) -> None:
    text = BALLOT_HEADER + "1-102,agree,web\n1-101,agree,web\n1-103,disagree,paper\n"
    [error] = ballot_errors(text, homes)
    assert (error.code, error.line) == ("conflicting_ballots", 4)
    assert error.params == {
        "home_id": "1-103",
        "choice": "disagree",
        "first_choice": "agree",
        "first_line": 2,
        "first_home_id": "1-102",
    }
    assert "1-103" in error.message and "line 2" in error.message


def test_unknown_home_bad_choice_bad_channel(homes: list[Home]) -> None:
    text = BALLOT_HEADER + (
        "9-999,agree,web\n"
        "1-101,yes,web\n"
        "1-102,agree,email\n"
        ",agree,web\n"
        "1-104,agree\n"
        "1-105,agree,web\n"
    )
    errors = ballot_errors(text, homes)
    assert [(e.code, e.line) for e in errors] == [
        ("unknown_home", 2),
        ("bad_choice", 3),
        ("bad_channel", 4),
        ("missing_home_id", 5),
        ("bad_field_count", 6),
    ]
    assert errors[0].params == {"home_id": "9-999"}
    assert "9-999" in errors[0].message
    assert errors[1].params == {"value": "yes"}


def test_ballots_header_and_empty_file(homes: list[Home]) -> None:
    assert [(e.code, e.line) for e in ballot_errors("", homes)] == [("empty_file", 1)]
    assert [(e.code, e.line) for e in ballot_errors("home,choice\n", homes)] == [("bad_header", 1)]
    assert parse_ballots_csv(BALLOT_HEADER, homes) == {}  # nobody voted is a valid list
