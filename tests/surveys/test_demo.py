"""The surveys and ratings demo: what the issue promises is there, and the pages render it."""

from sqlmodel import select

from consult import clock
from consult.communities import demo as communities_demo
from consult.communities.models import Place
from consult.ratings import demo
from consult.ratings import services as ratings
from consult.ratings.models import Campaign, Contest
from consult.surveys import services
from consult.surveys.models import Survey


def test_demo(db, settings, client):
    places = communities_demo.load_places(db)
    communities_demo.load_people(db, settings, places)
    demo.load(db, settings, places)
    now = clock.utcnow()

    open_surveys = {s.title: s for s in db.exec(select(Survey)).all()
                    if s.opens_at <= now < s.closes_at}
    assert {"国际丽都城业委会满意度测评（2026年第四季度）", "御品大厦业委会满意度测评（2026年第四季度）"} <= set(open_surveys)
    lidu = services.load_form(db, open_surveys["国际丽都城业委会满意度测评（2026年第四季度）"].id)
    result = services.results(db, lidu, now)
    assert result.responses == 30 and result.groups  # named: a breakdown by building group

    campaign = db.exec(select(Campaign).where(Campaign.title == "2026年度星级业委会评定")).one()
    assert ratings.state_of(campaign, now) == "notice"
    board = ratings.board(db, campaign)
    assert len(board.rows) == 10
    assert sum(1 for row in board.rows if row.stars) == 8
    assert {row.subject.name for row in board.rows} >= {"国际丽都城业委会", "御品大厦业委会"}
    assert all(row.complete for row in board.rows)  # every source fed every committee
    assert len(ratings.history(db, board.rows[0].subject)) == 2  # 2026 and 2025

    contest = db.exec(select(Contest).where(Contest.title == "最 shine 星级楼组")).one()
    entries = ratings.entries(db, contest, None)
    assert len(entries) == 41
    areas = {p.parent_id for p in db.exec(select(Place).where(
        Place.id.in_([db.get(Place, r.entry.place_id).parent_id for r in entries]))).all()}
    assert len(areas) == 11
    assert all(r.entry.photo_key and r.count for r in entries)
    assert (settings.media_dir / f"{entries[0].entry.photo_key}_t.jpg").is_file()

    page = client.get(f"/ratings/campaigns/{campaign.id}")
    assert page.status_code == 200 and page.text.count('class="level"') == 8 + 5  # ranking + legend
    assert client.get(f"/ratings/contests/{contest.id}").status_code == 200
    resident = client.get(f"/surveys/{lidu.survey.id}")
    assert resident.status_code == 200
