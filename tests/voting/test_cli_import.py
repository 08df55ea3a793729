"""``consult pb import FILE.pb``: a consultation with a vote round, its ideas and ballots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from consult.communities import services as places
from consult.consultations.models import Consultation, Idea
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.voting import pabulib
from consult.voting.cli import main
from consult.voting.models import Ballot, VoteResult

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"


@pytest.fixture(scope="module")
def database_file(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pbimport') / 'import.db'}"
    upgrade(url)
    return url


@pytest.fixture
def env(monkeypatch, database_file):
    monkeypatch.setenv("CONSULT_DATABASE_URL", database_file)
    monkeypatch.setenv("CONSULT_SECRET_KEY", "cli-import-test")
    return Database(make_engine(database_file))


def test_import_without_places_is_refused(env, capsys):
    assert main(["import", str(DATA / "Netherlands_Assen_2024.pb")]) == 2
    assert "python -m consult demo" in capsys.readouterr().err


def test_import_and_publish_reproduces_the_official_outcome(env, capsys):
    with env.session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="测试街道")
        db.commit()
        root_id = root.id
    path = DATA / "Poland_Gdynia_2025_Karwiny__small.pb"
    assert main(["import", str(path), "--publish", "--title", "格丁尼亚 2025"]) == 0
    report = json.loads(capsys.readouterr().out)
    election = pabulib.load(path)
    official = {p.id for p in election.projects if p.fields["selected"] == "1"}
    assert set(report["selected"]) == official and report["ballots"] == len(election.votes)
    assert report["ideas"] == len(election.projects) and report["url"].endswith("/results")
    with env.session() as db:
        consultation = db.get(Consultation, report["consultation"])
        assert consultation.title == "格丁尼亚 2025" and consultation.scope_place_id == root_id
        assert consultation.budget_fen == election.budget * 100
        assert len(db.exec(select(Idea).where(Idea.consultation_id == consultation.id)).all()) == 6
        assert len(db.exec(select(Ballot).where(Ballot.round_id == report["round"])).all()) == 395
        assert db.exec(select(VoteResult).where(VoteResult.round_id == report["round"])).one()
    assert main(["import", str(DATA / "Netherlands_Assen_2024.pb"), "--place", str(root_id)]) == 0
    assert json.loads(capsys.readouterr().out)["url"].endswith("/vote")


def test_malformed_file_names_the_line_and_stores_nothing(env, capsys, tmp_path):
    bad = tmp_path / "bad.pb"
    lines = (DATA / "Netherlands_Assen_2024.pb").read_text().splitlines()
    lines[20] = "1;not-a-cost;x"
    bad.write_text("\n".join(lines))
    with env.session() as db:
        before = len(db.exec(select(Consultation)).all())
    assert main(["import", str(bad)]) == 2
    assert "line 21" in capsys.readouterr().err
    with env.session() as db:
        assert len(db.exec(select(Consultation)).all()) == before


def test_import_of_what_the_platform_cannot_represent_stores_nothing(env, capsys, tmp_path):
    text = (DATA / "Poland_Katowice_2022_Zawodzie.pb").read_text().replace(
        "rule;greedy-threshold", "rule;equalshares/add1")
    path = tmp_path / "mes-cumulative.pb"
    path.write_text(text)
    assert main(["import", str(path)]) == 2
    assert "needs approval ballots" in capsys.readouterr().err


def test_cli_module_entry_point_knows_import(capsys):
    assert main(["import", "--help"]) == 0
    assert "--publish" in capsys.readouterr().out


def test_import_of_a_file_whose_rule_is_unknown_needs_rule(env, capsys):
    with env.session(write=True) as db:
        place_id = places.create_place(db, kind="subdistrict", name="布达佩斯测试街道").id
        db.commit()
    path = DATA / "without_outcome" / "Hungary_Budapest_2022_VIII_Jozsefvaros.pb"
    assert main(["import", str(path), "--place", str(place_id)]) == 2
    assert "the file's rule is 'unknown'" in capsys.readouterr().err
    assert main(["import", str(path), "--place", str(place_id), "--rule", "greedy", "--publish"]) == 0
    report = json.loads(capsys.readouterr().out)
    election = pabulib.load(path)
    assert set(report["selected"]) == set(pabulib.tally_election(election, "greedy").selected)
