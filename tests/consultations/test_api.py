"""The consultations JSON API: same rules as the pages, bearer tokens, the shared error format."""

from __future__ import annotations

from datetime import timedelta

from consult.accounts import services as accounts
from tests.consultations.conftest import jpeg, new_idea


def _auth(db, world, key) -> dict:
    token = accounts.issue_token(db, world.people[key])
    db.flush()
    return {"authorization": f"Bearer {token}"}


def test_every_route_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/consultations", "/api/v1/consultations/{cid}/ideas",
                 "/api/v1/ideas/{iid}/support", "/api/v1/ideas/{iid}/review",
                 "/api/v1/ideas/{iid}/diff", "/api/v1/ideas/{iid}/timeline",
                 "/api/v1/rounds/{rid}", "/api/v1/consultations/{cid}/export.xlsx",
                 "/api/v1/comments/{comment_id}/hide", "/api/v1/comments/{comment_id}/unhide"):
        assert path in paths, path
    assert set(paths["/api/v1/ideas/{iid}/support"]) == {"post", "delete"}


def test_consultation_and_rounds(client, db, world):
    data = client.get(f"/api/v1/consultations/{world.consultation.id}").json()
    assert data["budget_fen"] == 20_000_000
    assert [(r["kind"], r["state"]) for r in data["rounds"]] == [
        ("collect", "open"), ("review", "upcoming"), ("vote", "upcoming")]
    assert [c["name"] for c in data["categories"]][0] == "实事项目"


def test_create_submit_support_and_list(client, db, world):
    resident = _auth(db, world, "resident_a")
    body = {"title": "绿角改造", "description": "把楼下空地改成绿角",
            "category_id": world.categories[1].id, "place_id": world.tree["group_a"].id,
            "estimated_cost": "8000.50", "submit": True}
    created = client.post(f"/api/v1/consultations/{world.consultation.id}/ideas", json=body,
                          headers=resident)
    assert created.status_code == 201, created.text
    idea = created.json()
    assert idea["state"] == "submitted" and idea["estimated_cost_fen"] == 800050
    neighbour = _auth(db, world, "resident_a2")
    for _ in range(2):
        assert client.post(f"/api/v1/ideas/{idea['id']}/support", headers=neighbour).status_code == 200
    assert client.get(f"/api/v1/ideas/{idea['id']}").json()["support_count"] == 1
    listed = client.get(f"/api/v1/consultations/{world.consultation.id}/ideas?sort=supported").json()
    assert listed["total"] == 1 and listed["ideas"][0]["id"] == idea["id"]
    assert client.delete(f"/api/v1/ideas/{idea['id']}/support", headers=neighbour).json()["support_count"] == 0


