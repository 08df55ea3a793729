"""Nobody decides their own request in a consultation: a moderator's own idea is reviewed,
and their own comment hidden or shown, by another moderator of the area or one above;
pages and API refuse with a message and the queues show it as waiting for them.

And a moderator moves an idea only between places they moderate (issue 11, item 6)."""

from __future__ import annotations

import pytest

from consult.accounts import services as accounts
from consult.communities import services as places
from consult.consultations import services
from consult.consultations.models import Idea
from consult.errors import FieldErrors, Forbidden
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.consultations.conftest import DAY, new_idea

OWN_IDEA = "这是您本人提出的建议"
OWN_COMMENT = "这是您本人的评论"
WAITING = "等待另一位居委会工作人员"


@pytest.fixture
def own(db, settings, world):
    """moderator_a also lives in area a and proposes an idea; moderator_a2 is a second
    moderator of area a."""
    places.grant_role(db, user=world.people["moderator_a"], role="resident", place=world.tree["area_a"])
    second = factories.user(db, settings, name="moderator_a2")
    places.grant_role(db, user=second, role="moderator", place=world.tree["area_a"])
    world.people["moderator_a2"] = second
    idea = new_idea(db, world, author="moderator_a", title="加装扶手")
    other = new_idea(db, world, author="resident_a", title="加装扶手和照明")
    db.flush()
    return idea, other


def _api(db, world, key) -> dict:
    token = accounts.issue_token(db, world.people[key])
    db.flush()
    return {"authorization": f"Bearer {token}"}


def _sign_in(client, world, key):
    client.cookies.clear()
    factories.sign_in(client, world.people[key].login)


# -- reviewing one's own idea -------------------------------------------------------------


@pytest.mark.parametrize("action,note", [("shortlist", ""), ("request_revision", "补充"),
                                         ("reject", "重复"), ("merge", "")])
def test_own_idea_is_not_reviewed_by_its_author(db, world, own, action, note):
    idea, other = own
    with pytest.raises(Forbidden) as refused:
        services.review_idea(db, world.actor("moderator_a"), idea, action, note=note,
                             target_id=other.id, now=world.now)
    assert refused.value.code == "own_request"
    assert db.get(Idea, idea.id).state == "submitted"


def test_no_merge_into_ones_own_idea(db, world, own):
    idea, other = own
    with pytest.raises(Forbidden) as refused:
        services.review_idea(db, world.actor("moderator_a"), other, "merge", target_id=idea.id,
                             now=world.now)
    assert refused.value.code == "own_request"
    assert db.get(Idea, other.id).state == "submitted"


@pytest.mark.parametrize("decider", ["moderator_a2", "admin"])
def test_another_moderator_or_one_above_reviews_it(db, world, own, decider):
    idea, other = own
    services.review_idea(db, world.actor(decider), idea, "shortlist", now=world.now)
    services.review_idea(db, world.actor(decider), other, "merge", target_id=idea.id, now=world.now)
    assert (idea.state, other.state) == ("shortlisted", "merged")


def test_bulk_review_with_ones_own_idea_changes_nothing(db, world, own):
    idea, other = own
    with pytest.raises(Forbidden):
        services.bulk_review(db, world.actor("moderator_a"), world.consultation,
                             [idea.id, other.id], "shortlist", now=world.now)
    assert {db.get(Idea, i.id).state for i in own} == {"submitted"}


