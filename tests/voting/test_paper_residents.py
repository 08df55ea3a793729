"""Paper-only voters are managed residents (issue 17 item 3: one concept).

Registering a paper-only voter makes the managed resident's record (no phone, no
password, the resident role at the area); their ballots, keyed from paper or cast for
them at the desk, share one key; linked to an account they opened themselves, they are
that account from then on, once, with what was done for them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from consult.accounts import acting
from consult.accounts.models import ActingSession, User
from consult.communities import services as places
from consult.errors import Conflict, FieldErrors
from consult.voting import secrecy, services
from consult.voting.models import Ballot, PaperVoter
from consult.voting.rules import RawBallot
from tests.voting.conftest import ids
from tests.voting.test_services import _link, _paper, _paper_only


def test_a_paper_voter_is_a_managed_resident_of_their_area(db, world):
    person = _paper_only(db, world)
    record = db.get(User, person.user_id)
    assert record.display_name == "王阿婆" and not record.can_sign_in and record.phone is None
    assert record.managed_by == world.people["moderator"].id and acting.is_managed_only(record)
    roles = [(r.role, p.id) for r, p in places.roles_of(db, record)]
    assert roles == [("resident", world.tree["area_a"].id)]
    # the desk finds the same person to act for: one record, not a paper row beside it
    found = acting.find_people(db, world.actor("moderator"), "王阿婆")
    assert [u.id for u in found] == [record.id]


def _desk(db, world, record):
    """The managed resident as a staff member acting for them at the desk sees them."""
    return replace(places.actor_for(db, record), helper="desk",
                   helper_id=world.people["moderator"].id)


def test_a_desk_ballot_and_a_paper_ballot_for_one_person_are_one_ballot(db, world):
    person = _paper_only(db, world)
    record = db.get(User, person.user_id)
    _paper(db, world, paper_voter_id=str(person.id))
    with pytest.raises(Conflict):  # the desk meets the paper ballot: same key
        services.cast(db, _desk(db, world, record), record, world.load(), RawBallot(choices=ids(world.ideas, 1)),
                      world.now)
    ballot = db.exec(select(Ballot)).one()
    assert ballot.voter_key == secrecy.user_key(world.round.id, record.id)


def test_linking_moves_the_history_once_and_the_record_cannot_vote_again(db, world):
    person = _paper_only(db, world)
    record = db.get(User, person.user_id)
    raw = acting.start_desk(db, world.actor("moderator"), person=record, reason="柜台代办", now=world.now)
    row, _, _ = acting.resolve(db, raw, world.people["moderator"].id, world.now)
    acting.log_action(db, row, action="support_idea", path="/ideas/1/support", now=world.now)
    db.flush()
    _link(db, world, person)
    account = world.people["voter"]
    assert [log.person_id for log, _ in acting.help_log(db, account.id)] == [account.id]
    assert acting.help_log(db, record.id) == [] and places.roles_of(db, record) == []
    assert db.exec(select(ActingSession.ended_how)).one() == "done"  # the running session ended
    with pytest.raises(FieldErrors) as caught:  # linked once
        _link(db, world, person, who="voter2")
    assert "link_voter" in caught.value.errors


def test_staff_choose_a_resident_added_at_the_desk_instead_of_adding_them_twice(db, world):
    record = acting.create_managed_resident(db, world.actor("moderator"), name="孙阿婆",
                                            area_id=world.tree["area_a"].id, now=world.now)
    vr = world.load()
    assert [u.id for u in services.desk_residents(db, world.actor("moderator"), vr)] == [record.id]
    users_before = len(db.exec(select(User)).all())
    person = services.register_paper_voter(
        db, world.actor("moderator"), vr, area_id=world.tree["area_a"].id, building_group_id="",
        name="", id_last4="4321", resident_id=str(record.id), now=world.now)
    assert person.user_id == record.id and person.name == "孙阿婆"
    assert len(db.exec(select(User)).all()) == users_before  # no second record
    assert services.desk_residents(db, world.actor("moderator"), vr) == []
    done = _paper(db, world, paper_voter_id=str(person.id))
    assert done.ballot.voter_key == secrecy.user_key(world.round.id, record.id)


@pytest.mark.parametrize("case", ["registered already", "has a login", "other area", "not a number"])
def test_choosing_a_desk_resident_bad_input_changes_nothing(db, world, case):
    record = acting.create_managed_resident(db, world.actor("admin"), name="孙阿婆",
                                            area_id=world.tree["area_b" if case == "other area" else "area_a"].id,
                                            now=world.now)
    if case == "registered already":
        services.register_paper_voter(db, world.actor("moderator"), world.load(),
                                      area_id=world.tree["area_a"].id, building_group_id="", name="",
                                      id_last4="1111", resident_id=str(record.id), now=world.now)
    chosen = str(record.id)
    if case == "has a login":
        chosen = str(world.people["voter"].id)
    if case == "not a number":
        chosen = "²"
    before = db.exec(select(PaperVoter.id)).all()
    with pytest.raises(FieldErrors) as caught:
        services.register_paper_voter(db, world.actor("moderator"), world.load(),
                                      area_id=world.tree["area_a"].id, building_group_id="", name="",
                                      id_last4="2222", resident_id=chosen, now=world.now)
    assert list(caught.value.errors) == ["area_id" if case == "other area" else "resident_id"]
    assert db.exec(select(PaperVoter.id)).all() == before
