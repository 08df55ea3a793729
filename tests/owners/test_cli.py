"""The ``tally`` command: one JSON object on success, exit 2 and stderr on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from consult.owners.cli import main
from tests.gen_owners import generate_estate

ROOT = Path(__file__).resolve().parents[2]

HOMES = (
    "home_id,building,room,area_m2,owners,developer_held\n"
    "1-101,1,101,100.00,li,0\n"
    "1-102,1,102,100.00,li,0\n"  # li's second home
    "1-103,1,103,50.50,wang;zhao,0\n"
    "1-104,1,104,49.50,zhao;wang,0\n"  # the same couple
    "1-105,1,105,100.00,,1\n"
    "1-106,1,106,100.00,,1\n"  # developer stock: one owner
    "1-107,1,107,100.00,qian,0\n"
)
# Owners: li 200, wang+zhao 100, developer 200, qian 100 -> 4 owners, 600.00 m².


def write(tmp_path: Path, homes: str, ballots: str) -> tuple[str, str]:
    homes_path, ballots_path = tmp_path / "homes.csv", tmp_path / "ballots.csv"
    homes_path.write_text(homes, encoding="utf-8")
    ballots_path.write_text(ballots, encoding="utf-8")
    return str(homes_path), str(ballots_path)


def only_warnings(err: str) -> list[str]:
    """A names-only register is counted, with warnings on stderr and nothing else there."""
    lines = err.splitlines()
    assert all(": warning: " in line for line in lines), err
    return lines


def run(
    capsys: pytest.CaptureFixture[str], homes: str, ballots: str, matter: str
) -> tuple[int, str, str]:
    code = main(["tally", "--homes", homes, "--ballots", ballots, "--matter", matter])
    out, err = capsys.readouterr()
    return code, out, err


def test_tally_prints_one_json_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ballots = (
        "home_id,choice,channel\n"
        "1-102,agree,web\n"
        "1-101,agree,paper\n"  # repeated identical: counts once
        "1-104,abstain,proxy\n"
        "1-105,agree,paper\n"
    )
    code, out, err = run(capsys, *write(tmp_path, HOMES, ballots), "major")
    assert code == 0
    warnings = only_warnings(err)
    assert "no owner identifier column" in warnings[0]
    assert "li (2)" in warnings[1] and "counted as one owner" in warnings[1]
    assert out.count("\n") == 1
    assert json.loads(out) == {
        "matter": "major",
        "area_total": "600.00",
        "owners_total": 4,
        "area_voted": "500.00",
        "owners_voted": 3,
        "area_agree": "400.00",
        "owners_agree": 2,
        "quorum_met": True,
        "passed": False,  # 2 of 3 owners is below 3/4
    }
    code, out, _ = run(capsys, *write(tmp_path, HOMES, ballots), "ordinary")
    assert code == 0
    assert json.loads(out)["passed"] is True  # 2/3 of owners and 4/5 of area: over half


@pytest.mark.parametrize("kind, passed", [("maintenance_fund_use", True), ("committee_election", True),
                                          ("maintenance_fund_raise", False), ("rebuild", False)])
def test_tally_takes_the_legal_kind_names(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          kind: str, passed: bool) -> None:
    ballots = "home_id,choice,channel\n1-102,agree,web\n1-104,abstain,proxy\n1-105,agree,paper\n"
    code, out, err = run(capsys, *write(tmp_path, HOMES, ballots), kind)
    assert code == 0 and only_warnings(err)
    result = json.loads(out)
    assert result["matter"] == kind and result["passed"] is passed  # 2 of 3 owners, 4/5 of area


def test_no_quorum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ballots = "home_id,choice,channel\n1-101,agree,web\n1-107,agree,web\n"
    code, out, _ = run(capsys, *write(tmp_path, HOMES, ballots), "ordinary")
    result = json.loads(out)
    assert code == 0
    assert (result["area_voted"], result["owners_voted"]) == ("300.00", 2)
    assert result["quorum_met"] is False and result["passed"] is False


def test_xlsx_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in HOMES.splitlines():
        sheet.append(line.split(","))
    book.save(tmp_path / "homes.xlsx")
    _, ballots = write(tmp_path, HOMES, "home_id,choice,channel\n1-103,agree,web\n")
    code, out, _ = run(capsys, str(tmp_path / "homes.xlsx"), ballots, "ordinary")
    assert code == 0
    assert json.loads(out)["area_agree"] == "100.00"


def test_bad_register_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    homes = HOMES + "1-108,1,108,12.345,sun,0\n1-101,1,101,5,x,0\n"
    code, out, err = run(capsys, *write(tmp_path, homes, "home_id,choice,channel\n"), "major")
    assert code == 2
    assert out == ""
    assert "homes.csv: Line 9:" in err and "12.345" in err
    assert "Line 10: home 1-101 is already listed on line 2" in err


def test_bad_ballots_name_line_and_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ballots = "home_id,choice,channel\n1-101,agree,web\n1-102,disagree,web\n9-9,agree,web\n"
    code, out, err = run(capsys, *write(tmp_path, HOMES, ballots), "ordinary")
    assert code == 2
    assert out == ""
    assert "ballots.csv: Line 3: home 1-102" in err
    assert "Line 4: home 9-9 is not in the register" in err


def test_missing_file_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    homes, ballots = write(tmp_path, HOMES, "home_id,choice,channel\n")
    code, out, err = run(capsys, str(tmp_path / "nope.csv"), ballots, "ordinary")
    assert (code, out) == (2, "")
    assert "nope.csv" in err
    code, out, err = run(capsys, homes, ballots, "coup")
    assert (code, out) == (2, "")
    assert "--matter" in err
    assert main(["count"]) == 2
    assert capsys.readouterr().out == ""


def test_module_runs_as_a_script(tmp_path: Path) -> None:
    homes_text, ballots_text = generate_estate(300, seed=5)
    homes, ballots = write(tmp_path, homes_text, ballots_text)
    args = ["tally", "--homes", homes, "--ballots", ballots, "--matter", "major"]
    done = subprocess.run(
        [sys.executable, "-m", "consult.owners.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["matter"] == "major"
    assert result["owners_total"] < 300  # multi-home owners and developer stock merge heads
    assert result["area_total"].count(".") == 1 and len(result["area_total"].split(".")[1]) == 2

    bad = subprocess.run(
        [sys.executable, "-m", "consult.owners.cli", "tally", "--homes", ballots,
         "--ballots", ballots, "--matter", "major"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Line 1" in bad.stderr
