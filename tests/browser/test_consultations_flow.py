"""An idea's way through a consultation in a real browser at 360×740, with JavaScript on and off.

A resident proposes an idea with a photo in the demo's open 恒丰 consultation; the 恒丰
moderator asks for a revision; the resident revises it; the diff shows what changed;
the moderator shortlists it; the resident sees the timeline and the notification.
Every page on the way fits a 320 px phone and passes axe-core.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from consult.accounts import services as accounts
from consult.communities import services as places
from consult.communities.models import Place
from consult.consultations.models import Consultation, Idea
from tests.browser.helpers import (
    MODERATOR,
    PASSWORD,
    check_axe,
    check_layout,
    fresh_phone,
    path_of,
    submit,
)

pytestmark = pytest.mark.browser


def fresh_resident(live_server) -> str:
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        user = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                    display_name="浏览器居民", password=PASSWORD)
        area = db.exec(select(Place).where(Place.name == "恒丰", Place.kind == "area")).one()
        places.grant_role(db, user=user, role="resident", place=area)
        db.commit()
    return phone


def photo_file(path, color):
    """A 640×480 phone-like JPEG at ``path``."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def open_consultation(live_db) -> int:
    """The demo's 恒丰 consultation of this year, whose collection round is open."""
    with live_db.session() as db:
        return db.exec(select(Consultation.id).where(Consultation.title.like("%恒丰居民区微更新征集"))).one()


