"""Voting pages: the ballot flow without JavaScript, receipts, paper entry, settings, results."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import select

from consult.voting import secrecy
from consult.voting.models import Ballot, BallotChoice, Objection, PaperVoter, VoteResult
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.voting.conftest import DAY, add_vote_round, close_round, set_settings


def _count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _sign_in(client, world, key):
    factories.sign_in(client, world.people[key].login)


def _ballot_url(world):
    return f"/rounds/{world.round.id}/vote"


def _post(client, world, path, data, page=None):
    token = csrf_from(client.get(page or _ballot_url(world)).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def _vote(client, world, *indexes, confirm=True):
    ideas = [world.ideas[i].id for i in indexes]
    path = f"{_ballot_url(world)}/confirm" if confirm else _ballot_url(world)
    return _post(client, world, path, {"idea": ideas})


def test_anonymous_sees_the_ideas_and_a_sign_in_link(client, world):
    page = client.get(_ballot_url(world))
    assert page.status_code == 200
    assert page.context["sign_in"] is True and page.context["voter"] is None
    assert [i.title for i in page.context["ideas"]] == ["楼道灯更换", "加装扶手", "绿角改造", "增设座椅"]
    assert "¥4,000.00" in page.text and "/login?next=" in page.text
    assert 'name="action" value="review"' not in page.text  # no voting without an account


def test_vote_total_confirm_receipt_then_change(client, db, world):
    _sign_in(client, world, "voter")
    page = client.get(_ballot_url(world))
    assert page.context["voter"].key == secrecy.user_key(world.round.id, world.people['voter'].id)
    assert page.context["running"].cost_fen == 0
    assert "¥10,000.00" in page.text and 'data-total-button' in page.text
    total = _post(client, world, _ballot_url(world),
                  {"idea": [world.ideas[0].id, world.ideas[3].id], "action": "total"})
    assert total.status_code == 200 and total.context["running"].cost_fen == 550_000
    assert total.context["running"].left_fen == 450_000 and "¥4,500.00" in total.text
    assert total.context["chosen"] == {str(world.ideas[0].id), str(world.ideas[3].id)}
    assert _count(db, Ballot) == 0
    review = _vote(client, world, 0, 3, confirm=False)
    assert review.status_code == 200
    assert [idea.title for idea, _, _ in review.context["lines"]] == ["楼道灯更换", "增设座椅"]
    assert review.context["running"].cost_fen == 550_000
    assert "确认" in review.text and _count(db, Ballot) == 0  # the confirmation changes nothing
    done = _vote(client, world, 0, 3)
    assert done.status_code == 303 and done.headers["location"] == f"/rounds/{world.round.id}/receipt"
    receipt = client.get(done.headers["location"])
    code = receipt.context["code"]
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    assert code in re.sub(r"<[^>]+>", "", receipt.text)
    assert [idea.title for idea, _, _ in receipt.context["lines"]] == ["楼道灯更换", "增设座椅"]
    again = client.get(done.headers["location"])
    assert again.context["code"] == code  # kept on her own signed-in receipt page (issue 16 item 5)
    ballot = db.exec(select(Ballot)).one()
    assert ballot.receipt_prefix == code[:4]
    # the ballot page shows the current vote, and it can be changed
    page = client.get(_ballot_url(world))
    assert page.context["mine"] is not None and page.context["chosen"] == {
        str(world.ideas[0].id), str(world.ideas[3].id)}
    changed = _vote(client, world, 1)
    assert changed.status_code == 303
    assert _count(db, Ballot) == 1 and _count(db, BallotChoice) == 1
    check = _post(client, world, "/receipts", {"code": code}, page="/receipts")
    assert check.status_code == 200 and check.context["result"].found is False



def test_a_double_click_shows_the_same_receipt_and_a_change_says_it_replaces_it(client, db, world):
    """The confirm form sent twice: one ballot, the same receipt shown both times, and it
    checks; a changed ballot says its new code replaces the earlier one (issue 12 item 5)."""
    _sign_in(client, world, "voter")
    token = csrf_from(client.get(_ballot_url(world)).text)
    form = {"csrf_token": token, "idea": [world.ideas[0].id, world.ideas[3].id]}
    shown = []
    for _ in range(2):
        done = client.post(f"{_ballot_url(world)}/confirm", data=form, follow_redirects=False)
        assert done.status_code == 303
        shown.append(client.get(done.headers["location"]))
    first, second = shown
    assert first.context["code"] is not None and second.context["code"] == first.context["code"]
    assert "谢谢！您的投票已记录。" in first.text
    assert "您已用这些选择投过票：投票没有改变，回执码也不变。" in second.text
    assert _count(db, Ballot) == 1 and _count(db, BallotChoice) == 2
    check = _post(client, world, "/receipts", {"code": first.context["code"]}, page="/receipts")
    assert check.context["result"].found is True
    changed = _vote(client, world, 1)
    receipt = client.get(changed.headers["location"])
    assert receipt.context["code"] not in (None, first.context["code"])
    assert "您的投票已修改。新的回执码取代了之前的回执码，之前的回执码不再有效。" in receipt.text
    for code, found in ((first.context["code"], False), (receipt.context["code"], True)):
        check = _post(client, world, "/receipts", {"code": code}, page="/receipts")
        assert check.context["result"].found is found

def test_over_budget_is_refused_with_the_total_and_nothing_stored(client, db, world):
    _sign_in(client, world, "voter")
    for confirm in (False, True):
        response = _vote(client, world, 0, 1, 2, 3, confirm=confirm)
        assert response.status_code == 422
        assert "超出预算" in response.text or "预算" in response.text
        assert response.context["running"].over is True
        assert response.context["running"].cost_fen == 1_100_000
        assert response.context["chosen"] == {str(i.id) for i in world.ideas}  # kept for fixing
    assert _count(db, Ballot) == 0


def test_unknown_idea_and_bad_rank_are_clear_errors(client, db, world):
    _sign_in(client, world, "voter")
    unknown = _post(client, world, f"{_ballot_url(world)}/confirm", {"idea": ["999999"]})
    assert unknown.status_code == 422 and unknown.context["error"].params["project"] == "“999999”"
    set_settings(db, world.round.id, ballot_kind="ordinal", ranking_length=2, points_per_rank=[2, 1])
    a, b = world.ideas[0].id, world.ideas[1].id
    twice = _post(client, world, f"{_ballot_url(world)}/confirm", {f"rank-{a}": "1", f"rank-{b}": "1"})
    assert twice.status_code == 422 and "1" in twice.text
    gap = _post(client, world, _ballot_url(world), {f"rank-{a}": "2"})
    assert gap.status_code == 422 and gap.context["error"].params == {"rank": 1}
    ok = _post(client, world, f"{_ballot_url(world)}/confirm", {f"rank-{a}": "2", f"rank-{b}": "1"})
    assert ok.status_code == 303
    choices = db.exec(select(BallotChoice).order_by(BallotChoice.rank)).all()
    assert [(c.idea_id, c.rank, c.points) for c in choices] == [(b, 1, 2), (a, 2, 1)]


def test_cumulative_points_form(client, db, world):
    set_settings(db, world.round.id, ballot_kind="cumulative", max_points=5)
    _sign_in(client, world, "voter")
    a, b = world.ideas[0].id, world.ideas[1].id
    total = _post(client, world, _ballot_url(world), {f"points-{a}": "3", f"points-{b}": "4",
                                                      "action": "total"})
    assert total.context["running"].points == 7
    refused = _post(client, world, f"{_ballot_url(world)}/confirm", {f"points-{a}": "3", f"points-{b}": "4"})
    assert refused.status_code == 422 and _count(db, Ballot) == 0
    letters = _post(client, world, f"{_ballot_url(world)}/confirm", {f"points-{a}": "三"})
    assert letters.status_code == 422
    done = _post(client, world, f"{_ballot_url(world)}/confirm", {f"points-{a}": "3", f"points-{b}": "2"})
    assert done.status_code == 303


def test_closed_round_refuses_with_a_message(client, db, world):
    _sign_in(client, world, "voter")
    page = client.get(_ballot_url(world))
    token = csrf_from(page.text)
    close_round(db, world.round)
    response = client.post(f"{_ballot_url(world)}/confirm",
                           data={"csrf_token": token, "idea": [world.ideas[0].id]}, follow_redirects=False)
    assert response.status_code == 409 and "投票已于" in response.text
    assert _count(db, Ballot) == 0
    closed = client.get(_ballot_url(world))
    assert closed.context["open_problem"] is not None and 'value="review"' not in closed.text


def test_ineligible_voter_sees_why(client, db, world):
    _sign_in(client, world, "outsider")
    page = client.get(_ballot_url(world))
    assert page.context["voter"] is None and "恒丰" in page.text
    response = _vote(client, world, 0)
    assert response.status_code == 403 and _count(db, Ballot) == 0


def test_paper_voter_cannot_vote_online(client, db, world):
    _sign_in(client, world, "moderator")
    entered = _post(client, world, f"/rounds/{world.round.id}/paper",
                    {"serial": "A-17", "phone": world.people["voter"].login, "idea": [world.ideas[0].id]},
                    page=f"/rounds/{world.round.id}/paper")
    assert entered.status_code == 303
    flash = client.get(entered.headers["location"])
    assert "A-17" in flash.text and [r.serial for r in flash.context["rows"]] == ["A-17"]
    _sign_in(client, world, "voter")
    page = client.get(_ballot_url(world))
    assert page.context["locked"] is True and "A-17" in page.text
    response = _vote(client, world, 1)
    assert response.status_code == 409 and _count(db, Ballot) == 1


def test_paper_page_errors_keep_the_form(client, db, world):
    _sign_in(client, world, "moderator")
    page = f"/rounds/{world.round.id}/paper"
    first = _post(client, world, page, {"serial": "B-1", "phone": world.people["voter"].login,
                                        "idea": [world.ideas[0].id]}, page=page)
    assert first.status_code == 303
    twice = _post(client, world, page, {"serial": "b-1", "phone": world.people["voter2"].login,
                                        "idea": [world.ideas[1].id]}, page=page)
    assert twice.status_code == 422 and "serial" in twice.context["errors"]
    assert twice.context["form"]["phone"] == world.people["voter2"].login
    assert twice.context["chosen"] == {str(world.ideas[1].id)}
    over = _post(client, world, page, {"serial": "B-2", "phone": world.people["voter2"].login,
                                       "idea": [i.id for i in world.ideas]}, page=page)
    assert over.status_code == 422 and over.context["error"] is not None
    registered = _post(client, world, f"{page}/voters", {
        "name": "王阿婆", "id_last4": "123x", "area_id": world.tree["area_a"].id,
        "building_group_id": world.tree["group_a"].id}, page=page)
    assert registered.status_code == 303 and _count(db, PaperVoter) == 1
    bad = _post(client, world, f"{page}/voters", {"name": "", "id_last4": "1", "area_id": "x"}, page=page)
    assert bad.status_code == 422 and set(bad.context["voter_errors"]) == {"name", "id_last4", "area_id"}
    assert _count(db, Ballot) == 1


def test_staff_link_a_paper_only_resident_to_the_account_they_opened(client, db, world):
    _sign_in(client, world, "moderator")
    page = f"/rounds/{world.round.id}/paper"
    _post(client, world, f"{page}/voters", {"name": "王阿婆", "id_last4": "123X",
                                            "area_id": world.tree["area_a"].id}, page=page)
    person = db.exec(select(PaperVoter)).one()
    form = client.get(page)
    assert f'action="/rounds/{world.round.id}/paper/voters/link"' in form.text
    entered = _post(client, world, page, {"serial": "C-1", "paper_voter_id": person.id,
                                          "idea": [world.ideas[0].id]}, page=page)
    assert entered.status_code == 303
    wrong = _post(client, world, f"{page}/voters/link",
                  {"link_voter": person.id, "link_phone": world.people["outsider"].login}, page=page)
    assert wrong.status_code == 422 and set(wrong.context["link_errors"]) == {"link_phone"}
    assert wrong.context["link_form"]["link_phone"] == world.people["outsider"].login
    linked = _post(client, world, f"{page}/voters/link",
                   {"link_voter": person.id, "link_phone": world.people["voter"].login}, page=page)
    assert linked.status_code == 303
    after = client.get(linked.headers["location"])
    assert "王阿婆" in after.text and "/paper/voters/link" not in after.text  # nobody left to link
    _sign_in(client, world, "voter")
    assert client.get(_ballot_url(world)).context["locked"] is True
    assert _vote(client, world, 1).status_code == 409 and _count(db, Ballot) == 1


def test_paper_forms_take_ids_too_large_for_the_database_as_unknown(client, db, world):
    """Typed or tampered ids past a database integer are refused with a message (on
    PostgreSQL they would otherwise fail as "integer out of range")."""
    _sign_in(client, world, "moderator")
    page = f"/rounds/{world.round.id}/paper"
    huge = "9" * 12
    for path, data, errors in (
        (page, {"serial": "D-1", "paper_voter_id": huge, "idea": [world.ideas[0].id]}, "errors"),
        (f"{page}/voters", {"name": "赵", "id_last4": "1234", "area_id": huge,
                            "building_group_id": huge}, "voter_errors"),
        (f"{page}/voters/link", {"link_voter": huge, "link_phone": world.people["voter"].login},
         "link_errors"),
    ):
        response = _post(client, world, path, data, page=page)
        assert response.status_code == 422 and response.context[errors], path
    assert _count(db, Ballot) == 0 and _count(db, PaperVoter) == 0


def test_staff_pages_are_for_staff(client, world):
    _sign_in(client, world, "voter")
    for path in ("vote/manage", "paper", "turnout"):
        assert client.get(f"/rounds/{world.round.id}/{path}").status_code == 403
    _sign_in(client, world, "moderator_b")
    assert client.get(f"/rounds/{world.round.id}/paper").status_code == 403


def test_settings_form(client, db, world):
    # The counting terms can change until voting opens (see test_lifecycle.py for after).
    world.round.opens_at = world.now + DAY
    db.add(world.round)
    db.flush()
    _sign_in(client, world, "moderator")
    page = f"/rounds/{world.round.id}/vote/manage"
    shown = client.get(page)
    assert shown.context["form"]["ballot_kind"] == "approval_budget" and shown.context["locked"] is False
    saved = _post(client, world, f"/rounds/{world.round.id}/vote/settings", {
        "ballot_kind": "ordinal", "ranking_length": "3", "rule": "greedy", "notice_days": "5"}, page=page)
    assert saved.status_code == 303
    stored = client.get(page).context["vr"].settings
    assert stored.points_per_rank == [3, 2, 1] and stored.notice_days == 5
    bad = _post(client, world, f"/rounds/{world.round.id}/vote/settings", {
        "ballot_kind": "cumulative", "rule": "equalshares/add1", "budget": "abc"}, page=page)
    assert bad.status_code == 422
    assert set(bad.context["errors"]) == {"max_points", "rule", "budget"}


def test_publish_results_page_and_exports(client, db, world):
    for key, idea in (("voter", 0), ("voter2", 3)):
        _sign_in(client, world, key)
        assert _vote(client, world, idea).status_code == 303
    assert client.get(f"/rounds/{world.round.id}/results").status_code == 404
    _sign_in(client, world, "moderator")
    page = f"/rounds/{world.round.id}/vote/manage"
    early = post_form(client, page, f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    assert early.status_code == 409 and _count(db, VoteResult) == 0
    close_round(db, world.round)
    published = post_form(client, page, f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    assert published.status_code == 303
    job = client.get(published.headers["location"])  # the job's page: counted after the 303
    assert job.status_code == 200 and job.context["job"].state == "done"
    results = client.get(f"/rounds/{world.round.id}/results")
    assert results.status_code == 200
    assert [r.idea.title for r in results.context["results"].rows if r.selected][:2] == ["增设座椅", "楼道灯更换"]
    assert '<svg class="vote-chart"' in results.text and 'role="img"' in results.text
    assert "<table" in results.text and results.context["results"].result.ballot_digest in results.text
    assert "贪心" in results.text or "得分" in results.text  # the method in plain words
    assert results.context["turnout"].total == 2
    pb = client.get(f"/rounds/{world.round.id}/results.pb")
    assert pb.status_code == 200 and "attachment" in pb.headers["content-disposition"]
    assert "VOTES" in pb.text and world.people["voter"].login not in pb.text
    assert client.get(f"/rounds/{world.round.id}/results.csv").text.startswith("\ufeffvoter_id")
    recount = client.get(page).context["recount"]
    assert recount.matches


def test_objection_answer_and_finalize(client, db, world):
    set_settings(db, world.round.id, notice_days=0)
    _sign_in(client, world, "voter")
    assert _vote(client, world, 0).status_code == 303
    close_round(db, world.round)
    _sign_in(client, world, "moderator")
    post_form(client, f"/rounds/{world.round.id}/vote/manage", f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    result = db.exec(select(VoteResult)).one()
    result.notice_until = result.published_at.replace(year=result.published_at.year + 1)
    db.add(result)
    db.flush()
    results = f"/rounds/{world.round.id}/results"
    _sign_in(client, world, "voter")
    assert client.get(results).context["can_object"] is True
    empty = _post(client, world, f"/rounds/{world.round.id}/objections", {"body": " "}, page=results)
    assert empty.status_code == 422
    filed = _post(client, world, f"/rounds/{world.round.id}/objections", {"body": "3号楼的纸质票算了吗？"},
                  page=results)
    assert filed.status_code == 303
    objection = db.exec(select(Objection)).one()
    shown = client.get(results)
    assert "3号楼的纸质票算了吗？" in shown.text and world.people["voter"].login not in shown.text
    _sign_in(client, world, "moderator")
    answered = _post(client, world, f"/objections/{objection.id}/answer", {"answer": "已计入。"}, page=results)
    assert answered.status_code == 303 and "已计入。" in client.get(results).text
    assert client.get(results).context["can_finalize"] is False  # the notice period runs
    result.notice_until = result.published_at
    db.add(result)
    db.flush()
    assert client.get(results).context["can_finalize"] is True
    done = post_form(client, results, f"/rounds/{world.round.id}/finalize", {})
    db.expire_all()
    assert done.status_code == 303 and db.exec(select(VoteResult)).one().finalized_at is not None


def test_receipt_check_page(client, world):
    _sign_in(client, world, "voter")
    done = _vote(client, world, 2)
    code = client.get(done.headers["location"]).context["code"]
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    good = post_form(client, "/receipts", "/receipts", {"code": code.replace("-", " ").lower()})
    assert good.status_code == 200 and good.context["result"].status == "counted"
    assert "绿角改造" not in good.text  # never what it chose
    bad = post_form(client, "/receipts", "/receipts", {"code": "12"})
    assert bad.status_code == 422 and "code" in bad.context["errors"]
    unknown = post_form(client, "/receipts", "/receipts", {"code": "ABCD-EFGH-JKLM-NPQR"})
    assert unknown.status_code == 200 and unknown.context["result"].found is False


def test_votes_list(client, db, world):
    add_vote_round(db, scope=world.tree["area_b"], author=world.people["voter"],
                   opens_at=world.now - 30 * DAY, closes_at=world.now - 20 * DAY, title="旧投票")
    page = client.get("/votes")
    assert [r.vr.state for r in page.context["rounds"]] == ["open", "closed"]
    assert f'href="/rounds/{world.round.id}/vote"' in page.text


def test_ballot_page_queries_do_not_grow_with_ideas(client, db, world, engine):
    from tests.statements import count_statements

    _sign_in(client, world, "voter")
    small = add_vote_round(db, scope=world.tree["area_a"], author=world.people["voter"],
                           opens_at=world.round.opens_at, closes_at=world.round.closes_at)
    big = add_vote_round(db, scope=world.tree["area_a"], author=world.people["voter"],
                         opens_at=world.round.opens_at, closes_at=world.round.closes_at,
                         costs=[100] * 20, titles=[f"想法{i}" for i in range(20)])
    counts = []
    for item in (small, big):
        client.get(f"/rounds/{item.round.id}/vote")
        with count_statements(engine) as statements:
            assert client.get(f"/rounds/{item.round.id}/vote").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[0] <= 14


def test_the_settings_form_explains_the_minimum_votes(client, db, world):
    world.round.opens_at = world.now + DAY
    db.add(world.round)
    db.flush()
    _sign_in(client, world, "moderator")
    shown = client.get(f"/rounds/{world.round.id}/vote/manage")
    assert shown.context["form"]["min_score"] == "1"
    assert "得票（得分）不少于" in shown.text and "没有人投票的建议不会入选" in shown.text
