"""Star-rating pages over HTTP: staff set-up, forum grid, publishing, ranking, objections, contests."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.ratings import services
from consult.ratings.models import ContestEntry, ContestRating, Criterion, ForumRating
from consult.ratings.rules import CriterionDraft
from consult.surveys import services as surveys
from tests import factories
from tests.conftest import post_form
from tests.surveys.builders import good_answers, person, survey


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def admin(db, settings, tree):
    return person(db, settings, "admin", tree["root"], name="街道")


@pytest.fixture
def campaign(db, admin, tree):
    return services.create_campaign(db, admin[1], place_id=tree["root"].id, title="2026 星级业委会", year="2026")


@pytest.fixture
def ready(db, settings, admin, tree, campaign):
    """Criteria, one owners' committee with a survey, a forum with two representatives."""
    actor = admin[1]
    now = clock.utcnow()
    services.set_criteria(db, actor, campaign, [
        services.CriterionRow(None, CriterionDraft("台账检查", 40, "staff")),
        services.CriterionRow(None, CriterionDraft("履职评议", 30, "forum")),
        services.CriterionRow(None, CriterionDraft("满意度", 30, "survey", survey_measure="rate"))])
    form = survey(db, actor, tree["estate_a"], opens=now - timedelta(days=2), closes=now + timedelta(days=2))
    for level in (5, 5, 4, 1):
        _, resident = person(db, settings, "resident", tree["area_a"])
        surveys.submit(db, resident, form, good_answers(form, level=level), now=now)
    subject = services.add_subject(db, actor, campaign, kind="owners_committee", place_id=tree["estate_a"].id,
                                   survey_id=form.survey.id)
    forum = services.create_forum(db, actor, campaign, subject_id=subject.id, held_at=now, location="会议室")
    reps = [person(db, settings, "owners_rep", tree["estate_a"], name=n)[0] for n in ("代表甲", "代表乙")]
    services.update_forum(db, actor, forum, held_at=now, location="会议室", agenda="评议", minutes="",
                          attendee_ids=[str(r.id) for r in reps])
    return {"subject": subject, "forum": forum, "reps": reps, "criteria": services.criteria_of(db, campaign)}


def test_staff_create_a_campaign_and_bad_weights_are_refused(client, db, admin, tree):
    factories.sign_in(client, admin[0].login)
    created = post_form(client, "/staff/ratings", "/staff/ratings",
                        {"place_id": tree["root"].id, "title": "星级业委会", "year": "2026", "notice_days": "7"})
    assert created.status_code == 303
    url = created.headers["location"]
    bad = post_form(client, url, f"{url}/criteria", {
        "rows": "3", "c0_id": "", "c0_name": "台账检查", "c0_weight": "50", "c0_source": "staff",
        "c1_id": "", "c1_name": "", "c1_weight": "", "c1_source": "staff",
        "c2_id": "", "c2_name": "座谈会", "c2_weight": "40", "c2_source": "forum"})
    assert bad.status_code == 422
    assert bad.context["errors"]["weights"].params == {"total": 90}
    assert "权重合计为 90" in bad.text
    campaign_id = int(url.rsplit("/", 1)[1])
    assert db.exec(select(func.count()).select_from(Criterion).where(Criterion.campaign_id == campaign_id)).one() == 0
    bad_name = post_form(client, url, f"{url}/criteria", {
        "rows": "3", "c0_name": "台账检查", "c0_weight": "60", "c0_source": "staff",
        "c2_name": "", "c2_weight": "40", "c2_source": "forum"})
    assert "c2_name" in bad_name.context["errors"]  # the error points at the form's own row
    good = post_form(client, url, f"{url}/criteria", {
        "rows": "2", "c0_name": "台账检查", "c0_weight": "60", "c0_source": "staff",
        "c1_name": "满意度", "c1_weight": "40", "c1_source": "survey:mean"})
    assert good.status_code == 303
    saved = db.exec(select(Criterion).where(Criterion.campaign_id == campaign_id).order_by(Criterion.position)).all()
    assert [(c.name, c.weight, c.source, c.survey_measure) for c in saved] == [
        ("台账检查", 60, "staff", None), ("满意度", 40, "survey", "mean")]


