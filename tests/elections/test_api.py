"""Owners' committee elections over the JSON API."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult import clock
from tests import factories
from tests.elections.test_routes import close, open_now


def token(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"login": user.login, "password": factories.PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_call_vote_gauge_and_result(client, world, db):
    staff = token(client, world.moderator)
    now = clock.utcnow()
    created = client.post(f"/api/v1/estates/{world.estate.id}/elections", headers=staff, json={
        "title": "业委会换届选举", "seats": 3, "rank": "area",
        "opens_at": (now + timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=9)).isoformat()})
    assert created.status_code == 201, created.text
    election_id = created.json()["id"]
    ids = [client.post(f"/api/v1/elections/{election_id}/candidates", headers=staff,
                       json={"name": name}).json()["id"] for name in ("甲", "乙")]
    from consult.elections.models import OwnerElection

    open_now(db, db.get(OwnerElection, election_id))
    li = token(client, world.li)
    body = client.get(f"/api/v1/elections/{election_id}", headers=li).json()
    assert body["voices"][0]["homes"] == ["1-101", "1-102"] and body["voices"][0]["voted"] is False
    assert body["gauge"]["area_needed"] == "400.00" and body["gauge"]["owners_needed"] == 3
    cast = client.post(f"/api/v1/elections/{election_id}/ballots", headers=li, json={"candidates": ids})
    assert cast.status_code == 201 and "candidates" not in cast.json()
    again = client.post(f"/api/v1/elections/{election_id}/ballots", headers=li, json={"candidates": ids})
    assert again.status_code == 409
    gauge = client.get(f"/api/v1/elections/{election_id}").json()["gauge"]
    assert (gauge["area_voted"], gauge["owners_voted"]) == ("200.00", 1)
    assert gauge["area_turnout"] == {"fraction": "1/3", "percent": "33.33%"}
    assert client.get(f"/api/v1/elections/{election_id}/result").status_code == 409
    close(db, db.get(OwnerElection, election_id))
    result = client.get(f"/api/v1/elections/{election_id}/result").json()
    assert result["quorum_met"] is False and result["unfilled"] == 3
    assert [c["name"] for c in result["candidates"]] == ["甲", "乙"]


def test_bad_bodies_get_a_clear_message_and_change_nothing(client, world, db):
    election, _ = world.election()
    open_now(db, election)
    li = token(client, world.li)
    url = f"/api/v1/elections/{election.id}/ballots"
    for body in ({"candidates": "12"}, {"candidates": [True]}, {"candidates": [{"id": 1}]},
                 {"candidates": ["999999"]}):
        response = client.post(url, headers=li, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["message"]
    staff = token(client, world.moderator)
    bad = client.post(f"/api/v1/estates/{world.estate.id}/elections", headers=staff,
                      json={"title": "x", "seats": "many", "opens_at": "", "closes_at": ""})
    assert bad.status_code == 422 and "seats" in bad.json()["error"]["fields"]
    assert client.get(f"/api/v1/elections/{election.id}").json()["gauge"]["owners_voted"] == 0


def test_nominations_over_the_api(client, world, db):
    """Staff record a residents' committee nomination with the register numbers of its
    nominators; below the threshold, or by someone not on the register, nothing is stored."""
    from consult.elections import services
    from consult.elections.models import ResidentCandidate
    from tests.elections.test_nominations import _election, _voter

    opens = clock.utcnow() + timedelta(days=10)  # the API acts at the real clock: before voting
    election = _election(db, world, voters=2, opens=opens, closes=opens + timedelta(days=7))
    a, b = (_voter(db, world, election, n) for n in ("赵", "钱"))
    db.commit()
    url = f"/api/v1/resident-elections/{election.id}/candidates"
    assert client.post(url, json={"name": "甲", "nominators": [a, b]}).status_code == 401
    staff = token(client, world.moderator)
    short = client.post(url, headers=staff, json={"name": "甲", "nominators": [a, a]})
    assert short.status_code == 422 and "nominators" in short.json()["error"]["fields"]
    for bad in ({"name": "甲", "nominators": "1,2"}, {"name": "甲", "nominators": [True]},
                {"name": "甲", "nominators": [a, b], "by": "friends"}, {"nominators": [a, b]}):
        response = client.post(url, headers=staff, json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["message"]
    assert not db.exec(select(ResidentCandidate)).all()
    done = client.post(url, headers=staff, json={"name": "甲", "statement": "热心公益", "nominators": [a, str(b)]})
    assert done.status_code == 201, done.text
    assert done.json()["nominated_by"] == "voters" and done.json()["nominators"] == [a, b]
    listed = client.get(f"/api/v1/resident-elections/{election.id}").json()["candidates"]
    assert [c["name"] for c in listed] == ["甲"]
    assert services.nominators_of(db, db.get(ResidentCandidate, done.json()["id"]))
