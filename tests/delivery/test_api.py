"""Delivery over the JSON API: the same services as the pages, bearer tokens, the shared
error format (422 with a message per field, 409, 403), amounts as integer fen, and the
OpenAPI document describing every route."""

from __future__ import annotations

import base64

import pytest
from sqlmodel import select

from consult.accounts import services as accounts
from consult.delivery.models import BudgetLine, Pledge, Repair
from tests.delivery.builders import DAY, jpeg, project


def bearer(db, user):
    token = accounts.issue_token(db, user)
    db.flush()
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def now():
    from consult import clock

    return clock.utcnow()


def test_read_projects_and_a_project(client, db, w, now):
    p = project(db, w, state="in_progress", budget="1234.56", now=now)
    listing = client.get("/api/v1/projects").json()
    assert [x["budget_fen"] for x in listing["projects"] if x["id"] == p.id] == [123456]
    assert {"area_id": w.tree["area_a"].id, "state": "in_progress", "count": 1, "budget_fen": 123456} \
        in listing["by_state"]
    detail = client.get(f"/api/v1/projects/{p.id}").json()
    assert detail["project"]["state"] == "in_progress" and detail["timeline"][0]["action"] == "created"
    assert client.get("/api/v1/projects/999999").status_code == 404


def test_staff_keep_accounts_and_pledges(client, db, w, now):
    p = project(db, w, state="in_progress", category="gongchou", budget="100", now=now)
    staff = bearer(db, w.user("moderator_in"))
    line = client.post(f"/api/v1/projects/{p.id}/budget-lines", json={"name": "材料"}, headers=staff)
    assert line.status_code == 201
    bad = client.post(f"/api/v1/projects/{p.id}/budget-entries", headers=staff, json={
        "line_id": line.json()["id"], "kind": "spent", "source": "jiedao", "amount": "1.001", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"]["amount"] == "金额最多保留两位小数（到分）。"
    number = client.post(f"/api/v1/projects/{p.id}/budget-entries", headers=staff, json={
        "line_id": line.json()["id"], "kind": "spent", "source": "jiedao", "amount": 12.5, "reason": "x"})
    assert number.status_code == 422  # amounts are text, never a float
    ok = client.post(f"/api/v1/projects/{p.id}/budget-entries", headers=staff, json={
        "line_id": line.json()["id"], "kind": "spent", "source": "jiedao", "amount": "99.99", "reason": "发票"})
    assert ok.status_code == 201 and ok.json()["amount_fen"] == 9999
    resident = bearer(db, w.user("resident_in"))
    pledged = client.post(f"/api/v1/projects/{p.id}/pledges", headers=resident,
                          json={"kind": "labour", "quantity": "6", "unit": "小时"})
    assert pledged.status_code == 201
    pid = pledged.json()["id"]
    received = client.post(f"/api/v1/pledges/{pid}/receive", headers=staff,
                           json={"quantity": "4", "receipt": "paper", "receipt_file": base64.b64encode(jpeg()).decode()})
    assert received.status_code == 200 and received.json()["received"] == 4
    over = client.post(f"/api/v1/pledges/{pid}/receive", headers=staff, json={"quantity": "3", "receipt": "account"})
    assert over.status_code == 422
    late = client.post(f"/api/v1/pledges/{pid}/change", headers=resident, json={"quantity": "9"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "pledge_received"
    assert db.get(Pledge, pid).quantity == 6
    outsider = bearer(db, w.user("moderator_out"))
    refused = client.post(f"/api/v1/projects/{p.id}/budget-lines", json={"name": "x"}, headers=outsider)
    assert refused.status_code == 403 and "恒丰小区" in refused.json()["error"]["message"]
    assert len(db.exec(select(BudgetLine).where(BudgetLine.project_id == p.id)).all()) == 1
    garbage = client.post(f"/api/v1/pledges/{pid}/receive", headers=staff,
                          json={"quantity": "1", "receipt": "paper", "receipt_file": "!!not base64"})
    assert garbage.status_code == 422


def test_acceptance_ratings_and_checks(client, db, w, now):
    p = project(db, w, state="in_progress", kind="seating", now=now)
    staff = bearer(db, w.user("moderator_in"))
    alone = client.post(f"/api/v1/projects/{p.id}/acceptance", headers=staff, json={})
    assert alone.status_code == 422
    assert client.post(f"/api/v1/projects/{p.id}/acceptance", headers=staff,
                       json={"record": base64.b64encode(jpeg()).decode()}).status_code == 201
    twice = client.post(f"/api/v1/projects/{p.id}/acceptance", headers=staff,
                        json={"record": base64.b64encode(jpeg()).decode()})
    assert twice.status_code == 409
    rep = bearer(db, w.user("owners_rep_in"))
    assert client.post(f"/api/v1/projects/{p.id}/acceptance", headers=rep, json={}).json()["capacity"] == "residents"
    db.refresh(p)
    assert p.state == "accepted"
    resident = bearer(db, w.user("resident_in"))
    early = client.post(f"/api/v1/projects/{p.id}/ratings", headers=resident, json={"stars": 5})
    assert early.status_code == 409 and early.json()["error"]["code"] == "rating_not_open"
    p.accepted_on = (now - 30 * DAY).date()
    db.add(p)
    db.flush()
    assert client.post(f"/api/v1/projects/{p.id}/ratings", headers=resident, json={"stars": 5}).json()["wave"] == 30
    assert client.post(f"/api/v1/projects/{p.id}/ratings", headers=resident, json={"stars": 4}).status_code == 409
    items = {"edges": {"result": "fail", "repair_party": "juweihui", "repair_due": (now + 5 * DAY).date().isoformat()},
             "signage": {"result": "pass"}, "structure": {"result": "pass"}}
    check = client.post(f"/api/v1/projects/{p.id}/checks", headers=staff,
                        json={"checked_on": now.date().isoformat(), "items": items})
    assert check.status_code == 201 and check.json()["failed"] == 1
    due = client.get("/api/v1/register/due", headers=staff).json()["due"]
    assert [(d["project_id"], d["what"]) for d in due] == [(p.id, "repair")]
    repair = db.exec(select(Repair).where(Repair.project_id == p.id)).one()
    closed = client.post(f"/api/v1/repairs/{repair.id}/recheck", headers=bearer(db, w.user("moderator_in2")),
                         json={"result": "pass"})
    assert closed.json()["state"] == "closed"
    retired = client.post(f"/api/v1/projects/{p.id}/move", headers=staff, json={"action": "retire", "note": "拆除"})
    assert retired.json()["state"] == "retired"
    after = client.post(f"/api/v1/projects/{p.id}/checks", headers=staff,
                        json={"checked_on": now.date().isoformat(), "items": items})
    assert after.status_code == 409 and after.json()["error"]["message"] == "已退役的项目不再进行安全自查。"


def test_the_openapi_document_describes_delivery(client):
    doc = client.get("/api/v1/openapi.json").json()
    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {"api_projects", "api_project", "api_project_entry", "api_pledge_step", "api_project_check",
            "api_register_due", "api_project_sign", "api_project_rate"} <= ops
    entry = doc["paths"]["/api/v1/projects/{project_id}/budget-entries"]["post"]
    assert entry["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "line_id", "kind", "source", "amount", "reason"]
