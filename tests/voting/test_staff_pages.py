"""Issue 16 items 12-15 (the staff part) on the vote's pages: the desktop's width with tables
that scroll in their own box, publishing asks for confirmation, the paper-entry page."""

from __future__ import annotations

import re

from sqlmodel import select

from consult import clock
from consult.voting import services
from consult.voting.models import Ballot, VoteResult
from tests import factories
from tests.conftest import post_form
from tests.voting.conftest import close_round

_BODY = re.compile(r'<body class="([^"]*)"')


def test_staff_pages_use_the_wide_layout_with_tables_in_boxes(client, world):
    factories.sign_in(client, world.people["moderator"].login)
    rid, cid = world.round.id, world.vote.consultation.id
    world.ideas[0].state = "submitted"
    world.db.add(world.ideas[0])
    world.db.flush()
    for path in (f"/rounds/{rid}/turnout", f"/consultations/{cid}/review", f"/rounds/{rid}/paper"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "wide-page" in _BODY.search(page.text).group(1).split(), path
        for table in re.finditer(r"<table", page.text):
            before = page.text[:table.start()].rstrip()
            assert before.endswith('<div class="scroll">'), (path, before[-80:])
    # a resident's page keeps the reading width
    factories.sign_in(client, world.people["voter"].login)
    assert "wide-page" not in _BODY.search(client.get("/").text).group(1).split()


def test_publishing_asks_for_confirmation_and_says_what_becomes_public(client, db, world):
    close_round(db, world.round)
    factories.sign_in(client, world.people["moderator"].login)
    manage = f"/rounds/{world.round.id}/vote/manage"
    page = client.get(manage).text
    assert 'name="confirm"' in page and "公布后" in page
    unconfirmed = post_form(client, manage, f"/rounds/{world.round.id}/publish", {})
    assert unconfirmed.status_code == 422 and db.exec(select(VoteResult)).first() is None
    assert "请勾选" in unconfirmed.text
    done = post_form(client, manage, f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    assert done.status_code == 303 and db.exec(select(VoteResult)).first() is not None


# -- item 14: paper entry ---------------------------------------------------------------


def _paper_voters(db, world):
    vr = world.load()
    staff = world.actor("moderator")
    wang = services.register_paper_voter(db, staff, vr, area_id=world.tree["area_a"].id,
                                         building_group_id="", name="王大爷", id_last4="1234",
                                         now=clock.utcnow())
    zhao = services.register_paper_voter(db, staff, vr, area_id=world.tree["area_a"].id,
                                         building_group_id="", name="赵阿姨", id_last4="5678",
                                         now=clock.utcnow())
    db.flush()
    return wang, zhao


def _row_of(html: str, name: str) -> str:
    match = re.search(r"<tr>(?:(?!</tr>).)*" + name + r"(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, name
    return match.group(0)


def test_the_voter_list_is_searchable_and_says_who_voted_and_how(client, db, world):
    wang, zhao = _paper_voters(db, world)
    services.link_paper_voter(db, world.actor("moderator"), world.load(), paper_voter_id=str(wang.id),
                              phone=world.people["voter"].login, now=clock.utcnow())
    db.flush()
    factories.sign_in(client, world.people["voter"].login)
    voted = post_form(client, f"/rounds/{world.round.id}/vote", f"/rounds/{world.round.id}/vote/confirm",
                      {"idea": [str(world.ideas[0].id)]})
    assert voted.status_code == 303
    factories.sign_in(client, world.people["moderator"].login)
    page = client.get(f"/rounds/{world.round.id}/paper").text
    assert "已投票（网上）" in _row_of(page, "王大爷") and "未投票" in _row_of(page, "赵阿姨")
    assert world.ideas[0].title not in _row_of(page, "王大爷")  # never what they chose
    found = client.get(f"/rounds/{world.round.id}/paper", params={"q": "5678"}).text
    listed = found[found.index('id="list-h"'):found.index('id="reg-h"')]
    assert "赵阿姨" in listed and "王大爷" not in listed
    assert 'name="q"' in found and 'method="get"' in found


def test_paper_entry_by_ballot_numbers_with_the_titles_to_confirm(client, db, world):
    _wang, zhao = _paper_voters(db, world)
    factories.sign_in(client, world.people["moderator"].login)
    paper = f"/rounds/{world.round.id}/paper"
    page = client.get(paper).text
    assert 'name="numbers"' in page and 'name="idea"' not in page  # one field, not 80 boxes
    typed = {"serial": "A001", "paper_voter_id": str(zhao.id), "numbers": "1，3"}
    check = post_form(client, paper, paper, typed)
    assert check.status_code == 200 and db.exec(select(Ballot)).first() is None
    confirm = check.text[check.text.index('id="confirm-h"'):]
    assert confirm.index("楼道灯更换") < confirm.index("绿角改造") and "加装扶手" not in confirm[:confirm.index("</ol>")]
    assert 'name="confirmed" value="1"' in confirm
    saved = post_form(client, paper, paper, {**typed, "confirmed": "1"})
    assert saved.status_code == 303
    ballot = db.exec(select(Ballot)).one()
    assert ballot.channel == "paper" and ballot.serial == "A001"
    listed = client.get(paper).text
    assert "已投票（纸质）" in _row_of(listed, "赵阿姨")
    receipt = client.get(f"/rounds/{world.round.id}/paper/receipt")
    assert receipt.status_code == 200 and "print-page" in _BODY.search(receipt.text).group(1)
    assert "A001" in receipt.text and "/receipts" in receipt.text
    assert re.search(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}", receipt.text)
    again = client.get(f"/rounds/{world.round.id}/paper/receipt")  # shown once: the code is not kept
    assert again.status_code == 404


def test_a_number_not_on_the_ballot_is_a_clear_message(client, db, world):
    _wang, zhao = _paper_voters(db, world)
    factories.sign_in(client, world.people["moderator"].login)
    paper = f"/rounds/{world.round.id}/paper"
    bad = post_form(client, paper, paper, {"serial": "A002", "paper_voter_id": str(zhao.id),
                                           "numbers": "2 99"})
    assert bad.status_code == 422 and "99" in bad.text and "选票上没有" in bad.text


# -- item 15: what residents read, and the exports ---------------------------------------


def _published(client, db, world):
    factories.sign_in(client, world.people["voter"].login)
    assert post_form(client, f"/rounds/{world.round.id}/vote", f"/rounds/{world.round.id}/vote/confirm",
                     {"idea": [str(world.ideas[3].id)]}).status_code == 303
    close_round(db, world.round)
    services.publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    db.flush()


def test_the_results_page_folds_the_technical_text_into_how_to_check(client, db, world):
    _published(client, db, world)
    page = client.get(f"/rounds/{world.round.id}/results").text
    folded = re.search(r"<details[^>]*>\s*<summary>如何核验</summary>(.*?)</details>", page, re.S)
    assert folded, "no folded 如何核验"
    outside = page.replace(folded.group(0), "")
    for technical in ("SHA-256", "pabulib", "python -m consult"):
        assert technical in folded.group(1) and technical not in outside


def test_a_printable_results_notice_with_qr(client, db, world):
    _published(client, db, world)
    notice = client.get(f"/rounds/{world.round.id}/results/notice")
    assert notice.status_code == 200 and "print-page" in _BODY.search(notice.text).group(1)
    text = notice.text
    assert "结果公示" in text and "增设座椅" in text and "¥1,500.00" in text
    assert "共计入 1 张有效选票，可投票人数 3，投票率 33.3%。" in text  # turnout
    assert "公示期至" in text and "异议" in text and re.search(r'<svg[^>]* class="qr"', text)
    result = db.exec(select(VoteResult)).one()
    assert f"{result.notice_until.year}" in text
    assert "贪心" not in text  # not the rules


def test_exports_of_scores_turnout_and_voters(client, db, world):
    from io import BytesIO
    from urllib.parse import unquote

    from openpyxl import load_workbook

    _paper_voters(db, world)
    _published(client, db, world)
    ranking = client.get(f"/rounds/{world.round.id}/results.xlsx")
    assert ranking.status_code == 200
    assert "得分" in unquote(ranking.headers["content-disposition"])
    sheet = load_workbook(BytesIO(ranking.content)).active
    rows = list(sheet.values)
    assert sheet.title == "得分排名" and rows[0][:3] == ("排名", "项目", "得分")
    assert rows[1][1] == "增设座椅" and rows[1][2] == 1
    assert client.get(f"/rounds/{world.round.id}/results.xlsx?format=csv").text.startswith("\ufeff排名")
    assert client.get(f"/rounds/{world.round.id}/turnout.xlsx").status_code == 403  # a resident
    factories.sign_in(client, world.people["moderator"].login)
    turnout = load_workbook(BytesIO(client.get(f"/rounds/{world.round.id}/turnout.xlsx").content)).active
    assert turnout.title == "投票率" and list(turnout.values)[1][:2] == ("恒丰", 1)
    voters = client.get(f"/rounds/{world.round.id}/paper/voters.xlsx")
    listed = list(load_workbook(BytesIO(voters.content)).active.values)
    assert listed[0][0] == "居民姓名" and {r[0] for r in listed[1:]} == {"王大爷", "赵阿姨"}
