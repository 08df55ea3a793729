"""Counting a round, publishing, recounting, the notice period, open-data exports and imports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlmodel import select

from consult.consultations.models import Idea
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.notifications.models import Notification
from consult.voting import pabulib, rules, services, tally
from consult.voting.models import Ballot, BallotChoice, VoteResult, VoteSettings
from consult.voting.rules import RawBallot
from consult.voting.services import ballots
from tests.voting.conftest import DAY, add_vote_round, close_round, ids, set_settings

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))


def _vote(db, world, who, *indexes, raw=None):
    vr = world.load()
    return services.cast(db, world.actor(who), world.people[who], vr,
                         raw or RawBallot(choices=ids(world.ideas, *indexes)), world.now)


def _three_ballots(db, world):
    _vote(db, world, "voter", 0, 1)
    _vote(db, world, "voter2", 0, 3)
    _vote(db, world, "voter3", 2, 3)


def _publish(db, world, who="moderator", now=None):
    return services.publish(db, world.actor(who), world.load(), now or world.now)


def test_results_only_after_close(db, world):
    _three_ballots(db, world)
    with pytest.raises(Conflict) as caught:
        _publish(db, world)
    assert caught.value.code == "round_not_closed"
    with pytest.raises(NotFound):
        services.results(db, world.load(), world.now)
    with pytest.raises(NotFound):
        services.export_pb(db, world.load())


def test_publish_counts_exactly_and_recount_agrees(db, world):
    _three_ballots(db, world)
    close_round(db, world.round)
    with pytest.raises(Forbidden):
        _publish(db, world, who="voter")
    result = _publish(db, world)
    a, b, c, d = (idea.id for idea in world.ideas)
    # scores: a 2, b 1, c 1, d 2. Greedy within ¥10,000, ties to the cheaper idea:
    # d (¥1,500), a (¥4,000), c (¥2,500); b (¥3,000) no longer fits in the ¥2,000 left.
    assert result.scores == {str(a): 2, str(b): 1, str(c): 1, str(d): 2}
    assert result.selected == [d, a, c]
    assert result.rule == "greedy" and result.ballots == 3
    assert result.parameters["budget_fen"] == 1_000_000 and result.parameters["money_unit_fen"] == 100
    assert result.tie_breaking == tally.TIE_BREAKING
    assert result.ballot_digest == rules.ballot_digest(
        "approval_budget", [[(a, 1, None), (b, 1, None)], [(a, 1, None), (d, 1, None)],
                            [(c, 1, None), (d, 1, None)]])
    again = services.recount(db, world.load(), result)
    assert again.matches and again.count.selected_ids == result.selected
    with pytest.raises(Conflict):
        _publish(db, world)
    authors = db.exec(select(Notification).where(Notification.kind == "vote_results_published")).all()
    assert [n.user_id for n in authors] == [world.people["voter3"].id]


def test_recount_notices_a_changed_ballot(db, world):
    _three_ballots(db, world)
    close_round(db, world.round)
    result = _publish(db, world)
    ballot = db.exec(select(Ballot).where(Ballot.round_id == world.round.id)).first()
    ballots._replace_choices(db, ballot.id, [rules.Choice(world.ideas[1].id)], "approval_budget")
    assert not services.recount(db, world.load(), result).matches


def test_recount_notices_choices_changed_behind_the_counted_line(db, world):
    """Publication reads each ballot's stored line; a recount builds them from the choices."""
    _three_ballots(db, world)
    close_round(db, world.round)
    result = _publish(db, world)
    ballot = db.exec(select(Ballot).where(Ballot.round_id == world.round.id)).first()
    db.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    again = services.recount(db, world.load(), result)
    assert not again.matches and again.count.digest != result.ballot_digest


def test_results_page_data(db, world):
    _three_ballots(db, world)
    close_round(db, world.round)
    _publish(db, world)
    seen = services.results(db, world.load(), world.now)
    assert [(r.idea.title, r.score, r.selected) for r in seen.rows] == [
        ("增设座椅", 2, True), ("楼道灯更换", 2, True), ("绿角改造", 1, True), ("加装扶手", 1, False)]
    assert seen.selected_cost_fen == 400_000 + 150_000 + 250_000
    assert seen.notice_open
    assert any("skipped" in m.text for m in seen.method)


