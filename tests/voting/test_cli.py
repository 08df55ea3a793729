"""``consult pb tally``: one JSON object on stdout, or a line-numbered error and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consult.voting.cli import main
from consult.voting.pabulib import load

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))
ASSEN = DATA / "Netherlands_Assen_2024.pb"
KRAKOW = DATA / "Poland_Krakow_2021_Zwierzyniec.pb"
KATOWICE = DATA / "Poland_Katowice_2022_Zawodzie.pb"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tally_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = run(capsys, "tally", *argv)
    assert (code, err) == (0, "")
    assert out.count("\n") == 1  # exactly one JSON object, on one line
    return json.loads(out)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_gives_its_official_outcome(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    result = tally_json(capsys, str(path))
    election = load(path)
    assert set(result) == {"rule", "selected", "scores"}
    assert result["rule"] == election.meta["rule"]
    assert set(result["selected"]) == {
        p.id for p in election.projects if p.fields["selected"] == "1"
    }
    assert list(result["scores"]) == [p.id for p in election.projects]  # ids as written, file order


def test_rule_option_overrides_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    result = tally_json(capsys, str(ASSEN), "--rule", "greedy")
    # By approvals, 2 and 11 tie at 24: 2 is cheaper.  1 (40000) and 12 no longer fit.
    assert result["rule"] == "greedy"
    assert result["selected"] == ["3", "9", "8", "2", "11", "13", "14"]
    no_skip = tally_json(capsys, str(ASSEN), "--rule", "greedy-no-skip")
    assert no_skip["selected"] == ["3", "9", "8", "2", "11"]


def test_threshold_from_the_file_with_another_rule(capsys: pytest.CaptureFixture[str]) -> None:
    # Katowice's threshold is 50 points: every project reaches it, so plain
    # greedy and greedy-threshold agree there.
    assert (
        tally_json(capsys, str(KATOWICE), "--rule", "greedy")["selected"]
        == tally_json(capsys, str(KATOWICE), "--rule", "greedy-threshold")["selected"]
    )


def test_equal_shares_on_an_approval_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "Poland_Warszawa_2019_RudaMarymontLas_Bielanski.pb"
    result = tally_json(capsys, str(path), "--rule", "equalshares/add1")
    assert result["rule"] == "equalshares/add1"
    assert sum(p.cost for p in load(path).projects if p.id in result["selected"]) <= 550000


def test_ordinal_points_option(capsys: pytest.CaptureFixture[str]) -> None:
    by_file = tally_json(capsys, str(KRAKOW))
    assert tally_json(capsys, str(KRAKOW), "--points", "3,2,1") == by_file
    flat = tally_json(capsys, str(KRAKOW), "--points", "1,1,1")
    assert flat["scores"] == {p.id: int(p.fields["votes"]) for p in load(KRAKOW).projects}


def test_top_k(capsys: pytest.CaptureFixture[str]) -> None:
    assert tally_json(capsys, str(KRAKOW), "--rule", "top-k", "--k", "2")["selected"] == ["22", "1"]


def test_malformed_file_names_the_line_and_prints_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = ASSEN.read_text(encoding="utf-8").splitlines()
    assert lines[21].startswith("8;40000;25;Crossbaan in Peelo;")
    lines[21] = lines[21].replace("40000", "40000,50")  # a decimal comma is not the format's
    bad = tmp_path / "bad.pb"
    bad.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = run(capsys, "tally", str(bad))
    assert (code, out) == (2, "")
    assert "line 22:" in err and "cost of project 8" in err


def test_vote_for_unknown_project(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_text(
        ASSEN.read_text(encoding="utf-8").replace(";1,2,10\n", ";1,2,99\n", 1), encoding="utf-8"
    )
    code, out, err = run(capsys, "tally", str(bad))
    assert (code, out) == (2, "")
    assert "line 37:" in err and "'99'" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["tally", "/no/such/file.pb"], "No such file"),
        (["tally", str(ASSEN), "--rule", "borda"], "invalid choice"),
        (["tally", str(ASSEN), "--rule", "greedy-threshold"], "min_score"),
        (["tally", str(KRAKOW), "--rule", "equalshares/add1"], "approval"),
        (["tally", str(KRAKOW), "--points", "3,two"], "invalid literal"),
        (["tally", str(KRAKOW), "--points", "3,2"], "Rank at most 2"),
        (["tally"], "required"),
        ([], "required"),
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert words in err


def test_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "consult.voting.cli", "tally", str(ASSEN)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["selected"] == ["3", "9", "2", "11", "13", "14", "5", "6", "12"]
