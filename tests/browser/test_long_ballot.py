"""A ballot of 80 ideas by residential area, and elder mode's look (issue 16 items 3, 4),
in Chromium at 360×740, JavaScript on and off, normal and elder mode; every page fits a
320 px phone and axe-core finds no serious or critical violation (where scripts run).

- the voter's own area first and open, the other folded; a jump link per group with its
  count; the sticky total's button says 下一步：核对（已选 N 项）
- elder mode: the navigation is one line (the brand and 菜单), the sticky total one line
  and the button, no thumbnails, ballot titles on two lines at most
- the home page offers elder mode once, at the top
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as places
from consult.communities.models import Place
from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
from consult.voting import VoteSettings
from tests.browser.helpers import PASSWORD, fresh_phone, submit
from tests.browser.test_journeys import MODES, check, wechat

pytestmark = pytest.mark.browser

LONG = "为老旧小区楼道统一加装扶手、声控灯和休息折叠座椅，方便老人上下楼并在中途歇脚"


def arrange(live_server, suffix: str, elder: bool) -> tuple[int, list[int], list[int], str, str]:
    """A sub-district vote of 80 ideas: 30 in 恒丰 (the voter's area), 50 in another area."""
    now = clock.utcnow()
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        own = db.exec(select(Place).where(Place.name == "恒丰", Place.kind == "area")).one()
        other = db.exec(select(Place).where(Place.kind == "area", Place.id != own.id,
                                            Place.path.startswith(own.path.rsplit("/", 2)[0] + "/"))
                        .order_by(Place.id)).first()
        root = db.get(Place, own.ids_from_root[-2])
        voter = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                     display_name="长选票投票人", password=PASSWORD)
        places.grant_role(db, user=voter, role="resident", place=own)
        voter.elder_mode = elder  # a signed-in person's choice is kept on the account
        db.add(voter)
        consultation = Consultation(title=f"长选票{suffix}", year=now.year, scope_place_id=root.id,
                                    budget_fen=100_000_000)
        db.add(consultation)
        db.flush()
        category = Category(consultation_id=consultation.id, name="实事项目")
        item = Round(consultation_id=consultation.id, position=1, kind="vote", title=f"长选票投票{suffix}",
                     opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7), settings={})
        db.add_all([category, item])
        db.flush()
        ideas = [Idea(consultation_id=consultation.id, author_id=voter.id,
                      title=LONG if n == 0 else f"建议{n:02d}{suffix}", description="说明",
                      category_id=category.id, place_id=(own if n < 30 else other).id,
                      area_id=(own if n < 30 else other).id, estimated_cost_fen=100_000,
                      state="shortlisted", current_round_id=item.id, version=1) for n in range(80)]
        db.add_all(ideas)
        db.flush()
        db.add_all([IdeaRound(idea_id=i.id, round_id=item.id) for i in ideas])
        db.add(VoteSettings(round_id=item.id, ballot_kind="approval_budget", rule="greedy"))
        db.commit()
        return item.id, [i.id for i in ideas[:30]], [i.id for i in ideas[30:]], phone, other.name


def next_text(page) -> str:
    return "".join(page.locator("#vote-total button[value=review]").text_content().split())


@MODES
def test_a_long_ballot_by_area(make_page, live_server, base_url, js, elder):
    rid, mine, theirs, phone, other = arrange(live_server, ("甲" if js else "乙") + ("老" if elder else ""), elder)
    voter = make_page(js=js, user=phone, elder=elder)
    wechat(voter)
    voter.goto(f"{base_url}/rounds/{rid}/vote")
    assert voter.locator("body.elder").count() == (1 if elder else 0)
    jumps = voter.locator("nav.vote-jump a").all_inner_texts()
    assert jumps == ["恒丰（30 项）", f"{other}（50 项）"]
    groups = voter.locator("details.vote-group")
    assert groups.count() == 2
    assert groups.nth(0).get_attribute("open") is not None and groups.nth(1).get_attribute("open") is None
    assert next_text(voter) == "下一步：核对（已选0项）"
    check(voter, js)

    voter.locator(f"label[for=i-{mine[1]}]").click()
    voter.locator("nav.vote-jump a").nth(1).click()  # to the folded group
    if not groups.nth(1).evaluate("el => el.open"):
        voter.locator("details.vote-group").nth(1).locator("summary").click()
    voter.locator(f"label[for=i-{theirs[0]}]").click()
    if js:
        assert next_text(voter) == "下一步：核对（已选2项）"
    else:
        submit(voter, "button[value=total]")
        assert next_text(voter) == "下一步：核对（已选2项）"
        assert voter.locator("details.vote-group").nth(1).get_attribute("open") is not None
    # the sticky total stays in sight at the bottom of the screen while scrolling the list
    voter.locator(f"label[for=i-{theirs[10]}]").scroll_into_view_if_needed()
    box = voter.locator("#vote-total").bounding_box()
    assert box["y"] + box["height"] <= 740 + 1

    if elder:
        assert voter.locator("img.vote-thumb").count() == 0
        header = voter.locator("header.top").bounding_box()
        summary = voter.locator("header.top details.nav-fold > summary").bounding_box()
        brand = voter.locator("header.top .brand").bounding_box()
        assert abs(summary["y"] - brand["y"]) < brand["height"]  # one line: the brand and 菜单
        assert header["height"] < 2 * brand["height"]
        lines = voter.locator("#vote-total .vote-total-line")
        shown = [n for n in range(lines.count()) if lines.nth(n).is_visible()]
        assert len(shown) == 1
        line = lines.nth(shown[0])
        height = line.evaluate("el => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight || 0) || 0")
        font = line.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert line.bounding_box()["height"] < 2 * font * 1.3, height
        title = voter.locator(f"label[for=i-{mine[0]}] .vote-title")
        size = title.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert title.bounding_box()["height"] <= 2 * 1.4 * size + 1  # two lines at most
    check(voter, js)
    submit(voter, "#vote-total button[value=review]")
    assert voter.locator(".vote-summary li").count() == 2
    check(voter, js)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_home_page_offers_elder_mode_once(make_page, base_url, js):
    person = make_page(js=js)
    wechat(person)
    person.goto(f"{base_url}/")
    offer = person.locator("#elder-offer")
    assert "字太小" in offer.inner_text()
    check(person, js)
    person.goto(f"{base_url}/")
    assert person.locator("#elder-offer").count() == 0
    submit(person, "main .elder-top button[name=elder][value='1']")
    assert person.locator("body.elder").count() == 1
    assert person.locator("main .elder-top button[name=elder][value='0']").inner_text() == "标准字号"
    check(person, js)
