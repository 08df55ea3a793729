"""The points club over the JSON API: the same services, the shared error format, the
OpenAPI document with schemas; bad bodies are refused with a message and change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.points.models import Member, Order
from consult.points.services import activities, redemption
from tests.points.builders import award, world
from tests.surveys.builders import person


def bearer(db, user):
    token = accounts.issue_token(db, user)
    db.commit()
    return {"authorization": f"Bearer {token}"}


def test_join_sign_up_check_in_and_read_the_passbook(client, db, settings):
    w = world(db, settings, residents=0)
    user, _ = person(db, settings, "resident", w.tree["area_a"], name="刘秀英")
    now = clock.utcnow()
    a = activities.create_activity(db, w.staff[1], w.at, activities.ActivityDraft(
        title="手工课", kind="themed", starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=1)),
        now=now)
    headers = bearer(db, user)
    clubs = client.get("/api/v1/points/clubs", headers=headers).json()["clubs"]
    assert clubs[0]["may_join"] and clubs[0]["member_id"] is None
    joined = client.post(f"/api/v1/points/clubs/{w.at.club.id}/join", json={}, headers=headers)
    assert joined.status_code == 201 and len(joined.json()["card_code"]) == 6
    again = client.post(f"/api/v1/points/clubs/{w.at.club.id}/join", json={}, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    listed = client.get(f"/api/v1/points/clubs/{w.at.club.id}/activities").json()["activities"]
    assert listed[0]["state"] == "under_way"
    # under way: sign-up is closed, and a check-in without a sign-up is refused
    closed = client.post(f"/api/v1/points/activities/{a.id}/signup", json={}, headers=headers)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "activity_under_way"
    refused = client.post(f"/api/v1/points/activities/{a.id}/checkin", json={"code": a.checkin_code}, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_signed_up"
    member = db.exec(select(Member).where(Member.user_id == user.id)).one()
    book = client.get(f"/api/v1/points/members/{member.id}", headers=headers).json()
    assert book["balance"] == 0 and book["entries"] == []


def test_sign_up_then_check_in(client, db, settings):
    w = world(db, settings)
    user, _, member = w.residents[0]
    now = clock.utcnow()
    a = activities.create_activity(db, w.staff[1], w.at, activities.ActivityDraft(
        title="手工课", kind="themed", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1)),
        now=now)
    headers = bearer(db, user)
    signed = client.post(f"/api/v1/points/activities/{a.id}/signup", json={}, headers=headers)
    assert signed.status_code == 201 and signed.json()["status"] == "confirmed"
    a.starts_at = now - timedelta(minutes=5)
    db.add(a)
    db.commit()
    wrong = client.post(f"/api/v1/points/activities/{a.id}/checkin", json={"code": "x"}, headers=headers)
    assert wrong.status_code == 422 and "code" in wrong.json()["error"]["fields"]
    done = client.post(f"/api/v1/points/activities/{a.id}/checkin", json={"code": a.checkin_code}, headers=headers)
    assert done.status_code == 201 and done.json()["status"] == "pending"


def test_redeem_over_the_api(client, db, settings):
    w = world(db, settings)
    user, _, member = w.residents[0]
    award(db, settings, w, member)
    now = clock.utcnow()
    prize = redemption.add_prize(db, w.staff[1], w.at, name="肥皂", price="5", stock="2", now=now)
    day = redemption.add_day(db, w.staff[1], w.at, title="兑换日", opens_at=now + timedelta(days=1),
                             closes_at=now + timedelta(days=1, hours=2), now=now)
    headers = bearer(db, user)
    for body, status in (({"prize_id": prize.id, "quantity": 1.5}, 422), ({"prize_id": prize.id, "quantity": -1}, 422),
                         ({"prize_id": prize.id, "quantity": 2}, 409), ({"prize_id": "x"}, 422)):
        response = client.post(f"/api/v1/points/days/{day.id}/orders", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
    assert db.exec(select(func.count()).select_from(Order)).one() == 0
    ok = client.post(f"/api/v1/points/days/{day.id}/orders", json={"prize_id": prize.id}, headers=headers)
    assert ok.status_code == 201 and ok.json()["points"] == 5
    detail = client.get(f"/api/v1/points/days/{day.id}", headers=headers).json()
    assert detail["prizes"][0]["stock"] == 1 and detail["my_orders"][0]["status"] == "reserved"
    broke = client.post(f"/api/v1/points/days/{day.id}/orders", json={"prize_id": prize.id}, headers=headers)
    assert broke.status_code == 409 and broke.json()["error"]["code"] == "cannot_order"
    bad = client.post(f"/api/v1/points/days/{day.id}/orders", content=b"{nope", headers=headers)
    assert bad.status_code in (400, 422)


def test_members_are_for_staff(client, db, settings):
    w = world(db, settings)
    staff_headers = bearer(db, w.staff[0])
    members = client.get(f"/api/v1/points/clubs/{w.at.club.id}/members", headers=staff_headers).json()["members"]
    assert len(members) == 3 and all(m["balance"] == 0 for m in members)
    resident = bearer(db, w.residents[0][0])
    assert client.get(f"/api/v1/points/clubs/{w.at.club.id}/members", headers=resident).status_code == 403


def test_openapi_describes_the_points_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    points = {p for p in paths if p.startswith("/api/v1/points")}
    assert {"/api/v1/points/clubs", "/api/v1/points/days/{day_id}/orders",
            "/api/v1/points/members/{member_id}", "/api/v1/points/activities/{activity_id}/checkin"} <= points
    order = paths["/api/v1/points/days/{day_id}/orders"]["post"]
    assert order["requestBody"]["content"]["application/json"]["schema"]["required"] == ["prize_id"]
