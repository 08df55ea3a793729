"""Voting services: casting and changing ballots, every refusal, paper ballots, turnout."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.errors import Conflict, FieldErrors, Forbidden, NotSignedIn
from consult.voting import rules, secrecy, services
from consult.voting.models import Ballot, BallotChoice, PaperEntry
from consult.voting.rules import RawBallot
from tests.voting.conftest import DAY, close_round, ids, set_settings


def said(msg) -> str:
    """A message as shown in English."""
    return msg.text % msg.params if msg.params else msg.text


def _count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _cast(db, world, who, raw, **kwargs):
    now = kwargs.pop("now", world.now)
    return services.cast(db, world.actor(who), world.people[who], world.load(now_=now), raw, now,
                         **kwargs)


def _stored(db, world):
    return _count(db, Ballot, Ballot.round_id == world.round.id), _count(db, BallotChoice)


# -- casting and changing ---------------------------------------------------------------


def test_cast_within_budget_stores_one_ballot_with_a_receipt(db, world):
    done = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0, 1)))
    assert not done.changed and len(done.receipt) == 16
    ballot = db.get(Ballot, done.ballot_id)
    assert ballot.voter_key == secrecy.user_key(world.round.id, world.people['voter'].id) and ballot.channel == "web"
    assert ballot.area_id == world.tree["area_a"].id and ballot.status == "counted"
    assert ballot.receipt_prefix == done.receipt[:4] and done.receipt not in (ballot.receipt_hash or "")
    mine = services.ballot_of(db, world.round.id, ballot.voter_key)
    assert sorted(mine.idea_ids) == sorted([world.ideas[0].id, world.ideas[1].id])
    check = services.check_receipt(db, rules.format_receipt(done.receipt).lower())
    assert check.found and check.status == "counted" and check.round_id == world.round.id


def test_changing_replaces_the_same_row_and_the_receipt(db, world):
    first = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0, 1)))
    second = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 2)))
    assert second.changed and second.ballot_id == first.ballot_id
    assert _stored(db, world) == (1, 1)
    assert services.ballot_of(db, world.round.id, first.voter_key).idea_ids == [world.ideas[2].id]
    assert not services.check_receipt(db, first.receipt).found
    assert services.check_receipt(db, second.receipt).found



def test_the_same_ballot_sent_again_keeps_the_ballot_and_its_receipt(db, world):
    """A double click or a retried request: nothing is written, the voter is shown the
    receipt they already have, and it still checks (issue 12 item 5)."""
    first = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0, 1)))
    db.flush()
    stored = db.exec(select(Ballot.id, Ballot.receipt_hash, Ballot.updated_at)).one()
    again = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1, 0)), now=world.now + DAY)
    assert again.repeated and not again.changed and again.receipt == first.receipt
    assert again.ballot_id == first.ballot_id
    db.expire_all()
    assert db.exec(select(Ballot.id, Ballot.receipt_hash, Ballot.updated_at)).one() == stored
    assert _stored(db, world) == (1, 2)
    assert services.check_receipt(db, first.receipt).found
    changed = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0)))
    assert changed.changed and not changed.repeated and changed.receipt != first.receipt
    assert not services.check_receipt(db, first.receipt).found  # replaced
    assert services.check_receipt(db, changed.receipt).found
    assert not first.repeated and not first.changed

BAD_BALLOTS = [
    ("over budget", {}, RawBallot(choices=["0", "1", "2", "3"]), "more than the budget"),
    ("unknown idea", {}, RawBallot(choices=["99999"]), "There is no project"),
    ("not a number", {}, RawBallot(choices=["abc"]), "There is no project"),
    ("twice", {}, RawBallot(choices=["0", "0"]), "more than once"),
    ("too many", {"ballot_kind": "approval", "max_choices": 2}, RawBallot(choices=["0", "1", "2"]),
     "at most 2"),
    ("too few", {"ballot_kind": "approval", "min_choices": 2}, RawBallot(choices=["0"]), "at least 2"),
    ("none for choose one", {"ballot_kind": "choose_one"}, RawBallot(), "at least 1"),
    ("two for choose one", {"ballot_kind": "choose_one"}, RawBallot(choices=["0", "1"]), "at most 1"),
    ("points over the limit", {"ballot_kind": "cumulative", "max_points": 5},
     RawBallot(points=[("0", "3"), ("1", "3")]), "at most 5 may be given"),
    ("points over the idea limit", {"ballot_kind": "cumulative", "max_points": 9,
                                     "max_points_per_idea": 2},
     RawBallot(points=[("0", "3")]), "At most 2 points per project"),
    ("negative points", {"ballot_kind": "cumulative", "max_points": 5},
     RawBallot(points=[("0", "-2")]), "cannot be negative"),
    ("non-numeric points", {"ballot_kind": "cumulative", "max_points": 5},
     RawBallot(points=[("0", "two")]), "must be a whole number"),
    ("decimal points", {"ballot_kind": "cumulative", "max_points": 5},
     RawBallot(points=[("0", "1.5")]), "must be a whole number"),
    ("no points", {"ballot_kind": "cumulative", "max_points": 5}, RawBallot(points=[]),
     "give at least 1"),
    ("ranking too long", {"ballot_kind": "ordinal", "ranking_length": 2, "points_per_rank": [2, 1]},
     RawBallot(ranking=["0", "1", "2"]), "Rank at most 2"),
    ("ranking too short", {"ballot_kind": "ordinal", "ranking_length": 3, "min_choices": 2,
                           "points_per_rank": [3, 2, 1]}, RawBallot(ranking=["0"]), "Rank at least 2"),
]


@pytest.mark.parametrize("name,overrides,raw,words", BAD_BALLOTS, ids=[b[0] for b in BAD_BALLOTS])
def test_bad_ballots_are_refused_with_a_message_and_nothing_is_stored(db, world, name, overrides,
                                                                      raw, words):
    set_settings(db, world.round.id, **overrides)
    mapping = {str(n): str(idea.id) for n, idea in enumerate(world.ideas)}
    raw = RawBallot(choices=[mapping.get(c, c) for c in raw.choices],
                    points=[(mapping.get(i, i), v) for i, v in raw.points],
                    ranking=[mapping.get(c, c) for c in raw.ranking])
    before = _stored(db, world)
    with pytest.raises(services.BallotRefused) as caught:
        _cast(db, world, "voter", raw)
    text = said(caught.value.msg) % caught.value.msg.params
    assert words in text
    assert caught.value.status == 422
    assert _stored(db, world) == before


def test_messages_name_ideas_by_title_and_money_in_yuan(db, world):
    with pytest.raises(services.BallotRefused) as caught:
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0, 1, 2, 3)))
    assert caught.value.msg.params == {"total": "¥11,000.00", "budget": "¥10,000.00"}
    with pytest.raises(services.BallotRefused) as twice:
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1, 1)))
    assert twice.value.msg.params["project"] == "“加装扶手”"


def test_a_changed_ballot_that_is_invalid_leaves_the_old_one(db, world):
    first = _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 3)))
    with pytest.raises(services.BallotRefused):
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0, 1, 2, 3)))
    assert services.ballot_of(db, world.round.id, first.voter_key).idea_ids == [world.ideas[3].id]
    assert services.check_receipt(db, first.receipt).found


@pytest.mark.parametrize("when,words", [(-2 * DAY, "has not opened"), (9 * DAY, "Voting closed")])
def test_ballot_outside_the_voting_time_is_refused(db, world, when, words):
    with pytest.raises(Conflict) as caught:
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0)), now=world.now + when)
    assert words in said(caught.value.msg)
    assert caught.value.code == "round_not_open"
    assert _stored(db, world) == (0, 0)


@pytest.mark.parametrize("who", ["outsider", "unverified", "expert", "moderator", "owner"])
def test_ineligible_voters_are_refused(db, world, who):
    with pytest.raises(Forbidden) as caught:
        _cast(db, world, who, RawBallot(choices=ids(world.ideas, 0)))
    assert caught.value.code == "not_eligible" and "verified residents of 恒丰" in said(caught.value.msg)
    assert _stored(db, world) == (0, 0)


def test_anonymous_is_asked_to_sign_in(db, world):
    from consult.permissions import ANONYMOUS

    with pytest.raises(NotSignedIn):
        services.cast(db, ANONYMOUS, None, world.load(), RawBallot(choices=ids(world.ideas, 0)), world.now)


def test_sub_district_round_accepts_residents_of_any_area(db, world):
    from tests.voting.conftest import add_vote_round

    wide = add_vote_round(db, scope=world.tree["root"], author=world.people["voter"],
                          opens_at=world.now - DAY, closes_at=world.now + DAY)
    vr = services.load_round(db, wide.round.id, world.now)
    done = services.cast(db, world.actor("outsider"), world.people["outsider"], vr,
                         RawBallot(choices=[str(wide.ideas[0].id)]), world.now)
    assert db.get(Ballot, done.ballot_id).area_id == world.tree["area_b"].id


# -- owners: one ballot per home --------------------------------------------------------


def test_owners_vote_once_per_home(db, world, settings):
    from consult.communities import services as places
    from consult.communities.models import HomeOwner
    from tests import factories

    set_settings(db, world.round.id, eligibility="owners")
    done = _cast(db, world, "owner", RawBallot(choices=ids(world.ideas, 0)))
    assert done.voter_key == secrecy.home_key(world.round.id, world.home.id)
    assert db.get(Ballot, done.ballot_id).building_group_id == world.tree["group_a"].id
    co_owner = factories.user(db, settings, name="co-owner")
    places.grant_role(db, user=co_owner, role="owner", place=world.tree["estate_a"])
    db.add(HomeOwner(home_id=world.home.id, name="co-owner", user_id=co_owner.id))
    db.flush()
    with pytest.raises(Conflict) as caught:
        services.cast(db, places.actor_for(db, co_owner), co_owner, world.load(),
                      RawBallot(choices=ids(world.ideas, 1)), world.now)
    assert "Another owner of this home" in said(caught.value.msg)
    with pytest.raises(Forbidden):  # a resident who owns nothing
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0)))
    assert _count(db, Ballot, Ballot.round_id == world.round.id) == 1


# -- paper ballots ----------------------------------------------------------------------


def _paper(db, world, who="moderator", serial="P-001", raw=None, **voter):
    vr = world.load()
    actor = world.actor(who)
    person = services.paper_voter_of(db, actor, vr, **voter)
    return services.enter_paper(db, actor, vr, serial=serial, voter=person,
                                raw=raw or RawBallot(choices=ids(world.ideas, 0)), now=world.now)


def _paper_only(db, world, name="王阿婆", last4="123X"):
    return services.register_paper_voter(
        db, world.actor("moderator"), world.load(), area_id=world.tree["area_a"].id,
        building_group_id=world.tree["group_a"].id, name=name, id_last4=last4, now=world.now)


def test_paper_ballot_for_a_paper_only_resident(db, world):
    person = _paper_only(db, world)
    done = _paper(db, world, paper_voter_id=str(person.id))
    assert done.status == "counted" and done.ballot.voter_key == secrecy.user_key(world.round.id, person.user_id)
    assert done.ballot.building_group_id == world.tree["group_a"].id
    assert done.ballot.entered_by == world.people["moderator"].id and done.receipt
    entry = db.exec(select(PaperEntry)).one()
    assert entry.serial == "P-001" and entry.entered_by == world.people["moderator"].id
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "enter_paper_ballot")).one()
    assert audit.details == {"serial": "P-001", "entry": 1}  # no choices, no voter in the log


def test_registering_the_same_paper_voter_twice_is_refused(db, world):
    _paper_only(db, world)
    with pytest.raises(FieldErrors) as caught:
        _paper_only(db, world)
    assert "already registered" in said(caught.value.errors["name"])


@pytest.mark.parametrize("fields,field", [
    ({"name": "", "id_last4": "1234"}, "name"), ({"name": "张", "id_last4": "12"}, "id_last4"),
    ({"name": "张", "id_last4": "1234", "area_id": "x"}, "area_id"),
])
def test_paper_voter_bad_input(db, world, fields, field):
    values = {"area_id": world.tree["area_a"].id, "building_group_id": "", **fields}
    with pytest.raises(FieldErrors) as caught:
        services.register_paper_voter(db, world.actor("moderator"), world.load(), now=world.now, **values)
    assert field in caught.value.errors


def test_paper_serial_used_twice_is_refused(db, world):
    _paper(db, world, phone=world.people["voter"].login)
    with pytest.raises(FieldErrors) as caught:
        _paper(db, world, phone=world.people["voter2"].login)
    assert "already been entered" in said(caught.value.errors["serial"])
    assert _count(db, Ballot) == 1


def test_web_voter_cannot_also_vote_on_paper_and_the_reverse(db, world):
    _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0)))
    with pytest.raises(Conflict) as caught:
        _paper(db, world, phone=world.people["voter"].login)
    assert "already voted online" in said(caught.value.msg)
    _paper(db, world, serial="P-002", phone=world.people["voter2"].login)
    with pytest.raises(Conflict) as web:
        _cast(db, world, "voter2", RawBallot(choices=ids(world.ideas, 1)))
    assert "paper ballot (serial P-002)" in said(web.value.msg)
    assert _count(db, Ballot) == 2


# -- a paper-only resident who opens an account later ------------------------------------


def _link(db, world, person, who="voter", **kwargs):
    phone = world.people[who].login if who else kwargs.pop("phone")
    return services.link_paper_voter(db, world.actor(kwargs.pop("staff", "moderator")), world.load(),
                                     paper_voter_id=str(person.id), phone=phone, now=world.now)


def test_a_linked_paper_voter_votes_once_across_channels(db, world):
    person = _paper_only(db, world)
    _paper(db, world, paper_voter_id=str(person.id))
    done = _link(db, world, person)
    assert (done.removed, done.published_both) == (0, 0)
    ballot = db.exec(select(Ballot)).one()
    assert ballot.voter_key == secrecy.user_key(world.round.id, world.people['voter'].id) and ballot.channel == "paper"
    assert db.exec(select(PaperEntry.voter_key)).one() == ballot.voter_key
    with pytest.raises(Conflict) as web:  # the account now meets its own paper ballot
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1)))
    assert "paper ballot (serial P-001)" in said(web.value.msg)
    with pytest.raises(Conflict):  # and a second paper ballot for the person is refused too
        _paper(db, world, serial="P-002", paper_voter_id=str(person.id))
    assert _count(db, Ballot) == 1
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "link_paper_voter")).one()
    assert audit.details["removed"] == 0 and "choices" not in audit.details


def test_after_linking_paper_entries_for_the_person_use_the_account(db, world):
    person = _paper_only(db, world)
    _link(db, world, person)
    done = _paper(db, world, paper_voter_id=str(person.id))
    assert done.ballot.voter_key == secrecy.user_key(world.round.id, world.people['voter'].id)
    with pytest.raises(Conflict):
        _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1)))


@pytest.mark.parametrize("paper_first", [True, False])
def test_voted_both_ways_before_linking_the_first_ballot_stands(db, world, paper_first):
    person = _paper_only(db, world)

    def vote_on_paper(at):
        return _paper(db, world, paper_voter_id=str(person.id), raw=RawBallot(choices=ids(world.ideas, 0)))

    def vote_online(at):
        return _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1)), now=at)

    first, second = (vote_on_paper, vote_online) if paper_first else (vote_online, vote_on_paper)
    first(world.now)
    world.now += DAY  # ballots keep only their day (see the next test for the same day)
    second(world.now)
    assert _count(db, Ballot) == 2
    done = _link(db, world, person)
    assert done.removed == 1
    stands = db.exec(select(Ballot)).one()
    assert stands.channel == ("paper" if paper_first else "web")
    assert stands.voter_key == secrecy.user_key(world.round.id, world.people['voter'].id)
    chosen = db.exec(select(BallotChoice.idea_id)).all()
    assert chosen == [world.ideas[0 if paper_first else 1].id]  # the removed ballot's choices went too
    assert _count(db, PaperEntry) == (1 if paper_first else 0)


@pytest.mark.parametrize("paper_first", [True, False])
def test_voted_both_ways_on_the_same_day_the_paper_ballot_stands(db, world, paper_first):
    """Ballots store their day, not their time: which came first on one day is unknown,
    and the paper ballot (keyed by staff, on paper in the committee's box) stands."""
    person = _paper_only(db, world)
    world.now = world.now.replace(hour=2, minute=0)  # 10:00 in Beijing, both on one day
    steps = [lambda: _paper(db, world, paper_voter_id=str(person.id)),
             lambda: _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1)))]
    for step in steps if paper_first else steps[::-1]:
        step()
        world.now += timedelta(minutes=5)
    done = _link(db, world, person)
    assert done.removed == 1
    assert db.exec(select(Ballot.channel)).one() == "paper"
    assert db.exec(select(BallotChoice.idea_id)).all() == [world.ideas[0].id]


