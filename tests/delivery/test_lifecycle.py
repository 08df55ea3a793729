"""A project's lifecycle: every privileged action on a project in every state.

States (``rules.STATES``): planned, in_progress, accepted, in_use, retired. Each action
is tried by someone who may do it, through the services the pages and the API share, so
the only reason to refuse is the project's state; a refusal changes nothing (the
project's timeline has no new entry).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult.delivery import rules
from consult.delivery.models import Pledge, ProjectEvent, ProjectRating
from consult.delivery.services import money, projects, register, works
from consult.errors import Conflict
from tests.delivery.builders import NOW, all_pass, jpeg, project

STATES = rules.STATES

#: action → the states it is allowed in (written out here, independently of ``rules``)
EXPECTED = {
    "edit": {"planned", "in_progress"},
    "start": {"planned"},
    "budget": {"planned", "in_progress", "accepted"},
    "record_meeting": {"planned", "in_progress"},
    "pledge": {"planned", "in_progress"},
    "change_pledge": {"planned", "in_progress"},
    "confirm_pledge": {"planned", "in_progress"},
    "receive_pledge": {"planned", "in_progress", "accepted"},
    "use_pledge": {"planned", "in_progress", "accepted", "in_use"},
    "milestone": {"planned", "in_progress", "accepted", "in_use"},
    "sign_acceptance": {"in_progress"},
    "put_in_use": {"accepted"},
    "rate": {"accepted", "in_use"},
    "check": {"accepted", "in_use"},
    "retire": {"accepted", "in_use"},
}


def test_every_project_action_has_expectations():
    assert set(rules.PROJECT_ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_the_rule(action, state):
    assert rules.action_allowed(action, state) == (state in EXPECTED[action])
    assert (rules.action_problem(action, state) is None) == (state in EXPECTED[action])


def _pledge(db, p, w, **values) -> Pledge:
    item = Pledge(project_id=p.id, pledger_kind="household", pledger_name="刘", user_id=w.users["resident_in"].id,
                  kind="money", unit="元", quantity=10000, created_at=NOW, **values)
    db.add(item)
    db.flush()
    return item


def _act(db, w, p, action, settings):
    staff, resident, media = w.actor("moderator_in"), w.actor("resident_in"), settings.media_dir
    if action == "edit":
        return projects.edit(db, staff, p.id, projects.ProjectInput(
            title="改名", category="zizhi", kind="lighting", budget="10000", delivery_party="juweihui",
            upkeep_party="wuye"), NOW)
    if action in ("start", "put_in_use"):
        return projects.move(db, staff, p.id, action, NOW)
    if action == "retire":
        return projects.move(db, staff, p.id, "retire", NOW, note="拆除")
    if action == "budget":
        return money.add_line(db, staff, p.id, name="施工", required=True, now=NOW)
    if action == "record_meeting":
        return projects.record_meeting(db, staff, p.id, meeting_on=NOW.date(), record_key=None,
                                       public_appeal=False, appeal_partner="", now=NOW)
    if action == "pledge":
        return money.pledge(db, resident, w.user("resident_in"), p.id, pledger_kind="household", pledger_name="",
                            kind="money", unit="", quantity="100", show_name=False, now=NOW)
    if action == "change_pledge":
        return money.change_pledge(db, resident, _pledge(db, p, w).id, quantity="50", show_name=False, now=NOW)
    if action == "confirm_pledge":
        return money.confirm_pledge(db, staff, _pledge(db, p, w).id, NOW)
    if action == "receive_pledge":
        return money.receive_pledge(db, staff, _pledge(db, p, w).id, quantity="20", receipt="account",
                                    receipt_key=None, note="", now=NOW)
    if action == "use_pledge":
        return money.use_pledge(db, staff, _pledge(db, p, w, received=5000, state="received").id,
                                action="use", quantity="10", note="", now=NOW)
    if action == "milestone":
        return works.add_milestone(db, staff, p.id, title="开工", happened_on=NOW.date(), body="", phase="during",
                                   photos=[], media_dir=media, now=NOW)
    if action == "sign_acceptance":
        return works.sign_acceptance(db, staff, p.id, note="", record=jpeg(), media_dir=media, now=NOW)
    if action == "rate":
        return works.rate(db, resident, p.id, stars="4", comment="", channel="app", now=NOW)
    if action == "check":
        return register.record_check(db, staff, p.id, checked_on=NOW.date(), items=all_pass(p),
                                     media_dir=media, now=NOW)
    raise KeyError(action)


def _events(db, p) -> int:
    """What a step leaves: timeline entries, and ratings (which are not on the timeline)."""
    events = db.exec(select(func.count()).select_from(ProjectEvent).where(ProjectEvent.project_id == p.id)).one()
    ratings = db.exec(select(func.count()).select_from(ProjectRating).where(ProjectRating.project_id == p.id)).one()
    return events + ratings


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_action_in_every_state(db, w, settings, action, state):
    p = project(db, w, state=state)
    before = _events(db, p)
    if state in EXPECTED[action]:
        assert _act(db, w, p, action, settings) is not None
        assert _events(db, p) > before
    else:
        with pytest.raises(Conflict) as refused, db.begin_nested():
            _act(db, w, p, action, settings)
        assert refused.value.code == "project_state"
        db.refresh(p)
        assert p.state == state
        assert _events(db, p) == before


def test_a_check_on_a_retired_project_says_so(db, w, settings):
    p = project(db, w, state="retired")
    with pytest.raises(Conflict) as refused:
        _act(db, w, p, "check", settings)
    assert refused.value.msg.text == "A retired project is no longer checked."