def test_idea_page_and_queue_show_it_waiting(client, db, world, own):
    idea, other = own
    _sign_in(client, world, "moderator_a")
    page = client.get(f"/ideas/{idea.id}")
    assert WAITING in page.text and page.context["review_actions"] == []
    assert page.context["merge_targets"] == [] or idea.id not in {
        i.id for i in page.context["merge_targets"]}
    other_page = client.get(f"/ideas/{other.id}")
    assert other_page.context["review_actions"] and WAITING not in other_page.text
    queue = client.get(f"/consultations/{world.consultation.id}/review")
    assert f'id="own-{idea.id}"' in queue.text and f'id="pick-{idea.id}"' not in queue.text
    assert f'id="pick-{other.id}"' in queue.text
    refused = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/review",
                        {"action": "shortlist"})
    assert refused.status_code == 403 and OWN_IDEA in refused.text
    token = csrf_from(queue.text)
    bulk = client.post(f"/consultations/{world.consultation.id}/review", follow_redirects=False,
                       data={"csrf_token": token, "action": "shortlist", "ideas": [str(idea.id)]})
    assert bulk.status_code == 403 and OWN_IDEA in bulk.text
    _sign_in(client, world, "moderator_a2")
    assert WAITING not in client.get(f"/ideas/{idea.id}").text
    done = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/review", {"action": "shortlist"})
    assert done.status_code == 303
    db.refresh(idea)
    assert idea.state == "shortlisted"