def test_voted_both_ways_in_a_published_round_the_result_stands(db, world):
    person = _paper_only(db, world)
    _paper(db, world, paper_voter_id=str(person.id))
    _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 1)))
    close_round(db, world.round)
    services.publish(db, world.actor("moderator"), world.load(), world.now)
    done = _link(db, world, person)
    assert (done.removed, done.published_both) == (0, 1)
    assert _count(db, Ballot) == 2


@pytest.mark.parametrize("case,field,words", [
    ("unknown phone", "link_phone", "No account has this mobile number"),
    ("not a resident", "link_phone", "not a verified resident of 恒丰"),
    ("already linked", "link_voter", "already linked to an account"),
    ("account taken", "link_phone", "already linked to the paper-only resident 王阿婆"),
    ("no such person", "link_voter", "registered paper-only resident"),
])
def test_linking_bad_input_changes_nothing(db, world, case, field, words):
    person = _paper_only(db, world)
    other = _paper_only(db, world, name="李老伯", last4="5678")
    _paper(db, world, paper_voter_id=str(other.id))
    if case in ("already linked", "account taken"):
        _link(db, world, person)
    target, kwargs = {
        "unknown phone": (other, {"who": None, "phone": "13000000000"}),
        "not a resident": (other, {"who": "outsider"}),
        "already linked": (person, {"who": "voter2"}),
        "account taken": (other, {}),
        "no such person": (SimpleNamespace(id="999999"), {}),
    }[case]
    before = db.exec(select(Ballot.voter_key)).all()
    with pytest.raises(FieldErrors) as caught:
        _link(db, world, target, **kwargs)
    assert words in said(caught.value.errors[field])
    assert db.exec(select(Ballot.voter_key)).all() == before
    assert _not_linked(db, db.get(type(other), other.id))