def test_errors_in_the_shared_format(client, db, world):
    resident = _auth(db, world, "resident_a")
    bad = client.post(f"/api/v1/consultations/{world.consultation.id}/ideas",
                      json={"title": "", "description": "x", "category_id": 0, "place_id": 0},
                      headers=resident)
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid" and {"title", "category_id", "place_id"} <= set(error["fields"])
    anonymous = client.post(f"/api/v1/consultations/{world.consultation.id}/ideas", json={})
    assert anonymous.status_code == 401
    idea = new_idea(db, world)
    other = client.post(f"/api/v1/ideas/{idea.id}/review", json={"action": "shortlist"},
                        headers=_auth(db, world, "moderator_b"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    assert client.post("/api/v1/consultations", content=b"[1", headers=resident).status_code == 400


def test_review_versions_diff_and_timeline(client, db, world):
    idea = new_idea(db, world)
    moderator = _auth(db, world, "moderator_a")
    response = client.post(f"/api/v1/ideas/{idea.id}/review", headers=moderator,
                           json={"action": "request_revision", "note": "写清楚楼层"})
    assert response.json()["state"] == "revision_requested"
    author = _auth(db, world, "resident_a")
    revised = client.post(f"/api/v1/ideas/{idea.id}", headers=author,
                          json={"description": "三号楼二层楼道灯坏了"})
    assert revised.json()["version"] == 2 and revised.json()["state"] == "submitted"
    versions = client.get(f"/api/v1/ideas/{idea.id}/versions").json()["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    diff = client.get(f"/api/v1/ideas/{idea.id}/diff?from=1&to=2").json()
    description = next(f for f in diff["fields"] if f["field"] == "description")
    assert {"op": "insert", "text": "二层"} in description["segments"]
    for query in ("from=1&to=99999999999", "from=x&to=2", "from=1&to=9"):  # huge, not a number, none
        assert client.get(f"/api/v1/ideas/{idea.id}/diff?{query}").status_code == 404
    timeline = client.get(f"/api/v1/ideas/{idea.id}/timeline",
                          headers={"accept-language": "en"}).json()["timeline"]
    assert [e["action"] for e in timeline] == ["submitted", "request_revision", "revised"]
    assert timeline[1]["note"] == "写清楚楼层"


def test_photo_upload_over_api(client, db, world):
    idea = new_idea(db, world)
    author = _auth(db, world, "resident_a")
    response = client.post(f"/api/v1/ideas/{idea.id}/photos", headers=author,
                           files={"photos": ("a.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 201
    assert len(response.json()["photos"]) == 1 and response.json()["version"] == 2
    refused = client.post(f"/api/v1/ideas/{idea.id}/photos", headers=author,
                          files={"photos": ("a.jpg", b"GIF89a nonsense", "image/gif")})
    assert refused.status_code == 422 and "photos" in refused.json()["error"]["fields"]


def test_photo_upload_fields_are_checked_like_every_api_body(client, db, world):
    """The multipart body is validated before the route runs (consult.web.api): each bad
    field is a 422 naming it, and nothing changes."""
    idea = new_idea(db, world)
    author = _auth(db, world, "resident_a")
    url = f"/api/v1/ideas/{idea.id}/photos"
    photo = ("a.jpg", jpeg(), "image/jpeg")
    bad = [({"data": {"title": "新标题"}, "files": {"photos": photo}}, "title"),
           ({"data": {"photos": "not a file"}}, "photos"),
           ({"files": [("photos", photo)] * 4}, "photos"),
           ({"files": {"photos": photo, "photo": photo}}, "photo")]
    for request, field in bad:
        response = client.post(url, headers={**author, "accept-language": "en"}, **request)
        assert response.status_code == 422, (field, response.text)
        assert set(response.json()["error"]["fields"]) == {field}
    assert client.post(url, headers=author, files=[("photos", photo)] * 4).json()["error"][
        "fields"]["photos"] == "最多 3 个文件。"
    db.refresh(idea)
    assert idea.version == 1 and client.get(f"/api/v1/ideas/{idea.id}").json()["photos"] == []
    three = client.post(url, headers=author, files=[("photos", photo)] * 3)
    assert three.status_code == 201 and len(three.json()["photos"]) == 3
    schema = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/ideas/{iid}/photos"][
        "post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["photos"]["type"] == "array"
    assert schema["properties"]["photos"]["maxItems"] == 3 and set(schema["properties"]) == {"photos"}


def test_rounds_close_and_vote_round_ideas(client, db, world):
    idea = new_idea(db, world, cost="2500")
    moderator = _auth(db, world, "moderator_a")
    closed = client.post(f"/api/v1/rounds/{world.collect.id}/close", headers=moderator,
                         json={"reason": "提前结束"})
    assert closed.status_code == 200 and closed.json()["carried"] == 1
    client.post(f"/api/v1/ideas/{idea.id}/review", headers=moderator, json={"action": "shortlist"})
    client.post(f"/api/v1/rounds/{world.review.id}/close", headers=moderator,
                json={"reason": "评审完成"})
    vote = client.get(f"/api/v1/rounds/{world.vote.id}").json()
    assert vote["state"] == "open"
    assert [(i["id"], i["estimated_cost_fen"]) for i in vote["ideas"]] == [(idea.id, 250000)]
    missing = client.post(f"/api/v1/rounds/{world.vote.id}/extend", headers=moderator,
                          json={"closes_at": (world.now + timedelta(days=40)).isoformat()})
    assert missing.status_code == 422 and "reason" in missing.json()["error"]["fields"]


def test_comments_and_exports(client, db, world):
    idea = new_idea(db, world)
    expert = _auth(db, world, "expert_a")
    posted = client.post(f"/api/v1/ideas/{idea.id}/comments", headers=expert,
                         json={"body": "<b>建议</b>"})
    assert posted.status_code == 201 and posted.json()["is_expert"] is True
    comments = client.get(f"/api/v1/ideas/{idea.id}/comments").json()["comments"]
    assert comments[0]["body"] == "<b>建议</b>"
    nul = client.post(f"/api/v1/ideas/{idea.id}/comments", headers=expert, json={"body": "a\u0000b"})
    assert nul.status_code == 400 and "NUL" in nul.json()["error"]["message"]
    assert len(client.get(f"/api/v1/ideas/{idea.id}/comments").json()["comments"]) == 1
    moderator = _auth(db, world, "moderator_a")
    hidden = client.post(f"/api/v1/comments/{comments[0]['id']}/hide", headers=moderator,
                         json={"reason": "重复"})
    assert hidden.json()["hidden"] is True
    assert client.get(f"/api/v1/ideas/{idea.id}/comments").json()["comments"][0]["body"] is None
    assert client.post(f"/api/v1/comments/{comments[0]['id']}/unhide", headers=expert).status_code == 403
    shown = client.post(f"/api/v1/comments/{comments[0]['id']}/unhide", headers=moderator)
    assert shown.status_code == 200 and shown.json() == {"id": comments[0]["id"], "hidden": False}
    assert client.get(f"/api/v1/ideas/{idea.id}/comments").json()["comments"][0]["body"] == "<b>建议</b>"
    again = client.post(f"/api/v1/comments/{comments[0]['id']}/unhide", headers=moderator)
    assert again.status_code == 409
    csv_response = client.get(f"/api/v1/consultations/{world.consultation.id}/export.csv",
                              headers=moderator)
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    assert client.get(f"/api/v1/consultations/{world.consultation.id}/export.csv").status_code == 401
    stats = client.get(f"/api/v1/consultations/{world.consultation.id}/stats", headers=moderator).json()
    assert stats["total"] == 1


def test_similar_and_my_ideas(client, db, world):
    new_idea(db, world, title="楼道灯更换")
    found = client.get(f"/api/v1/consultations/{world.consultation.id}/ideas/similar",
                       params={"title": "更换楼道灯"}).json()["ideas"]
    assert [i["title"] for i in found] == ["楼道灯更换"]
    mine = client.get("/api/v1/me/ideas", headers=_auth(db, world, "resident_a")).json()["ideas"]
    assert [i["title"] for i in mine] == ["楼道灯更换"]


def test_unknown_idea_field_is_refused_not_dropped(client, db, world):
    resident = _auth(db, world, "resident_a")
    body = {"title": "绿角改造", "description": "把楼下空地改成绿角",
            "category_id": world.categories[1].id, "place_id": world.tree["group_a"].id,
            "estimated_cost_fen": 800050}
    response = client.post(f"/api/v1/consultations/{world.consultation.id}/ideas", json=body,
                           headers=resident)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"estimated_cost_fen"}
    typed = client.post(f"/api/v1/consultations/{world.consultation.id}/ideas",
                        json={**body, "estimated_cost_fen": None, "category_id": "1"}, headers=resident)
    assert {"category_id", "estimated_cost_fen"} == set(typed.json()["error"]["fields"])
    mine = client.get("/api/v1/me/ideas", headers=resident).json()
    assert all(i["title"] != "绿角改造" for i in mine.get("ideas", []))
