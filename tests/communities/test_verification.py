"""A person asks to be verified; a moderator of the area (or above) decides; the person is told."""

from sqlmodel import select
from starlette.testclient import TestClient

from consult.audit.models import AuditEntry
from consult.communities import services
from consult.communities.models import RoleAssignment, VerificationRequest
from consult.notifications.models import Notification
from tests import factories
from tests.conftest import post_form


def _setup(db, settings):
    tree = factories.place_tree(db)
    person = factories.user(db, settings, name="孙丽")
    moderator = factories.user(db, settings, name="李娟")
    services.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    other = factories.user(db, settings, name="张伟")
    services.grant_role(db, user=other, role="moderator", place=tree["area_b"])
    return tree, person, moderator, other


def _ask(client, tree, note="2号楼 301"):
    return post_form(client, "/verify", "/verify", {"area_id": str(tree["area_a"].id), "note": note})


def test_full_flow_with_notification(app, db, settings):
    tree, person, moderator, _ = _setup(db, settings)
    with TestClient(app) as resident, TestClient(app) as staff:
        factories.sign_in(resident, person.login)
        assert _ask(resident, tree).status_code == 303
        factories.sign_in(staff, moderator.login)
        queue = staff.get("/staff/verifications")
        assert [p.display_name for _, p, _ in queue.context["pending"]] == ["孙丽"]
        request = queue.context["pending"][0][0]
        response = post_form(staff, "/staff/verifications", f"/staff/verifications/{request.id}",
                             {"decision": "approve"})
        assert response.status_code == 303
        page = resident.get("/account")
        assert [(r.role, p.id) for r, p in page.context["roles"]] == [("resident", tree["area_a"].id)]
        assert page.context["unread"] == 1
        notes = resident.get("/notifications")
        assert "您已通过认证" in notes.text and "恒丰" in notes.text
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "approve_resident")).one()
    assert entry.actor_id == moderator.id and entry.target_id == person.id


def test_refusal_needs_a_reason_and_is_shown(app, db, settings):
    tree, person, moderator, _ = _setup(db, settings)
    with TestClient(app) as resident, TestClient(app) as staff:
        factories.sign_in(resident, person.login)
        _ask(resident, tree)
        factories.sign_in(staff, moderator.login)
        request_id = staff.get("/staff/verifications").context["pending"][0][0].id
        empty = post_form(staff, "/staff/verifications", f"/staff/verifications/{request_id}",
                          {"decision": "refuse", "reason": "  "})
        assert empty.status_code == 422 and "请填写理由" in empty.text
        assert db.get(VerificationRequest, request_id).status == "pending"
        post_form(staff, "/staff/verifications", f"/staff/verifications/{request_id}",
                  {"decision": "refuse", "reason": "地址与登记不符"})
        notes = resident.get("/notifications").text
        assert "未通过" in notes and "地址与登记不符" in notes
        assert resident.get("/account").context["roles"] == []


def test_moderator_of_another_area_is_refused(app, db, settings):
    tree, person, _, other = _setup(db, settings)
    with TestClient(app) as resident, TestClient(app) as staff:
        factories.sign_in(resident, person.login)
        _ask(resident, tree)
        request = db.exec(select(VerificationRequest)).one()
        factories.sign_in(staff, other.login)
        assert staff.get("/staff/verifications").context["pending"] == []
        response = post_form(staff, "/staff/verifications", f"/staff/verifications/{request.id}",
                             {"decision": "approve"})
        assert response.status_code == 403
    db.refresh(request)
    assert request.status == "pending"
    assert db.exec(select(RoleAssignment).where(RoleAssignment.role == "resident")).all() == []


def test_admin_above_can_decide(app, db, settings):
    tree, person, _, _ = _setup(db, settings)
    admin = factories.user(db, settings)
    services.grant_role(db, user=admin, role="admin", place=tree["root"])
    with TestClient(app) as resident, TestClient(app) as staff:
        factories.sign_in(resident, person.login)
        _ask(resident, tree)
        factories.sign_in(staff, admin.login)
        pending = staff.get("/staff/verifications").context["pending"]
        assert len(pending) == 1
        assert post_form(staff, "/staff/verifications", f"/staff/verifications/{pending[0][0].id}",
                         {"decision": "approve"}).status_code == 303


def test_resident_cannot_open_the_queue(client, db, settings):
    tree, person, _, _ = _setup(db, settings)
    factories.sign_in(client, person.login)
    assert client.get("/staff/verifications").status_code == 403
    assert client.get("/staff/audit").status_code == 403


def test_bad_requests_change_nothing(client, db, settings):
    tree, person, _, _ = _setup(db, settings)
    factories.sign_in(client, person.login)
    for data, text in (
        ({"area_id": "999999"}, "请选择您所在的居民区"),
        ({"area_id": "abc"}, "请选择您所在的居民区"),
        ({"area_id": str(tree["estate_a"].id)}, "请选择您所在的居民区"),
        ({"area_id": str(tree["area_a"].id), "note": "x" * 201}, "备注最多"),
    ):
        response = post_form(client, "/verify", "/verify", data)
        assert response.status_code == 422 and text in response.text, data
    assert db.exec(select(VerificationRequest)).all() == []


def test_duplicate_pending_and_already_resident(client, db, settings):
    tree, person, _, _ = _setup(db, settings)
    factories.sign_in(client, person.login)
    _ask(client, tree)
    again = _ask(client, tree)
    assert again.status_code == 409 and "正在等待审核" in again.text
    services.grant_role(db, user=person, role="resident", place=tree["area_a"])
    db.flush()
    third = _ask(client, tree)
    assert third.status_code == 409 and "已经是该居民区的认证居民" in third.text
    assert len(db.exec(select(VerificationRequest)).all()) == 1


def test_cannot_decide_twice(app, db, settings):
    tree, person, moderator, _ = _setup(db, settings)
    with TestClient(app) as resident, TestClient(app) as staff:
        factories.sign_in(resident, person.login)
        _ask(resident, tree)
        factories.sign_in(staff, moderator.login)
        request_id = staff.get("/staff/verifications").context["pending"][0][0].id
        post_form(staff, "/staff/verifications", f"/staff/verifications/{request_id}", {"decision": "approve"})
        second = post_form(staff, "/staff/verifications", f"/staff/verifications/{request_id}",
                           {"decision": "refuse", "reason": "再看看"})
        assert second.status_code == 409
    # the person is told once (the moderators were told of the request: issue 16 item 11)
    assert len(db.exec(select(Notification).where(Notification.user_id == person.id)).all()) == 1


def test_grant_role_checks_the_granting_actor(db, settings):
    import pytest

    from consult.errors import FieldErrors, Forbidden

    tree, person, moderator, _ = _setup(db, settings)
    actor = services.actor_for(db, moderator)
    with pytest.raises(Forbidden):
        services.grant_role(db, user=person, role="moderator", place=tree["area_a"], actor=actor)
    with pytest.raises(FieldErrors):
        services.grant_role(db, user=person, role="emperor", place=tree["area_a"])


def test_an_id_too_large_for_the_database_is_a_clear_message(client, db, settings):
    """Typed ids go through consult.db.ids.parse_id: a huge number is refused, not a 500."""
    tree, person, _, _ = _setup(db, settings)
    factories.sign_in(client, person.login)
    response = post_form(client, "/verify", "/verify", {"area_id": str(10**30)})
    assert response.status_code == 422 and "请选择您所在的居民区" in response.text
    assert db.exec(select(VerificationRequest)).all() == []
