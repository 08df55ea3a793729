"""The points demo: 东王小区's club as the issue describes it, and its pages render."""

from sqlalchemy import func
from sqlmodel import select

from consult.communities import demo as communities_demo
from consult.points import demo
from consult.points.models import Attendance, Correction, Member, Order, PointsClub, RedemptionDay
from consult.points.services import ledger
from tests import factories


def test_demo(db, settings, client):
    places = communities_demo.load_places(db)
    users = communities_demo.load_people(db, settings, places)
    demo.load(db, settings, places, users)
    club = db.exec(select(PointsClub)).one()
    assert club.place_id == places["东王"].id
    assert db.exec(select(func.count()).select_from(Member)).one() == 60
    statuses = {s for s in db.exec(select(Attendance.status)).all()}
    assert {"approved", "pending"} <= statuses
    assert db.exec(select(Correction.status)).all() == ["confirmed"]
    assert len(db.exec(select(RedemptionDay)).all()) == 2
    assert {o.status for o in db.exec(select(Order)).all()} >= {"collected", "released", "reserved"}
    assert ledger.check(db) == []
    db.commit()
    factories.sign_in(client, "13800000021", communities_demo.DEMO_PASSWORD)
    member = db.exec(select(Member).where(Member.user_id == users["13800000021"].id)).one()
    page = client.get(f"/points/members/{member.id}")
    assert page.status_code == 200 and page.context["balance"] > 0
    assert client.get(f"/points/clubs/{club.id}").status_code == 200
