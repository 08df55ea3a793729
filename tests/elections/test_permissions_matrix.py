"""Every role against every election action, before, during and after voting.

Each attempt runs through the service layer inside a savepoint that is rolled back and is
classified as done, refused for the person ("denied") or refused for the moment ("state").
The expectation comes from the two tables below, so a wrong rule in consult/permissions.py
or a missing lifecycle check in a service both fail here; the lifecycle table is also
checked against ``consult.elections.rules.ELECTION_ACTIONS``.
"""

from __future__ import annotations

import pytest

from consult.communities import services as communities
from consult.elections import rules, services
from consult.errors import Conflict, Forbidden, NotSignedIn
from tests import factories
from tests.elections.conftest import AFTER, BEFORE, NOW

ROLES = ("anonymous", "unverified", "resident", "owner", "other_owner", "owners_rep",
         "moderator_in", "moderator_out", "admin")
STATES = {"before": BEFORE, "open": NOW, "closed": AFTER}

STAFF = {"moderator_in", "admin"}
EVERYONE = set(ROLES)
ANY = {"before", "open", "closed"}

#: action → (who may, in which states)
EXPECTED = {
    "create_election": (STAFF, ANY),
    "refresh_register": (STAFF, {"before"}),
    "add_candidate": (STAFF, {"before"}),
    "remove_candidate": (STAFF, {"before"}),
    "cast_web_ballot": ({"owner"}, {"open"}),
    "enter_paper_ballot": (STAFF, {"open"}),
    "enter_proxy_ballot": (STAFF, {"open"}),
    "resolve_paper": (STAFF, {"open"}),
    "view_gauge": (EVERYONE, ANY),
    "view_door_to_door": (STAFF, ANY),
    "view_result": (EVERYONE, {"closed"}),
    "export_ballots": (STAFF, {"closed"}),
    "export_register": (STAFF, ANY),
}
#: the service actions by the lifecycle action they check
LIFECYCLE = {
    "edit_candidates": {"refresh_register", "add_candidate", "remove_candidate"},
    "cast_ballot": {"cast_web_ballot"}, "enter_paper": {"enter_paper_ballot"},
    "enter_proxy": {"enter_proxy_ballot"}, "resolve_paper": {"resolve_paper"},
    "view_gauge": {"view_gauge"}, "view_door_to_door": {"view_door_to_door"},
    "view_result": {"view_result"}, "export_ballots": {"export_ballots"},
    "export_register": {"export_register"},
}
STATE_NAMES = {"before": rules.ElectionState.SCHEDULED, "open": rules.ElectionState.OPEN,
               "closed": rules.ElectionState.CLOSED}


def test_the_lifecycle_table_is_the_rules_own():
    assert set(LIFECYCLE) == set(rules.ELECTION_ACTIONS)
    for action, service_actions in LIFECYCLE.items():
        for name in service_actions:
            assert {STATE_NAMES[s] for s in EXPECTED[name][1]} == rules.ELECTION_ACTIONS[action], name


@pytest.fixture
def setup(world, db, settings):
    tree = world.tree
    people = {"anonymous": None}
    grants = {
        "unverified": [],
        "resident": [("resident", tree["area_a"])],
        "other_owner": [("owner", tree["estate_b"]), ("resident", tree["area_b"])],
        "owners_rep": [("owners_rep", world.estate)],
        "moderator_in": [("moderator", tree["area_a"])],
        "moderator_out": [("moderator", tree["area_b"])],
        "admin": [("admin", tree["root"])],
    }
    for role, roles in grants.items():
        person = factories.user(db, settings, name=role)
        for name, place in roles:
            communities.grant_role(db, user=person, role=name, place=place)
        people[role] = person
    people["owner"] = world.li  # linked to two homes, role "owner" at the estate
    election, ids = world.election(double_key=True)
    world.vote(world.wang, election, ids[:1])
    # a paper ballot keyed twice, differently, by two others than the admin
    services.enter_paper_ballot(db, world.staff, election.id, serial="M1", home="1-107",
                                candidates=ids[:1], now=NOW)
    services.enter_paper_ballot(db, world.actor(world.moderator2), election.id, serial="M1",
                                home="1-107", candidates=ids[1:2], now=NOW)
    db.flush()
    return {"people": people, "election": election, "ids": ids}


def attempts(world, db, setup, user, actor, now):
    election, ids = setup["election"], setup["ids"]
    return {
        "create_election": lambda: services.create_election(
            db, actor, world.estate, title="补选", description="", seats=1, rank="area",
            opens_at=AFTER, closes_at=AFTER.replace(year=AFTER.year + 1), paper_double_key=False,
            now=now),
        "refresh_register": lambda: services.refresh_register(db, actor, election.id, now=now),
        "add_candidate": lambda: services.add_candidate(db, actor, election.id, name="丁",
                                                        statement="", now=now),
        "remove_candidate": lambda: services.remove_candidate(db, actor, int(ids[2]), now=now),
        "cast_web_ballot": lambda: services.cast_web_ballot(db, actor, user, election.id,
                                                            candidates=ids[:2], now=now),
        "enter_paper_ballot": lambda: services.enter_paper_ballot(
            db, actor, election.id, serial="S1", home="1-105", candidates=ids[:1], now=now),
        "enter_proxy_ballot": lambda: services.enter_proxy_ballot(
            db, actor, election.id, home="1-106", holder="赵", candidates=[], now=now,
            settings=world.settings, scan=b"%PDF-1.4 proxy"),
        "resolve_paper": lambda: services.resolve_paper(
            db, actor, election.id, serial="M1", home="1-107", candidates=ids[1:2], now=now),
        "view_gauge": lambda: services.gauge(db, actor, election.id, now),
        "view_door_to_door": lambda: services.door_to_door(db, actor, election.id, now),
        "view_result": lambda: services.result(db, election.id, now),
        "export_ballots": lambda: services.ballots_csv(db, actor, election.id, now),
        "export_register": lambda: services.register_csv(db, actor, election.id, now),
    }


def classify(db, attempt) -> str:
    savepoint = db.begin_nested()
    try:
        attempt()
        return "ok"
    except (Forbidden, NotSignedIn):
        return "denied"
    except Conflict:
        return "state"
    finally:
        savepoint.rollback()


def test_every_role_every_action_every_state(world, db, setup):
    from consult.permissions import ANONYMOUS

    assert set(EXPECTED) == set(attempts(world, db, setup, None, ANONYMOUS, NOW))
    failures = []
    for role in ROLES:
        user = setup["people"][role]
        actor = communities.actor_for(db, user)
        for state, now in STATES.items():
            for action, attempt in attempts(world, db, setup, user, actor, now).items():
                who, when = EXPECTED[action]
                expected = "denied" if role not in who else ("ok" if state in when else "state")
                got = classify(db, attempt)
                if got != expected:
                    failures.append(f"{role} {action} {state}: expected {expected}, got {got}")
    assert not failures, "\n".join(failures)
