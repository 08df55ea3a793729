"""The points pages: a resident joins and signs up, staff record and approve with the
stamped sheet, the passbook shows the points, a prize is pre-ordered; every form has its
CSRF token, answers 303 when done and shows a clear message, changing nothing, when not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.points.models import Attendance, Entry, Member, Order, Prize
from consult.points.services import activities, attendance, clubs, redemption
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.points.builders import NOW, sheet_photo, world
from tests.surveys.builders import person


def _entries(db) -> int:
    return db.exec(select(func.count()).select_from(Entry)).one()


def _setup(db, settings, residents=1):
    w = world(db, settings, residents=residents)
    db.commit()
    return w


def test_a_resident_joins_signs_up_and_sees_approved_points(db, settings, client):
    w = _setup(db, settings, residents=0)
    user, actor = person(db, settings, "resident", w.tree["area_a"], name="刘秀英")
    now = clock.utcnow()
    soon = activities.create_activity(db, w.staff[1], w.at, activities.ActivityDraft(
        title="楼道清洁", kind="team", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2)),
        now=now)
    db.commit()
    factories.sign_in(client, user.login)
    club_url = f"/points/clubs/{w.at.club.id}"
    assert f'action="{club_url}/join"' in client.get(club_url).text
    joined = post_form(client, club_url, f"{club_url}/join", {})
    assert joined.status_code == 303 and joined.headers["location"] == club_url
    member = db.exec(select(Member).where(Member.user_id == user.id)).one()
    page = f"/points/activities/{soon.id}"
    signed = post_form(client, page, f"{page}/signup", {})
    assert signed.status_code == 303
    again = post_form(client, page, f"{page}/signup", {})
    assert again.status_code == 409 and again.context["error"].text == "Already signed up for this activity."
    # the activity happened; staff recorded and approved it
    soon.starts_at, soon.ends_at = now - timedelta(hours=3), now - timedelta(hours=1)
    db.add(soon)
    att = attendance.record(db, w.staff[1], w.at, soon, now=now, card_code=member.card_code)
    attendance.approve(db, w.second[1], w.at, soon, [str(att.id)], photo=sheet_photo(),
                       media_dir=settings.media_dir, now=now)
    db.commit()
    passbook = client.get(f"/points/members/{member.id}")
    assert passbook.status_code == 200 and "楼道清洁" in passbook.text and "+5" in passbook.text
    assert passbook.context["balance"] == 5
    sheet = passbook.context["lines"][0].approval
    assert client.get(f"/points/sheets/{sheet.id}").headers["content-type"] == "image/jpeg"
    printed = client.get(f"/points/members/{member.id}/print")
    assert printed.status_code == 200 and "<svg" in printed.text
    hours = client.get(f"/points/members/{member.id}/hours.csv")
    assert hours.status_code == 200 and "楼道清洁" in hours.content.decode("utf-8-sig")


def test_someone_else_cannot_read_a_passbook(db, settings, client):
    w = _setup(db, settings)
    member = w.residents[0][2]
    factories.sign_in(client, w.outsider[0].login)
    assert client.get(f"/points/members/{member.id}").status_code == 403


def test_post_without_csrf_is_refused(db, settings, client):
    w = _setup(db, settings)
    factories.sign_in(client, w.outsider[0].login)
    response = client.post(f"/points/clubs/{w.at.club.id}/join", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert db.exec(select(func.count()).select_from(Member)).one() == 1


def test_joining_a_club_of_another_area_says_why(db, settings, client):
    w = _setup(db, settings)
    factories.sign_in(client, w.outsider[0].login)
    url = f"/points/clubs/{w.at.club.id}"
    response = post_form(client, url, f"{url}/join", {})
    assert response.status_code == 409 and "恒丰" in response.text
    assert db.exec(select(func.count()).select_from(Member)).one() == 1


def test_staff_record_and_approve_with_the_sheet_photo(db, settings, client):
    w = _setup(db, settings, residents=2)
    now = clock.utcnow()
    a = activities.create_activity(db, w.staff[1], w.at, activities.ActivityDraft(
        title="重阳敬老", kind="special", starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)),
        now=now)
    db.commit()
    factories.sign_in(client, w.staff[0].login)
    page = f"/staff/points/activities/{a.id}"
    assert client.get(page).status_code == 200
    assert client.get(f"{page}/sheet").status_code == 200
    bad = post_form(client, page, f"{page}/attendance", {"card_code": "NOPE99"})
    assert bad.status_code == 422 and "NOPE99" in bad.text
    for _, _, member in w.residents:
        done = post_form(client, page, f"{page}/attendance", {"card_code": member.card_code.lower()})
        assert done.status_code == 303
    twice = post_form(client, page, f"{page}/attendance", {"card_code": w.residents[0][2].card_code})
    assert twice.status_code == 422
    ids = [str(x.id) for x in db.exec(select(Attendance).where(Attendance.activity_id == a.id)).all()]
    token = csrf_from(client.get(page).text)
    no_photo = client.post(f"{page}/approve", data={"csrf_token": token, "attendance": ids}, follow_redirects=False)
    assert no_photo.status_code == 422 and _entries(db) == 0
    approved = client.post(f"{page}/approve", data={"csrf_token": token, "attendance": ids},
                           files={"photo": ("sheet.jpg", sheet_photo(), "image/jpeg")}, follow_redirects=False)
    assert approved.status_code == 303, approved.text
    assert _entries(db) == 4  # two transfers of two entries
    assert all(x.status == "approved" for x in db.exec(select(Attendance)).all())


def test_nobody_approves_their_own_attendance_on_the_page(db, settings, client):
    w = _setup(db, settings)
    staff_user, staff_actor = w.staff
    member = clubs.join_at_desk(db, staff_actor, w.at, name="李娟", now=NOW)
    member.user_id = staff_user.id
    db.add(member)
    now = clock.utcnow()
    a = activities.create_activity(db, staff_actor, w.at, activities.ActivityDraft(
        title="巡逻", kind="team", starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)), now=now)
    own = attendance.record(db, staff_actor, w.at, a, now=now, card_code=member.card_code)
    db.commit()
    factories.sign_in(client, staff_user.login)
    page = f"/staff/points/activities/{a.id}"
    assert "another committee member" in client.get(page, headers={"accept-language": "en"}).text
    token = csrf_from(client.get(page).text)
    refused = client.post(f"{page}/approve", data={"csrf_token": token, "attendance": [str(own.id)]},
                          files={"photo": ("sheet.jpg", sheet_photo(), "image/jpeg")}, follow_redirects=False)
    assert refused.status_code == 409 and _entries(db) == 0


def test_bad_prize_price_and_club_rules_are_refused_with_messages(db, settings, client):
    w = _setup(db, settings)
    factories.sign_in(client, w.staff[0].login)
    url = f"/staff/points/clubs/{w.at.club.id}"
    for price in ("-5", "2.5"):
        response = post_form(client, url, f"{url}/prizes", {"name": "毛巾", "price": price, "stock": "3"})
        assert response.status_code == 422 and 'aria-invalid="true"' in response.text
    assert db.exec(select(func.count()).select_from(Prize)).one() == 0
    done = post_form(client, url, f"{url}/prizes", {"name": "毛巾", "price": "10", "stock": "3"})
    assert done.status_code == 303
    bad_time = post_form(client, url, f"{url}/activities", {"title": "x", "kind": "team", "starts_at": "tomorrow"})
    assert bad_time.status_code == 422


def test_a_member_pre_orders_and_cannot_overdraw(db, settings, client):
    w = _setup(db, settings)
    user, actor, member = w.residents[0]
    now = clock.utcnow()
    from tests.points.builders import award

    award(db, settings, w, member)  # 5 points
    cheap = redemption.add_prize(db, w.staff[1], w.at, name="肥皂", price="5", stock="1", now=now)
    dear = redemption.add_prize(db, w.staff[1], w.at, name="电饭煲", price="500", stock="1", now=now)
    day = redemption.add_day(db, w.staff[1], w.at, title="兑换日", opens_at=now + timedelta(days=1),
                             closes_at=now + timedelta(days=1, hours=3), now=now)
    db.commit()
    factories.sign_in(client, user.login)
    url = f"/points/days/{day.id}"
    assert client.get(url).status_code == 200
    too_dear = post_form(client, url, f"{url}/orders", {"prize_id": str(dear.id)})
    assert too_dear.status_code == 409 and "500" in too_dear.text
    fraction = post_form(client, url, f"{url}/orders", {"prize_id": str(cheap.id), "quantity": "0.5"})
    assert fraction.status_code == 422
    assert db.exec(select(func.count()).select_from(Order)).one() == 0
    done = post_form(client, url, f"{url}/orders", {"prize_id": str(cheap.id)})
    assert done.status_code == 303
    gone = post_form(client, url, f"{url}/orders", {"prize_id": str(cheap.id)})
    assert gone.status_code == 409


def test_staff_pages_render(db, settings, client):
    w = _setup(db, settings)
    now = clock.utcnow()
    day = redemption.add_day(db, w.staff[1], w.at, title="兑换日", opens_at=now - timedelta(hours=1),
                             closes_at=now + timedelta(hours=3), now=now)
    db.commit()
    factories.sign_in(client, w.staff[0].login)
    for path in ("/staff/points", f"/staff/points/clubs/{w.at.club.id}", f"/staff/points/days/{day.id}",
                 f"/staff/points/clubs/{w.at.club.id}/members/{w.residents[0][2].id}",
                 f"/staff/points/clubs/{w.at.club.id}/members.csv", f"/staff/points/clubs/{w.at.club.id}/ledger.csv",
                 f"/staff/points/clubs/{w.at.club.id}/hours.csv", f"/staff/points/clubs/{w.at.club.id}/activities.csv",
                 f"/staff/points/clubs/{w.at.club.id}/stock.csv", f"/staff/points/days/{day.id}/orders.csv",
                 "/points", f"/points/clubs/{w.at.club.id}"):
        assert client.get(path).status_code == 200, path
    factories.sign_in(client, w.residents[0][0].login)
    assert client.get(f"/staff/points/clubs/{w.at.club.id}").status_code == 403


def test_staff_turn_participation_points_on_and_bad_numbers_are_refused(db, settings, client):
    w = _setup(db, settings)
    factories.sign_in(client, w.staff[0].login)
    url = f"/staff/points/clubs/{w.at.club.id}"
    page = client.get(url)
    assert "Points for taking part on the platform" in page.text or "参与平台" in page.text
    bad = post_form(client, url, f"{url}/participation",
                    {"on": "1", "per_idea": "-3", "per_survey": "1.5", "per_forum": "２", "year_cap": "x"})
    assert bad.status_code == 422 and bad.text.count('aria-invalid="true"') == 4
    db.refresh(w.at.club)
    assert w.at.club.participation_on is False
    done = post_form(client, url, f"{url}/participation",
                     {"on": "1", "per_idea": "5", "per_survey": "2", "per_forum": "3", "day_cap": "", "year_cap": "50"})
    assert done.status_code == 303
    db.refresh(w.at.club)
    assert (w.at.club.participation_on, w.at.club.per_idea, w.at.club.participation_year_cap) == (True, 5, 50)
    assert w.at.club.participation_day_cap is None