def test_thresholds_out_of_order_are_refused(client, db, admin, campaign):
    factories.sign_in(client, admin[0].login)
    url = f"/staff/ratings/{campaign.id}"
    response = post_form(client, url, f"{url}/thresholds", {"t1": "60", "t2": "80", "t3": "70", "t4": "90", "t5": "95"})
    assert response.status_code == 422 and "thresholds" in response.context["errors"]
    db.refresh(campaign)
    assert campaign.thresholds == [60, 70, 80, 90, 95]


def test_the_forum_grid_is_one_form_saved_in_one_post(client, db, admin, ready):
    factories.sign_in(client, admin[0].login)
    url = f"/staff/forums/{ready['forum'].id}/grid"
    page = client.get(url)
    assert page.status_code == 200
    forum_c = next(c for c in ready["criteria"] if c.source == "forum")
    names = re.findall(r'<input id="(r\d+_c\d+)" name="\1" type="number"', page.text)
    assert sorted(names) == sorted(f"r{r.id}_c{forum_c.id}" for r in ready["reps"])
    a, b = ready["reps"]
    bad = post_form(client, url, url, {f"r{a.id}_c{forum_c.id}": "5", f"r{b.id}_c{forum_c.id}": "7"})
    assert bad.status_code == 422 and f"r{b.id}_c{forum_c.id}" in bad.context["errors"]
    assert db.exec(select(func.count()).select_from(ForumRating)).one() == 0
    good = post_form(client, url, url, {f"r{a.id}_c{forum_c.id}": "5", f"r{b.id}_c{forum_c.id}": "4"})
    assert good.status_code == 303
    assert services.forum_ratings(db, ready["forum"]) == {(a.id, forum_c.id): 5, (b.id, forum_c.id): 4}


def test_publishing_shows_the_star_level_on_the_campaign_page(client, db, settings, admin, campaign, ready):
    actor = admin[1]
    ledger, forum_c, _ = ready["criteria"]
    services.save_staff_scores(db, actor, campaign, ledger, {ready["subject"].id: ("95", "台账齐全")},
                               now=clock.utcnow())
    a, b = ready["reps"]
    services.save_grid(db, actor, ready["forum"], {f"r{a.id}_c{forum_c.id}": "5", f"r{b.id}_c{forum_c.id}": "5"})
    resident_page = client.get(f"/ratings/campaigns/{campaign.id}")
    assert resident_page.status_code == 404  # drafts are not public
    factories.sign_in(client, admin[0].login)
    url = f"/staff/ratings/{campaign.id}"
    assert post_form(client, url, f"{url}/publish", {}).status_code == 303
    client.cookies.clear()
    page = client.get(f"/ratings/campaigns/{campaign.id}")
    assert page.status_code == 200
    [row] = page.context["board"].rows
    # 95×0.4 + 100×0.3 + (3/4)×100×0.3 = 38 + 30 + 22.5 = 90.5 → 4 stars (90 ≤ 90.5 < 95)
    assert page.context["decimals"](row.total) == "90.50" and row.stars == 4
    assert 'aria-label="4 星"' in page.text and "★★★★☆" in page.text
    assert page.context["state"] == "notice"
    subject_page = client.get(f"/ratings/subjects/{ready['subject'].id}")
    assert subject_page.status_code == 200 and subject_page.context["history"][0].subject.result_stars == 4


