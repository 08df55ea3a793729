"""Star ratings over the JSON API: campaigns, contests, forum ratings, objections."""

from datetime import timedelta

import pytest

from consult import clock
from consult.accounts import services as accounts
from consult.ratings import services
from consult.ratings.rules import CriterionDraft
from tests import factories
from tests.surveys.builders import person


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def admin(db, settings, tree):
    return person(db, settings, "admin", tree["root"])


def bearer(db, user):
    token = accounts.issue_token(db, user)
    db.flush()
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def forum_world(db, settings, admin, tree):
    actor = admin[1]
    campaign = services.create_campaign(db, actor, place_id=tree["root"].id, title="星级业委会", year="2026")
    services.set_criteria(db, actor, campaign, [services.CriterionRow(None, CriterionDraft("评议", 100, "forum"))])
    subject = services.add_subject(db, actor, campaign, kind="owners_committee", place_id=tree["estate_a"].id)
    forum = services.create_forum(db, actor, campaign, subject_id=subject.id, held_at=clock.utcnow(), location="会议室")
    rep = person(db, settings, "owners_rep", tree["estate_a"], name="代表")[0]
    services.update_forum(db, actor, forum, held_at=clock.utcnow(), location="会议室", agenda="", minutes="",
                          attendee_ids=[str(rep.id)])
    return {"campaign": campaign, "forum": forum, "rep": rep, "subject": subject,
            "criterion": services.criteria_of(db, campaign)[0]}


def test_forum_ratings_and_campaign_ranking(client, db, admin, forum_world):
    w = forum_world
    url = f"/api/v1/forums/{w['forum'].id}/ratings"
    cell = {"user_id": w["rep"].id, "criterion_id": w["criterion"].id}
    bad = client.put(url, json={"ratings": [{**cell, "score": 6}]}, headers=bearer(db, admin[0]))
    assert bad.status_code == 422
    stranger = client.put(url, json={"ratings": [{**cell, "user_id": 999999, "score": 3}]},
                          headers=bearer(db, admin[0]))
    assert stranger.status_code == 422
    assert client.put(url, json={"ratings": [{**cell, "score": 4}]}, headers=bearer(db, w["rep"])).status_code == 403
    ok = client.put(url, json={"ratings": [{**cell, "score": 4}]}, headers=bearer(db, admin[0]))
    assert ok.json() == {"saved": 1}
    forum = client.get(f"/api/v1/forums/{w['forum'].id}", headers=bearer(db, w["rep"])).json()
    assert forum["ratings"] == [{**cell, "score": 4}]
    assert client.get(f"/api/v1/campaigns/{w['campaign'].id}").status_code == 404  # a draft
    detail = client.get(f"/api/v1/campaigns/{w['campaign'].id}", headers=bearer(db, admin[0])).json()
    assert detail["ranking"][0]["total"] == {"exact": "75/1", "shown": "75.00"}
    assert detail["ranking"][0]["stars"] == 2  # 70 ≤ 75 < 80


def test_objection_and_history(client, db, settings, admin, tree, forum_world):
    w = forum_world
    services.publish(db, admin[1], w["campaign"], clock.utcnow(), confirm_missing=True)  # some inputs have no data
    resident, _ = person(db, settings, "resident", tree["area_a"])
    url = f"/api/v1/campaigns/{w['campaign'].id}/objections"
    assert client.post(url, json={"subject_id": w["subject"].id, "text": "请复核"},
                       headers=bearer(db, resident)).status_code == 201
    history = client.get(f"/api/v1/rating-subjects/{w['subject'].id}/history").json()["history"]
    assert [(h["year"], h["stars"]) for h in history] == [(2026, 0)]
    assert client.get("/api/v1/campaigns").json()["campaigns"][0]["state"] == "notice"


def test_contest_votes_over_the_api(client, db, settings, admin, tree):
    now = clock.utcnow()
    contest = services.create_contest(db, admin[1], place_id=tree["root"].id, title="星级楼组", description="",
                                      opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
    entry = services.add_entry(db, admin[1], contest, title="恒丰1号楼组")
    resident, _ = person(db, settings, "resident", tree["area_b"])
    url = f"/api/v1/contests/{contest.id}/entries/{entry.id}/ratings"
    assert client.post(url, json={"stars": 0}, headers=bearer(db, resident)).status_code == 422
    assert client.post(url, json={"stars": 5}, headers=bearer(db, resident)).status_code == 201
    assert client.post(url, json={"stars": 5}, headers=bearer(db, resident)).status_code == 409
    data = client.get(f"/api/v1/contests/{contest.id}", headers=bearer(db, resident)).json()
    assert data["entries"][0]["mine"] == 5 and data["entries"][0]["count"] is None  # hidden while open
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "put" in paths["/api/v1/forums/{forum_id}/ratings"]
    assert "post" in paths["/api/v1/contests/{contest_id}/entries/{entry_id}/ratings"]


def test_staff_create_campaign_contest_and_forum(client, db, settings, admin, tree):
    user, _ = admin
    staff = bearer(db, user)
    resident = bearer(db, person(db, settings, "resident", tree["area_a"])[0])
    body = {"place_id": tree["root"].id, "title": "星级物业", "year": 2026}
    assert client.post("/api/v1/campaigns", json=body, headers=resident).status_code == 403
    assert client.post("/api/v1/campaigns", json={**body, "year": "2026"}, headers=staff).status_code == 422
    untitled = client.post("/api/v1/campaigns", json={**body, "title": ""}, headers=staff)
    assert untitled.status_code == 422 and "title" in untitled.json()["error"]["fields"]
    created = client.post("/api/v1/campaigns", json=body, headers=staff)
    assert created.status_code == 201, created.text
    campaign = services.get_campaign(db, created.json()["id"])
    contest = {"place_id": tree["root"].id, "title": "最美楼道", "opens_at": "2026-05-01T09:00",
               "closes_at": "2026-05-10T18:00"}
    assert client.post("/api/v1/contests", json=contest, headers=resident).status_code == 403
    backwards = client.post("/api/v1/contests", json={**contest, "closes_at": "2026-04-01T09:00"}, headers=staff)
    assert backwards.status_code == 422
    assert client.post("/api/v1/contests", json={**contest, "photos": []}, headers=staff).status_code == 422
    made = client.post("/api/v1/contests", json=contest, headers=staff)
    assert made.status_code == 201, made.text
    subject = services.add_subject(db, admin[1], campaign, kind="owners_committee", place_id=tree["estate_a"].id)
    db.flush()
    url = f"/api/v1/campaigns/{campaign.id}/forums"
    forum = {"subject_id": subject.id, "held_at": "2026-06-01T14:00", "location": "会议室"}
    assert client.post(url, json=forum, headers=resident).status_code == 403
    assert client.post(url, json={**forum, "subject_id": 999999}, headers=staff).status_code == 422
    assert client.post(url, json={**forum, "location": 1}, headers=staff).status_code == 422
    held = client.post(url, json=forum, headers=staff)
    assert held.status_code == 201, held.text
    assert held.json()["subject_id"] == subject.id
