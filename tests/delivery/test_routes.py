"""Delivery pages: what residents and staff see and do, every POST with its CSRF token
and a 303 after success; bad input shown again with a clear message, nothing stored,
never a 500."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.delivery.models import BudgetEntry, Pledge, ProjectRating, Repair, SafetyCheck, SignOff
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.delivery.builders import DAY, jpeg, project


@pytest.fixture
def now():
    return clock.utcnow()


def sign_in(client, w, name):
    factories.sign_in(client, w.user(name).login)


def count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_anyone_reads_the_overview_and_a_project(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    page = client.get("/projects")
    assert page.status_code == 200 and "测试项目" in page.text and "实事项目" in page.text
    page = client.get(f"/projects/{p.id}")
    assert page.status_code == 200 and "您可以做什么" in page.text and "实施中" in page.text
    assert client.get("/projects/999999").status_code == 404
    assert client.get(f"/projects/{p.id}/manage", follow_redirects=False).status_code in (303, 401)


def test_staff_keep_the_accounts_on_the_manage_page(client, db, w, now):
    p = project(db, w, state="in_progress", budget="500", now=now)
    sign_in(client, w, "moderator_in")
    page = f"/projects/{p.id}/manage"
    done = post_form(client, page, f"/projects/{p.id}/lines", {"name": "材料", "required": "1"})
    assert done.status_code == 303 and done.headers["location"].endswith(page)
    line = client.get(page)
    assert "材料" in line.text
    from consult.delivery.models import BudgetLine

    line_id = db.exec(select(BudgetLine.id).where(BudgetLine.project_id == p.id)).one()
    refused = post_form(client, page, f"/projects/{p.id}/entries", {
        "line_id": line_id, "kind": "spent", "source": "jiedao", "amount": "12.345", "reason": "发票"})
    assert refused.status_code == 422 and "金额最多保留两位小数（到分）" in refused.text
    past = post_form(client, page, f"/projects/{p.id}/entries", {
        "line_id": line_id, "kind": "planned", "source": "jiedao", "amount": "500.01", "reason": "预算"})
    assert past.status_code == 422 and "超出了项目预算 500.00 元" in past.text
    assert count(db, BudgetEntry, BudgetEntry.project_id == p.id) == 0
    ok = post_form(client, page, f"/projects/{p.id}/entries", {
        "line_id": line_id, "kind": "planned", "source": "jiedao", "amount": "500", "reason": "预算"})
    assert ok.status_code == 303
    assert db.exec(select(BudgetEntry.amount_fen).where(BudgetEntry.project_id == p.id)).all() == [50000]


def test_a_post_without_its_token_changes_nothing(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    sign_in(client, w, "moderator_in")
    refused = client.post(f"/projects/{p.id}/lines", data={"name": "材料"}, follow_redirects=False)
    assert refused.status_code == 403 and "表单已过期或并非来自本站" in refused.text
    from consult.delivery.models import BudgetLine

    assert count(db, BudgetLine, BudgetLine.project_id == p.id) == 0


def test_another_areas_staff_are_refused_with_the_place(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    sign_in(client, w, "moderator_out")
    page = client.get(f"/projects/{p.id}/manage")
    assert page.status_code == 403
    token = csrf_from(client.get("/staff/projects/new").text)
    refused = client.post(f"/projects/{p.id}/lines", data={"csrf_token": token, "name": "材料"},
                          follow_redirects=False)
    assert refused.status_code == 403 and "恒丰小区" in refused.text


def test_a_resident_pledges_and_staff_record_its_receipt(client, db, w, now):
    p = project(db, w, state="in_progress", category="gongchou", now=now)
    sign_in(client, w, "resident_in")
    page = f"/projects/{p.id}"
    bad = post_form(client, page, f"/projects/{p.id}/pledges", {"kind": "money", "quantity": "1.234"})
    assert bad.status_code == 422 and "金额最多保留两位小数（到分）" in bad.text
    done = post_form(client, page, f"/projects/{p.id}/pledges", {"kind": "money", "quantity": "200", "show_name": "1"})
    assert done.status_code == 303
    pledge = db.exec(select(Pledge).where(Pledge.project_id == p.id)).one()
    assert (pledge.quantity, pledge.user_id) == (20000, w.user("resident_in").id)
    changed = post_form(client, page, f"/pledges/{pledge.id}/change", {"quantity": "150", "show_name": "1"})
    assert changed.status_code == 303
    client.post("/logout", data={"csrf_token": csrf_from(client.get(page).text)})
    sign_in(client, w, "moderator_in")
    manage = f"/projects/{p.id}/manage"
    no_scan = post_form(client, manage, f"/pledges/{pledge.id}/receive", {"quantity": "100", "receipt": "paper"})
    assert no_scan.status_code == 422 and "请上传签字收据的照片" in no_scan.text
    token = csrf_from(client.get(manage).text)
    got = client.post(f"/pledges/{pledge.id}/receive", data={"csrf_token": token, "quantity": "100", "receipt": "paper"},
                      files={"receipt_file": ("receipt.jpg", jpeg(), "image/jpeg")}, follow_redirects=False)
    assert got.status_code == 303
    over = post_form(client, manage, f"/pledges/{pledge.id}/receive", {"quantity": "50.01", "receipt": "account"})
    assert over.status_code == 422 and "超过了认筹数量" in over.text
    db.refresh(pledge)
    assert (pledge.received, pledge.state) == (10000, "received")
    client.post("/logout", data={"csrf_token": csrf_from(client.get(page).text)})
    sign_in(client, w, "resident_in")
    late = post_form(client, page, f"/pledges/{pledge.id}/change", {"quantity": "10"})
    assert late.status_code == 409 and "不能再修改或撤回" in late.text
    assert "已到位，不能再修改" in client.get(page).text


def test_a_pledge_staff_enter_on_the_manage_page_is_shown_again_there_when_refused(client, db, w, now):
    """The staff's pledge form (from=manage) refused: the manage page again with the message
    and the form's values, nothing stored (it was a 500: the page's own values were missing)."""
    p = project(db, w, state="in_progress", category="gongchou", now=now)
    sign_in(client, w, "moderator_in")
    manage = f"/projects/{p.id}/manage"
    bad = post_form(client, manage, f"/projects/{p.id}/pledges",
                    {"from": "manage", "pledger_kind": "household", "pledger_name": "王家",
                     "kind": "money", "quantity": "1.234"})
    assert bad.status_code == 422 and "金额最多保留两位小数（到分）" in bad.text and "王家" in bad.text
    assert count(db, Pledge, Pledge.project_id == p.id) == 0


def test_acceptance_by_two_people_then_a_resident_rates(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    sign_in(client, w, "moderator_in")
    page = f"/projects/{p.id}"
    token = csrf_from(client.get(page).text)
    no_record = client.post(f"/projects/{p.id}/sign", data={"csrf_token": token}, follow_redirects=False)
    assert no_record.status_code == 422 and "请上传签字验收单的照片" in no_record.text
    signed = client.post(f"/projects/{p.id}/sign", data={"csrf_token": token, "note": "合格"},
                         files={"record": ("r.jpg", jpeg(), "image/jpeg")}, follow_redirects=False)
    assert signed.status_code == 303
    again = client.post(f"/projects/{p.id}/sign", data={"csrf_token": token},
                        files={"record": ("r.jpg", jpeg(), "image/jpeg")}, follow_redirects=False)
    assert again.status_code == 409
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, w, "resident_in")
    assert post_form(client, page, f"/projects/{p.id}/sign", {"note": "同意"}).status_code == 303
    assert count(db, SignOff, SignOff.project_id == p.id) == 2
    db.refresh(p)
    assert p.state == "accepted"
    assert "项目验收 30 天后开放评分" in client.get(page).text
    p.accepted_on = (now - 31 * DAY).date()
    db.add(p)
    db.flush()
    bad = post_form(client, page, f"/projects/{p.id}/rate", {"stars": "9"})
    assert bad.status_code == 422 and "请选择一到五颗星" in bad.text
    assert post_form(client, page, f"/projects/{p.id}/rate", {"stars": "5", "comment": "好用"}).status_code == 303
    assert "您给了 5 颗星" in client.get(page).text
    assert count(db, ProjectRating, ProjectRating.project_id == p.id) == 1


def test_a_failed_check_with_its_repair_on_a_phone(client, db, w, now):
    p = project(db, w, state="in_use", kind="seating", now=now)
    sign_in(client, w, "moderator_in")
    page = f"/projects/{p.id}/check"
    form = client.get(page)
    assert form.status_code == 200 and "无尖锐边角或木刺" in form.text
    data = {"checked_on": now.date().isoformat(), "item_edges": "fail", "item_signage": "pass", "item_structure": "na"}
    missing = post_form(client, page, f"/projects/{p.id}/checks", data)
    assert missing.status_code == 422 and "请填写维修期限" in missing.text
    assert count(db, SafetyCheck, SafetyCheck.project_id == p.id) == 0
    token = csrf_from(client.get(page).text)
    done = client.post(f"/projects/{p.id}/checks", data={
        "csrf_token": token, **data, "party_edges": "wuye", "due_on_edges": (now + 7 * DAY).date().isoformat(),
        "note_edges": "木条开裂"}, files={"photos_edges": ("e.jpg", jpeg(), "image/jpeg")}, follow_redirects=False)
    assert done.status_code == 303
    repair = db.exec(select(Repair).where(Repair.project_id == p.id)).one()
    manage = client.get(f"/projects/{p.id}/manage")
    assert "待整改" in manage.text
    assert "整改" in client.get("/staff/register").text
    assert "您记录了这项不合格，因此由另一位工作人员复查整改。" in manage.text
    own = post_form(client, f"/projects/{p.id}/check", f"/repairs/{repair.id}/recheck", {"result": "pass"})
    assert own.status_code == 403 and db.get(Repair, repair.id).state == "open"
    sign_in(client, w, "moderator_in2")
    closed = post_form(client, f"/projects/{p.id}/manage", f"/repairs/{repair.id}/recheck", {"result": "pass"})
    assert closed.status_code == 303
    db.refresh(repair)
    assert repair.state == "closed"
    checklist = client.get(f"/projects/{p.id}/checklist")
    assert checklist.status_code == 200 and 'class="qr"' in checklist.text


def test_no_500_for_odd_requests(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    sign_in(client, w, "moderator_in")
    manage = f"/projects/{p.id}/manage"
    assert post_form(client, manage, f"/projects/{p.id}/move/explode", {}).status_code == 400
    assert post_form(client, manage, "/pledges/999999/receive", {}).status_code == 404
    assert post_form(client, manage, f"/projects/{p.id}/move/retire", {}).status_code == 409
    assert post_form(client, manage, f"/projects/{p.id}/milestones",
                     {"title": "", "happened_on": "yesterday"}).status_code == 422
    assert client.get("/staff/projects/export/nothing.csv").status_code == 400


def test_a_project_decided_outside_a_vote(client, db, w, now):
    sign_in(client, w, "moderator_in")
    page = "/staff/projects/new"
    bad = post_form(client, page, "/staff/projects", {"place_id": w.tree["estate_a"].id, "title": "",
                                                      "category": "shishi", "delivery_party": "unit"})
    assert bad.status_code == 422 and "请填写项目名称" in bad.text and "请填写负责单位的名称" in bad.text
    done = post_form(client, page, "/staff/projects", {
        "place_id": w.tree["estate_a"].id, "year": "2026", "title": "路灯更新", "category": "shishi", "kind": "lighting",
        "budget": "9000.50", "delivery_party": "jiedao", "upkeep_party": "wuye"})
    assert done.status_code == 303 and done.headers["location"].endswith("/manage")


def test_exports_for_staff(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    p.title = "=HYPERLINK(1)"
    db.add(p)
    db.flush()
    sign_in(client, w, "moderator_in")
    body = client.get("/staff/projects/export/projects.csv")
    assert body.status_code == 200
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "年份", "标题"] and len(rows[0]) == 15
    assert rows[1][2] == "'=HYPERLINK(1)"
    assert rows[1][7] == "10000.00"
    assert "%E9%A1%B9%E7%9B%AE.csv" in body.headers["content-disposition"]  # 项目.csv
    checks = client.get("/staff/projects/export/checks.xlsx")
    assert "%E8%87%AA%E6%9F%A5.xlsx" in checks.headers["content-disposition"]  # 自查.xlsx (issue 16 item 16)
    book = load_workbook(io.BytesIO(checks.content))
    assert book.active.max_row == 1 and book.active.title == "自查"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects").text)})
    assert client.get("/staff/projects/export/projects.csv", follow_redirects=False).status_code in (303, 401)


def test_the_notice_of_accounts_prints_with_a_qr_code(client, db, w, now):
    p = project(db, w, state="in_progress", now=now)
    page = client.get(f"/projects/{p.id}/notice")
    assert page.status_code == 200 and 'class="qr"' in page.text and "项目账目公示" in page.text