def test_api_refuses_and_marks_own_ideas(client, db, world, own):
    idea, other = own
    headers = _api(db, world, "moderator_a")
    queue = client.get(f"/api/v1/consultations/{world.consultation.id}/review", headers=headers).json()
    assert {i["id"]: i["own_request"] for i in queue["ideas"]} == {idea.id: True, other.id: False}
    refused = client.post(f"/api/v1/ideas/{idea.id}/review", json={"action": "shortlist"},
                          headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "own_request"
    merge = client.post(f"/api/v1/ideas/{other.id}/review", json={"action": "merge", "target_id": idea.id},
                        headers=headers)
    assert merge.status_code == 403 and merge.json()["error"]["code"] == "own_request"
    bulk = client.post(f"/api/v1/consultations/{world.consultation.id}/review", headers=headers,
                       json={"action": "shortlist", "ideas": [idea.id, other.id]})
    assert bulk.status_code == 403
    assert {db.get(Idea, i.id).state for i in own} == {"submitted"}
    second = _api(db, world, "moderator_a2")
    assert client.post(f"/api/v1/ideas/{idea.id}/review", json={"action": "shortlist"},
                       headers=second).status_code == 200


# -- moderating one's own comment ---------------------------------------------------------


def _comment(db, world, idea, key="moderator_a"):
    comment = services.add_comment(db, world.actor(key), idea, body="我来补充一下", now=world.now)
    db.flush()
    return comment


def test_own_comment_is_hidden_and_shown_by_someone_else(db, world, own):
    idea, _ = own
    comment = _comment(db, world, idea)
    with pytest.raises(Forbidden) as refused:
        services.hide_comment(db, world.actor("moderator_a"), comment.id, reason="自己撤回", now=world.now)
    assert refused.value.code == "own_request" and comment.hidden_at is None
    services.hide_comment(db, world.actor("moderator_a2"), comment.id, reason="离题", now=world.now)
    with pytest.raises(Forbidden):
        services.unhide_comment(db, world.actor("moderator_a"), comment.id, now=world.now)
    assert comment.hidden_at is not None
    services.unhide_comment(db, world.actor("admin"), comment.id, now=world.now)
    assert comment.hidden_at is None


def test_own_comment_pages_and_api(client, db, world, own):
    idea, _ = own
    comment = _comment(db, world, idea)
    theirs = _comment(db, world, idea, key="resident_a")
    _sign_in(client, world, "moderator_a")
    page = client.get(f"/ideas/{idea.id}")
    assert f"/comments/{comment.id}/hide" not in page.text
    assert f"/comments/{theirs.id}/hide" in page.text
    refused = post_form(client, f"/ideas/{idea.id}", f"/comments/{comment.id}/hide", {"reason": "撤回"})
    assert refused.status_code == 403 and OWN_COMMENT in refused.text
    headers = _api(db, world, "moderator_a")
    api = client.post(f"/api/v1/comments/{comment.id}/hide", json={"reason": "撤回"}, headers=headers)
    assert api.status_code == 403 and api.json()["error"]["code"] == "own_request"
    services.hide_comment(db, world.actor("moderator_a2"), comment.id, reason="离题", now=world.now)
    db.flush()
    assert f"/comments/{comment.id}/unhide" not in client.get(f"/ideas/{idea.id}").text
    unhide = post_form(client, f"/ideas/{idea.id}", f"/comments/{comment.id}/unhide", {})
    assert unhide.status_code == 403 and OWN_COMMENT in unhide.text
    api = client.post(f"/api/v1/comments/{comment.id}/unhide", json={}, headers=headers)
    assert api.status_code == 403
    db.refresh(comment)
    assert comment.hidden_at is not None


def test_reported_own_comment_waits_in_the_queue(client, db, world, own):
    idea, _ = own
    comment = _comment(db, world, idea)
    services.report_comment(db, world.actor("resident_a"), comment.id, reason="", now=world.now)
    db.flush()
    _sign_in(client, world, "moderator_a")
    queue = client.get(f"/consultations/{world.consultation.id}/review")
    assert [c.id for c, _, _ in queue.context["reported"]] == [comment.id]
    assert f"/comments/{comment.id}/hide" not in queue.text and WAITING in queue.text
    _sign_in(client, world, "moderator_a2")
    assert f"/comments/{comment.id}/hide" in client.get(f"/consultations/{world.consultation.id}/review").text


# -- moving an idea to another place (item 6) ---------------------------------------------


@pytest.fixture
def wide(db, world):
    """A consultation of the whole sub-district, collecting now, with one idea in each area."""
    admin = world.actor("admin")
    consultation = services.create_consultation(
        db, admin, scope_place_id=world.tree["root"].id, title="街道微更新", year="2026")
    services.add_round(db, admin, consultation, kind="collect", opens_at=world.now - DAY,
                       closes_at=world.now + 7 * DAY)
    category = services.categories_of(db, consultation.id)[0]

    def idea(author, place):
        draft = services.create_draft(
            db, world.actor(author), world.people[author], consultation, title="修补路面",
            description="路面坑洼", category_id=category.id, place_id=world.tree[place].id,
            media_dir=world.media_dir, now=world.now)
        services.submit_idea(db, world.actor(author), draft, world.now)
        return draft

    ideas = {"a": idea("resident_a", "group_a"), "b": idea("resident_b", "group_b")}
    db.flush()
    return consultation, category, ideas


def _move(db, world, who, idea, place):
    return services.update_idea(
        db, world.actor(who), idea, title=idea.title, description=idea.description,
        category_id=idea.category_id, place_id=world.tree[place].id, media_dir=world.media_dir,
        now=world.now)


OK, FIELD, FORBIDDEN = "ok", "field", "forbidden"
#: (who, idea's area, new place) → outcome; both the old and the new place must be theirs
MOVES = {
    ("resident_a", "a", "estate_a"): OK,          # the author, within their area
    ("resident_a", "a", "group_b"): FIELD,        # the author, to an area they do not live in
    ("moderator_a", "a", "estate_a"): OK,
    ("moderator_a", "a", "group_b"): FIELD,       # the fix: out of the moderator's area
    ("moderator_a", "b", "group_a"): FORBIDDEN,   # not theirs to edit in the first place
    ("moderator_b", "a", "group_b"): FORBIDDEN,
    ("moderator_b", "b", "group_a"): FIELD,
    ("moderator_b", "b", "estate_b"): OK,
    ("admin", "a", "group_b"): OK,
    ("admin", "b", "area_a"): OK,
    ("expert_a", "a", "estate_a"): FORBIDDEN,
    ("resident_b", "a", "group_b"): FORBIDDEN,
    ("unverified", "a", "group_b"): FORBIDDEN,
}


@pytest.mark.parametrize("who,area,place", sorted(MOVES))
def test_moving_an_idea_needs_both_places_in_scope(db, world, wide, who, area, place):
    _, _, ideas = wide
    idea = ideas[area]
    before = idea.place_id
    expected = MOVES[who, area, place]
    if expected == OK:
        _move(db, world, who, idea, place)
        assert idea.place_id == world.tree[place].id
        return
    with pytest.raises(FieldErrors if expected == FIELD else Forbidden) as refused:
        _move(db, world, who, idea, place)
    if expected == FIELD:
        assert set(refused.value.errors) == {"place_id"}
    db.refresh(idea)
    assert idea.place_id == before


@pytest.mark.parametrize("who,place,allowed", [
    ("resident_a", "group_a", True), ("resident_a", "group_b", False),
    ("resident_b", "group_b", True), ("moderator_a", "group_a", False),
    ("admin", "group_b", False), ("unverified", "group_a", False),
])
def test_creating_an_idea_needs_its_place_in_scope(db, world, wide, who, place, allowed):
    consultation, category, _ = wide

    def create():
        return services.create_draft(
            db, world.actor(who), world.people[who], consultation, title="新建议",
            description="内容", category_id=category.id, place_id=world.tree[place].id,
            media_dir=world.media_dir, now=world.now)

    if allowed:
        assert create().place_id == world.tree[place].id
    else:
        with pytest.raises(Forbidden):
            create()


def test_moving_out_of_scope_is_refused_on_the_page_and_the_api(client, db, world, wide):
    consultation, category, ideas = wide
    idea = ideas["a"]
    group_b = world.tree["group_b"]
    _sign_in(client, world, "moderator_a")
    form = {"title": idea.title, "description": idea.description, "category_id": str(category.id),
            "place_id": str(group_b.id), "estimated_cost": ""}
    page = post_form(client, f"/ideas/{idea.id}/edit", f"/ideas/{idea.id}/edit", form)
    assert page.status_code == 422 and "您只能把建议移到您负责的地方" in page.text
    headers = _api(db, world, "moderator_a")
    api = client.post(f"/api/v1/ideas/{idea.id}", json={"place_id": group_b.id}, headers=headers)
    assert api.status_code == 422 and "place_id" in api.json()["error"]["fields"]
    create = client.post(f"/api/v1/consultations/{consultation.id}/ideas", headers=_api(db, world, "resident_a"),
                         json={"title": "新建议", "description": "内容", "category_id": category.id,
                               "place_id": group_b.id})
    assert create.status_code == 403
    db.refresh(idea)
    assert idea.place_id == world.tree["group_a"].id
    estate_a = world.tree["estate_a"]
    moved = client.post(f"/api/v1/ideas/{idea.id}", json={"place_id": estate_a.id}, headers=headers)
    assert moved.status_code == 200 and moved.json()["place_id"] == estate_a.id


def test_a_consultations_place_is_chosen_once_within_scope(client, db, world):
    """The consultation's own place: created only where the actor manages, never edited
    afterwards (the page and the API ignore a new scope); rounds carry no place of their own."""
    area_b = world.tree["area_b"]
    for key, scope in (("moderator_a", area_b), ("moderator_a", world.tree["root"])):
        with pytest.raises(Forbidden):
            services.create_consultation(db, world.actor(key), scope_place_id=scope.id,
                                         title="越界", year="2026")
    headers = _api(db, world, "moderator_a")
    moved = client.post(f"/api/v1/consultations/{world.consultation.id}", headers=headers,
                        json={"scope_place_id": area_b.id, "title": "新标题"})
    assert moved.status_code == 200 and moved.json()["scope_place_id"] == world.tree["area_a"].id
    _sign_in(client, world, "moderator_a")
    manage = f"/consultations/{world.consultation.id}/manage"
    edited = post_form(client, manage, manage, {
        "scope_place_id": str(area_b.id), "title": "再改", "year": "2026", "description": "",
        "budget": "", "categories": "\n".join(c.name for c in world.categories)})
    assert edited.status_code == 303
    db.refresh(world.consultation)
    assert world.consultation.title == "再改"
    assert world.consultation.scope_place_id == world.tree["area_a"].id