@pytest.mark.parametrize("overrides,expected", [
    ({"rule": "greedy-no-skip"}, [3, 0, 2]),
    ({"rule": "greedy-threshold", "min_score": 2}, [3, 0]),
    ({"rule": "top-k", "k": 1}, [3]),
    ({"rule": "equalshares/add1"}, None),
])
def test_every_rule_through_the_platform_matches_the_tally(db, world, overrides, expected):
    set_settings(db, world.round.id, **overrides)
    _three_ballots(db, world)
    close_round(db, world.round)
    result = _publish(db, world)
    projects = [tally.Project(str(i.id), i.estimated_cost_fen // 100) for i in world.ideas]
    approvals = [ids(world.ideas, 0, 1), ids(world.ideas, 0, 3), ids(world.ideas, 2, 3)]
    reference = tally.select(overrides["rule"], projects, tally.approval_scores(projects, approvals),
                             10_000, approvals=approvals, min_score=overrides.get("min_score"),
                             k=overrides.get("k"))
    assert result.selected == [int(x) for x in reference.selected]
    if expected is not None:
        assert result.selected == [world.ideas[i].id for i in expected]


def test_cumulative_and_ordinal_rounds(db, world):
    set_settings(db, world.round.id, ballot_kind="cumulative", max_points=5)
    a, b, c, d = ids(world.ideas, 0, 1, 2, 3)
    _vote(db, world, "voter", raw=RawBallot(points=[(a, "3"), (b, "2")]))
    _vote(db, world, "voter2", raw=RawBallot(points=[(c, "5")]))
    vr = world.load()
    counted = services.count_round(db, vr)
    assert counted.result.scores == {a: 3, b: 2, c: 5, d: 0}
    set_settings(db, world.round.id, ballot_kind="ordinal", ranking_length=2, points_per_rank=[2, 1])
    db.exec(Ballot.__table__.delete().where(Ballot.round_id == world.round.id))
    _vote(db, world, "voter", raw=RawBallot(ranking=[b, a]))
    _vote(db, world, "voter2", raw=RawBallot(ranking=[b, d]))
    counted = services.count_round(db, world.load())
    assert counted.result.scores == {a: 1, b: 4, c: 0, d: 1}


# -- notice period, objections, the outcome ---------------------------------------------


def test_objections_and_confirming_the_outcome(db, world):
    _three_ballots(db, world)
    close_round(db, world.round)
    with pytest.raises(Conflict):  # nothing published yet
        services.file_objection(db, world.actor("voter"), world.people["voter"], world.load(),
                                "结果不对", world.now)
    result = _publish(db, world)
    with pytest.raises(FieldErrors):
        services.file_objection(db, world.actor("voter"), world.people["voter"], world.load(), "  ",
                                world.now)
    with pytest.raises(Forbidden):
        services.file_objection(db, world.actor("outsider"), world.people["outsider"], world.load(),
                                "结果不对", world.now)
    objection = services.file_objection(db, world.actor("voter"), world.people["voter"],
                                        world.load(), "3号楼的票没算进去？", world.now)
    after = result.notice_until + DAY
    with pytest.raises(Conflict) as early:
        services.finalize(db, world.actor("moderator"), world.load(), world.now)
    assert "not ended" in early.value.msg.text
    with pytest.raises(Conflict) as unanswered:
        services.finalize(db, world.actor("moderator"), world.load(), after)
    assert unanswered.value.msg.params == {"n": 1}
    with pytest.raises(Forbidden):
        services.answer_objection(db, world.actor("moderator_b"), objection.id, "已核实", world.now)
    with pytest.raises(FieldErrors):
        services.answer_objection(db, world.actor("moderator"), objection.id, "", world.now)
    services.answer_objection(db, world.actor("moderator"), objection.id, "已核实，均已计入。", world.now)
    with pytest.raises(Conflict):
        services.file_objection(db, world.actor("voter"), world.people["voter"], world.load(),
                                "太晚了", after)
    services.finalize(db, world.actor("moderator"), world.load(), after)
    states = {i.id: db.get(Idea, i.id).state for i in world.ideas}
    assert [states[i.id] for i in world.ideas] == ["selected", "not_selected", "selected", "selected"]
    assert db.get(VoteResult, result.id).finalized_at == after
    with pytest.raises(Conflict):
        services.finalize(db, world.actor("moderator"), world.load(), after)


def test_outcomes_due_are_confirmed_by_the_daily_command_unless_an_objection_waits(db, world):
    _three_ballots(db, world)
    close_round(db, world.round)
    result = _publish(db, world)
    assert services.finalize_due(db, world.now) == []  # the notice period runs
    objection = services.file_objection(db, world.actor("voter"), world.people["voter"],
                                        world.load(), "3号楼的票没算进去？", world.now)
    after = result.notice_until + DAY
    (waiting,) = services.finalize_due(db, after)
    assert waiting.round_id == world.round.id and waiting.selected is None
    assert waiting.problem.params == {"n": 1}
    assert {db.get(Idea, i.id).state for i in world.ideas} == {"shortlisted"}
    services.answer_objection(db, world.actor("moderator"), objection.id, "已核实，均已计入。", world.now)
    (done,) = services.finalize_due(db, after)
    assert (done.selected, done.problem) == (3, None)
    states = [db.get(Idea, i.id).state for i in world.ideas]
    assert states == ["selected", "not_selected", "selected", "selected"]
    stored = db.get(VoteResult, result.id)
    assert stored.finalized_at == after and stored.finalized_by is None
    assert services.finalize_due(db, after + DAY) == []  # once


# -- exports and imports ----------------------------------------------------------------


def test_exports_are_anonymous_and_recountable(db, world, settings):
    from consult.communities import services as places
    from tests import factories

    ballots = []
    for n in range(24):
        person = factories.user(db, settings, name=f"居民{n}")
        places.grant_role(db, user=person, role="resident", place=world.tree["area_a"])
        choice = [n % 4] + ([(n + 1) % 4] if n % 3 else [])
        ballots.append(sorted(world.ideas[i].id for i in choice))
        services.cast(db, places.actor_for(db, person), person, world.load(),
                      RawBallot(choices=[str(world.ideas[i].id) for i in choice]), world.now)
    close_round(db, world.round)
    result = _publish(db, world)
    text = services.export_pb(db, world.load())
    election = pabulib.parse(text)
    assert [v.voter_id for v in election.votes] == [str(n) for n in range(1, 25)]
    assert sorted(sorted(int(x) for x in v.vote) for v in election.votes) == sorted(ballots)
    stored_order = [sorted(b) for b in (
        [c[0] for c in choices] for choices in services.counted_ballots(db, world.round.id))]
    exports = [[sorted(int(x) for x in v.vote) for v in pabulib.parse(services.export_pb(db, world.load())).votes]
               for _ in range(3)]
    assert any(order != stored_order for order in exports)  # shuffled
    for person in ("user:", "居民", world.people["voter"].login):
        assert person not in text
    recount = pabulib.tally_election(election)
    assert [int(x) for x in recount.selected] == result.selected
    assert {int(k): v for k, v in recount.scores.items()} == {int(k): v for k, v in result.scores.items()}
    assert election.meta["ballot_digest"] == result.ballot_digest
    rows = list(csv.reader(io.StringIO(services.export_csv(db, world.load()).lstrip("\ufeff"))))
    assert rows[0] == ["voter_id", "ideas", "points"] and len(rows) == 25


def test_export_then_import_then_tally_gives_the_same_result(db, world):
    set_settings(db, world.round.id, rule="equalshares/add1")
    _three_ballots(db, world)
    close_round(db, world.round)
    result = _publish(db, world)
    election = pabulib.parse(services.export_pb(db, world.load()))
    imported = services.import_election(db, election, place=world.tree["area_a"], now=world.now)
    vr = services.load_round(db, imported.round.id, world.now)
    assert vr.state == "closed" and imported.ballots == 3
    counted = services.count_round(db, vr)
    back = services.imported_project_ids(vr)
    assert [int(back[i]) for i in counted.selected_ids] == result.selected
    assert {int(back[int(k)]): v for k, v in counted.result.scores.items()} == \
        {int(k): v for k, v in result.scores.items()}
    published = services.publish(db, None, vr, world.now)
    assert [int(back[i]) for i in published.selected] == result.selected


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_pabulib_file_imports_and_tallies_to_its_official_selection(db, world, path):
    election = pabulib.load(path)
    imported = services.import_election(db, election, place=world.tree["root"], now=world.now)
    vr = services.load_round(db, imported.round.id, world.now)
    counted = services.count_round(db, vr)
    back = services.imported_project_ids(vr)
    official = {p.id for p in election.projects if p.fields["selected"] == "1"}
    assert {back[i] for i in counted.selected_ids} == official
    assert imported.ballots == len(election.votes)
    assert len(services.ideas_on_ballot(db, vr)) == len(election.projects)


def test_import_refuses_what_it_cannot_represent(db, world):
    text = (DATA / "Poland_Krakow_2021_Zwierzyniec.pb").read_text()
    election = pabulib.parse(text)
    election.votes[5].points = (1, 2, 3)
    with pytest.raises(services.PbImportError) as caught:
        services.import_election(db, election, place=world.tree["root"], now=world.now)
    assert f"voter {election.votes[5].voter_id}" in str(caught.value)
    election = pabulib.parse(text)
    election.meta["rule"] = "equalshares"
    with pytest.raises(services.PbImportError):
        services.import_election(db, election, place=world.tree["root"], now=world.now)


def test_sub_district_round_counts_like_an_area_round(db, world):
    wide = add_vote_round(db, scope=world.tree["root"], author=world.people["voter"],
                          opens_at=world.now - DAY, closes_at=world.now + DAY)
    vr = services.load_round(db, wide.round.id, world.now)
    services.cast(db, world.actor("outsider"), world.people["outsider"], vr,
                  RawBallot(choices=[str(wide.ideas[3].id)]), world.now)
    counted = services.count_round(db, vr)
    assert counted.result.scores[str(wide.ideas[3].id)] == 1


def test_new_rounds_select_only_ideas_with_at_least_one_vote(db, world):
    assert VoteSettings(round_id=world.round.id).min_score == 1
    assert db.get(VoteSettings, world.round.id).min_score == 1
    set_settings(db, world.round.id, budget_fen=100_000_000)  # money for every idea
    _vote(db, world, "voter", 0, 1)
    close_round(db, world.round)
    result = _publish(db, world)
    assert sorted(result.selected) == sorted([world.ideas[0].id, world.ideas[1].id])
    seen = services.results(db, world.load(), world.now)
    assert any("at least 1" in m.text % m.params for m in seen.method if m.params)