def _not_linked(db, person) -> bool:
    """A paper-only resident is their managed record (no login), not linked to an account."""
    record = db.get(User, person.user_id)
    return record.managed_by is not None and record.password_hash is None and record.phone is None


def test_only_staff_of_the_persons_area_link(db, world):
    person = _paper_only(db, world)
    with pytest.raises(Forbidden):
        _link(db, world, person, staff="voter2")
    with pytest.raises((Forbidden, FieldErrors)):
        _link(db, world, person, staff="moderator_b")
    assert _not_linked(db, person)


def test_a_linked_person_is_not_counted_twice_in_the_electorate(db, world):
    person = _paper_only(db, world)
    before = services.turnout(db, world.actor("moderator"), world.load())
    _link(db, world, person)
    after = services.turnout(db, world.actor("moderator"), world.load())
    assert _electorate(after) == _electorate(before) - 1


@pytest.mark.parametrize("voter,words", [
    ({"phone": "13000000000"}, "No account has this mobile number"),
    ({}, "exactly one"),
    ({"phone": "x", "paper_voter_id": "1"}, "exactly one"),
    ({"paper_voter_id": "abc"}, "registered paper-only resident"),
    ({"home_id": "1"}, "residents vote, not homes"),
])
def test_paper_voter_must_be_one_known_person(db, world, voter, words):
    with pytest.raises(FieldErrors) as caught:
        services.paper_voter_of(db, world.actor("moderator"), world.load(), **voter)
    assert words in said(caught.value.errors["voter"])


