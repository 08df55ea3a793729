"""Every role against every owners'-vote action, before, during and after voting.

Each attempt runs through the service layer (the only code that changes
anything) inside a savepoint that is rolled back, and is classified as done,
refused for the person ("denied") or refused for the moment ("state").  The
expectation is computed from two small tables below, so a wrong rule in
consult/permissions.py or a missing state check in a service both fail here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.communities import services as communities
from consult.errors import Conflict, Forbidden, NotSignedIn
from consult.owners import services
from consult.permissions import ANONYMOUS
from tests import factories
from tests.owners.conftest import AFTER, BEFORE, HOMES, NOW

ROLES = ("anonymous", "unverified", "resident", "owner", "other_owner", "owners_rep",
         "moderator_in", "moderator_out", "admin")
STATES = {"before": BEFORE, "open": NOW, "closed": AFTER}

REGISTER = {"owners_rep", "moderator_in", "admin"}
MATTER = {"moderator_in", "admin"}
STAFF = {"moderator_in", "admin"}
TURNOUT = {"owner", "owners_rep", "moderator_in", "admin"}
EVERYONE = set(ROLES)
ANY = {"before", "open", "closed"}

#: action → (who may, in which states)
EXPECTED = {
    "view_register": (REGISTER, ANY),
    "import_register": (REGISTER, {"before", "closed"}),
    "edit_home": (REGISTER, {"before", "closed"}),
    # asking to link qian, who has voted by proxy: refused while the matter is open
    "link_owner": (REGISTER, {"before", "closed"}),
    "export_register": (REGISTER, ANY),
    "create_matter": (MATTER, ANY),
    "add_attachment": (MATTER, {"before", "open"}),
    "cast_web_ballot": ({"owner"}, {"open"}),
    "enter_paper_ballot": (STAFF, {"open"}),
    "enter_proxy_ballot": (STAFF, {"open"}),
    "void_ballot": (STAFF, {"open"}),
    "view_proxy_scan": (STAFF, ANY),
    "view_turnout": (TURNOUT, ANY),
    "view_result": (EVERYONE, {"closed"}),
    "export_ballots": (REGISTER, {"closed"}),
}


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
    matter = world.matter()
    ballot = world.vote(world.wang, matter)
    proxy = services.enter_proxy_ballot(db, world.staff, settings, matter.id, home="1-107",
                                        choice="agree", holder="钱小明", filename="p.pdf",
                                        scan=b"%PDF-1.4", now=NOW)
    db.flush()
    return {"people": people, "matter": matter, "ballot": ballot, "proxy": proxy}


def attempts(world, db, settings, setup, user, actor, now):
    matter, estate = setup["matter"], world.estate
    home = world.owner_row("qian").home_id
    return {
        "view_register": lambda: services.register_page(db, actor, estate),
        "import_register": lambda: services.import_register(
            db, actor, estate, filename="h.csv", data=HOMES.encode(), now=now),
        "edit_home": lambda: services.update_home(
            db, actor, home, building="1", room="107", area="100.50", owners="qian",
            developer_held=False, now=now),
        "link_owner": lambda: services.request_link(db, actor, world.owner_row("qian").id,
                                                    phone=setup["people"]["unverified"].phone,
                                                    now=now),
        "export_register": lambda: services.matter_register_csv(db, actor, matter.id),
        "create_matter": lambda: services.create_matter(
            db, actor, estate, title="t", kind="ordinary", description="",
            opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8),
            paper_double_key=False, now=now),
        "add_attachment": lambda: services.add_attachment(
            db, actor, settings, matter.id, filename="a.pdf", data=b"%PDF-1.4 a", now=now),
        "cast_web_ballot": lambda: services.cast_web_ballot(
            db, actor, user, matter.id, owner="", choice="agree", now=now),
        "enter_paper_ballot": lambda: services.enter_paper_ballot(
            db, actor, matter.id, serial="S1", home="1-105", choice="agree", now=now),
        "enter_proxy_ballot": lambda: services.enter_proxy_ballot(
            db, actor, settings, matter.id, home="1-106", choice="agree", holder="赵",
            filename="p.pdf", scan=b"%PDF-1.4 p", now=now),
        "void_ballot": lambda: services.void_ballot(db, actor, setup["ballot"].id,
                                                    reason="test", now=now),
        "view_proxy_scan": lambda: services.proxy_scan(db, actor, settings, setup["proxy"].id),
        "view_turnout": lambda: services.turnout(db, actor, matter.id),
        "view_result": lambda: services.result(db, matter.id, now),
        "export_ballots": lambda: services.ballots_csv(db, actor, matter.id, now),
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


def test_every_role_every_action_every_state(world, db, settings, setup):
    assert set(EXPECTED) == set(attempts(world, db, settings, setup, None, ANONYMOUS, NOW))
    failures = []
    for role in ROLES:
        user = setup["people"][role]
        actor = communities.actor_for(db, user)
        for state, now in STATES.items():
            for action, attempt in attempts(world, db, settings, setup, user, actor, now).items():
                who, when = EXPECTED[action]
                expected = "denied" if role not in who else ("ok" if state in when else "state")
                got = classify(db, attempt)
                if got != expected:
                    failures.append(f"{role} {action} {state}: expected {expected}, got {got}")
    assert not failures, "\n".join(failures)
