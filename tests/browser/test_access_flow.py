"""Issue 17 in a real browser at 360×740, JavaScript on and off: a forgotten password
reset with a slip printed at the desk, and a family member answering a survey for a
resident (亲情账号), with the banner on every page.

The demo holds the open, anonymous 御品大厦 satisfaction survey for residents of 恒丰.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import family
from consult.accounts import services as accounts
from consult.accounts.models import ActingLog
from consult.communities import services as places
from consult.communities.models import Place
from tests.browser.helpers import (
    MODERATOR,
    PASSWORD,
    check_axe,
    check_layout,
    fresh_phone,
    path_of,
    sign_in,
    submit,
)
from tests.browser.test_surveys_flow import survey_id

pytestmark = pytest.mark.browser

NEW_PASSWORD = "窗口重置后的新密码"


def _resident(live_server, name: str, area: str | None = "恒丰") -> str:
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        user = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                    display_name=name, password=PASSWORD)
        if area:
            place = db.exec(select(Place).where(Place.name == area, Place.kind == "area")).one()
            places.grant_role(db, user=user, role="resident", place=place)
        db.commit()
    return phone


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_resident_gets_back_in_with_a_slip_from_the_desk(make_page, live_server, base_url, js):
    phone = _resident(live_server, "忘了密码的居民")
    desk = make_page(js=js, user=MODERATOR)
    desk.goto(f"{base_url}/staff/resets")
    check_layout(desk)
    desk.fill("#f-login", phone)
    desk.fill("#f-reason", "忘记密码，本人持身份证到场")
    desk.check("input[name=id_checked]")
    submit(desk, "main form button[type=submit]")
    assert "/slip" in path_of(desk)
    code = desk.locator(".slip-code").inner_text().strip()
    assert len(code) == 14 and desk.locator(".qr-box svg").count() == 1
    check_layout(desk)
    if js:
        check_axe(desk)

    resident = make_page(js=js)
    resident.goto(f"{base_url}/login")
    submit(resident, "a[href='/password/forgot']")
    assert "三种方式" in resident.locator("main").inner_text()
    check_layout(resident)
    submit(resident, "a[href='/password/reset']")
    resident.fill("#f-login", phone)
    resident.fill("#f-code", code.lower())
    resident.fill("#f-new", NEW_PASSWORD)
    resident.fill("#f-confirm", NEW_PASSWORD)
    submit(resident, "main form button[type=submit]")
    assert path_of(resident) == "/login"
    assert "密码已重设" in resident.locator(".flash").inner_text()
    sign_in(resident, base_url, phone, NEW_PASSWORD)
    assert path_of(resident) != "/login"


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_family_member_answers_a_survey_for_a_resident(make_page, live_server, base_url, js):
    mother = _resident(live_server, "王阿婆")
    son = _resident(live_server, "王小明", area=None)
    now = clock.utcnow()
    with live_server.database.session(write=True) as db:
        son_actor = places.actor_for(db, accounts.find_by_login(db, son))
        mother_user = accounts.find_by_login(db, mother)
        link = family.ask_to_help(db, son_actor, phone=mother, now=now)
        family.confirm(db, places.actor_for(db, mother_user), link.id, now)
        mother_id = mother_user.id
        db.commit()
    sid = survey_id(live_server.database)

    page = make_page(js=js, user=son)
    page.goto(f"{base_url}/account/family")
    check_layout(page)
    submit(page, f"form[action='/account/family/{link.id}/act'] button")
    assert "正在以家属身份为 王阿婆 代办" in page.locator(".acting-banner").inner_text()
    page.goto(f"{base_url}/surveys/{sid}")
    assert page.locator(".acting-banner").count() == 1
    check_layout(page)
    if js:
        check_axe(page)
    form = page.locator("form.survey-form")
    form.locator(".stars label.star").filter(has_text="4").click()
    for fieldset in form.locator("fieldset.question").all():
        if fieldset.locator(".stars").count():
            continue
        fieldset.locator("label.choice").first.click()
    submit(page, "form.survey-form button[type=submit]")
    assert "谢谢！您的回答已保存。" in page.locator(".flash").inner_text()
    assert "王阿婆" in page.locator(".acting-banner").inner_text()
    submit(page, ".acting-banner button")
    assert path_of(page) == "/account/family" and page.locator(".acting-banner").count() == 0
    with live_server.database.session() as db:
        logged = db.exec(select(ActingLog).where(ActingLog.person_id == mother_id)).all()
    assert [entry.kind for entry in logged] == ["family"]
