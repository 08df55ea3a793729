"""Owners' committee elections through the services: calling one, voting by every
channel, one ballot per owner, the gauge, the door-to-door list and the result."""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult.elections import services
from consult.elections.models import ElectionBallot
from consult.errors import Conflict, FieldErrors, Forbidden
from tests import factories
from tests.elections.conftest import AFTER, BEFORE, NOW


def test_an_election_end_to_end_matches_the_recount(world, db, tmp_path):
    election, (a, b, c) = world.election(seats=2)
    world.vote(world.li, election, [a, b])
    world.vote(world.wang, election, [a])
    services.enter_paper_ballot(db, world.staff, election.id, serial="P1", home="1-105",
                                candidates=[], now=NOW)
    with pytest.raises(Conflict):
        services.result(db, election.id, NOW)
    _, _, outcome = services.result(db, election.id, AFTER)
    assert (outcome.area_voted_cents, outcome.owners_voted, outcome.quorum_met) == (50000, 3, True)
    figures = {x.id: (x.area_agree_cents, x.owners_agree, x.passed) for x in outcome.candidates}
    assert figures == {a: (30000, 2, True), b: (20000, 1, False), c: (0, 0, False)}
    assert outcome.elected == (a,) and outcome.unfilled == 1
    # the exports recount to the same figures with the command line
    from consult.__main__ import main

    _, homes = services.register_csv(db, world.staff, election.id, AFTER)
    _, ballots = services.ballots_csv(db, world.staff, election.id, AFTER)
    (tmp_path / "h.csv").write_text(homes)
    (tmp_path / "b.csv").write_text(ballots)
    assert ballots.count("\n") == 4  # header and three ballots
    import contextlib
    import io
    import json

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["owners", "elect", "--homes", str(tmp_path / "h.csv"), "--ballots",
                     str(tmp_path / "b.csv"), "--seats", "2"]) == 0
    printed = json.loads(out.getvalue())
    assert printed["elected"] == [a] and printed["area_voted"] == "500.00"


def test_one_ballot_per_owner_across_channels(world, db):
    election, (a, b, _) = world.election()
    world.vote(world.wang, election, [a])
    with pytest.raises(Conflict):  # zhao is the same owner (the couple)
        world.vote(world.zhao, election, [b])
    with pytest.raises(Conflict):  # and on paper through the other home of the couple
        services.enter_paper_ballot(db, world.staff, election.id, serial="P1", home="1-104",
                                    candidates=[b], now=NOW)
    with pytest.raises(Conflict):
        services.enter_proxy_ballot(db, world.staff, election.id, home="1-103", holder="代理人",
                                    candidates=[b], now=NOW, settings=world.settings, scan=b"%PDF-1.4 proxy")


@pytest.mark.parametrize("chosen, field", [(["x"], "candidates"), (["1", "2", "3"], "candidates")])
def test_a_ballot_is_checked_against_the_paper(world, db, chosen, field):
    election, ids = world.election(seats=2)
    chosen = ids if chosen == ["1", "2", "3"] else ["999999"]
    with pytest.raises(FieldErrors) as refused:
        world.vote(world.li, election, chosen)
    assert field in refused.value.errors


def test_a_candidate_chosen_twice_is_refused(world):
    election, (a, _, _) = world.election()
    with pytest.raises(FieldErrors):
        world.vote(world.li, election, [a, a])


def test_someone_not_linked_cannot_vote_online(world, db, settings):
    election, (a, _, _) = world.election()
    from consult.communities import services as communities

    stranger = factories.user(db, settings, name="路人")
    communities.grant_role(db, user=stranger, role="owner", place=world.estate)
    with pytest.raises(Forbidden):
        world.vote(stranger, election, [a])


