"""The idea's page (consultations) shows the project carrying it out, its state and
milestones, through ``consultations.IDEA_PANELS`` (consultations never imports delivery)."""

from __future__ import annotations

from consult import clock
from consult.delivery.services import projects, works
from tests.delivery.builders import confirmed_vote, jpeg


def test_the_idea_page_shows_its_project_and_milestones(client, db, w, settings):
    now = clock.utcnow()
    held, chosen = confirmed_vote(db, w, now=now)
    project = projects.listing(db)[0][0]
    assert project.idea_id in chosen
    page = client.get(f"/ideas/{project.idea_id}")
    assert page.status_code == 200
    assert "想法的去向：实施项目" in page.text and "暂无进展节点。" in page.text
    assert f'href="/projects/{project.id}"' in page.text
    projects.move(db, w.actor("moderator_in"), project.id, "start", now)
    works.add_milestone(db, w.actor("moderator_in"), project.id, title="扶手安装完成", happened_on=now.date(),
                        body="", phase="after", photos=[jpeg(), jpeg()], media_dir=settings.media_dir, now=now)
    page = client.get(f"/ideas/{project.idea_id}")
    assert "实施中" in page.text and "扶手安装完成" in page.text and "2 张照片" in page.text
    unselected = held.idea_ids[2]
    assert "想法的去向" not in client.get(f"/ideas/{unselected}").text


def test_a_printable_progress_notice_with_milestones_and_a_qr_code(client, db, w, settings):
    from tests.delivery.builders import project as make_project

    now = clock.utcnow()
    p = make_project(db, w, state="in_progress", now=now)
    works.add_milestone(db, w.actor("moderator_in"), p.id, title="基础完工", happened_on=now.date(), body="浇筑完成",
                        phase="during", photos=[jpeg()], media_dir=settings.media_dir, now=now)
    page = client.get(f"/projects/{p.id}/progress")
    assert page.status_code == 200
    assert "print-page" in page.text and "进展公示" in page.text and "基础完工" in page.text
    assert 'class="qr"' in page.text and "_t.jpg" in page.text
    assert "实施方：居委会" in page.text
    assert f"/projects/{p.id}/progress" in client.get(f"/projects/{p.id}").text
    assert client.get("/projects/999999/progress").status_code == 404
