"""Nobody decides their own request: a moderator who asks to be verified waits for another
moderator of the place (or one above), on the page and over the API; nobody gives
themselves a role."""

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from consult.accounts import services as accounts
from consult.communities import services
from consult.communities.models import RoleAssignment, VerificationRequest
from consult.errors import Forbidden
from tests import factories
from tests.conftest import post_form

OWN = "这是您本人的申请"
WAITING = "等待另一位居委会工作人员"


def _setup(db, settings):
    tree = factories.place_tree(db)
    moderator = factories.user(db, settings, name="李娟")
    services.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    second = factories.user(db, settings, name="王芳")
    services.grant_role(db, user=second, role="moderator", place=tree["area_a"])
    admin = factories.user(db, settings, name="街道")
    services.grant_role(db, user=admin, role="admin", place=tree["root"])
    return tree, moderator, second, admin


def _own_request(db, tree, moderator):
    actor = services.actor_for(db, moderator)
    request = services.request_verification(db, actor, moderator, area_id=tree["area_a"].id)
    db.flush()
    return request


def _residents(db):
    return db.exec(select(RoleAssignment).where(RoleAssignment.role == "resident")).all()


def _api(db, user) -> dict:
    token = accounts.issue_token(db, user)
    db.flush()
    return {"authorization": f"Bearer {token}"}


def test_moderator_cannot_approve_their_own_verification_on_the_page(client, db, settings):
    tree, moderator, _, _ = _setup(db, settings)
    request = _own_request(db, tree, moderator)
    factories.sign_in(client, moderator.login)
    queue = client.get("/staff/verifications")
    assert WAITING in queue.text
    assert f'/staff/verifications/{request.id}"' not in queue.text  # no approve/refuse forms
    for decision in ({"decision": "approve"}, {"decision": "refuse", "reason": "测试"}):
        response = post_form(client, "/staff/verifications", f"/staff/verifications/{request.id}",
                             decision)
        assert response.status_code == 403 and OWN in response.text
    db.refresh(request)
    assert request.status == "pending" and _residents(db) == []


def test_moderator_cannot_approve_their_own_verification_over_the_api(client, db, settings):
    tree, moderator, _, _ = _setup(db, settings)
    request = _own_request(db, tree, moderator)
    headers = _api(db, moderator)
    pending = client.get("/api/v1/verifications/pending", headers=headers).json()["requests"]
    assert [(r["id"], r["own_request"]) for r in pending] == [(request.id, True)]
    response = client.post(f"/api/v1/verifications/{request.id}/decision", json={"approve": True},
                           headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_request"
    db.refresh(request)
    assert request.status == "pending" and _residents(db) == []


@pytest.mark.parametrize("decider", ["second", "admin"])
def test_a_second_moderator_or_one_above_decides_it(client, db, settings, decider):
    tree, moderator, second, admin = _setup(db, settings)
    request = _own_request(db, tree, moderator)
    other = {"second": second, "admin": admin}[decider]
    headers = _api(db, other)
    pending = client.get("/api/v1/verifications/pending", headers=headers).json()["requests"]
    assert [(r["id"], r["own_request"]) for r in pending] == [(request.id, False)]
    with TestClient(client.app) as staff:
        factories.sign_in(staff, other.login)
        assert WAITING not in staff.get("/staff/verifications").text
        response = post_form(staff, "/staff/verifications", f"/staff/verifications/{request.id}",
                             {"decision": "approve"})
        assert response.status_code == 303
    db.refresh(request)
    assert request.status == "approved" and request.decided_by == other.id
    assert [(r.user_id, r.place_id) for r in _residents(db)] == [(moderator.id, tree["area_a"].id)]


def test_nobody_gives_themselves_a_role(db, settings):
    tree, moderator, _, admin = _setup(db, settings)
    actor = services.actor_for(db, admin)
    with pytest.raises(Forbidden) as refused:
        services.grant_role(db, user=admin, role="resident", place=tree["area_a"], actor=actor)
    assert refused.value.code == "own_request"
    with pytest.raises(Forbidden):  # the path the owners' register takes (by=, no actor)
        services.grant_role(db, user=admin, role="owner", place=tree["estate_a"], by=admin)
    assert _residents(db) == []
    # the admin still gives roles to others, and the operator's tools (no actor) still work
    services.grant_role(db, user=moderator, role="expert", place=tree["area_a"], actor=actor, by=admin)
    services.grant_role(db, user=admin, role="owner", place=tree["estate_a"])


def test_verification_flow_for_others_is_unchanged(db, settings):
    tree, moderator, _, _ = _setup(db, settings)
    person = factories.user(db, settings, name="孙丽")
    request = services.request_verification(db, services.actor_for(db, person), person,
                                            area_id=tree["area_a"].id)
    from consult import clock

    services.decide_verification(db, services.actor_for(db, moderator), request_id=request.id,
                                 approve=True, now=clock.utcnow())
    assert db.get(VerificationRequest, request.id).status == "approved"
