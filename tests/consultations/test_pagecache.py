"""The idea list's page cache (``consult.cache.Cache``): bounded, short-lived, and never
stale after a change.

Every service that changes what a list shows raises the consultation's
``ideas_version``, which is part of the cache key. The tests below first prove that
the list really is served from the cache (a change made behind the services' back
stays invisible), then make each kind of change through the services and expect
the very next list to show it.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from consult.cache import Cache
from consult.consultations import rules, services
from consult.consultations.models import Consultation, Idea
from consult.errors import Conflict
from tests import factories
from tests.consultations.conftest import jpeg, new_idea

# -- the cache itself ---------------------------------------------------------------------


def test_least_recently_used_goes_first_when_full():
    cache = Cache(max_entries=2, seconds=30)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_entries_expire():
    now = [100.0]
    cache = Cache(max_entries=10, seconds=30, clock=lambda: now[0])
    cache.put("k", "v")
    now[0] += 29.9
    assert cache.get("k") == "v"
    now[0] += 0.2
    assert cache.get("k") is None and len(cache) == 0


def test_zero_seconds_turns_caching_off():
    cache = Cache(max_entries=10, seconds=0)
    cache.put("k", "v")
    assert cache.get("k") is None


# -- the idea list ------------------------------------------------------------------------


def _list(client, world, **params):
    return client.get(f"/consultations/{world.consultation.id}/ideas", params=params)


def _row(response, idea):
    return next(r for r in response.context["page"].rows if r.idea.id == idea.id)


def _version(db, world) -> int:
    db.flush()
    return db.get(Consultation, world.consultation.id).ideas_version


def test_the_list_is_served_from_the_cache(client, db, world, app):
    idea = new_idea(db, world, title="楼道灯更换")
    assert "楼道灯更换" in _list(client, world).text
    # behind the services' back: the version stays, so the cached list is served
    db.execute(update(Idea).where(Idea.id == idea.id).values(title="绕过服务"))
    db.flush()
    cached = _list(client, world)
    assert "楼道灯更换" in cached.text and "绕过服务" not in cached.text
    app.state.ideas_list_cache.clear()
    assert "绕过服务" in _list(client, world).text


def test_the_key_holds_filters_page_and_language(client, db, world):
    new_idea(db, world, title="楼道灯更换", category=0)
    new_idea(db, world, author="resident_a2", title="加装扶手", category=1)
    assert _list(client, world).context["page"].total == 2
    only = _list(client, world, category=str(world.categories[1].id))
    assert [r.idea.title for r in only.context["page"].rows] == ["加装扶手"]
    assert "<h1>建议</h1>" in _list(client, world).text
    client.cookies.set("lang", "en")
    assert "<h1>Ideas</h1>" in _list(client, world).text


def test_the_whole_page_kept_for_visitors_follows_its_kept_list_and_title(app, client, db, world):
    """The page around the list is kept too for visitors not signed in
    (``consult.web.templating.render_public``), with the kept list it shows."""
    new_idea(db, world, title="楼道灯更换")
    path = f"/consultations/{world.consultation.id}/ideas"
    assert "楼道灯更换" in client.get(path).text
    assert "楼道灯更换" in client.get(path).text
    new_idea(db, world, author="resident_a2", title="加装扶手")  # raises ideas_version
    assert "加装扶手" in client.get(path).text
    # a new title (not a change the list's version follows) is in the page's key
    db.execute(update(Consultation).where(Consultation.id == world.consultation.id).values(title="新的标题"))
    db.flush()
    assert "新的标题" in client.get(path).text
    # the list's kept body cleared: the page is made again from the body made again
    db.execute(update(Idea).where(Idea.title == "加装扶手").values(title="绕过服务"))
    db.flush()
    assert "绕过服务" not in client.get(path).text
    app.state.ideas_list_cache.clear()
    assert "绕过服务" in client.get(path).text


@pytest.fixture
def start(db, world):
    """Two submitted ideas (a with a photo, b supported once), a draft, a comment on a."""
    a = new_idea(db, world, title="楼道灯更换", photos=[jpeg()])
    b = new_idea(db, world, author="resident_a2", title="加装扶手")
    services.support_idea(db, world.actor("neighbour"), b, world.now)
    draft = new_idea(db, world, author="resident_a2", title="新的想法", submit=False)
    comment = services.add_comment(db, world.actor("neighbour"), a, body="好主意", now=world.now)
    db.flush()
    return SimpleNamespace(a=a, b=b, draft=draft, comment=comment)


def _edit(db, world, idea, author, **changes):
    values = {"title": idea.title, "description": idea.description,
              "category_id": idea.category_id, "place_id": idea.place_id,
              "estimated_cost": rules.format_yuan(idea.estimated_cost_fen), **changes}
    services.update_idea(db, world.actor(author), idea, media_dir=world.media_dir,
                         now=world.now, **values)


def _review(db, world, idea, action, **kwargs):
    services.review_idea(db, world.actor("moderator_a"), idea, action, now=world.now, **kwargs)


def _to_vote(db, world, s):
    """Close the collect round, shortlist a in review, close review: a is carried into the vote."""
    moderator = world.actor("moderator_a")
    later = world.now + timedelta(minutes=1)
    services.close_round(db, moderator, world.collect, reason="征集结束", now=later)
    services.review_idea(db, moderator, s.a, "shortlist", now=later)
    services.close_round(db, moderator, world.review, reason="评审结束", now=later)


def _state(name):
    return lambda page, s: _row(page, s.a).idea.state == name and f"cs-{name}" in page.text


#: name → (what to do before the list is cached, the change, what the next list shows)
CHANGES = {
    "submit": (None, lambda db, w, s: services.submit_idea(db, w.actor("resident_a2"), s.draft, w.now),
               lambda page, s: "新的想法" in page.text and page.context["page"].total == 3),
    "edit": (None, lambda db, w, s: _edit(db, w, s.a, "resident_a", title="楼道灯修理"),
             lambda page, s: "楼道灯修理" in page.text and "楼道灯更换" not in page.text),
    "add photo": (None, lambda db, w, s: _edit(db, w, s.b, "resident_a2", photos=[jpeg((0, 0, 200))]),
                  lambda page, s: _row(page, s.b).photo_key is not None),
    "remove photo": (None, lambda db, w, s: _edit(
        db, w, s.a, "resident_a", remove_photos=[services.photos_of(db, s.a.id)[0].id]),
        lambda page, s: _row(page, s.a).photo_key is None and 'class="c-thumb"' not in page.text),
    "withdraw": (None, lambda db, w, s: services.withdraw_idea(db, w.actor("resident_a"), s.a, w.now),
                 _state("withdrawn")),
    "support": (None, lambda db, w, s: services.support_idea(db, w.actor("neighbour"), s.a, w.now),
                lambda page, s: _row(page, s.a).idea.support_count == 1),
    "unsupport": (None, lambda db, w, s: services.unsupport_idea(db, w.actor("neighbour"), s.b, w.now),
                  lambda page, s: _row(page, s.b).idea.support_count == 0),
    "comment": (None, lambda db, w, s: services.add_comment(db, w.actor("neighbour"), s.b, body="赞成",
                                                            now=w.now),
                lambda page, s: _row(page, s.b).comment_count == 1),
    "hide comment": (None, lambda db, w, s: services.hide_comment(
        db, w.actor("moderator_a"), s.comment.id, reason="离题", now=w.now),
        lambda page, s: _row(page, s.a).comment_count == 0),
    "unhide comment": (lambda db, w, s: services.hide_comment(
        db, w.actor("moderator_a"), s.comment.id, reason="离题", now=w.now),
        lambda db, w, s: services.unhide_comment(db, w.actor("moderator_a"), s.comment.id, now=w.now),
        lambda page, s: _row(page, s.a).comment_count == 1),
    "shortlist": (None, lambda db, w, s: _review(db, w, s.a, "shortlist"), _state("shortlisted")),
    "request revision": (None, lambda db, w, s: _review(db, w, s.a, "request_revision", note="请补充"),
                         _state("revision_requested")),
    "reject": (None, lambda db, w, s: _review(db, w, s.a, "reject", note="不在范围"), _state("rejected")),
    "restore": (lambda db, w, s: _review(db, w, s.a, "reject", note="不在范围"),
                lambda db, w, s: _review(db, w, s.a, "restore"), _state("submitted")),
    "merge": (None, lambda db, w, s: _review(db, w, s.a, "merge", target_id=str(s.b.id)),
              lambda page, s: _row(page, s.a).idea.state == "merged"
              and _row(page, s.b).idea.support_count == 2),
    "bulk review": (None, lambda db, w, s: services.bulk_review(
        db, w.actor("moderator_a"), w.consultation, [s.a.id, s.b.id], "shortlist", now=w.now),
        lambda page, s: {r.idea.state for r in page.context["page"].rows} == {"shortlisted"}),
    "vote outcome": (_to_vote, lambda db, w, s: services.record_outcome(
        db, None, w.vote, [s.a.id], w.now + timedelta(minutes=2)), _state("selected")),
    "consultation": (None, lambda db, w, s: services.update_consultation(
        db, w.actor("moderator_a"), w.consultation, title="2026 三微征集（第二轮）", year="2026",
        description="", budget="", categories="实事项目\n自治项目\n共筹项目\n维修与补充项目\n绿化项目"),
        lambda page, s: ">2026 三微征集（第二轮）</a></li>" in page.text and "绿化项目" in page.text),
}


@pytest.mark.parametrize("name", CHANGES)
def test_every_change_through_the_services_shows_at_once(client, db, world, start, name):
    before, change, shows = CHANGES[name]
    if before:
        before(db, world, start)
    db.flush()
    first = _list(client, world)
    assert first.status_code == 200 and not shows(first, start)
    version = _version(db, world)
    change(db, world, start)
    assert _version(db, world) > version
    assert shows(_list(client, world), start), name


def test_carrying_ideas_into_the_next_round_raises_the_version(db, world, start):
    version = _version(db, world)
    services.close_round(db, world.actor("moderator_a"), world.collect, reason="征集结束",
                         now=world.now + timedelta(minutes=1))
    assert _version(db, world) > version


def test_a_refused_change_leaves_the_cache_alone(client, db, world, start):
    """A service that refuses raises nothing: the cached list stays (and stays right)."""
    _list(client, world)
    version = _version(db, world)
    with pytest.raises(Conflict):  # nobody supports their own idea
        services.support_idea(db, world.actor("resident_a"), start.a, world.now)
    assert _version(db, world) == version


def test_signed_in_and_anonymous_readers_share_the_list_not_the_page(client, db, world, app):
    new_idea(db, world, title="楼道灯更换")
    factories.sign_in(client, world.people["resident_a"].login)
    signed_in = _list(client, world)
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as anonymous:
        page = _list(anonymous, world)
    assert "楼道灯更换" in page.text and "楼道灯更换" in signed_in.text
    assert page.context["user"] is None and signed_in.context["user"] is not None
    assert 'href="/login"' in page.text and 'href="/login"' not in signed_in.text