def test_paper_ballot_for_an_ineligible_account_is_refused(db, world):
    with pytest.raises(FieldErrors) as caught:
        services.paper_voter_of(db, world.actor("moderator"), world.load(),
                                phone=world.people["outsider"].login)
    assert "not a verified resident of 恒丰" in said(caught.value.errors["voter"])


@pytest.mark.parametrize("serial", ["", "P 1", "x" * 41])
def test_bad_serial(db, world, serial):
    with pytest.raises(FieldErrors) as caught:
        _paper(db, world, serial=serial, phone=world.people["voter"].login)
    assert "serial" in caught.value.errors
    assert _count(db, Ballot) == 0


def test_only_staff_of_the_area_enter_paper_ballots(db, world):
    for who in ("voter", "moderator_b", "expert"):
        with pytest.raises(Forbidden):
            _paper(db, world, who=who, phone=world.people["voter"].login)


def test_paper_after_publication_is_refused_but_after_close_is_accepted(db, world):
    close_round(db, world.round)
    _paper(db, world, phone=world.people["voter"].login)  # keyed after the close: accepted
    services.publish(db, world.actor("moderator"), world.load(), world.now)
    with pytest.raises(Conflict):
        _paper(db, world, serial="P-002", phone=world.people["voter2"].login)


def test_double_key_match_counts(db, world):
    set_settings(db, world.round.id, double_key=True)
    first = _paper(db, world, phone=world.people["voter"].login)
    assert first.status == "pending"
    assert services.counted_ballots(db, world.round.id) == []
    with pytest.raises(Conflict) as same:
        _paper(db, world, phone=world.people["voter"].login)
    assert "another staff member" in said(same.value.msg)
    second = _paper(db, world, who="moderator2", phone=world.people["voter"].login)
    assert second.status == "counted" and second.ballot.id == first.ballot.id
    assert len(services.counted_ballots(db, world.round.id)) == 1
    with pytest.raises(FieldErrors):  # a third entry
        _paper(db, world, who="admin", phone=world.people["voter"].login)


