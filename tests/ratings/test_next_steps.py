"""Issue 16 item 1 on photo contests: in place of the stars, why not and what comes next."""

from __future__ import annotations

from datetime import timedelta

from consult import clock
from consult.ratings import services
from tests import factories
from tests.surveys.builders import person


def _contest(db, settings, tree):
    _, admin = person(db, settings, "admin", tree["root"], name="街道")
    now = clock.utcnow()
    return services.create_contest(db, admin, place_id=tree["area_a"].id, title="星级楼组",
                                   description="", opens_at=now - timedelta(days=1),
                                   closes_at=now + timedelta(days=1))


def test_contest_says_what_to_do_next(client, db, settings):
    tree = factories.place_tree(db)
    contest = _contest(db, settings, tree)
    url = f"/ratings/contests/{contest.id}"
    page = client.get(url)
    assert page.context["standing"].state == "anonymous"
    assert "登录或注册并通过居民认证后，即可为参赛作品打星。" in page.text
    user, _ = person(db, settings)
    factories.sign_in(client, user.login)
    page = client.get(url)
    assert "申请居民认证后即可为参赛作品打星。" in page.text
    outsider, _ = person(db, settings, "resident", tree["area_b"])
    factories.sign_in(client, outsider.login)
    assert "只有恒丰的居民可以为参赛作品打星。" in client.get(url).text
    resident, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, resident.login)
    page = client.get(url)
    assert page.context["may_rate"] and page.context["standing"] is None
