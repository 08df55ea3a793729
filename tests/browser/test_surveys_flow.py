"""Surveys and star ratings in a real browser at 360×740.

A resident answers a satisfaction survey with stars and the five-level scale, with
JavaScript on and off; staff enter the ratings given in a representatives' forum and the
campaign then shows the star level; the pages fit a 320 px phone and pass axe-core.

The demo holds the open, anonymous 御品大厦 satisfaction survey for residents of 恒丰.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as places
from consult.communities.models import Place, RoleAssignment
from consult.ratings import services as ratings
from consult.ratings.models import Campaign, Contest
from consult.ratings.rules import CriterionDraft
from consult.surveys.models import Survey
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

SURVEY = "御品大厦业委会满意度测评（2026年第四季度）"


def fresh_resident(live_server, area: str = "恒丰") -> str:
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        user = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                    display_name="浏览器居民", password=PASSWORD)
        place = db.exec(select(Place).where(Place.name == area, Place.kind == "area")).one()
        places.grant_role(db, user=user, role="resident", place=place)
        db.commit()
    return phone


def survey_id(live_db, title: str = SURVEY) -> int:
    with live_db.session() as db:
        return db.exec(select(Survey.id).where(Survey.title == title)).one()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_resident_answers_with_stars_and_the_five_levels(make_page, live_server, base_url, js):
    page = make_page(js=js, user=fresh_resident(live_server))
    sid = survey_id(live_server.database)
    page.goto(f"{base_url}/surveys")
    submit(page, f"a[href='/surveys/{sid}']")
    assert path_of(page) == f"/surveys/{sid}"
    check_layout(page)
    if js:  # axe-core needs JavaScript in the page
        check_axe(page)
    form = page.locator("form.survey-form")
    questions = form.locator("[data-question]")
    assert questions.count() == 7
    stars = form.locator(".stars")
    assert stars.count() == 1
    # the stars are real radio inputs behind their labels: tapping the 4th star chooses 4
    stars.locator("label.star").filter(has_text="4").click()
    assert stars.locator("input[value='4']").is_checked()
    for fieldset in form.locator("fieldset.question").all():
        if fieldset.locator(".stars").count():
            continue
        fieldset.locator("label.choice").first.click()  # 非常满意 for the five-level scale
    first_level = form.locator("fieldset.question").first
    assert "非常满意" in first_level.locator("label.choice").first.inner_text()
    if js:
        assert "已答 6 / 7 题" in form.locator(".survey-progress").inner_text()
    submit(page, "form.survey-form button[type=submit]")
    assert path_of(page) == f"/surveys/{sid}"
    assert "谢谢！您的回答已保存。" in page.locator(".flash").inner_text()
    assert "您已经填写过本问卷" in page.locator("main").inner_text()
    assert page.locator("form.survey-form").count() == 0


def test_a_missing_answer_is_shown_without_losing_the_others(make_page, live_server, base_url):
    page = make_page(user=fresh_resident(live_server))
    sid = survey_id(live_server.database)
    page.goto(f"{base_url}/surveys/{sid}")
    page.locator(".stars label.star").filter(has_text="5").click()
    submit(page, "form.survey-form button[type=submit]")
    assert page.locator(".error-summary").count() >= 1
    assert "请回答这个问题" in page.locator("main").inner_text()
    assert page.locator(".stars input[value='5']").is_checked()  # kept
    check_axe(page)


@pytest.fixture
def forum_campaign(live_server):
    """A draft campaign of 恒丰 fed only by forum ratings, with a forum of two representatives."""
    now = clock.utcnow()
    with live_server.database.session(write=True) as db:
        area = db.exec(select(Place).where(Place.name == "恒丰", Place.kind == "area")).one()
        estate = db.exec(select(Place).where(Place.name == "恒丰花园")).one()
        staff = places.actor_for(db, accounts.find_by_login(db, MODERATOR))
        campaign = ratings.create_campaign(db, staff, place_id=area.id, title=f"恒丰星级业委会 {fresh_phone()}",
                                           year="2026")
        ratings.set_criteria(db, staff, campaign, [
            ratings.CriterionRow(None, CriterionDraft("履职情况", 60, "forum")),
            ratings.CriterionRow(None, CriterionDraft("沟通公开", 40, "forum"))])
        subject = ratings.add_subject(db, staff, campaign, kind="owners_committee", place_id=estate.id)
        forum = ratings.create_forum(db, staff, campaign, subject_id=subject.id, held_at=now, location="居委会会议室")
        reps = db.exec(select(RoleAssignment.user_id).where(RoleAssignment.role == "owners_rep",
                                                            RoleAssignment.place_id == estate.id)).all()
        ratings.update_forum(db, staff, forum, held_at=now, location="居委会会议室", agenda="评议", minutes="",
                             attendee_ids=[str(r) for r in reps[:2]])
        db.commit()
        return campaign.id, forum.id


def test_staff_enter_forum_ratings_and_the_campaign_shows_the_star_level(make_page, base_url, forum_campaign):
    campaign_id, forum_id = forum_campaign
    page = make_page(user=MODERATOR)
    page.goto(f"{base_url}/staff/forums/{forum_id}/grid")
    check_layout(page)
    check_axe(page)
    cells = page.locator("table.grid-table input[type=number]")
    assert cells.count() == 4  # two representatives × two forum criteria
    for n in range(4):
        cells.nth(n).fill("5" if n % 2 == 0 else "4")
    submit(page, "main form button[type=submit]")
    assert "已保存 4 个评分" in page.locator(".flash").inner_text()
    page.goto(f"{base_url}/ratings/campaigns/{campaign_id}")
    # 履职情况 mean 5 → 100, 沟通公开 mean 4 → 75: 100×0.6 + 75×0.4 = 90 → 4 stars
    row = page.locator("table.ranking tbody tr").first
    assert "90.00" in row.inner_text()
    assert row.locator(".level").get_attribute("aria-label") == "4 星"
    assert row.locator(".level").inner_text() == "★★★★☆"
    check_layout(page)
    check_axe(page)


def test_rating_pages_fit_a_phone_and_pass_axe(make_page, live_server, base_url):
    with live_server.database.session() as db:
        campaign = db.exec(select(Campaign.id).where(Campaign.title == "2026年度星级业委会评定")).one()
        contest = db.exec(select(Contest.id).where(Contest.title == "最 shine 星级楼组")).one()
        closed = db.exec(select(Survey.id).where(Survey.title == "国际丽都城业委会2026年度满意度测评表")).one()
    anonymous = make_page()
    for path in ("/surveys", "/ratings", f"/ratings/campaigns/{campaign}", f"/surveys/{closed}/results"):
        anonymous.goto(base_url + path)
        assert anonymous.locator("h1").count() == 1, path
        check_layout(anonymous)
        check_axe(anonymous)
    assert anonymous.locator("svg[role=img]").count() >= 3  # the charts, with tables beside them
    voter = make_page(user=fresh_resident(live_server, "郑家巷"))
    voter.goto(f"{base_url}/ratings/contests/{contest}")
    assert voter.locator(".entries > li").count() == 41
    check_layout(voter)
    check_axe(voter)
    entry = voter.locator(".entries > li").first
    entry.locator("label.star").filter(has_text="5").click()
    submit(voter, ".entries > li:first-child button[type=submit]")
    assert "谢谢！您的评星已计入。" in voter.locator(".flash").inner_text()
    assert "您打了 5 颗星" in voter.locator(".entries > li").first.inner_text()
    staff = make_page(user=MODERATOR, elder=True)
    sid = survey_id(live_server.database)
    for path in (f"/staff/surveys/{sid}", f"/staff/surveys/{sid}/paper", f"/surveys/{sid}/results"):
        staff.goto(base_url + path)
        check_layout(staff)
        check_axe(staff)
