"""Casting reads the round its own way (``load_ballot_round``: locked, with the ideas'
costs): it must see the same round, settings, scope and state as the pages'
``load_round``, read anew for every ballot, and store the same ballot."""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult.communities.models import VerificationRequest
from consult.consultations.models import Round
from consult.errors import Conflict, NotFound
from consult.voting import rules, secrecy, services
from consult.voting.models import Ballot, BallotChoice, VoteSettings
from consult.voting.rules import RawBallot
from consult.voting.services import ballots
from tests.voting.conftest import DAY, add_vote_round, close_round, ids, set_settings


def _same_round(light: services.VoteRound, full: services.VoteRound) -> None:
    assert {name: getattr(light.settings, name) for name in rules.SETTINGS_FIELDS} == {
        name: getattr(full.settings, name) for name in rules.SETTINGS_FIELDS}
    assert (light.id, light.title, light.state, light.budget_fen) == (
        full.id, full.title, full.state, full.budget_fen)
    assert (light.round.opens_at, light.round.closes_at) == (full.round.opens_at, full.round.closes_at)
    assert (light.scope.id, light.scope.kind, light.scope.name, light.scope.path,
            light.scope.ids_from_root) == (full.scope.id, full.scope.kind, full.scope.name,
                                           full.scope.path, full.scope.ids_from_root)


def test_saved_settings_are_read_as_saved(db, world):
    set_settings(db, world.round.id, ballot_kind="ordinal", min_choices=1, ranking_length=3,
                 points_per_rank=[3, 2, 1], rule="top-k", k=2, budget_fen=700_000,
                 eligibility="owners", double_key=True, notice_days=3, max_points=9)
    light = services.load_ballot_round(db, world.round.id, world.now)
    _same_round(light, world.load(now_=world.now))
    assert light.settings.points_per_rank == [3, 2, 1] and light.budget_fen == 700_000


def test_unsaved_settings_are_the_defaults(db, world):
    db.delete(db.get(VoteSettings, world.round.id))
    db.flush()
    light = services.load_ballot_round(db, world.round.id, world.now)
    _same_round(light, world.load(now_=world.now))
    assert light.budget_fen == 1_000_000  # the consultation's


def test_the_state_follows_the_stored_times(db, world):
    assert services.load_ballot_round(db, world.round.id, world.now).state == "open"
    assert services.load_ballot_round(db, world.round.id, world.now - 2 * DAY).state == "upcoming"
    close_round(db, world.round)  # a moderator closes it early: the next ballot sees it
    closed = services.load_ballot_round(db, world.round.id, world.now)
    _same_round(closed, world.load(now_=world.now))
    assert closed.state == "closed"
    with pytest.raises(Conflict) as caught:
        services.cast(db, world.actor("voter"), world.people["voter"], closed,
                      RawBallot(choices=ids(world.ideas, 0)), world.now)
    assert caught.value.code == "round_not_open"


def test_the_ideas_come_with_the_round(db, world):
    world.ideas[2].estimated_cost_fen = None  # not costed yet: counts as 0, like the pages
    db.add(world.ideas[2])
    db.flush()
    light = services.load_ballot_round(db, world.round.id, world.now)
    full = world.load(now_=world.now)
    assert light.projects == services.projects_of(services.ideas_on_ballot(db, full))
    assert [p.cost for p in light.projects] == [400_000, 300_000, 0, 150_000]
    empty = add_vote_round(db, scope=world.tree["area_a"], author=world.people["voter"], costs=(),
                           titles=(), opens_at=world.now - DAY, closes_at=world.now + DAY)
    assert services.load_ballot_round(db, empty.round.id, world.now).projects == ()


def test_a_refusal_names_the_ideas(db, world):
    light = services.load_ballot_round(db, world.round.id, world.now)
    with pytest.raises(services.BallotRefused) as caught:
        services.cast(db, world.actor("voter"), world.people["voter"], light,
                      RawBallot(choices=ids(world.ideas, 0, 0)), world.now)
    assert "楼道灯更换" in str(caught.value.msg.params)
    assert db.exec(select(Ballot)).first() is None


def test_only_vote_rounds_are_found(db, world):
    collect = Round(consultation_id=world.vote.consultation.id, position=2, kind="collect",
                    opens_at=world.now - DAY, closes_at=world.now + DAY, settings={})
    db.add(collect)
    db.flush()
    for round_id in (collect.id, 999_999):
        with pytest.raises(NotFound):
            services.load_ballot_round(db, round_id, world.now)


