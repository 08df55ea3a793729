"""Delivery in a real browser at 360×740.

A resident follows an idea from the vote to its completed project and rates it (with
JavaScript on and off); staff record a pledge's receipt with the photo of its signed
receipt, and a failed safety check with its repair. The demo holds 恒丰's earlier vote
(its second selected idea accepted 40 days ago), 东王's 共筹 charging shed with a unit's
confirmed equipment pledge, and 恒丰's lighting in the register.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from consult.consultations.models import Idea
from consult.delivery.models import Pledge, Project, Repair
from tests.browser.helpers import check_layout, path_of, submit
from tests.browser.test_surveys_flow import fresh_resident

pytestmark = pytest.mark.browser

ADMIN = "13800000001"


def _project(live_db, **where):
    with live_db.session() as db:
        query = select(Project)
        for key, value in where.items():
            query = query.where(getattr(Project, key) == value)
        return db.exec(query.order_by(Project.id)).first()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_resident_follows_an_idea_to_its_project_and_rates_it(make_page, live_server, base_url, js):
    project = _project(live_server.database, state="accepted", category="zizhi")
    with live_server.database.session() as db:
        idea = db.get(Idea, project.idea_id)
    assert idea.state == "completed"
    page = make_page(js=js, user=fresh_resident(live_server))
    page.goto(f"{base_url}/ideas/{idea.id}")
    assert "已完成" in page.inner_text("main")
    page.goto(f"{base_url}/projects")
    submit(page, f"a[href='/projects/{project.id}']")
    assert path_of(page) == f"/projects/{project.id}"
    main = page.inner_text("main")
    assert "已验收" in main and "居民评分" in main and "从金点子到今天" in main
    check_layout(page)
    page.check("input[name=stars][value='4']")
    page.fill("#f-comment", "晚上也看得清")
    submit(page, "form[action$='/rate'] button[type=submit]")
    assert path_of(page) == f"/projects/{project.id}"
    assert "您给了 4 颗星" in page.inner_text("main")


def test_staff_record_a_receipt_and_a_failed_check(make_page, live_server, base_url, tmp_path):
    shed = _project(live_server.database, category="gongchou")
    with live_server.database.session() as db:
        pledge = db.exec(select(Pledge).where(Pledge.project_id == shed.id, Pledge.state == "confirmed")).one()
    scan = tmp_path / "receipt.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (250, 250, 240)).save(buffer, "JPEG")
    scan.write_bytes(buffer.getvalue())

    page = make_page(user=ADMIN)
    page.goto(f"{base_url}/projects/{shed.id}/manage")
    form = page.locator(f"form[action='/pledges/{pledge.id}/receive']")
    form.locator("input[name=quantity]").fill("2")
    form.locator("select[name=receipt]").select_option("paper")
    form.locator("input[name=receipt_file]").set_input_files(str(scan))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert path_of(page) == f"/projects/{shed.id}/manage"
    with live_server.database.session() as db:
        assert db.get(Pledge, pledge.id).received == 2
    check_layout(page)

    lights = _project(live_server.database, title="i 爱在恒丰，点亮绿角")
    page.goto(f"{base_url}/projects/{lights.id}/check")
    check_layout(page)
    page.check("input[name=item_electrical][value=fail]")
    for item in ("earthing", "signage", "structure"):
        page.check(f"input[name=item_{item}][value=pass]")
    page.fill("#f-note_electrical", "路灯箱体进水")
    page.fill("#f-due_on_electrical", "2030-12-31")
    submit(page, "form[action$='/checks'] button[type=submit]")
    assert path_of(page) == f"/projects/{lights.id}/manage"
    assert "待整改" in page.inner_text("main")
    with live_server.database.session() as db:
        repair = db.exec(select(Repair).where(Repair.project_id == lights.id, Repair.state == "open")).one()
        assert repair.item == "electrical"
