"""Issue 16 item 15: the owners' vote result is a notice to post up: besides the figures the
Civil Code needs, it says since when it is posted and how to object, with a QR code."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.owners import services
from consult.owners.models import OwnerMatter
from tests import factories
from tests.conftest import post_form
from tests.owners.test_api import token
from tests.owners.test_routes import close, open_matter


def beijing_day(value) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d")


def test_the_owners_result_notice_has_a_qr_code_and_the_notice_line(client, world, db):
    matter = open_matter(world, kind="major")
    world.vote(world.li, matter, now=clock.utcnow())
    close(db, matter)
    page = client.get(f"/owners/matters/{matter.id}/result").text
    assert re.search(r'<svg[^>]* class="qr"', page)
    assert f"/owners/matters/{matter.id}/result</p>" in page
    assert "公告" in page and "异议" in page and "业主委员会" in page


def test_the_result_notice_gives_the_notice_periods_end(client, world, db):
    """The posted result says until when it is posted and owners may object: the close plus
    the matter's notice period (seven days unless the matter says otherwise)."""
    matter = open_matter(world)
    assert matter.notice_days == 7
    close(db, matter)
    end = services.notice_ends(matter)
    assert end == matter.closes_at + timedelta(days=7)
    shown = client.get(f"/owners/matters/{matter.id}/result").text
    start_day, end_day = (beijing_day(matter.closes_at), beijing_day(end))
    assert f"本表决结果自 {start_day} 起公告至 {end_day}（7 天）" in shown
    assert f"可在 {end_day} 前向业主委员会书面提出" in shown
    notice = client.get(f"/owners/matters/{matter.id}/notice").text
    assert f"表决结果在表决结束后公告 7 天，至 {end_day}" in notice


def test_the_notice_period_is_chosen_with_the_matter_and_checked(client, world, db):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/owners/matters/new"
    action = f"/estates/{world.estate.id}/owners/matters"
    assert 'name="notice_days" type="number" value="7"' in client.get(page).text
    fields = {"title": "更换电梯", "kind": "ordinary", "opens_at": "2030-01-01T09:00",
              "closes_at": "2030-01-15T17:00"}
    for bad in ("0", "61", "七", "2.5", "-3"):
        response = post_form(client, page, action, {**fields, "notice_days": bad})
        assert response.status_code == 422, bad
        assert "请填写 1 到 60 之间的整数天数。" in response.text
        assert f'name="notice_days" type="number" value="{bad}"' in response.text
    response = post_form(client, page, action, {**fields, "notice_days": "15"})
    assert response.status_code == 303
    matter = db.exec(select(OwnerMatter).where(OwnerMatter.title == "更换电梯")).one()
    assert matter.notice_days == 15
    assert services.notice_ends(matter) == matter.closes_at + timedelta(days=15)


def test_the_api_gives_the_notice_period_and_its_end(client, world, db):
    staff = token(client, world.moderator)
    url = f"/api/v1/estates/{world.estate.id}/owners/matters"
    fields = {"title": "筹集专项维修资金", "kind": "maintenance_fund_raise",
              "opens_at": "2030-01-01T09:00:00+08:00", "closes_at": "2030-01-20T17:00:00+08:00"}
    for bad in (0, "x", 1.5, True, [7]):
        response = client.post(url, headers=staff, json={**fields, "notice_days": bad})
        assert response.status_code == 422, bad
        assert set(response.json()["error"]["fields"]) == {"notice_days"}
    created = client.post(url, headers=staff, json={**fields, "notice_days": 10}).json()
    assert created["notice_days"] == 10
    assert created["notice_ends_at"].startswith("2030-01-30T09:00:00")
    matter = open_matter(world)
    world.vote(world.li, matter, now=clock.utcnow())
    close(db, matter)
    result = client.get(f"/api/v1/owners/matters/{matter.id}/result").json()
    assert result["notice_days"] == 7
    assert result["notice_ends_at"].startswith((matter.closes_at + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
