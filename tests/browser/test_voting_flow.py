"""Voting in a real browser at 360×740, with JavaScript on and off.

A verified resident of 恒丰 votes within the budget (seeing the running total: live with
JavaScript, from the server without), confirms, gets a receipt, changes the vote and
checks the new receipt code; the 恒丰 moderator closes the round early on the
consultation's page, publishes the results, and the results page shows the chart.
Every page on the way fits a 320 px phone and passes axe-core.
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

IDEAS = [("楼道灯更换", 400_000), ("加装扶手", 300_000), ("绿角改造", 250_000), ("增设座椅", 150_000)]


def arrange(live_server, suffix: str) -> tuple[int, int, list[int], str]:
    """A 恒丰 consultation whose vote round is open, and a verified resident to vote in it."""
    now = clock.utcnow()
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        area = db.exec(select(Place).where(Place.name == "恒丰", Place.kind == "area")).one()
        resident = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                        display_name="浏览器投票人", password=PASSWORD)
        places.grant_role(db, user=resident, role="resident", place=area)
        consultation = Consultation(title=f"浏览器投票测试{suffix}", year=now.year, scope_place_id=area.id,
                                    budget_fen=1_000_000)
        db.add(consultation)
        db.flush()
        category = Category(consultation_id=consultation.id, name="实事项目")
        item = Round(consultation_id=consultation.id, position=1, kind="vote", title=f"居民投票{suffix}",
                     opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7), settings={})
        db.add_all([category, item])
        db.flush()
        ideas = [Idea(consultation_id=consultation.id, author_id=resident.id, title=title,
                      description=f"{title}：说明", category_id=category.id, place_id=area.id,
                      area_id=area.id, estimated_cost_fen=cost, state="shortlisted",
                      current_round_id=item.id, version=1) for title, cost in IDEAS]
        db.add_all(ideas)
        db.flush()
        db.add_all([IdeaRound(idea_id=i.id, round_id=item.id) for i in ideas])
        db.add(VoteSettings(round_id=item.id, ballot_kind="approval_budget", rule="greedy"))
        db.commit()
        return consultation.id, item.id, [i.id for i in ideas], phone


def check(page, js: bool) -> None:
    """Layout always; axe-core runs as a script, so only where JavaScript is on (the markup
    is the same without it)."""
    check_layout(page)
    if js:
        check_axe(page)


def total_text(page) -> str:
    return page.locator('#vote-total output[data-out="cost"]').inner_text()


def choose(page, idea_ids: list[int], all_ids: list[int], js: bool) -> None:
    """Tick exactly ``idea_ids``; without JavaScript, ask the server for the total."""
    for idea_id in all_ids:
        box = page.locator(f"#i-{idea_id}")
        if box.is_checked() != (idea_id in idea_ids):
            page.locator(f"label[for=i-{idea_id}]").click()
    if not js:
        submit(page, "button[value=total]")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_vote_change_check_close_publish(make_page, live_server, base_url, js):
    cid, rid, ideas, phone = arrange(live_server, "甲" if js else "乙")
    voter = make_page(js=js, user=phone)

    # 1. vote within the budget, with the running total
    voter.goto(f"{base_url}/rounds/{rid}/vote")
    check(voter, js)
    assert voter.locator("button[value=total]").is_visible() is (not js)
    choose(voter, [ideas[0], ideas[3]], ideas, js)
    assert total_text(voter) == "¥5,500.00"
    assert voter.locator('#vote-total output[data-out="left"]').inner_text() == "¥4,500.00"
    if js:  # live: going over the budget warns at once, before any request
        voter.locator(f"label[for=i-{ideas[1]}]").click()
        voter.locator(f"label[for=i-{ideas[2]}]").click()
        assert total_text(voter) == "¥11,000.00" and voter.locator("#vote-total [data-over]").is_visible()
        choose(voter, [ideas[0], ideas[3]], ideas, js)
        assert not voter.locator("#vote-total [data-over]").is_visible()
    submit(voter, "button[value=review]")
    assert path_of(voter) == f"/rounds/{rid}/vote"  # the confirmation page answers the POST
    assert voter.locator("h1").inner_text() == "核对您的投票"
    assert voter.locator(".vote-summary li").count() == 2 and total_text(voter) == "¥5,500.00"
    check(voter, js)
    submit(voter, "form[action$='/vote/confirm'] button")
    assert path_of(voter) == f"/rounds/{rid}/receipt"
    first_code = voter.locator(".vote-code strong").inner_text()
    assert len(first_code) == 19
    check(voter, js)

    # 2. change the vote
    voter.click("a[href$='/vote'].vote-button")
    assert voter.locator(f"#i-{ideas[0]}").is_checked() and voter.locator(f"#i-{ideas[3]}").is_checked()
    choose(voter, [ideas[1], ideas[2]], ideas, js)
    assert total_text(voter) == "¥5,500.00"
    submit(voter, "button[value=review]")
    submit(voter, "form[action$='/vote/confirm'] button")
    second_code = voter.locator(".vote-code strong").inner_text()
    assert second_code != first_code
    assert [t.strip() for t in voter.locator("main ol.list li").all_inner_texts()] == ["加装扶手", "绿角改造"]

    # 3. check the receipt codes
    voter.goto(f"{base_url}/receipts")
    check(voter, js)
    voter.fill("#f-code", second_code.lower())
    submit(voter, "main form button[type=submit]")
    assert "已计入" in voter.locator(".vote-ok").inner_text()
    assert "加装扶手" not in voter.locator("main").inner_text()
    voter.fill("#f-code", first_code)
    submit(voter, "main form button[type=submit]")
    assert "没有选票使用这个回执码" in voter.locator("main").inner_text()

    # 4. the moderator closes the round early, publishes, and the results show the chart
    moderator = make_page(js=js, user=MODERATOR)
    moderator.goto(f"{base_url}/consultations/{cid}/manage")
    moderator.locator("summary", has_text="提前结束").first.click()
    moderator.fill(f"#close-{rid}-reason", "投票人数已达到要求，提前结束。")
    submit(moderator, f"form[action='/rounds/{rid}/close'] button")
    moderator.goto(f"{base_url}/rounds/{rid}/vote/manage")
    check(moderator, js)
    moderator.check("#f-confirm")  # publishing asks for confirmation (issue 16 item 13)
    submit(moderator, f"form[action='/rounds/{rid}/publish'] button")
    # the job's page, counting after the answer, links the results once they are published:
    # its script follows the count; without script, its refresh link
    assert path_of(moderator) == f"/rounds/{rid}/publish/job"
    check(moderator, js)
    results_link = f"main a[href='/rounds/{rid}/results']"
    if js:
        moderator.wait_for_selector(results_link, timeout=30_000)
    else:
        for _ in range(30):
            if moderator.locator(results_link).count():
                break
            moderator.wait_for_timeout(1000)
            submit(moderator, f"main a[href='/rounds/{rid}/publish/job']")
    assert "结果已公布" in moderator.locator("main").inner_text()
    submit(moderator, results_link)
    assert path_of(moderator) == f"/rounds/{rid}/results"
    chart = moderator.locator("svg.vote-chart")
    assert chart.is_visible() and chart.get_attribute("role") == "img"
    assert chart.locator("rect").count() == len(ideas)
    assert moderator.locator("main table").first.locator("tbody tr").count() == len(ideas)
    box = chart.bounding_box()
    assert box["width"] <= 360
    check(moderator, js)

    # and anyone (the voter) sees the results too
    voter.goto(f"{base_url}/rounds/{rid}/results")
    assert "加装扶手" in voter.locator("section[aria-labelledby=sel-h]").inner_text()
    check(voter, js)
