"""Every privileged owners' action in every state of a matter (issue 11, item 1).

Once voting has closed the result is published and the matter's inputs are frozen:
whatever anyone tries, its ballots, voidings, register copy and documents, and so its
count, stay as they were.  While it is open its register copy does not move either.
Each attempt is made by someone allowed to do it, so a refusal here is the state's.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult.communities import services as communities
from consult.errors import Conflict
from consult.owners import rules, services
from consult.owners.models import OwnerAttachment, OwnerBallot, OwnerMatterRegister
from tests import factories
from tests.owners.conftest import AFTER, BEFORE, HOMES, NOW

STATES = {"scheduled": BEFORE, "open": NOW, "closed": AFTER}
ALL = set(STATES)

#: action → the states in which it is done (refused with a Conflict in the others)
EXPECTED = {
    "import_register": {"scheduled", "closed"},
    "edit_home": {"scheduled", "closed"},
    "request_link": ALL,
    "confirm_link_owner": ALL,
    "confirm_link_code": ALL,
    "confirm_link_second_staff": {"scheduled", "closed"},
    "unlink": ALL,
    "add_attachment": {"scheduled", "open"},
    "cast_web_ballot": {"open"},
    "enter_paper_ballot": {"open"},
    "enter_proxy_ballot": {"open"},
    "void_ballot": {"open"},
    "resolve_mismatch": {"open"},
}


@pytest.fixture
def scene(world, db, settings):
    admin = factories.user(db, settings, name="管理员")
    communities.grant_role(db, user=admin, role="admin", place=world.tree["root"])
    matter = world.matter(double_key=True)
    ballot = world.vote(world.li, matter, "agree")
    services.enter_paper_ballot(db, world.staff, matter.id, serial="D1", home="1-105",
                                choice="agree", now=NOW)
    mismatch = services.enter_paper_ballot(db, world.actor(world.moderator2), matter.id,
                                           serial="D1", home="1-105", choice="disagree", now=NOW)
    assert mismatch.outcome == "mismatch"
    qian = factories.user(db, settings, name="qian")
    other = factories.user(db, settings, name="qian 2")
    link = services.request_link(db, world.staff, world.owner_row("qian").id, phone=qian.phone,
                                 now=BEFORE)
    db.flush()
    return {"admin": world.actor(admin), "matter": matter, "ballot": ballot,
            "mismatch": mismatch.ballot, "qian": qian, "other": other, "link": link}


def attempts(world, db, settings, scene, now):
    matter, admin, link = scene["matter"], scene["admin"], scene["link"]
    qian_home = world.owner_row("qian").home_id
    return {
        "import_register": lambda: services.import_register(
            db, admin, world.estate, filename="h.csv",
            data=HOMES.replace("1-107,1,107,100.00", "1-107,1,107,150.00").encode(), now=now),
        "edit_home": lambda: services.update_home(
            db, admin, qian_home, building="1", room="107", area="150.00", owners="qian",
            developer_held=False, now=now),
        "request_link": lambda: services.request_link(
            db, admin, world.owner_row("qian").id, phone=scene["other"].phone, now=now),
        "confirm_link_owner": lambda: services.confirm_link(
            db, world.actor(scene["qian"]), link.id, method="owner", now=now),
        "confirm_link_code": lambda: services.confirm_link(
            db, admin, link.id, method="code", code=link.code, now=now),
        "confirm_link_second_staff": lambda: services.confirm_link(
            db, admin, link.id, method="second_staff", now=now),
        "unlink": lambda: services.unlink_owner(db, admin, world.owner_row("li").id, now=now),
        "add_attachment": lambda: services.add_attachment(
            db, admin, settings, matter.id, filename="a.pdf", data=b"%PDF-1.4 late", now=now),
        "cast_web_ballot": lambda: services.cast_web_ballot(
            db, world.actor(world.wang), world.wang, matter.id, owner="", choice="disagree", now=now),
        "enter_paper_ballot": lambda: services.enter_paper_ballot(
            db, admin, matter.id, serial="S9", home="1-107", choice="disagree", now=now),
        "enter_proxy_ballot": lambda: services.enter_proxy_ballot(
            db, admin, settings, matter.id, home="1-107", choice="disagree", holder="钱",
            filename="p.pdf", scan=b"%PDF-1.4 proxy", now=now),
        "void_ballot": lambda: services.void_ballot(db, admin, scene["ballot"].id,
                                                    reason="test", now=now),
        "resolve_mismatch": lambda: services.resolve_mismatch(
            db, admin, scene["mismatch"].id, keep="second", now=now),
    }


def inputs(db, matter) -> tuple:
    """Everything the matter's count depends on, as plain values."""
    db.expire_all()
    ballots = tuple(db.exec(select(
        OwnerBallot.id, OwnerBallot.owner_key, OwnerBallot.home_code, OwnerBallot.choice,
        OwnerBallot.channel, OwnerBallot.status, OwnerBallot.active, OwnerBallot.void_reason)
        .where(OwnerBallot.matter_id == matter.id).order_by(OwnerBallot.id)).all())
    register = db.exec(select(OwnerMatterRegister.homes_csv)
                       .where(OwnerMatterRegister.matter_id == matter.id)).one()
    documents = tuple(db.exec(select(OwnerAttachment.id)
                              .where(OwnerAttachment.matter_id == matter.id)).all())
    return ballots, register, documents, services.outcome(db, matter)


def test_the_expectations_cover_every_attempt(world, db, settings, scene):
    assert set(EXPECTED) == set(attempts(world, db, settings, scene, NOW))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", EXPECTED)
def test_privileged_action_in_each_state(world, db, settings, scene, action, state):
    now = STATES[state]
    matter = scene["matter"]
    before = inputs(db, matter)
    try:
        attempts(world, db, settings, scene, now)[action]()
        got = "done"
    except Conflict:
        got = "refused"
    assert got == ("done" if state in EXPECTED[action] else "refused")
    after = inputs(db, matter)
    if state == "closed":  # published: frozen, whatever was tried
        assert after == before
    if state == "open":  # the register copy never moves under the voters
        assert after[1] == before[1]


@pytest.mark.parametrize("state, accepts, changes, published, documents", [
    (rules.MatterState.SCHEDULED, False, False, False, True),
    (rules.MatterState.OPEN, True, True, False, True),
    (rules.MatterState.CLOSED, False, False, True, False),
])
def test_lifecycle_predicates(state, accepts, changes, published, documents):
    assert rules.accepts_ballots(state) is accepts
    assert rules.ballots_may_change(state) is changes
    assert rules.result_published(state) is published
    assert rules.choices_visible(state) is published
    assert rules.inputs_frozen(state) is published
    assert rules.documents_may_change(state) is documents
    assert rules.register_may_change([state]) is (state is not rules.MatterState.OPEN)
    assert rules.link_needs_the_owner([state]) is (state is rules.MatterState.OPEN)
