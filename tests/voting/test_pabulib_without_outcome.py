"""Real pabulib files whose official outcome the file itself cannot reproduce
(tests/data/pabulib/without_outcome/, see the README there): no ``selected`` column
(Toulouse 2022; Dieppe 2018 from the Stanford data set), a rule the format leaves open (``unknown`` in Budapest 2022,
``greedy-custom`` in Amsterdam 2021 Diamantbuurt).

They must still be read exactly (CRLF lines, ``7000.0`` costs, a quoted comment with
doubled quotes), count to the file's own ``votes`` column, and be refused by
``pb tally`` / ``pb import`` with a message naming the rule until one is named with
``--rule``: a recount never guesses the rule a city applied.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consult.voting import pabulib, services
from consult.voting.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib" / "without_outcome"
FILES = sorted(DATA.glob("*.pb"))
TOULOUSE = DATA / "France_Toulouse_2022_15_-_Croix_de_Pierre_Route_dEspagne.pb"
BUDAPEST = DATA / "Hungary_Budapest_2022_VIII_Jozsefvaros.pb"
DIAMANTBUURT = DATA / "Netherlands_Amsterdam_2021_Diamantbuurt.pb"
DIEPPE = DATA / "Canada_Stanford_Dataset_PB_Dieppe_2018_vote_approvals.pb"


def test_the_files_are_there() -> None:
    assert FILES == sorted([TOULOUSE, BUDAPEST, DIAMANTBUURT, DIEPPE])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_read_exactly_and_counted_as_the_votes_column(path: Path) -> None:
    election = pabulib.load(path)
    assert len(election.projects) == int(election.meta["num_projects"])
    assert len(election.votes) == int(election.meta["num_votes"])
    assert pabulib.parse(pabulib.dump(election)) == election
    result = pabulib.tally_election(election, "greedy")
    assert result.scores == {p.id: int(p.fields["votes"]) for p in election.projects}


def test_crlf_lines_and_whole_costs_written_with_a_decimal() -> None:
    assert b"\r\n" in TOULOUSE.read_bytes()
    election = pabulib.load(TOULOUSE)
    assert election.meta["budget"] == "400000.0" and election.money_scale == 1
    assert election.counting_budget() == 400000
    assert [p.cost for p in election.tally_projects()][:3] == [7000, 11200, 15000]


def test_a_quoted_comment_keeps_its_doubled_quotes() -> None:
    comment = pabulib.load(BUDAPEST).meta["comment"]
    assert comment.startswith('#1: "neighborhood" indicated') and comment.endswith('"extra_approvals"')


def test_toulouse_by_its_rule(capsys) -> None:
    # No selected column: the greedy outcome worked out by hand from the votes column
    # (44, 41, 43, 49, 47, 48 and 42 fit in 400000; 45 at 192000 no longer does).
    assert main(["tally", str(TOULOUSE)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["selected"] == ["44", "41", "43", "49", "47", "48", "42"]


@pytest.mark.parametrize(("path", "rule"), [(BUDAPEST, "unknown"), (DIEPPE, "unknown"),
                                          (DIAMANTBUURT, "greedy-custom")],
                         ids=["unknown-budapest", "unknown-dieppe", "greedy-custom"])
def test_a_rule_the_format_leaves_open_is_refused_until_one_is_named(capsys, path: Path,
                                                                      rule: str) -> None:
    assert main(["tally", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"the file's rule is {rule!r}" in err and "name one with --rule" in err
    assert main(["tally", str(path), "--rule", "greedy"]) == 0
    assert json.loads(capsys.readouterr().out)["rule"] == "greedy"


def test_diamantbuurt_greedy_custom_is_greedy_with_the_leftover_spent() -> None:
    # "Fund additional projects that fit within leftover budget ordered by score":
    # on this file that is plain greedy, and greedy reproduces the official outcome.
    election = pabulib.load(DIAMANTBUURT)
    official = {p.id for p in election.projects if p.fields["selected"] == "1"}
    assert set(pabulib.tally_election(election, "greedy").selected) == official


def test_budapest_official_outcome_is_not_in_the_file() -> None:
    # The file's comment: about half the votes were on paper and are not in it, and
    # voters had per-neighbourhood limits; so no rule recounts the official outcome
    # from these votes (699, fourth by online votes, was not funded).
    election = pabulib.load(BUDAPEST)
    official = {p.id for p in election.projects if p.fields["selected"] == "1"}
    assert "699" not in official
    assert "699" in pabulib.tally_election(election, "greedy").selected


def test_import_needs_a_rule_for_an_open_rule_and_counts_by_the_one_named(db, world) -> None:
    election = pabulib.load(DIAMANTBUURT)
    with pytest.raises(services.PbImportError, match="'greedy-custom'.*name one with --rule"):
        services.import_election(db, election, place=world.tree["root"], now=world.now)
    imported = services.import_election(db, election, place=world.tree["root"], now=world.now,
                                        rule="greedy")
    vr = services.load_round(db, imported.round.id, world.now)
    counted = services.count_round(db, vr)
    back = services.imported_project_ids(vr)
    assert {back[i] for i in counted.selected_ids} == {
        p.id for p in election.projects if p.fields["selected"] == "1"}
