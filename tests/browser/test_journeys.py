"""Issue 16 journeys, end to end in Chromium at 360×740 with WeChat's user agent.

1. From the QR code on an idea's printed notice, unregistered, to a counted support, with
   the verification and its approval in between — the idea page says at each step what to
   do next, and the approval leads back to the idea.
2. From a ballot to a printed receipt.

Each with JavaScript on and off, in normal and elder mode; every page on the way fits a
320 px phone, and axe-core finds no serious or critical violation (where scripts run).
The browser floor's state without ``:has()``: a ticked choice is highlighted by its sibling.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import services as places
from consult.communities.models import Place
from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
from tests.browser.helpers import (
    MODERATOR,
    PASSWORD,
    check_axe,
    check_layout,
    fresh_phone,
    path_of,
    submit,
)
from tests.browser.test_voting_flow import arrange

pytestmark = pytest.mark.browser

#: WeChat's in-app browser on an Android phone (the user agent the issue names).
WECHAT = ("Mozilla/5.0 (Linux; Android 10; V1938T Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.62 XWEB/2691 MMWEBSDK/200801 Mobile "
          "Safari/537.36 MMWEBID/1234 MicroMessenger/7.0.18.1740(0x27001235) Process/toolsmp "
          "WeChat/arm64 NetType/4G Language/zh_CN ABI/arm64")

MODES = pytest.mark.parametrize("js, elder", [(True, False), (False, False), (True, True), (False, True)],
                                ids=["js", "nojs", "js-elder", "nojs-elder"])


def wechat(page) -> None:
    """Every request of this page as WeChat's browser sends it."""
    page.context.set_extra_http_headers({"user-agent": WECHAT})


def check(page, js: bool) -> None:
    check_layout(page)
    if js:
        check_axe(page)


def _area(db) -> Place:
    return db.exec(select(Place).where(Place.name == "恒丰", Place.kind == "area")).one()


def arrange_idea(live_server, suffix: str) -> int:
    """A 恒丰 consultation collecting ideas now, with one submitted idea (by a demo-free author)."""
    now = clock.utcnow()
    with live_server.database.session(write=True) as db:
        area = _area(db)
        author = accounts.create_user(db, live_server.settings, login=(p := fresh_phone()), phone=p,
                                      display_name="提议人", password=PASSWORD)
        places.grant_role(db, user=author, role="resident", place=area)
        consultation = Consultation(title=f"旅程测试{suffix}", year=now.year, scope_place_id=area.id)
        db.add(consultation)
        db.flush()
        category = Category(consultation_id=consultation.id, name="环境")
        item = Round(consultation_id=consultation.id, position=1, kind="collect", title="征集",
                     opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7), settings={})
        db.add_all([category, item])
        db.flush()
        idea = Idea(consultation_id=consultation.id, author_id=author.id, title=f"楼道加装扶手{suffix}",
                    description="方便老人上下楼", category_id=category.id, place_id=area.id,
                    area_id=area.id, estimated_cost_fen=350_000, state="submitted",
                    current_round_id=item.id, version=1, submitted_at=now)
        db.add(idea)
        db.flush()
        db.add(IdeaRound(idea_id=idea.id, round_id=item.id))
        db.commit()
        return idea.id


def supports(page) -> str:
    return page.locator("#support-h + .c-big").inner_text()


