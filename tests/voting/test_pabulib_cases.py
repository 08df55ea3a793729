"""Format cases real files contain and the tests' real files do not: small fabricated
files (tests/data/pabulib/fabricated/), each with its official ``selected`` set and its
``votes``/``score`` column worked out by hand.

``pb tally`` must reproduce both, and ``pb import`` must take the file and count it
to the same selection.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from consult.voting import pabulib, services
from consult.voting.cli import main

CASES = sorted((Path(__file__).resolve().parents[1] / "data" / "pabulib" / "fabricated").glob("*.pb"))


def official(election: pabulib.Election) -> tuple[set[str], dict[str, int]]:
    column = "score" if "score" in election.projects[0].fields else "votes"
    return ({p.id for p in election.projects if p.fields["selected"] == "1"},
            {p.id: int(p.fields[column]) for p in election.projects})


def test_the_cases_are_there() -> None:
    assert {p.stem for p in CASES} == {
        "ordinal_without_points", "decimal_costs", "duplicate_counted_once",
        "duplicate_counted_each", "comparison_greedy_preferred", "comparison_tie_keeps_equal_shares"}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_pb_tally_reproduces_selection_and_scores(path: Path, capsys) -> None:
    assert main(["tally", str(path)]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    selected, scores = official(pabulib.load(path))
    assert set(result["selected"]) == selected
    assert result["scores"] == scores
    duplicate_line = {"duplicate_counted_once": 19, "duplicate_counted_each": 20}.get(path.stem)
    if duplicate_line:
        assert f"warning: line {duplicate_line}: voter 1 names project x more than once" in captured.err
    else:
        assert captured.err == ""


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_pb_import_takes_the_case_and_counts_it_the_same(db, world, path: Path) -> None:
    election = pabulib.load(path)
    imported = services.import_election(db, election, place=world.tree["root"], now=world.now)
    vr = services.load_round(db, imported.round.id, world.now)
    counted = services.count_round(db, vr)
    back = services.imported_project_ids(vr)
    selected, scores = official(election)
    assert {back[i] for i in counted.selected_ids} == selected
    assert {back[int(k)]: v for k, v in counted.result.scores.items()} == scores
    assert imported.ballots == len(election.votes)


def test_money_is_exact_to_the_grosz() -> None:
    election = pabulib.load(next(p for p in CASES if p.stem == "decimal_costs"))
    assert election.money_scale == 100 and election.counting_budget() == 100050
    assert [p.cost for p in election.tally_projects()] == [50025, 50025, 50026]
    assert pabulib.Election.fen(election.budget) == 100050
    with pytest.raises(ValueError, match="two decimals"):
        pabulib.Election.fen(Decimal("1000.505"))
    # 500.26 + 500.25 is one grosz over 1000.50: rounding to whole złoty would fund both.
    assert pabulib.tally_election(election).selected == ["3"]


def test_more_decimals_than_fen_cannot_be_imported(db, world) -> None:
    election = pabulib.load(next(p for p in CASES if p.stem == "decimal_costs"))
    election.projects[0].cost = Decimal("500.255")
    with pytest.raises(services.PbImportError, match="more than two decimals"):
        services.import_election(db, election, place=world.tree["root"], now=world.now)


def test_every_rule_name_fits_the_columns_that_store_it():
    """PostgreSQL refuses a string longer than its column (SQLite does not check), so a
    rule name longer than the column failed only there."""
    from consult.voting.models import VoteResult, VoteSettings
    from consult.voting.tally import RULES

    for model in (VoteSettings, VoteResult):
        length = model.__table__.c.rule.type.length
        assert all(len(name) <= length for name in RULES), (model.__tablename__, length)