def test_a_ballot_cast_on_the_light_round_is_stored_like_any_other(db, world):
    db.add(VerificationRequest(user_id=world.people["voter"].id, area_id=world.tree["area_a"].id,
                               building_group_id=world.tree["group_a"].id, status="approved"))
    db.flush()
    light = services.load_ballot_round(db, world.round.id, world.now)
    first = services.cast(db, world.actor("voter"), world.people["voter"], light,
                          RawBallot(choices=ids(world.ideas, 0, 3)), world.now)
    stored = db.exec(select(Ballot)).one()
    assert not first.changed and first.ballot_id == stored.id
    assert (stored.voter_key, stored.channel, stored.status, stored.cast_by, stored.area_id,
            stored.building_group_id) == (secrecy.user_key(world.round.id, world.people["voter"].id),
                                          "web", "counted", None, world.tree["area_a"].id,
                                          world.tree["group_a"].id)
    assert stored.receipt_hash == rules.receipt_hash(first.receipt)
    assert stored.receipt_prefix == first.receipt[:rules.RECEIPT_PREFIX]
    assert sorted(db.exec(select(BallotChoice.idea_id)).all()) == sorted(
        [world.ideas[0].id, world.ideas[3].id])
    second = services.cast(db, world.actor("voter"), world.people["voter"], light,
                           RawBallot(choices=ids(world.ideas, 1)), world.now)
    assert second.changed and second.ballot_id == stored.id
    assert db.exec(select(BallotChoice.idea_id)).all() == [world.ideas[1].id]
    assert services.check_receipt(db, second.receipt).found
    assert not services.check_receipt(db, first.receipt).found


def test_receipts_use_the_alphabet_and_differ():
    codes = {ballots._new_receipt() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == rules.RECEIPT_LENGTH and set(c) <= set(rules.RECEIPT_ALPHABET) for c in codes)
    assert set("".join(codes)) == set(rules.RECEIPT_ALPHABET)  # every letter can occur


def test_a_sub_district_round_reads_its_scope(db, world):
    wide = add_vote_round(db, scope=world.tree["root"], author=world.people["voter"],
                          opens_at=world.now - DAY, closes_at=world.now + DAY)
    light = services.load_ballot_round(db, wide.round.id, world.now)
    _same_round(light, services.load_round(db, wide.round.id, world.now))
    done = services.cast(db, world.actor("outsider"), world.people["outsider"], light,
                         RawBallot(choices=[str(wide.ideas[0].id)]), world.now)
    assert db.get(Ballot, done.ballot_id).area_id == world.tree["area_b"].id


def test_a_round_id_no_database_holds_is_not_found(client, world):
    from tests import factories
    from tests.conftest import csrf_from

    factories.sign_in(client, world.people["voter"].login)
    token = csrf_from(client.get(f"/rounds/{world.round.id}/vote").text)
    huge = 10**30
    assert client.get(f"/rounds/{huge}/vote").status_code == 404
    for path in (f"/rounds/{huge}/vote/confirm", f"/objections/{huge}/answer"):
        response = client.post(path, data={"csrf_token": token, "idea": [world.ideas[0].id],
                                           "answer": "x"}, follow_redirects=False)
        assert response.status_code == 404, path


@pytest.mark.parametrize("verified_in", [None, "area_a", "area_b"])
def test_a_new_ballot_is_two_inserts_and_stores_the_voters_group(db, world, engine, verified_in):
    """The resident's building group (their latest approved verification in the ballot's
    area) is read by the ballot's own INSERT: casting a new ballot is the ballot's insert
    and its choices' insert, no statement of its own for the group."""
    from tests.statements import count_statements

    if verified_in is not None:
        key = verified_in[-1]
        db.add(VerificationRequest(user_id=world.people["voter"].id, area_id=world.tree[verified_in].id,
                                   building_group_id=world.tree[f"group_{key}"].id, status="approved"))
        db.flush()
    light = services.load_ballot_round(db, world.round.id, world.now)
    actor = world.actor("voter")
    with count_statements(engine) as statements:
        services.cast(db, actor, world.people["voter"], light,
                      RawBallot(choices=ids(world.ideas, 0, 3)), world.now)
    assert [s.split()[:3] for s in statements] == [["INSERT", "INTO", "ballot"],
                                                   ["INSERT", "INTO", "ballot_choice"]]
    stored = db.exec(select(Ballot)).one()
    expected = world.tree["group_a"].id if verified_in == "area_a" else None
    assert (stored.area_id, stored.building_group_id) == (world.tree["area_a"].id, expected)
