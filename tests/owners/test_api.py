"""Owners' votes over the JSON API: register, matters, ballots, turnout and result."""

from __future__ import annotations

from datetime import timedelta

from consult import clock
from consult.owners import services
from tests import factories
from tests.owners.conftest import HOMES


def token(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"login": user.login, "password": factories.PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def open_matter(world, kind="ordinary"):
    now = clock.utcnow()
    return world.matter(kind=kind, opens=now - timedelta(hours=1), closes=now + timedelta(days=2), now=now)


def test_register_get_and_import(client, world):
    staff = token(client, world.moderator)
    url = f"/api/v1/estates/{world.estate.id}/owners/register"
    body = client.get(url, headers=staff).json()
    assert (body["area_total"], body["owners_total"], body["homes_total"]) == ("600.00", 4, 7)
    assert body["homes"][0]["owners"] == [{"id": body["homes"][0]["owners"][0]["id"], "name": "li", "identifier": None, "linked": True}]
    assert client.get(url, headers=token(client, world.li)).status_code == 403
    bad = client.post(url, headers=staff, json={"csv": "home_id,building,room,area_m2,owners,developer_held\n"
                                                      "1,1,1,0,a,0\n1,1,2,x,,0\n"})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_register"
    assert set(error["fields"]) == {"line_2", "line_3", "line_3_2", "line_3_3"}
    assert error["fields"]["line_2"] == "第 2 行：面积“0”必须大于零。"
    good = client.post(url, headers=staff, json={"csv": HOMES + "1-108,1,108,10.00,sun,0\n"})
    assert good.status_code == 200 and good.json()["owners_total"] == 5


def test_matters_create_list_get(client, world):
    staff = token(client, world.moderator)
    url = f"/api/v1/estates/{world.estate.id}/owners/matters"
    bad = client.post(url, headers=staff, json={"title": "", "kind": "ordinary",
                                                "opens_at": "2030-01-01T09:00", "closes_at": "2029-01-01"})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"title", "closes_at"}
    created = client.post(url, headers=staff, json={
        "title": "筹集专项维修资金", "kind": "maintenance_fund_raise",
        "opens_at": "2030-01-01T09:00:00+08:00", "closes_at": "2030-01-20T17:00:00+08:00"})
    assert created.status_code == 201
    matter = created.json()
    assert matter["major"] and matter["state"] == "scheduled"
    assert matter["opens_at"].startswith("2030-01-01T01:00:00")
    listed = client.get(url).json()["matters"]
    assert [m["id"] for m in listed] == [matter["id"]]
    assert client.get(f"/api/v1/owners/matters/{matter['id']}").json()["voices"] == []


