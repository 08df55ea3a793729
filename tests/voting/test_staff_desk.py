"""Issue 16 item 11: the staff desk — what waits for a moderator, with counts and links, on
the home page and at /staff; moderators are told of new verification requests and objections."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.communities import services as places
from consult.notifications.models import DigestItem, Notification
from consult.staffdesk import tasks
from consult.voting.models import Ballot, Objection, VoteResult
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.voting.conftest import close_round, set_settings


def _kinds(db, world, key):
    return {t.kind: t for t in tasks(db, world.actor(key), clock.utcnow())}


def _notes(db, world, key, kind):
    """What told the person of ``kind``: in the app or in their day's text digest, as their
    message preferences choose (waiting work goes by text by default)."""
    uid = world.people[key].id
    return [*db.exec(select(Notification).where(Notification.user_id == uid,
                                                Notification.kind == kind)).all(),
            *db.exec(select(DigestItem).where(DigestItem.user_id == uid,
                                              DigestItem.kind == kind)).all()]


def test_a_verification_request_waits_on_the_desk_and_tells_the_area_s_moderators(db, world):
    places.request_verification(db, world.actor("unverified"), world.people["unverified"],
                                area_id=world.tree["area_a"].id)
    db.flush()
    assert [len(_notes(db, world, k, "verification_waiting")) for k in
            ("moderator", "moderator2", "moderator_b", "unverified")] == [1, 1, 0, 0]
    assert _kinds(db, world, "moderator")["verifications"].count == 1
    assert "verifications" not in _kinds(db, world, "moderator_b")


def test_ideas_disputes_objections_and_closing_rounds(db, world):
    world.ideas[0].state = "submitted"
    db.add(world.ideas[0])
    db.add(Ballot(round_id=world.round.id, voter_key="paper-test", channel="paper",
                  status="disputed", serial="17"))
    db.add(Objection(round_id=world.round.id, user_id=world.people["voter"].id, body="请核对"))
    world.round.closes_at = clock.utcnow() + timedelta(days=1)
    db.add(world.round)
    db.flush()
    mine = _kinds(db, world, "moderator")
    assert mine["review"].count == 1 and mine["review"].params == {"cid": world.vote.consultation.id}
    assert mine["disputes"].count == 1 and mine["disputes"].route == "paper_ballots"
    assert mine["objections"].count == 1 and mine["objections"].params == {"rid": world.round.id}
    assert mine["closing"].when is not None
    assert set(_kinds(db, world, "moderator_b")) == set()  # another area's staff: nothing
    assert tasks(db, world.actor("voter"), clock.utcnow()) == []  # not staff


def test_the_home_page_and_the_desk_show_it_with_links(client, db, world):
    places.request_verification(db, world.actor("unverified"), world.people["unverified"],
                                area_id=world.tree["area_a"].id)
    db.flush()
    factories.sign_in(client, world.people["moderator"].login)
    home = client.get("/")
    assert "等您处理" in home.text
    assert '<a href="/staff/verifications"><strong>待审核的居民认证申请：1 件</strong>' in home.text
    assert 'href="/staff">工作台</a>' in home.text  # in the top navigation
    desk = client.get("/staff")
    assert desk.status_code == 200 and "待审核的居民认证申请：1 件" in desk.text


def test_residents_have_no_desk(client, world):
    factories.sign_in(client, world.people["voter"].login)
    assert "等您处理" not in client.get("/").text and 'href="/staff">' not in client.get("/").text
    assert client.get("/staff").status_code == 403


def test_an_objection_tells_the_round_s_moderators(client, db, world):
    set_settings(db, world.round.id, notice_days=0)
    factories.sign_in(client, world.people["voter"].login)
    token = csrf_from(client.get(f"/rounds/{world.round.id}/vote").text)
    client.post(f"/rounds/{world.round.id}/vote/confirm",
                data={"csrf_token": token, "idea": [world.ideas[0].id]})
    close_round(db, world.round)
    factories.sign_in(client, world.people["moderator"].login)
    post_form(client, f"/rounds/{world.round.id}/vote/manage", f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    result = db.exec(select(VoteResult)).one()
    result.notice_until = result.published_at.replace(year=result.published_at.year + 1)
    db.add(result)
    db.flush()
    factories.sign_in(client, world.people["voter"].login)
    results = f"/rounds/{world.round.id}/results"
    filed = post_form(client, results, f"/rounds/{world.round.id}/objections", {"body": "纸质票算了吗？"})
    assert filed.status_code == 303
    assert [len(_notes(db, world, k, "objection_filed")) for k in ("moderator", "moderator2", "moderator_b")] == [1, 1, 0]