def check(page, js: bool = True) -> None:
    """Layout always; axe-core only with JavaScript on: axe runs on timers and promises, which
    never fire in a page whose scripts are disabled (the scan would wait forever). The same
    pages are scanned in the JavaScript run."""
    check_layout(page)
    if js:
        check_axe(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_idea_from_proposal_to_shortlist(make_page, live_server, base_url, tmp_path, js):
    cid = open_consultation(live_server.database)
    title = f"3号楼楼道声控灯更换（{'甲' if js else '乙'}）"
    photo = photo_file(tmp_path / "lamp.jpg", (90, 120, 160))

    # 1. the resident proposes an idea with a photo
    resident = make_page(js=js, user=fresh_resident(live_server))
    resident.goto(f"{base_url}/consultations/{cid}")
    check(resident, js)
    submit(resident, f"a[href='/consultations/{cid}/ideas/new']")
    check(resident, js)
    resident.fill("#f-title", title)
    if js:  # similar ideas are offered while typing
        resident.locator("#similar a").first.wait_for()
        assert "2号楼楼道声控灯更换" in resident.locator("#similar").inner_text()
    resident.fill("#f-description", "3号楼楼道的灯坏了，晚上看不清楼梯。")
    resident.select_option("#f-category_id", label="实事项目")
    resident.fill("#f-estimated_cost", "3000")
    resident.set_input_files("#f-photos", str(photo))
    submit(resident, "main form button[type=submit]")
    assert path_of(resident).endswith("/confirm")
    assert "2号楼楼道声控灯更换" in resident.locator("main").inner_text()  # the no-JS duplicate check
    check(resident, js)
    submit(resident, "form[action$='/submit'] button")
    idea_path = path_of(resident)
    assert idea_path.startswith("/ideas/")
    assert resident.locator(".photo-grid img").count() == 1
    assert "已提交" in resident.locator(".c-state").first.inner_text()
    check(resident, js)

    # 2. the moderator asks for a revision
    moderator = make_page(js=js, user=MODERATOR)
    moderator.goto(base_url + idea_path)
    check(moderator, js)
    moderator.fill("#review-request_revision-note", "请写明涉及哪几层。")
    submit(moderator, "form.review-form:has(input[value=request_revision]) button")
    flash = moderator.locator(".flash").inner_text()  # what happened, to which idea (issue 16 item 13)
    assert "3号楼楼道声控灯更换" in flash and "修改" in flash and "通知" in flash

    # 3. the resident revises; the diff shows the change
    resident.goto(base_url + idea_path)
    assert "请写明涉及哪几层。" in resident.locator(".c-callout").inner_text()
    submit(resident, f"a[href='{idea_path}/edit']")
    check(resident, js)
    resident.fill("#f-description", "3号楼一至六层楼道的灯坏了，晚上看不清楼梯。")
    submit(resident, "main form button[type=submit]")
    assert path_of(resident) == idea_path
    assert "第 2 版" in resident.locator(".flash").inner_text()
    submit(resident, f"a[href='{idea_path}/versions?from=1&to=2']")
    assert resident.locator(".c-diff ins").filter(has_text="一至六层").count() == 1
    check(resident, js)

    # 4. the moderator shortlists it
    moderator.goto(base_url + idea_path)
    submit(moderator, "form.review-form:has(input[value=shortlist]) button")
    assert "已入围" in moderator.locator(".c-state").first.inner_text()

    # 5. the resident sees the timeline and the notification
    resident.goto(base_url + idea_path)
    timeline = resident.locator(".c-timeline").inner_text()
    for step in ("提交了建议", "请提议人修改", "发布了修改后的版本（第 2 版）", "将建议列入候选"):
        assert step in timeline, step
    assert "请写明涉及哪几层。" in timeline
    check(resident, js)
    assert resident.locator("header .badge").inner_text() == "2"  # revision asked, shortlisted
    submit(resident, "header a[href='/notifications']")
    notes = resident.locator("main").inner_text()
    assert title in notes and "请写明涉及哪几层。" in notes
    check(resident, js)

    with live_server.database.session() as db:
        idea = db.exec(select(Idea).where(Idea.title == title)).one()
        assert (idea.state, idea.version) == ("shortlisted", 2)


def test_consultation_pages_fit_a_phone_and_pass_axe(make_page, live_server, base_url):
    """The 2019 consultation in its vote round: public pages, and the committee's."""
    with live_server.database.session() as db:
        cid = db.exec(select(Consultation.id).where(Consultation.year == 2019)).one()
        revised = db.exec(select(Idea.id).where(Idea.consultation_id == cid, Idea.version > 1)).first()
        merged = db.exec(select(Idea.id).where(Idea.state == "merged")).first()
    anonymous = make_page()
    for path in ("/consultations", f"/consultations/{cid}", f"/consultations/{cid}/ideas",
                 f"/consultations/{cid}/ideas?sort=supported&page=2", f"/ideas/{revised}",
                 f"/ideas/{merged}", f"/ideas/{revised}/versions"):
        anonymous.goto(base_url + path)
        check(anonymous)
    admin = make_page(user="13800000001")
    for path in (f"/consultations/{cid}/review", f"/consultations/{cid}/stats",
                 f"/consultations/{cid}/manage", f"/consultations/{cid}/notice"):
        admin.goto(base_url + path)
        assert admin.title(), path
        check(admin)
    assert admin.locator("svg.qr").count() == 1  # the notice, visited last, has its QR code


def test_a_photo_chosen_before_a_mistake_is_kept_on_a_phone_without_javascript(make_page, live_server, base_url,
                                                                              tmp_path):
    """Issue 16 item 6: the form comes back for a missing title; the photo she chose is
    shown, kept, and goes with the idea once the title is there: no choosing it again."""
    cid = open_consultation(live_server.database)
    photo = photo_file(tmp_path / "stairs.jpg", (160, 120, 90))
    resident = make_page(js=False, user=fresh_resident(live_server))
    resident.goto(f"{base_url}/consultations/{cid}/ideas/new")
    resident.fill("#f-description", "5号楼楼梯没有扶手，老人上下楼不方便。")
    resident.select_option("#f-category_id", label="实事项目")
    resident.set_input_files("#f-photos", str(photo))
    submit(resident, "main form button[type=submit]")
    kept = resident.locator("#kept-photos")
    assert "无需重新选择" in kept.inner_text()
    assert "请重新选择照片" not in resident.locator("main").inner_text()
    thumbnail = kept.locator("img").get_attribute("src")
    shown = resident.request.get(base_url + thumbnail)
    assert shown.status == 200 and shown.headers["content-type"] == "image/jpeg"
    check_layout(resident)
    resident.fill("#f-title", "5号楼楼梯加装扶手")
    submit(resident, "main form button[type=submit]")
    assert path_of(resident).endswith("/confirm")
    submit(resident, "form[action$='/submit'] button")
    assert path_of(resident).startswith("/ideas/")
    assert resident.locator(".photo-grid img").count() == 1