def test_objections_are_filed_and_answered_publicly(client, db, settings, admin, tree, campaign, ready):
    services.publish(db, admin[1], campaign, clock.utcnow(), confirm_missing=True)  # some inputs have no data
    resident, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, resident.login)
    url = f"/ratings/campaigns/{campaign.id}"
    empty = post_form(client, url, f"{url}/objections", {"subject_id": ready["subject"].id, "text": ""})
    assert empty.status_code == 422 and "text" in empty.context["errors"]
    filed = post_form(client, url, f"{url}/objections", {"subject_id": ready["subject"].id, "text": "评分偏高"})
    assert filed.status_code == 303
    twice = post_form(client, url, f"{url}/objections", {"subject_id": ready["subject"].id, "text": "再提"})
    assert twice.status_code == 409
    [(objection, _)] = services.objections_of(db, campaign)
    factories.sign_in(client, admin[0].login)
    answered = post_form(client, url, f"/staff/objections/{objection.id}/answer", {"answer": "已复核。"})
    assert answered.status_code == 303
    client.cookies.clear()
    page = client.get(url)
    assert "评分偏高" in page.text and "已复核。" in page.text
    assert resident.display_name not in page.text  # the objector's name is not published


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_contest_entry_with_photo_and_voting(client, db, settings, admin, tree):
    now = clock.utcnow()
    contest = services.create_contest(db, admin[1], place_id=tree["root"].id, title="最 shine 星级楼组",
                                      description="", opens_at=now - timedelta(days=1),
                                      closes_at=now + timedelta(days=1))
    factories.sign_in(client, admin[0].login)
    staff_url = f"/staff/contests/{contest.id}"
    token = client.get(staff_url).context["csrf_token"]
    bad = client.post(f"{staff_url}/entries", data={"csrf_token": token, "title": "坏照片"},
                      files={"photo": ("x.jpg", b"GIF89a-broken", "image/jpeg")})
    assert bad.status_code == 422 and "photo" in bad.context["errors"]
    assert "无法作为照片打开" in bad.text
    added = client.post(f"{staff_url}/entries", data={"csrf_token": token, "title": "恒丰1号楼组",
                                                      "place_id": str(tree["group_a"].id), "text": "楼道整洁"},
                        files={"photo": ("p.jpg", _jpeg(), "image/jpeg")}, follow_redirects=False)
    assert added.status_code == 303
    entry = db.exec(select(ContestEntry).where(ContestEntry.contest_id == contest.id)).one()
    thumb = client.get(f"/media/{entry.photo_key}_t.jpg")  # the one media route serves every photo
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert client.get("/media/..%2Fsecret_key").status_code == 404

    voter, _ = person(db, settings, "resident", tree["area_b"])
    factories.sign_in(client, voter.login)
    url = f"/ratings/contests/{contest.id}"
    page = client.get(url)
    assert page.context["may_rate"]
    assert f'id="e{entry.id}-5" name="stars" value="5"' in page.text
    rate = f"{url}/entries/{entry.id}/rate"
    assert post_form(client, url, rate, {"stars": "9"}).status_code == 422
    assert post_form(client, url, rate, {"stars": "4"}).status_code == 303
    assert post_form(client, url, rate, {"stars": "5"}).status_code == 409
    assert db.exec(select(ContestRating.stars).where(ContestRating.entry_id == entry.id)).all() == [4]
    assert client.get(url).context["entries"][0].mine == 4


def test_residents_cannot_reach_staff_rating_pages(client, db, settings, tree, campaign, ready):
    resident, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, resident.login)
    for path in (f"/staff/ratings/{campaign.id}", f"/staff/forums/{ready['forum'].id}",
                 f"/staff/forums/{ready['forum'].id}/grid", f"/ratings/forums/{ready['forum'].id}"):
        assert client.get(path).status_code == 403, path


def test_representatives_read_the_forum_page(client, db, ready):
    factories.sign_in(client, ready["reps"][0].login)
    page = client.get(f"/ratings/forums/{ready['forum'].id}")
    assert page.status_code == 200 and "代表乙" in page.text


def test_publishing_with_missing_data_asks_for_confirmation_on_the_page(client, db, settings, admin, campaign, ready):
    factories.sign_in(client, admin[0].login)
    url = f"/staff/ratings/{campaign.id}"
    page = client.get(url)
    assert "无数据" in page.text and "在缺少数据的情况下发布" in page.text
    refused = post_form(client, url, f"{url}/publish", {})
    assert refused.status_code == 409 and "缺少数据" in refused.text and ready["subject"].name in refused.text
    assert post_form(client, url, f"{url}/publish", {"confirm_missing": "1"}).status_code == 303
