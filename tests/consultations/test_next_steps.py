"""Issue 16 item 1: in place of the support button, the idea page says why and what comes next."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.communities import services as places
from consult.communities.standing import resident_standing
from tests import factories
from tests.consultations.conftest import new_idea


def _page(client, world, idea, key=None):
    if key:
        factories.sign_in(client, world.people[key].login)
    page = client.get(f"/ideas/{idea.id}")
    assert page.status_code == 200
    return page


def _support_button(page) -> bool:
    return 'name="support" value="1"' in page.text


def test_anonymous_is_told_to_sign_in_or_register_and_comes_back(client, world, db):
    idea = new_idea(db, world)
    page = _page(client, world, idea)
    assert page.context["standing"].state == "anonymous"
    assert "登录或注册并通过居民认证后，即可为这条建议附议。" in page.text
    assert f'href="/login?next=/ideas/{idea.id}"' in page.text
    assert f'href="/register?next=/ideas/{idea.id}"' in page.text
    assert not _support_button(page)


def test_unverified_gets_the_verification_button_for_the_idea_s_area(client, world, db):
    idea = new_idea(db, world)
    page = _page(client, world, idea, "unverified")
    assert page.context["standing"].state == "unverified"
    assert "申请居民认证后即可为这条建议附议。" in page.text
    assert f'href="/verify?next=/ideas/{idea.id}&amp;area={world.tree["area_a"].id}"' in page.text
    assert not _support_button(page)


def test_pending_request_says_since_when(client, world, db):
    idea = new_idea(db, world)
    user = world.people["unverified"]
    request = places.request_verification(db, world.actor("unverified"), user,
                                          area_id=world.tree["area_a"].id)
    request.created_at = world.now - timedelta(days=3, hours=2)
    db.flush()
    page = _page(client, world, idea, "unverified")
    assert "您的恒丰居民认证申请正在审核（已提交 3 天）。" in page.text
    assert "通过后即可为这条建议附议" in page.text
    assert not _support_button(page)


def test_refused_request_shows_the_reason_and_asks_again(client, world, db):
    idea = new_idea(db, world)
    user = world.people["unverified"]
    request = places.request_verification(db, world.actor("unverified"), user,
                                          area_id=world.tree["area_a"].id)
    places.decide_verification(db, world.actor("moderator_a"), request_id=request.id,
                               approve=False, reason="地址不在本居民区", now=world.now)
    db.flush()
    page = _page(client, world, idea, "unverified")
    assert page.context["standing"].state == "refused"
    assert "您的恒丰居民认证申请未通过。" in page.text and "理由：地址不在本居民区" in page.text
    assert "重新申请" in page.text


def test_resident_of_another_area_is_told_who_may(client, world, db):
    idea = new_idea(db, world)
    page = _page(client, world, idea, "resident_b")
    assert page.context["standing"].state == "elsewhere"
    assert "只有恒丰的居民可以为这条建议附议。" in page.text
    assert not _support_button(page)


def test_resident_sees_the_button_and_no_next_step(client, world, db):
    idea = new_idea(db, world)
    page = _page(client, world, idea, "resident_a2")
    assert _support_button(page)
    assert page.context["standing"] is None and "next-step" not in page.text


def test_author_is_told_why(client, world, db):
    idea = new_idea(db, world)
    page = _page(client, world, idea, "resident_a")
    assert "这是您自己的建议，其他居民可以为它附议。" in page.text
    assert not _support_button(page)


@pytest.mark.parametrize("key, state", [
    ("resident_a", "resident"), ("resident_b", "elsewhere"), ("unverified", "unverified"),
    ("moderator_a", "unverified"),
])
def test_standing_by_person(world, db, key, state):
    path = world.tree["group_a"].ids_from_root
    standing = resident_standing(db, world.actor(key), world.people[key], path, world.now)
    assert standing.state == state
    assert standing.may_act is (state == "resident")
    if state != "resident":
        assert standing.needed == "恒丰" and standing.needed_id == world.tree["area_a"].id


# -- issue 16 item 2: the page she came from survives register → request → approval -------


def test_next_survives_register_verification_and_approval(client, world, db):
    from sqlmodel import select

    from consult.accounts.models import User
    from consult.notifications.models import Notification
    from tests.conftest import csrf_from

    idea = new_idea(db, world)
    here = f"/ideas/{idea.id}"
    area = world.tree["area_a"].id
    register = client.get(f"/register?next={here}")
    assert f'<input type="hidden" name="next" value="{here}">' in register.text
    done = client.post("/register", follow_redirects=False, data={
        "csrf_token": csrf_from(register.text), "next": here, "phone": "13912349876",
        "display_name": "刘阿姨", "password": "梧桐树下的那张长椅", "password_confirm": "梧桐树下的那张长椅"})
    assert done.status_code == 303 and done.headers["location"] == f"/verify?next=%2Fideas%2F{idea.id}"
    # the idea page's button adds the area; the verification form keeps both
    verify = client.get(f"/verify?next={here}&area={area}")
    assert f'<input type="hidden" name="next" value="{here}">' in verify.text
    assert f'<option value="{area}" selected>' in verify.text
    sent = client.post("/verify", follow_redirects=False, data={
        "csrf_token": csrf_from(verify.text), "next": here, "area_id": str(area), "note": "3号楼"})
    assert sent.status_code == 303 and sent.headers["location"] == here
    user = db.exec(select(User).where(User.login == "13912349876")).one()
    request = places.my_requests(db, user)[0][0]
    assert request.return_to == here
    places.decide_verification(db, world.actor("moderator_a"), request_id=request.id, approve=True,
                               now=world.now)
    db.flush()
    note = db.exec(select(Notification).where(Notification.user_id == user.id)).one()
    assert note.kind == "verification_approved_back" and note.link == here


def test_a_return_address_off_the_site_is_dropped(world, db):
    user = world.people["unverified"]
    request = places.request_verification(db, world.actor("unverified"), user,
                                          area_id=world.tree["area_a"].id, return_to="//evil.example/")
    assert request.return_to is None
