"""The voting JSON API: ballot get/put, receipts, results, exports, paper entry, turnout."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from consult.voting.models import Ballot
from tests import factories
from tests.voting.conftest import close_round, set_settings


def _headers(client, world, key):
    response = client.post("/api/v1/auth/token", json={"login": world.people[key].login,
                                                       "password": factories.PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _ballots(db):
    return db.exec(select(func.count()).select_from(Ballot)).one()


def test_get_and_put_my_ballot(client, db, world):
    headers = _headers(client, world, "voter")
    url = f"/api/v1/rounds/{world.round.id}/ballot"
    view = client.get(url, headers=headers).json()
    assert view["can_vote"] is True and view["ballot"] is None and view["state"] == "open"
    assert [i["cost_fen"] for i in view["ideas"]] == [400_000, 300_000, 250_000, 150_000]
    assert view["settings"]["ballot_kind"] == "approval_budget" and view["settings"]["budget_fen"] == 1_000_000
    a, d = world.ideas[0].id, world.ideas[3].id
    put = client.put(url, json={"choices": [a, d]}, headers=headers)
    assert put.status_code == 200 and put.json()["changed"] is False and put.json()["repeated"] is False
    receipt = put.json()["receipt"]
    same = client.put(url, json={"choices": [d, a]}, headers=headers).json()  # sent again
    assert same["repeated"] is True and same["changed"] is False and same["receipt"] == receipt
    assert [c["idea_id"] for c in put.json()["choices"]] == [a, d]
    again = client.put(url, json={"choices": [d]}, headers=headers).json()
    assert again["changed"] is True and again["repeated"] is False
    assert again["receipt"] != receipt and _ballots(db) == 1
    mine = client.get(url, headers=headers).json()["ballot"]
    assert mine["channel"] == "web" and [c["idea_id"] for c in mine["choices"]] == [d]
    check = client.post("/api/v1/receipts/check", json={"code": again["receipt"]}).json()
    assert check == {"found": True, "counted": True, "status": "counted", "round_id": world.round.id,
                     "round": "居民投票", "consultation": "2026 微更新"}
    assert client.post("/api/v1/receipts/check", json={"code": receipt}).json()["found"] is False


def test_bad_ballots_and_refusals(client, db, world):
    headers = _headers(client, world, "voter")
    url = f"/api/v1/rounds/{world.round.id}/ballot"
    over = client.put(url, json={"choices": [i.id for i in world.ideas]}, headers=headers)
    assert over.status_code == 422 and over.json()["error"]["code"] == "invalid_ballot"
    assert "预算" in over.json()["error"]["message"]
    english = client.put(url, json={"choices": "1"}, headers={**headers, "accept-language": "en"})
    assert english.status_code == 422 and english.json()["error"]["fields"] == {"choices": "Must be a list."}
    assert client.put(url, content=b"{", headers=headers).status_code == 400
    assert client.put(url, json={"choices": [1]}).status_code == 401
    outsider = client.put(url, json={"choices": [world.ideas[0].id]}, headers=_headers(client, world, "outsider"))
    assert outsider.status_code == 403 and outsider.json()["error"]["code"] == "not_eligible"
    close_round(db, world.round)
    closed = client.put(url, json={"choices": [world.ideas[0].id]}, headers=headers)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "round_not_open"
    assert _ballots(db) == 0
    assert client.get("/api/v1/rounds/999999/ballot", headers=headers).status_code == 404


def test_cumulative_and_ordinal_bodies(client, db, world):
    headers = _headers(client, world, "voter")
    url = f"/api/v1/rounds/{world.round.id}/ballot"
    a, b = world.ideas[0].id, world.ideas[1].id
    set_settings(db, world.round.id, ballot_kind="cumulative", max_points=5)
    assert client.put(url, json={"points": {str(a): 6}}, headers=headers).status_code == 422
    assert client.put(url, json={"points": {str(a): -1}}, headers=headers).status_code == 422
    assert client.put(url, json={"points": {str(a): 2.5}}, headers=headers).status_code == 422
    assert client.put(url, json={"points": {str(a): 3, str(b): 2}}, headers=headers).status_code == 200
    set_settings(db, world.round.id, ballot_kind="ordinal", ranking_length=2, points_per_rank=[2, 1])
    db.exec(Ballot.__table__.delete())
    done = client.put(url, json={"ranking": [b, a]}, headers=headers).json()
    assert [(c["idea_id"], c["rank"], c["points"]) for c in done["choices"]] == [(b, 1, 2), (a, 2, 1)]


def test_results_and_exports(client, db, world):
    headers = _headers(client, world, "voter")
    client.put(f"/api/v1/rounds/{world.round.id}/ballot", json={"choices": [world.ideas[1].id]},
               headers=headers)
    results = f"/api/v1/rounds/{world.round.id}/results"
    assert client.get(results).status_code == 404
    close_round(db, world.round)
    from consult.voting import services

    services.publish(db, world.actor("moderator"), world.load(), world.now)
    data = client.get(results).json()
    assert data["selected"][0] == world.ideas[1].id and data["ballots"] == 1
    assert data["scores"][str(world.ideas[1].id)] == 1 and len(data["ballot_digest"]) == 64
    pb = client.get(f"/api/v1/rounds/{world.round.id}/results.pb")
    assert pb.status_code == 200 and pb.text.startswith("META")
    assert client.get(f"/api/v1/rounds/{world.round.id}/results.csv").status_code == 200


def test_paper_entry_and_turnout(client, db, world):
    headers = _headers(client, world, "moderator")
    url = f"/api/v1/rounds/{world.round.id}/paper-ballots"
    body = {"serial": "Z-9", "phone": world.people["voter"].login, "choices": [world.ideas[0].id]}
    first = client.post(url, json=body, headers=headers)
    assert first.status_code == 201 and first.json()["status"] == "counted" and first.json()["receipt"]
    twice = client.post(url, json={**body, "phone": world.people["voter2"].login}, headers=headers)
    assert twice.status_code == 422 and "serial" in twice.json()["error"]["fields"]
    resident = _headers(client, world, "voter2")
    assert client.post(url, json=body, headers=resident).status_code == 403
    turnout = client.get(f"/api/v1/rounds/{world.round.id}/turnout", headers=headers).json()
    assert turnout["counted"] == 1 and turnout["by_channel"] == {"paper": 1}
    assert turnout["areas"][0]["name"] == "恒丰" and turnout["areas"][0]["ballots"] == 1
    assert client.get(f"/api/v1/rounds/{world.round.id}/turnout", headers=resident).status_code == 403
    web = client.put(f"/api/v1/rounds/{world.round.id}/ballot", json={"choices": [world.ideas[1].id]},
                     headers=_headers(client, world, "voter"))
    assert web.status_code == 409 and "Z-9" in web.json()["error"]["message"]


def test_openapi_lists_the_voting_routes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/rounds/{rid}/ballot"])
    assert "post" in paths["/api/v1/receipts/check"] and "post" in paths["/api/v1/rounds/{rid}/paper-ballots"]


def test_ballot_of_the_wrong_shape_for_the_round_is_refused(client, db, world):
    headers = _headers(client, world, "voter")
    url = f"/api/v1/rounds/{world.round.id}/ballot"
    a = world.ideas[0].id
    ranked = client.put(url, json={"ranking": [a]}, headers=headers)  # an approval round
    assert ranked.status_code == 422 and set(ranked.json()["error"]["fields"]) == {"ranking"}
    points = client.put(url, json={"choices": [a], "points": {str(a): 1}}, headers=headers)
    assert points.status_code == 422 and set(points.json()["error"]["fields"]) == {"points"}
    nothing = client.put(url, json={}, headers=headers)
    assert nothing.status_code == 422 and set(nothing.json()["error"]["fields"]) == {"choices"}
    unknown = client.put(url, json={"choices": [a], "pick": [a]}, headers=headers)
    assert unknown.status_code == 422 and set(unknown.json()["error"]["fields"]) == {"pick"}
    assert _ballots(db) == 0
    set_settings(db, world.round.id, ballot_kind="ordinal", ranking_length=2)
    chosen = client.put(url, json={"choices": [a]}, headers={**headers, "accept-language": "en"})
    assert chosen.status_code == 422 and "ranking" in chosen.json()["error"]["fields"]["choices"]
    assert _ballots(db) == 0