@MODES
def test_from_a_notice_qr_to_a_counted_support(make_page, live_server, base_url, js, elder):
    suffix = ("甲" if js else "乙") + ("老" if elder else "")
    iid = arrange_idea(live_server, suffix)
    phone = fresh_phone()
    # the committee prints the idea's notice; its QR code carries the idea's address
    moderator = make_page(js=js, user=MODERATOR)
    moderator.goto(f"{base_url}/ideas/{iid}/notice")
    target = moderator.locator(".c-notice .url").inner_text().strip()
    assert target.endswith(f"/ideas/{iid}")

    # she scans it in WeChat, not registered
    person = make_page(js=js, elder=elder)
    wechat(person)
    person.goto(target)
    assert person.locator("body.elder").count() == (1 if elder else 0)
    assert supports(person) == "0 人附议"
    step = person.locator("[data-standing=anonymous]")
    assert "登录或注册并通过居民认证后，即可为这条建议附议" in step.inner_text()
    check(person, js)

    # register from the idea page: the form keeps where she came from
    person.click("[data-standing=anonymous] a[href^='/register']")
    person.fill("#f-phone", phone)
    person.fill("#f-display_name", "王阿婆")
    person.fill("#f-password", "梧桐树下的那张长椅")
    person.fill("#f-password_confirm", "梧桐树下的那张长椅")
    check(person, js)
    submit(person, "main form button[type=submit]")
    assert path_of(person) == "/verify"  # on to the verification request, the idea kept
    assert person.locator("body.elder").count() == (1 if elder else 0)  # still in elder mode
    assert person.locator("main input[type=hidden][name=next]").get_attribute("value") == f"/ideas/{iid}"
    check(person, js)
    person.select_option("#f-area", label="恒丰")
    person.fill("#f-note", "3号楼 502")
    submit(person, "main form button[type=submit]")
    assert path_of(person) == f"/ideas/{iid}"  # straight back to the idea
    assert "正在审核（今天提交）" in person.locator("[data-standing=pending]").inner_text()
    check(person, js)

    # the 恒丰 moderator sees it waiting on the home page and approves it
    moderator.goto(f"{base_url}/")
    assert "待审核的居民认证申请" in moderator.locator("section[aria-labelledby=desk-h]").inner_text()
    moderator.click("section[aria-labelledby=desk-h] a[href='/staff/verifications']")
    submit(moderator, f"li.card:has-text('{phone}') button[value=approve]")
    assert moderator.locator(".flash").inner_text() == "已通过。"

    # her notification leads back to the idea, where she supports it
    person.goto(f"{base_url}/notifications")
    note = person.locator("main li.unread a")
    assert "现在可以回到刚才的页面参与了" in note.inner_text()
    check(person, js)
    note.click()
    assert path_of(person) == f"/ideas/{iid}"
    check(person, js)
    submit(person, "button[name=support][value='1']")
    assert path_of(person) == f"/ideas/{iid}"
    assert supports(person) == "1 人附议"
    assert person.locator("#support-h ~ form p", has_text="您已附议").count() == 1


#: How many line boxes each group of a receipt code occupies (1: the group is whole).
GROUP_LINES = """el => [...el.querySelectorAll('.code-group')].map(
  group => new Set([...group.getClientRects()].map(r => Math.round(r.top))).size)"""


def arrange_vote(live_server, suffix: str, elder: bool) -> tuple[int, list[int], str]:
    """The voting flow's open 恒丰 round and its voter, in elder mode or not (a signed-in
    person's own setting wins over the cookie)."""
    _cid, rid, ideas, phone = arrange(live_server, suffix)
    with live_server.database.session(write=True) as db:
        voter = db.exec(select(User).where(User.login == phone)).one()
        voter.elder_mode = elder
        db.add(voter)
        db.commit()
    return rid, ideas, phone


@MODES
def test_from_a_ballot_to_a_printed_receipt(make_page, live_server, base_url, js, elder):
    rid, ideas, phone = arrange_vote(live_server, ("甲" if js else "乙") + ("老" if elder else ""), elder)
    voter = make_page(js=js, user=phone, elder=elder)
    wechat(voter)
    voter.goto(f"{base_url}/rounds/{rid}/vote")
    assert voter.locator("body.elder").count() == (1 if elder else 0)
    check(voter, js)
    voter.locator(f"label[for=i-{ideas[3]}]").click()
    # the ticked choice is highlighted through the input's sibling (no :has(), issue 16 item 17)
    box = voter.locator(f"label[for=i-{ideas[3]}] .vote-box").evaluate(
        "el => getComputedStyle(el, '::before').backgroundColor")
    assert box == "rgb(230, 244, 234)"
    submit(voter, "button[value=review]")
    check(voter, js)
    submit(voter, "form[action$='/vote/confirm'] button")
    assert path_of(voter) == f"/rounds/{rid}/receipt"
    code = voter.locator(".vote-code strong").inner_text()
    assert len(code) == 19
    check(voter, js)
    # at 320 px no group of the code is broken across lines (it may wrap after a dash)
    voter.set_viewport_size({"width": 320, "height": 740})
    assert voter.locator(".vote-code strong").evaluate(GROUP_LINES) == [1, 1, 1, 1]
    voter.set_viewport_size({"width": 360, "height": 740})
    # printed: the code and the choice are on the paper, the site's frame is not
    voter.emulate_media(media="print")
    assert voter.locator("header.top").is_hidden() and voter.locator("footer.foot").is_hidden()
    assert voter.locator(".vote-code strong").is_visible()
    assert "增设座椅" in voter.locator("main").inner_text()
    pdf = voter.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