def test_owner_casts_online_once_and_sees_it(client, world):
    matter = open_matter(world)
    headers = token(client, world.wang)
    detail = client.get(f"/api/v1/owners/matters/{matter.id}", headers=headers).json()
    [voice] = detail["voices"]
    assert voice["homes"] == ["1-103", "1-104"] and voice["area"] == "100.00"
    url = f"/api/v1/owners/matters/{matter.id}/ballots"
    cast = client.post(url, headers=headers, json={"owner": voice["owner"], "choice": "agree"})
    assert cast.status_code == 201 and cast.json()["channel"] == "web"
    again = client.post(url, headers=token(client, world.zhao), json={"choice": "disagree"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_voted"
    assert client.post(url, json={"choice": "agree"}).status_code == 401


def test_paper_void_turnout_and_result(client, world, db):
    matter = open_matter(world, kind="major")
    staff = token(client, world.moderator)
    paper = client.post(f"/api/v1/owners/matters/{matter.id}/paper-ballots", headers=staff,
                        json={"serial": "A1", "home_id": "1-105", "choice": "agree"})
    assert paper.status_code == 201 and paper.json()["outcome"] == "entered"
    ballot_id = paper.json()["ballot"]["id"]
    assert client.post(f"/api/v1/owners/ballots/{ballot_id}/void", headers=token(client, world.li),
                       json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/owners/ballots/{ballot_id}/void", headers=staff,
                       json={"reason": "录错房号"}).status_code == 403  # staff who entered it
    voided = client.post(f"/api/v1/owners/ballots/{ballot_id}/void",
                         headers=token(client, world.moderator2), json={"reason": "录错房号"})
    assert voided.status_code == 200 and voided.json()["active"] is False
    assert voided.json()["choice"] is None and paper.json()["ballot"]["choice"] is None
    client.post(f"/api/v1/owners/matters/{matter.id}/paper-ballots", headers=staff,
                json={"serial": "A1", "home_id": "1-106", "choice": "agree"})
    world.vote(world.li, matter, now=clock.utcnow())
    world.vote(world.wang, matter, choice="abstain", now=clock.utcnow())
    turnout = client.get(f"/api/v1/owners/matters/{matter.id}/turnout", headers=token(client, world.zhao)).json()
    assert turnout["area_voted"] == "500.00" and turnout["owners_voted"] == 3
    assert turnout["area_turnout"] == {"fraction": "5/6", "percent": "83.33%"}
    assert client.get(f"/api/v1/owners/matters/{matter.id}/turnout").status_code == 401
    assert client.get(f"/api/v1/owners/matters/{matter.id}/result").status_code == 409
    matter.closes_at = clock.utcnow() - timedelta(seconds=1)
    db.add(matter)
    db.flush()
    result = client.get(f"/api/v1/owners/matters/{matter.id}/result").json()
    assert (result["owners_agree"], result["area_agree"], result["owners_abstain"]) == (2, "400.00", 1)
    assert result["owners_agree_ratio"]["fraction"] == "2/3"
    assert result["quorum_met"] and not result["passed"]  # 2/3 of voters < 3/4
    _, _, outcome = services.result(db, matter.id, clock.utcnow())
    assert result["area_voted"] == str(outcome.area_voted)


def test_proxy_ballot_multipart_with_the_signed_form(client, world):
    matter = open_matter(world)
    url = f"/api/v1/owners/matters/{matter.id}/proxy-ballots"
    staff = token(client, world.moderator)
    fields = {"home_id": "1-107", "choice": "disagree", "holder": "钱"}
    scan = {"file": ("weituoshu.pdf", b"%PDF-1.4 proxy", "application/pdf")}
    assert client.post(url, data=fields, files=scan, headers=token(client, world.li)).status_code == 403
    unsigned = client.post(url, data=fields, headers=staff)
    assert unsigned.status_code == 422 and set(unsigned.json()["error"]["fields"]) == {"file"}
    unknown = client.post(url, data={**fields, "owner_id": "5"}, files=scan, headers=staff)
    assert unknown.status_code == 422 and set(unknown.json()["error"]["fields"]) == {"owner_id"}
    wrong = client.post(url, data={**fields, "choice": "maybe"}, files=scan, headers=staff)
    assert wrong.status_code == 422 and set(wrong.json()["error"]["fields"]) == {"choice"}
    done = client.post(url, data=fields, files=scan, headers=staff)
    assert done.status_code == 201, done.text
    assert done.json()["channel"] == "proxy" and done.json()["choice"] is None
    again = client.post(url, data=fields, files=scan, headers=staff)
    assert again.status_code in (409, 422)  # that home has voted
    closed = world.matter(opens=clock.utcnow() - timedelta(days=3), closes=clock.utcnow() - timedelta(days=1),
                          now=clock.utcnow() - timedelta(days=4))
    late = client.post(f"/api/v1/owners/matters/{closed.id}/proxy-ballots", data=fields, files=scan,
                       headers=staff)
    assert late.status_code == 409
    document = client.get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/owners/matters/{matter_id}/proxy-ballots"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == {"home_id", "choice", "holder", "file"}
