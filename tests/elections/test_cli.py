"""The recount commands: one JSON object on success, exit 2 and stderr naming the line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consult.__main__ import main

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


def owners_elect(tmp_path, capsys, ballots, *extra, homes=HOMES):
    (tmp_path / "homes.csv").write_text(homes, encoding="utf-8")
    (tmp_path / "ballots.csv").write_text(ballots, encoding="utf-8")
    status = main(["owners", "elect", "--homes", str(tmp_path / "homes.csv"),
                   "--ballots", str(tmp_path / "ballots.csv"), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_multi_home_owner_approving_through_two_homes_counts_once(tmp_path, capsys):
    ballots = ("home_id,candidates,channel\n"
               "1-101,2;1,web\n"
               "1-102,1;2,paper\n"  # li again, the same ballot through the other home
               "1-103,1,paper\n"
               "1-105,,proxy\n")  # the developer takes part, approves no one
    status, out, err = owners_elect(tmp_path, capsys, ballots, "--seats", "2")
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "area_total": "600.00", "owners_total": 4, "area_voted": "500.00", "owners_voted": 3,
        "quorum_met": True,
        "candidates": [
            {"id": "1", "area_agree": "300.00", "owners_agree": 2, "passed": True},
            {"id": "2", "area_agree": "200.00", "owners_agree": 1, "passed": False},
        ],
        "elected": ["1"], "tied": [], "unfilled": 1,
    }


def test_without_the_quorum_nobody_passes(tmp_path, capsys):
    status, out, _ = owners_elect(tmp_path, capsys, "home_id,candidates,channel\n1-101,1,web\n",
                                  "--seats", "5")
    result = json.loads(out)
    assert status == 0 and not result["quorum_met"]
    assert result["elected"] == [] and result["unfilled"] == 5
    assert result["candidates"] == [{"id": "1", "area_agree": "200.00", "owners_agree": 1,
                                     "passed": False}]


def test_the_rank_rule_is_an_option(tmp_path, capsys):
    homes = "home_id,building,room,area_m2,owners,developer_held\n" + "".join(
        f"h{k},1,{k},{area},{k},0\n" for k, area in zip("abcdefg", ["1.50"] * 5 + ["3.00"] * 2, strict=True))
    ballots = ("home_id,candidates,channel\nha,z;y,web\nhb,z;y,web\nhc,x;y,web\nhd,x;y,web\n"
               "he,x;y,web\nhf,z;x,web\nhg,z;x,web\n")
    _, out, _ = owners_elect(tmp_path, capsys, ballots, "--seats", "2", homes=homes)
    assert json.loads(out)["elected"] == ["x", "y"]
    _, out, _ = owners_elect(tmp_path, capsys, ballots, "--seats", "2", "--rank", "area", homes=homes)
    assert json.loads(out)["elected"] == ["x", "z"]


@pytest.mark.parametrize("ballots, seats, named", [
    ("1-999,1,web\n", "2", "line 2: home 1-999 is not in the register"),
    ("1-101,1,web\n1-102,2,paper\n", "2", "line 3: home 1-102 approves 2"),
    ("1-101,1;2;3,web\n", "2", "line 2: 3 candidates approved for 2 seats"),
    ("1-101,1;1,web\n", "2", "line 2: candidate 1 is named twice"),
    ("1-101,1;;2,web\n", "2", "line 2: an empty candidate id"),
    ("1-101,1,fax\n", "2", "line 2: the channel “fax”"),
])
def test_bad_ballots_exit_non_zero_naming_the_line(tmp_path, capsys, ballots, seats, named):
    status, out, err = owners_elect(tmp_path, capsys, "home_id,candidates,channel\n" + ballots,
                                    "--seats", seats)
    assert status == 2 and out == ""
    assert named in err


def test_a_bad_area_exits_non_zero_naming_the_line(tmp_path, capsys):
    homes = HOMES.replace("1-107,1,107,100.00", "1-107,1,107,100.001")
    status, out, err = owners_elect(tmp_path, capsys, "home_id,candidates,channel\n", "--seats", "2",
                                    homes=homes)
    assert status == 2 and out == "" and "Line 8" in err and "100.001" in err


@pytest.mark.parametrize("seats", ["0", "x", "1.5", "100"])
def test_bad_seats_are_refused(tmp_path, capsys, seats):
    status, out, _ = owners_elect(tmp_path, capsys, "home_id,candidates,channel\n", "--seats", seats)
    assert status == 2 and out == ""


def residents_elect(tmp_path, capsys, voters, ballots, *extra):
    (tmp_path / "voters.csv").write_text(voters, encoding="utf-8")
    (tmp_path / "ballots.csv").write_text(ballots, encoding="utf-8")
    status = main(["elect", "--voters", str(tmp_path / "voters.csv"),
                   "--ballots", str(tmp_path / "ballots.csv"), *extra])
    out, err = capsys.readouterr()
    return status, out, err


VOTERS = "voter_id\nv1\nv2\nv3\nv4\nv5\n"


def test_a_residents_election(tmp_path, capsys):
    ballots = "voter_id,candidates\nv1,a;b\nv2,a\nv3,b;c\n"
    status, out, err = residents_elect(tmp_path, capsys, VOTERS, ballots, "--seats", "2")
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "registered": 5, "voted": 3, "valid": True,
        "candidates": [{"id": "a", "votes": 2, "passed": True}, {"id": "b", "votes": 2, "passed": True},
                       {"id": "c", "votes": 1, "passed": False}],
        "elected": ["a", "b"], "tied": [], "unfilled": 0,
    }


def test_a_further_round_counts_a_third(tmp_path, capsys):
    ballots = "voter_id,candidates\nv1,a\nv2,c\nv3,b\n"
    _, out, _ = residents_elect(tmp_path, capsys, VOTERS, ballots, "--seats", "1")
    assert json.loads(out)["elected"] == [] and json.loads(out)["unfilled"] == 1
    _, out, _ = residents_elect(tmp_path, capsys, VOTERS, ballots, "--seats", "1", "--further-round")
    assert json.loads(out)["tied"] == ["a", "b", "c"]


def test_turnout_of_half_is_not_valid(tmp_path, capsys):
    _, out, _ = residents_elect(tmp_path, capsys, "voter_id\nv1\nv2\nv3\nv4\n",
                                "voter_id,candidates\nv1,a\nv2,a\n", "--seats", "1")
    result = json.loads(out)
    assert result["valid"] is False and result["elected"] == [] and result["unfilled"] == 1


@pytest.mark.parametrize("ballots, named", [
    ("v9,a\n", "line 2: voter v9 is not on the register"),
    ("v1,a\nv1,a\n", "line 3: voter v1 already has a ballot on line 2"),
    ("v1,a;b\n", "line 2: 2 candidates approved for 1 seats"),
    ("v1,a;a\n", "line 2: candidate a is named twice"),
])
def test_bad_resident_ballots_name_the_line(tmp_path, capsys, ballots, named):
    status, out, err = residents_elect(tmp_path, capsys, VOTERS, "voter_id,candidates\n" + ballots,
                                       "--seats", "1")
    assert status == 2 and out == "" and named in err


def test_a_voter_listed_twice_is_refused(tmp_path, capsys):
    status, out, err = residents_elect(tmp_path, capsys, "voter_id\nv1\nv1\n",
                                       "voter_id,candidates\n", "--seats", "1")
    assert status == 2 and out == "" and "line 3: voter v1 is already listed" in err


def test_the_command_runs_as_a_module(tmp_path):
    (tmp_path / "voters.csv").write_text(VOTERS)
    (tmp_path / "ballots.csv").write_text("voter_id,candidates\nv1,a\nv2,a\nv3,a\n")
    done = subprocess.run([sys.executable, "-m", "consult", "elect", "--voters",
                           str(tmp_path / "voters.csv"), "--ballots", str(tmp_path / "ballots.csv"),
                           "--seats", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["elected"] == ["a"]