def test_double_key_mismatch_is_flagged_then_resolved(db, world):
    set_settings(db, world.round.id, double_key=True)
    _paper(db, world, phone=world.people["voter"].login)
    second = _paper(db, world, who="moderator2", phone=world.people["voter"].login,
                    raw=RawBallot(choices=ids(world.ideas, 1)))
    assert second.status == "disputed"
    assert services.counted_ballots(db, world.round.id) == []
    found = services.disputes(db, world.actor("moderator"), world.load())
    assert [d.serial for d in found] == ["P-001"] and not found[0].voters_differ
    close_round(db, world.round)
    with pytest.raises(Conflict) as blocked:
        services.publish(db, world.actor("moderator"), world.load(), world.now)
    assert blocked.value.code == "paper_waiting"
    with pytest.raises(Forbidden):
        services.resolve_dispute(db, world.actor("voter"), world.load(), serial="P-001", keep="2",
                                 now=world.now)
    for keyer in ("moderator", "moderator2"):  # neither keyer decides (four eyes)
        with pytest.raises(Forbidden) as refused:
            services.resolve_dispute(db, world.actor(keyer), world.load(), serial="P-001",
                                     keep="2", now=world.now)
        assert refused.value.code == "own_request"
    services.resolve_dispute(db, world.actor("admin"), world.load(), serial="p-001", keep="2",
                             now=world.now)
    assert services.counted_ballots(db, world.round.id) == [[(world.ideas[1].id, 1, None)]]
    with pytest.raises(Conflict):
        services.resolve_dispute(db, world.actor("admin"), world.load(), serial="P-001",
                                 keep="1", now=world.now)


