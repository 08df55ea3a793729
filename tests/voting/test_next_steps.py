"""Issue 16 item 1 on ballots: in place of the vote, why not and what comes next."""

from __future__ import annotations

from consult.communities import services as places
from tests import factories


def _ballot(client, world, key=None):
    if key:
        factories.sign_in(client, world.people[key].login)
    page = client.get(f"/rounds/{world.round.id}/vote")
    assert page.status_code == 200
    return page


def test_anonymous_is_asked_to_sign_in_or_register(client, world):
    page = _ballot(client, world)
    assert page.context["standing"].state == "anonymous"
    assert "登录或注册并通过居民认证后，即可在本轮投票。" in page.text
    assert f'href="/register?next=/rounds/{world.round.id}/vote"' in page.text


def test_unverified_gets_the_verification_button(client, world):
    page = _ballot(client, world, "unverified")
    assert "申请居民认证后即可在本轮投票。" in page.text
    assert f'href="/verify?next=/rounds/{world.round.id}/vote&amp;area={world.tree["area_a"].id}"' in page.text


def test_pending_request_is_shown_instead_of_a_refusal(client, db, world):
    places.request_verification(db, places.actor_for(db, world.people["unverified"]),
                                world.people["unverified"], area_id=world.tree["area_a"].id)
    db.flush()
    page = _ballot(client, world, "unverified")
    assert page.context["standing"].state == "pending"
    assert "您的恒丰居民认证申请正在审核（今天提交）。" in page.text


def test_resident_of_another_area_is_told_who_may_vote(client, world):
    page = _ballot(client, world, "outsider")
    assert "只有恒丰的居民可以在本轮投票。" in page.text


def test_a_voter_sees_no_next_step(client, world):
    page = _ballot(client, world, "voter")
    assert page.context["standing"] is None and "next-step" not in page.text


# -- issue 16 item 8: a refusal shows the real header and why -----------------------------


def test_a_refusal_shows_the_signed_in_header_and_who_manages_it(client, world):
    factories.sign_in(client, world.people["voter"].login)
    page = client.get(f"/rounds/{world.round.id}/vote/manage")
    assert page.status_code == 403
    assert "此事由恒丰的工作人员管理。" in page.text
    assert 'href="/login"' not in page.text and 'href="/register"' not in page.text
    assert 'href="/account"' in page.text and "您已登录为" in page.text


def test_a_staff_member_of_another_area_is_told_who_manages_it(client, world):
    factories.sign_in(client, world.people["moderator_b"].login)
    page = client.get(f"/rounds/{world.round.id}/turnout")
    assert page.status_code == 403 and "恒丰的工作人员" in page.text


def test_405_is_not_called_a_refusal(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert "此地址不支持这种操作" in response.text and "没有权限" not in response.text