def test_double_keying_counts_only_when_two_people_agree(world, db):
    election, (a, b, _) = world.election(double_key=True)
    staff2 = world.actor(world.moderator2)
    services.enter_paper_ballot(db, world.staff, election.id, serial="P1", home="1-107",
                                candidates=[a], now=NOW)
    assert services.gauge(db, world.staff, election.id, NOW)[2].owners_voted == 0
    assert services.gauge(db, world.staff, election.id, NOW)[2].uncounted == 1
    with pytest.raises(Conflict):  # the same person cannot be the second pair of eyes
        services.enter_paper_ballot(db, world.staff, election.id, serial="P1", home="1-107",
                                    candidates=[a], now=NOW)
    entry = services.enter_paper_ballot(db, staff2, election.id, serial="P1", home="1-107",
                                        candidates=[b], now=NOW)
    assert entry.outcome == "mismatch"
    with pytest.raises(Conflict):  # neither keyer settles it
        services.resolve_paper(db, staff2, election.id, serial="P1", home="1-107",
                               candidates=[b], now=NOW)
    third = _third_staff(world, db)
    with pytest.raises(Conflict):  # agreeing with neither keying
        services.resolve_paper(db, third, election.id, serial="P1", home="1-107",
                               candidates=[a, b], now=NOW)
    ballot = services.resolve_paper(db, third, election.id, serial="P1", home="1-107",
                                    candidates=[b], now=NOW)
    assert ballot.status == "confirmed" and ballot.candidates == b
    assert services.gauge(db, world.staff, election.id, NOW)[2].owners_voted == 1


def _third_staff(world, db):
    from consult.communities import services as communities
    from consult.config import Settings

    person = factories.user(db, Settings.from_env(), name="王芳")
    communities.grant_role(db, user=person, role="moderator", place=world.tree["area_a"])
    return world.actor(person)


def test_the_gauge_against_the_two_thirds_lines(world, db):
    election, (a, _, _) = world.election()
    gauge = services.gauge(db, world.staff, election.id, NOW)[2]
    assert (gauge.area_total_cents, gauge.owners_total) == (60000, 4)
    assert (gauge.area_needed_cents, gauge.owners_needed) == (40000, 3)
    world.vote(world.li, election, [a])
    world.vote(world.wang, election, [])
    gauge = services.gauge(db, world.staff, election.id, NOW)[2]
    assert (gauge.area_voted_cents, gauge.owners_voted) == (30000, 2)
    assert (gauge.area_missing_cents, gauge.owners_missing, gauge.quorum_met) == (10000, 1, False)
    services.enter_proxy_ballot(db, world.staff, election.id, home="1-107", holder="钱小明",
                                candidates=[a], now=NOW, settings=world.settings, scan=b"%PDF-1.4 proxy")
    gauge = services.gauge(db, world.staff, election.id, NOW)[2]
    assert gauge.quorum_met and gauge.area_voted_cents == 40000


def test_the_door_to_door_list_shows_who_has_not_voted_never_how(world, db):
    election, (a, _, _) = world.election()
    world.vote(world.li, election, [a])
    _, _, groups, _ = services.door_to_door(db, world.staff, election.id, NOW)
    listed = sorted(h.home_id for stops in groups.values() for s in stops for h in s.homes)
    assert listed == ["1-103", "1-104", "1-105", "1-106", "1-107"]
    assert [s.developer for s in groups["1"]].count(True) == 1


def test_candidates_are_fixed_when_voting_opens(world, db):
    election, _ = world.election()
    with pytest.raises(Conflict):
        services.add_candidate(db, world.staff, election.id, name="丁", statement="", now=NOW)


def test_no_ballot_row_names_its_owner(world, db):
    election, (a, _, _) = world.election()
    world.vote(world.li, election, [a])
    [row] = db.exec(select(ElectionBallot)).all()
    values = {str(v) for v in row.model_dump().values()}
    assert not values & {"li", "1-101", "1-102", str(world.li.id), "200.00", "20000"}
    assert row.cast_day.hour in (16, 0) and row.cast_day.minute == 0  # the day, in Beijing time


def test_creating_an_election_checks_its_fields(world, db):
    with pytest.raises(FieldErrors) as refused:
        services.create_election(db, world.staff, world.estate, title="", description="",
                                 seats="0", rank="loudest", opens_at="soon", closes_at="",
                                 paper_double_key=False, now=BEFORE)
    assert set(refused.value.errors) == {"title", "seats", "rank", "opens_at", "closes_at"}