def test_paper_rows_show_serial_and_status_only(db, world):
    _paper(db, world, phone=world.people["voter"].login)
    rows = services.paper_rows(db, world.actor("moderator"), world.load())
    assert [(r.serial, r.status, r.entries) for r in rows] == [("P-001", "counted", 1)]


# -- turnout ----------------------------------------------------------------------------


def test_turnout_by_area_and_building_group(db, world):
    from consult.communities.models import VerificationRequest

    db.add(VerificationRequest(user_id=world.people["voter"].id, area_id=world.tree["area_a"].id,
                               building_group_id=world.tree["group_a"].id, status="approved"))
    db.flush()
    _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0)))
    _cast(db, world, "voter2", RawBallot(choices=ids(world.ideas, 1)))
    person = _paper_only(db, world)
    _paper(db, world, paper_voter_id=str(person.id))
    seen = services.turnout(db, world.actor("moderator"), world.load())
    assert seen.total == 3 and seen.by_channel == {"web": 2, "paper": 1}
    [area] = seen.areas
    assert (area.place.name, area.voted, area.eligible) == ("恒丰", 3, 4)  # 3 residents + 1 paper voter
    assert area.share == "75.0%"
    assert [(g.place.name, g.voted) for _, g in seen.groups] == [("恒丰1号楼组", 2)]
    assert seen.unknown_group == 1
    for who in ("voter", "moderator_b", "expert"):
        with pytest.raises(Forbidden):
            services.turnout(db, world.actor(who), world.load())


