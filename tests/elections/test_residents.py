"""Residents' committee elections through the services: the register (age, additions and
removals logged), the final list (差额), secret ballots online and on paper, turnout and a
result that agrees with ``python -m consult elect``; and every role against every action
in every state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from consult.audit.models import AuditEntry
from consult.communities import services as communities
from consult.elections import rules, services
from consult.elections.models import ResidentBallot
from consult.errors import Conflict, FieldErrors, Forbidden, NotSignedIn
from consult.permissions import ANONYMOUS
from tests import factories
from tests.elections.conftest import AFTER, CLOSES, NOW, OPENS

LONG_BEFORE = OPENS - timedelta(days=10)
DAY = date(2026, 12, 1)


@pytest.fixture
def election(world, db, settings):
    staff = world.staff
    election = services.create_resident_election(
        db, staff, world.tree["area_a"], title="恒丰居民区第十二届居委会换届选举", description="",
        mode="voters", seats=2, election_day=DAY, opens_at=OPENS, closes_at=CLOSES,
        nominations_voters=3, now=LONG_BEFORE)
    residents = []
    for n in range(5):
        user = factories.user(db, settings, name=f"居民{n}")
        communities.grant_role(db, user=user, role="resident", place=world.tree["area_a"])
        services.add_voter(db, staff, election.id, name=f"居民{n}", birth_date=f"1960-05-0{n + 1}",
                           phone=user.phone, now=LONG_BEFORE)
        residents.append(user)
    register = [v.id for v in services.voters_of(db, election)]
    ids = [str(services.add_resident_candidate(db, staff, election.id, name=name, statement="",
                                               nominators=register[:3], now=LONG_BEFORE).id)
           for name in ("甲", "乙", "丙")]
    services.publish_candidates(db, staff, election.id, now=LONG_BEFORE)
    db.flush()
    return election, residents, ids


def _nominate(db, staff, election, names):
    """Candidates nominated by one registered voter (the election asks for one)."""
    voter = services.add_voter(db, staff, election.id, name="提名人", birth_date="1950-01-01",
                               household="1-101", residents_group="第一组", now=LONG_BEFORE)
    return [str(services.add_resident_candidate(db, staff, election.id, name=name, statement="",
                                                nominators=[voter.id], now=LONG_BEFORE).id)
            for name in names]


def test_a_voter_must_be_eighteen_on_the_election_day(world, db, election):
    election, _, _ = election
    with pytest.raises(FieldErrors) as refused:
        services.add_voter(db, world.staff, election.id, name="小明", birth_date="2008-12-02",
                           now=LONG_BEFORE)  # 17 on 2026-12-01
    assert "birth_date" in refused.value.errors
    voter = services.add_voter(db, world.staff, election.id, name="小红", birth_date="2008-12-01",
                               now=LONG_BEFORE)  # 18 that day
    services.remove_voter(db, world.staff, voter.id, reason="已迁出", now=LONG_BEFORE)
    db.flush()
    logged = [e.action for e in db.exec(select(AuditEntry).where(
        AuditEntry.target_type == "resident_election")).all()]
    assert "add_resident_voter" in logged and "remove_resident_voter" in logged
    with pytest.raises(Conflict):  # the register is fixed once voting opens
        services.add_voter(db, world.staff, election.id, name="小刚", birth_date="1970-01-01", now=NOW)


def test_an_equal_list_is_refused_unless_allowed(world, db):
    for allow, refused in ((False, True), (True, False)):
        election = services.create_resident_election(
            db, world.staff, world.tree["area_a"], title="选举", description="", mode="households",
            seats=2, election_day=DAY, opens_at=OPENS, closes_at=CLOSES, allow_equal_list=allow,
            nominations_voters=1, nominations_households=1, now=LONG_BEFORE)
        _nominate(db, world.staff, election, ("甲", "乙"))
        if refused:
            with pytest.raises(Conflict) as problem:
                services.publish_candidates(db, world.staff, election.id, now=LONG_BEFORE)
            assert problem.value.code == "equal_list"
        else:
            services.publish_candidates(db, world.staff, election.id, now=LONG_BEFORE)


def test_the_list_is_published_days_before_voting(world, db):
    election = services.create_resident_election(
        db, world.staff, world.tree["area_a"], title="选举", description="", mode="voters",
        seats=1, election_day=DAY, opens_at=OPENS, closes_at=CLOSES, nominations_voters=1,
        now=LONG_BEFORE)
    _nominate(db, world.staff, election, ("甲", "乙"))
    with pytest.raises(Conflict) as late:
        services.publish_candidates(db, world.staff, election.id, now=OPENS - timedelta(days=2))
    assert late.value.code == "too_late"


def test_voting_turnout_and_the_result(world, db, election, tmp_path):
    election, residents, (a, b, c) = election
    for user, chosen in zip(residents[:2], ([a, b], [a]), strict=True):
        services.cast_resident_ballot(db, world.actor(user), user, election.id, candidates=chosen, now=NOW)
    with pytest.raises(Conflict):
        services.cast_resident_ballot(db, world.actor(residents[0]), residents[0], election.id,
                                      candidates=[c], now=NOW)
    assert not services.resident_turnout(db, election.id)[2].valid  # 2 of 5
    voters = services.voters_of(db, election)
    services.enter_resident_paper(db, world.staff, election.id, voter=str(voters[2].id),
                                  candidates=[b, c], now=NOW)
    with pytest.raises(Conflict):  # the same voter online after the paper
        services.cast_resident_ballot(db, world.actor(residents[2]), residents[2], election.id,
                                      candidates=[a], now=NOW)
    turnout = services.resident_turnout(db, election.id)[2]
    assert (turnout.registered, turnout.voted, turnout.needed, turnout.valid) == (5, 3, 3, True)
    with pytest.raises(Conflict):
        services.resident_result(db, election.id, NOW)
    _, _, outcome = services.resident_result(db, election.id, AFTER)
    assert {x.id: (x.votes, x.passed) for x in outcome.candidates} == {a: (2, True), b: (2, True), c: (1, False)}
    assert outcome.elected == (a, b) and outcome.unfilled == 0
    rows = db.exec(select(ResidentBallot)).all()
    stored = {str(v) for r in rows for v in r.model_dump().values()}
    assert not stored & ({str(u.id) for u in residents} | {u.display_name for u in residents})


def test_someone_not_on_the_register_cannot_vote(world, db, settings, election):
    election, _, (a, _, _) = election
    outsider = factories.user(db, settings, name="外来")
    communities.grant_role(db, user=outsider, role="resident", place=world.tree["area_a"])
    with pytest.raises(Forbidden):
        services.cast_resident_ballot(db, world.actor(outsider), outsider, election.id,
                                      candidates=[a], now=NOW)


ROLES = ("anonymous", "resident_on_register", "resident_out", "moderator_in", "moderator_out", "admin")
STAFF = {"moderator_in", "admin"}
EVERYONE = set(ROLES)
ANY = {"before", "open", "closed"}
EXPECTED = {
    "add_voter": (STAFF, {"before"}),
    "add_candidate": (STAFF, {"before"}),
    "cast_ballot": ({"resident_on_register"}, {"open"}),
    "enter_paper": (STAFF, {"open"}),
    "view_turnout": (EVERYONE, ANY),
    "view_result": (EVERYONE, {"closed"}),
}


def test_the_lifecycle_table_is_the_rules_own():
    named = {"add_voter": "edit_register", "add_candidate": "edit_candidates", "cast_ballot": "cast_ballot",
             "enter_paper": "enter_paper", "view_turnout": "view_turnout", "view_result": "view_result"}
    states = {"before": rules.ElectionState.SCHEDULED, "open": rules.ElectionState.OPEN,
              "closed": rules.ElectionState.CLOSED}
    for action, rule in named.items():
        assert {states[s] for s in EXPECTED[action][1]} == rules.RESIDENT_ACTIONS[rule]


def _attempts(db, election, voter, ids, actor, user, now):
    return {
        "add_voter": lambda: services.add_voter(db, actor, election.id, name="新",
                                                birth_date="1970-01-01", now=now),
        "add_candidate": lambda: services.add_resident_candidate(db, actor, election.id, name="丁",
                                                                 statement="", nominators=[voter.id],
                                                                 now=now),
        "cast_ballot": lambda: services.cast_resident_ballot(db, actor, user, election.id,
                                                             candidates=ids[:1], now=now),
        "enter_paper": lambda: services.enter_resident_paper(db, actor, election.id, voter=str(voter.id),
                                                             candidates=ids[:1], now=now),
        "view_turnout": lambda: services.resident_turnout(db, election.id),
        "view_result": lambda: services.resident_result(db, election.id, now),
    }


def test_every_role_every_action_every_state(world, db, settings):
    from datetime import datetime

    tree = world.tree
    # a list published long before, so that only the state decides
    election = services.create_resident_election(
        db, world.staff, tree["area_a"], title="选举", description="", mode="voters", seats=1,
        election_day=DAY, opens_at=OPENS, closes_at=CLOSES, nominations_voters=1, now=LONG_BEFORE)
    people = {"anonymous": None}
    for role, grants in {"resident_on_register": [("resident", tree["area_a"])],
                         "resident_out": [("resident", tree["area_b"])],
                         "moderator_in": [("moderator", tree["area_a"])],
                         "moderator_out": [("moderator", tree["area_b"])],
                         "admin": [("admin", tree["root"])]}.items():
        person = factories.user(db, settings, name=role)
        for name, place in grants:
            communities.grant_role(db, user=person, role=name, place=place)
        people[role] = person
    voter = services.add_voter(db, world.staff, election.id, name="登记选民", birth_date="1950-01-01",
                               phone=people["resident_on_register"].phone, now=LONG_BEFORE)
    ids = [str(services.add_resident_candidate(db, world.staff, election.id, name=n, statement="",
                                               nominators=[voter.id], now=LONG_BEFORE).id)
           for n in ("甲", "乙")]
    services.publish_candidates(db, world.staff, election.id, now=LONG_BEFORE)
    election.candidates_published_at = None  # reopen the list to try adding, then publish again
    db.flush()
    when: dict[str, datetime] = {"before": OPENS - timedelta(hours=1), "open": NOW, "closed": AFTER}
    failures = []
    for role in ROLES:
        user = people[role]
        actor = communities.actor_for(db, user) if user else ANONYMOUS
        for state, now in when.items():
            attempts = _attempts(db, election, voter, ids, actor, user, now)
            for action, attempt in attempts.items():
                if action in ("cast_ballot", "enter_paper"):
                    election.candidates_published_at = LONG_BEFORE
                else:
                    election.candidates_published_at = None
                db.add(election)
                db.flush()
                savepoint = db.begin_nested()
                try:
                    attempt()
                    got = "ok"
                except (Forbidden, NotSignedIn):
                    got = "denied"
                except Conflict:
                    got = "state"
                finally:
                    savepoint.rollback()
                who, states = EXPECTED[action]
                expected = "denied" if role not in who else ("ok" if state in states else "state")
                if got != expected:
                    failures.append(f"{role} {action} {state}: expected {expected}, got {got}")
    assert not failures, "\n".join(failures)
