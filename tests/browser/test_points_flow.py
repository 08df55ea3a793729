"""The points club in a real browser at 360×740, JavaScript on and off: a resident of 东王
joins and signs up for a coming activity; the 东王 committee records their attendance from
the sheet and the sub-district admin approves it with the photo of the stamped sheet; the
resident sees the points in the passbook and pre-orders a prize. The pages fit a 320 px
phone and pass axe-core.

The demo holds 东王小区积分俱乐部 with coming activities and this quarter's redemption day.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as places
from consult.communities.models import Place
from consult.points.models import Activity, Member, PointsClub, RedemptionDay
from consult.points.services import activities
from consult.points.services.common import club_at
from tests.browser.helpers import PASSWORD, check_axe, check_layout, fresh_phone, path_of, submit

pytestmark = pytest.mark.browser

STAFF, ADMIN = "13800000010", "13800000001"  # 东王居委会, the sub-district admin


def fresh_resident(live_server) -> str:
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        user = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                    display_name="东王新居民", password=PASSWORD)
        area = db.exec(select(Place).where(Place.name == "东王", Place.kind == "area")).one()
        places.grant_role(db, user=user, role="resident", place=area)
        db.commit()
    return phone


def _sheet(tmp_path) -> str:
    path = tmp_path / "sheet.jpg"
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (240, 240, 230)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_sign_up_attend_approve_and_pre_order(make_page, live_server, base_url, js, tmp_path):
    phone = fresh_resident(live_server)
    db_ = live_server.database
    with db_.session() as db:
        club = db.exec(select(PointsClub)).one()
        now = clock.utcnow()
        coming = db.exec(select(Activity).where(Activity.club_id == club.id, Activity.starts_at > now,
                                                Activity.capacity.is_(None))).first()
        day = db.exec(select(RedemptionDay).where(RedemptionDay.opens_at > now)).one()
    page = make_page(js=js, user=phone)
    page.goto(f"{base_url}/points/clubs/{club.id}")
    check_layout(page)
    if js:
        check_axe(page)
    submit(page, f"form[action='/points/clubs/{club.id}/join'] button")
    assert "欢迎加入" in page.inner_text("main")
    page.goto(f"{base_url}/points/activities/{coming.id}")
    submit(page, f"form[action='/points/activities/{coming.id}/signup'] button")
    assert "报名成功" in page.inner_text("main")
    check_layout(page)

    # the same member attended a day of cleaning that has just ended (arranged as the desk would):
    # enough points for the cheapest prize (20)
    with db_.session(write=True) as db:
        member = db.exec(select(Member).where(Member.club_id == club.id, Member.name == "东王新居民")
                         .order_by(Member.id.desc())).first()
        staff = places.actor_for(db, accounts.find_by_login(db, STAFF))
        now = clock.utcnow()
        ended = activities.create_activity(db, staff, club_at(db, club.id), activities.ActivityDraft(
            title=f"楼道清洁（{phone[-4:]}）", kind="team", starts_at=now - timedelta(hours=8, minutes=5),
            ends_at=now - timedelta(minutes=5)), now=now - timedelta(days=1))
        db.commit()
        card, ended_id = member.card_code, ended.id

    desk = make_page(js=js, user=STAFF)
    desk.goto(f"{base_url}/staff/points/activities/{ended_id}")
    desk.fill("form[action$='/attendance'] input[name=card_code]", card)
    submit(desk, "form[action$='/attendance'] button[type=submit]")
    assert "等待居委会审核" in desk.inner_text("main")

    committee = make_page(js=js, user=ADMIN)
    committee.goto(f"{base_url}/staff/points/activities/{ended_id}")
    committee.set_input_files("form[action$='/approve'] input[type=file]", _sheet(tmp_path))
    submit(committee, "form[action$='/approve'] button[type=submit]")
    assert "积分已记入" in committee.inner_text("main")

    page.goto(f"{base_url}/points/members/{member.id}")
    assert path_of(page) == f"/points/members/{member.id}"
    text = page.inner_text("main")
    assert "+21" in text and "21 积分" in text and "楼道清洁" in text  # 东王: team 5, + 2 an hour for 8 h
    check_layout(page)
    page.goto(f"{base_url}/points/days/{day.id}")
    submit(page, f"form[action='/points/days/{day.id}/orders'] button")
    assert "预订成功" in page.inner_text("main")
    check_layout(page)