# -- settings ---------------------------------------------------------------------------


def test_settings_lock_the_counting_terms_once_voting_opens(db, world):
    # Before: only the ballot's form locked, and only once a ballot existed; the rule could
    # still change afterwards. Now every counting term is fixed when voting opens.
    world.round.opens_at = world.now + DAY
    db.add(world.round)
    db.flush()
    form = {"ballot_kind": "approval", "rule": "greedy", "max_choices": "2", "notice_days": "7"}
    services.save_settings(db, world.actor("moderator"), world.load(), form, world.now)
    world.round.opens_at = world.now - DAY
    db.add(world.round)
    db.flush()
    _cast(db, world, "voter", RawBallot(choices=ids(world.ideas, 0)))
    with pytest.raises(FieldErrors) as caught:
        services.save_settings(db, world.actor("moderator"), world.load(),
                               {**form, "max_choices": "3"}, world.now)
    assert "can no longer change" in said(caught.value.errors["max_choices"])
    with pytest.raises(FieldErrors) as caught:
        services.save_settings(db, world.actor("moderator"), world.load(),
                               {**form, "rule": "top-k", "k": "2"}, world.now)
    assert "can no longer change" in said(caught.value.errors["rule"])
    services.save_settings(db, world.actor("moderator"), world.load(),
                           {**form, "notice_days": "10"}, world.now)  # the notice period may
    assert world.load().settings.rule == "greedy" and world.load().settings.notice_days == 10
    with pytest.raises(Forbidden):
        services.save_settings(db, world.actor("voter"), world.load(), form, world.now)


def test_paper_entries_only_in_their_time(db, world):
    world.round.opens_at = world.now + timedelta(hours=1)
    db.add(world.round)
    db.flush()
    with pytest.raises(Conflict):
        _paper(db, world, phone=world.people["voter"].login)


def test_area_committees_serve_their_residents_in_a_sub_district_vote(db, world):
    from tests.voting.conftest import add_vote_round

    wide = add_vote_round(db, scope=world.tree["root"], author=world.people["voter"],
                          opens_at=world.now - DAY, closes_at=world.now + DAY)
    vr = services.load_round(db, wide.round.id, world.now)
    moderator = world.actor("moderator")  # of area a only
    raw = RawBallot(choices=[str(wide.ideas[0].id)])
    own = services.paper_voter_of(db, moderator, vr, phone=world.people["voter"].login)
    assert services.enter_paper(db, moderator, vr, serial="W-1", voter=own, raw=raw,
                                now=world.now).status == "counted"
    other = services.paper_voter_of(db, moderator, vr, phone=world.people["outsider"].login)
    with pytest.raises(Forbidden) as caught:
        services.enter_paper(db, moderator, vr, serial="W-2", voter=other, raw=raw, now=world.now)
    assert "areas you serve" in said(caught.value.msg)
    assert services.turnout(db, moderator, vr).total == 1  # counts only, for the whole vote
    with pytest.raises(Forbidden):
        services.publish(db, moderator, vr, world.now)  # the sub-district publishes
    with pytest.raises(Forbidden):
        services.turnout(db, world.actor("voter"), vr)


def _electorate(turnout) -> int:
    return turnout.eligible_total
