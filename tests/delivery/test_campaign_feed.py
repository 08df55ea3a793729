"""Residents' ratings of a delivered project feed a star campaign's criterion (the
``project`` source), registered by delivery in ``ratings.PROJECT_SOURCES``: ratings
never import delivery."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest

from consult import clock
from consult.delivery.services import works
from consult.errors import FieldErrors
from consult.ratings import services as ratings
from consult.ratings.rules import CriterionDraft
from tests import factories
from tests.conftest import post_form
from tests.delivery.builders import project


@pytest.fixture
def now():
    return clock.utcnow()


def campaign_with(db, w, *sources):  # one source, weight 100
    admin = w.actor("admin")
    campaign = ratings.create_campaign(db, admin, place_id=w.tree["root"].id, title="2026 星级项目", year="2026")
    ratings.set_criteria(db, admin, campaign, [ratings.CriterionRow(None, CriterionDraft("居民评价", 100, source))
                                               for source in sources])
    return campaign


def test_the_criterion_is_the_projects_exact_mean_of_stars(db, w, now):
    p = project(db, w, state="accepted", now=now)
    for card, stars in (("1", "5"), ("2", "4"), ("3", "4")):
        works.enter_paper_rating(db, w.actor("moderator_in"), p.id, card=card, stars=stars, comment="", now=now)
    campaign = campaign_with(db, w, "project")
    subject = ratings.add_subject(db, w.actor("admin"), campaign, kind="project", project_id=str(p.id))
    assert subject.name.startswith("测试项目") and subject.project_id == p.id
    board = ratings.compute(db, campaign)
    (row,), (criterion,) = board.rows, board.criteria
    mean = Fraction(13, 3)
    assert row.scores[criterion.id] == (mean - 1) / 4 * 100 == Fraction(250, 3)
    assert isinstance(row.scores[criterion.id], Fraction)
    assert board.counts[(subject.id, criterion.id)] == 3
    assert works.mean_stars(db, {p.id}) == {p.id: (mean, 3)}


def test_a_project_without_ratings_has_no_data(client, db, w, now):
    p = project(db, w, state="accepted", now=now)
    campaign = campaign_with(db, w, "project")
    ratings.add_subject(db, w.actor("admin"), campaign, kind="project", project_id=str(p.id))
    board = ratings.compute(db, campaign)
    assert board.rows[0].missing == [board.criteria[0].id]
    factories.sign_in(client, w.user("admin").login)
    page = client.get(f"/staff/ratings/{campaign.id}")
    assert page.status_code == 200 and '<td class="num"><span class="muted">暂无数据</span></td>' in page.text
    works.enter_paper_rating(db, w.actor("moderator_in"), p.id, card="1", stars="5", comment="", now=now)
    page = client.get(f"/staff/ratings/{campaign.id}")
    assert '<span class="muted">暂无数据</span>' not in page.text and "（1 人评分）" in page.text


def test_staff_link_a_subject_to_an_accepted_project_of_the_place(client, db, w, now):
    accepted = project(db, w, state="accepted", now=now)
    planned = project(db, w, state="planned", now=now)
    campaign = campaign_with(db, w, "project")
    factories.sign_in(client, w.user("admin").login)
    page = f"/staff/ratings/{campaign.id}"
    form = client.get(page).text
    assert 'name="project_id"' in form and f'<option value="{accepted.id}">' in form
    assert f'<option value="{planned.id}">' not in form
    bad = post_form(client, page, f"/staff/ratings/{campaign.id}/subjects",
                    {"kind": "project", "project_id": str(planned.id), "name": "x"})
    assert bad.status_code == 422 and "请选择" in bad.text
    done = post_form(client, page, f"/staff/ratings/{campaign.id}/subjects",
                     {"kind": "project", "project_id": str(accepted.id), "name": ""})
    assert done.status_code == 303
    (subject,) = ratings.subjects_of(db, campaign)
    assert subject.project_id == accepted.id


def test_a_project_outside_the_campaigns_place_cannot_be_linked(db, w, now):
    p = project(db, w, state="accepted", now=now, place="estate_a")
    admin = w.actor("admin")
    campaign = ratings.create_campaign(db, admin, place_id=w.tree["area_b"].id, title="郑家巷 2026", year="2026")
    with pytest.raises(FieldErrors) as refused:
        ratings.add_subject(db, admin, campaign, kind="project", project_id=str(p.id))
    assert "project_id" in refused.value.errors


def test_ratings_never_import_delivery():
    code = ("import sys, consult.ratings.services, consult.ratings.routes; "
            "print(sorted(m for m in sys.modules if m.startswith('consult.delivery')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_staff_choose_the_source_on_the_criteria_form(client, db, w):
    admin = w.actor("admin")
    campaign = ratings.create_campaign(db, admin, place_id=w.tree["root"].id, title="2026 星级项目", year="2026")
    factories.sign_in(client, w.user("admin").login)
    page = f"/staff/ratings/{campaign.id}"
    assert '<option value="project">居民对项目的评价</option>' in client.get(page).text
    done = post_form(client, page, f"/staff/ratings/{campaign.id}/criteria",
                     {"rows": "1", "c0_id": "", "c0_name": "居民评价", "c0_weight": "100", "c0_source": "project"})
    assert done.status_code == 303
    assert [c.source for c in ratings.criteria_of(db, campaign)] == ["project"]
