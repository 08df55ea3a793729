"""A vote round's lifecycle: every privileged action on a round in every state of the round.

States (``rules.ROUND_STATES``): upcoming, open, closed (results not published), published
(the notice period), finalized (the outcome confirmed). Each action is tried by someone who
may do it (so the only reason to refuse is the round's state), through the services the
pages and the API share; a refusal must change nothing. Then each action once over HTTP,
on the page and, where there is one, the API.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.consultations import services as consultations
from consult.consultations.models import Round
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.voting import rules, services
from consult.voting.models import (
    Ballot,
    Objection,
    PaperEntry,
    PaperVoter,
    VoteResult,
    VoteSettings,
)
from consult.voting.rules import RawBallot
from tests import factories
from tests.conftest import post_form
from tests.voting.conftest import DAY, add_vote_round, api_headers, ids, set_settings

STATES = rules.ROUND_STATES
BEFORE_RESULTS = {"upcoming", "open", "closed"}

#: action → the states it is allowed in (written out here, independently of ``rules``)
EXPECTED = {
    "reschedule": {"upcoming"},
    "extend": {"upcoming", "open", "closed"},
    "close_early": {"open"},
    "carry_from": {"published", "finalized"},
    "carry_into": {"upcoming", "open"},
    "change_count_settings": {"upcoming"},
    "change_settings": BEFORE_RESULTS,
    "register_paper_voter": BEFORE_RESULTS,
    "link_paper_voter": set(STATES),
    "enter_paper_ballot": {"open", "closed"},
    "resolve_dispute": {"open", "closed"},
    "publish": {"closed"},
    "finalize": {"published"},
    "file_objection": {"published"},
    "answer_objection": {"published"},
}


def test_every_round_action_has_expectations():
    assert set(rules.ROUND_ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_round_action_allowed(action, state):
    allowed = state in EXPECTED[action]
    assert rules.round_action_allowed(action, state) is allowed
    problem = rules.round_action_problem(action, state)
    assert (problem is None) is allowed


def test_lifecycle_state():
    assert rules.lifecycle_state("open", False, False) == "open"
    assert rules.lifecycle_state("closed", True, False) == "published"
    assert rules.lifecycle_state("closed", True, True) == "finalized"
    with pytest.raises(KeyError):
        rules.round_action_allowed("reopen", "open")


# -- through the services -----------------------------------------------------------------


def _move(db, item, opens_at, closes_at):
    item.opens_at, item.closes_at = opens_at, closes_at
    db.add(item)
    db.flush()


def _put_in_state(db, world, state, voted=True):
    """The world's round in ``state``, with a web ballot and a double-keyed paper ballot
    (P-1, keyed by two moderators) whenever voting has happened (and ``voted``)."""
    now = clock.utcnow()
    set_settings(db, world.round.id, double_key=True)
    if state == "upcoming":
        _move(db, world.round, now + DAY, now + 2 * DAY)
        return
    if not voted:
        assert state == "open"
        return
    services.cast(db, world.actor("voter"), world.people["voter"], world.load(),
                  RawBallot(choices=ids(world.ideas, 0)), now)
    for who in ("moderator", "moderator2"):
        voter = services.paper_voter_of(db, world.actor(who), world.load(),
                                        phone=world.people["voter2"].login)
        services.enter_paper(db, world.actor(who), world.load(), serial="P-1", voter=voter,
                             raw=RawBallot(choices=ids(world.ideas, 1)), now=now)
    if state == "open":
        return
    _move(db, world.round, now - 2 * DAY, now - timedelta(minutes=1))
    if state == "closed":
        return
    result = services.publish(db, world.actor("moderator"), world.load(), now)
    if state == "finalized":
        result.notice_until = now - timedelta(minutes=1)
        db.add(result)
        db.flush()
        services.finalize(db, world.actor("moderator"), world.load(), now)


def _snapshot(db, world):
    item = db.get(Round, world.round.id)
    db.refresh(item)
    settings = db.get(VoteSettings, world.round.id)
    db.refresh(settings)
    result = services.published_result(db, world.round.id)

    def count(model, *where):
        return db.exec(select(func.count()).select_from(model).where(*where)).one()

    return (item.opens_at, item.closes_at, item.carried_at, item.extended,
            tuple(getattr(settings, name) for name in rules.SETTINGS_FIELDS),
            count(Ballot), tuple(db.exec(select(Ballot.voter_key, Ballot.status).order_by(Ballot.id)).all()),
            count(PaperEntry), count(PaperVoter), tuple(db.exec(select(PaperVoter.user_id)).all()),
            count(Objection), count(Objection, Objection.answered_at.is_not(None)),
            None if result is None else (result.ballots, result.finalized_at))


def _neighbour(db, world, position, kind, opens_at, closes_at):
    item = Round(consultation_id=world.vote.consultation.id, position=position, kind=kind,
                 opens_at=opens_at, closes_at=closes_at, settings={})
    db.add(item)
    db.flush()
    return item


def _prepare(db, world, action, state):
    """Set up what ``action`` needs; return the call of the service that does it."""
    now = clock.utcnow()
    admin = world.actor("admin")
    vr = world.load()
    item = world.round
    if action == "reschedule":
        return lambda: consultations.update_round(
            db, admin, item, opens_at=max(now, item.opens_at) + timedelta(hours=1),
            closes_at=item.closes_at + 3 * DAY, title="改期", now=now)
    if action == "extend":
        return lambda: consultations.extend_round(
            db, admin, item, closes_at=max(now, item.closes_at) + 3 * DAY, reason="延长投票", now=now)
    if action == "close_early":
        return lambda: consultations.close_round(db, admin, item, reason="提前结束", now=now)
    if action == "carry_from":
        _neighbour(db, world, 2, "decide", max(now, item.closes_at) + DAY, max(now, item.closes_at) + 9 * DAY)
        return lambda: consultations.carry_forward(db, admin, item, now)
    if action == "carry_into":
        item.position = 2
        db.add(item)
        before = min(item.opens_at, now) - timedelta(minutes=1)
        review = _neighbour(db, world, 1, "review", before - 3 * DAY, before)
        return lambda: consultations.carry_forward(db, admin, review, now)
    if action == "change_count_settings":
        return lambda: services.save_settings(db, admin, vr, {
            "ballot_kind": "approval_budget", "rule": "top-k", "k": "2", "double_key": "1",
            "notice_days": "7"}, now)
    if action == "change_settings":
        return lambda: services.save_settings(db, admin, vr, {
            "ballot_kind": "approval_budget", "rule": "greedy", "double_key": "1", "notice_days": "9"}, now)
    if action == "register_paper_voter":
        return lambda: services.register_paper_voter(
            db, admin, vr, area_id=str(world.tree["area_a"].id), building_group_id="", name="赵阿姨",
            id_last4="1234", now=now)
    if action == "link_paper_voter":
        person = PaperVoter(area_id=world.tree["area_a"].id, name="钱老伯", id_last4="4321")
        db.add(person)
        db.flush()
        return lambda: services.link_paper_voter(db, admin, vr, paper_voter_id=str(person.id),
                                                 phone=world.people["voter3"].login, now=now)
    if action == "enter_paper_ballot":
        voter = services.paper_voter_of(db, admin, vr, phone=world.people["voter3"].login)
        return lambda: services.enter_paper(db, admin, vr, serial="P-2", voter=voter,
                                            raw=RawBallot(choices=ids(world.ideas, 2)), now=now)
    if action == "resolve_dispute":
        ballot = db.exec(select(Ballot).where(Ballot.serial == "P-1")).first()
        if ballot is not None:
            ballot.status = "disputed"  # as if the two entries had differed
            db.add(ballot)
            db.flush()
        # upcoming: no ballot can exist yet; the round's state refuses before looking
        return lambda: services.resolve_dispute(db, admin, vr, serial="P-1", keep="2", now=now)
    if action == "publish":
        return lambda: services.publish(db, admin, vr, now)
    if action == "finalize":
        result = services.published_result(db, vr.id)
        if result is not None:  # the notice period is over
            result.notice_until = now - timedelta(minutes=1)
            db.add(result)
            db.flush()
        return lambda: services.finalize(db, admin, vr, now)
    if action == "file_objection":
        return lambda: services.file_objection(db, world.actor("voter3"), world.people["voter3"], vr,
                                               "请复核", now)
    if action == "answer_objection":
        objection = Objection(round_id=vr.id, user_id=world.people["voter3"].id, body="请复核",
                              created_at=now)
        db.add(objection)
        db.flush()
        return lambda: services.answer_objection(db, admin, objection.id, "已复核", now)
    raise AssertionError(action)  # pragma: no cover


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_round_action_in_state(db, world, action, state):
    # Ideas join a vote's ballot only before anyone has voted (see the test after this one).
    _put_in_state(db, world, state, voted=(action, state) != ("carry_into", "open"))
    assert services.round_lifecycle(db, world.load()) == state
    expected = state in EXPECTED[action]
    attempt = _prepare(db, world, action, state)
    before = _snapshot(db, world)
    try:
        attempt()
    except (Conflict, FieldErrors) as refusal:
        assert not expected, f"{action} must be allowed when {state}: {refusal}"
        if isinstance(refusal, FieldErrors):  # the one refusal that names the field
            assert action == "change_count_settings" and "rule" in refusal.errors
        assert _snapshot(db, world) == before, "a refusal changed something"
    else:
        assert expected, f"{action} must be refused when {state}"


def test_no_idea_joins_a_ballot_once_someone_has_voted(db, world):
    _put_in_state(db, world, "open")
    attempt = _prepare(db, world, "carry_into", "open")
    before = _snapshot(db, world)
    with pytest.raises(Conflict) as refused:
        attempt()
    assert refused.value.code == "round_has_ballots" and _snapshot(db, world) == before


def test_refusals_change_nothing(db, world):
    """The point of the lifecycle, end to end: after publication nothing reopens the vote."""
    _put_in_state(db, world, "published")
    before = _snapshot(db, world)
    now = clock.utcnow()
    with pytest.raises(Conflict) as refused:
        consultations.extend_round(db, world.actor("admin"), world.round, closes_at=now + 5 * DAY,
                                   reason="再投一次", now=now)
    assert refused.value.code == "published"
    with pytest.raises(Conflict):
        services.cast(db, world.actor("voter3"), world.people["voter3"], world.load(),
                      RawBallot(choices=ids(world.ideas, 0)), now)
    assert _snapshot(db, world) == before
    recount = services.recount(db, world.load(), services.published_result(db, world.round.id))
    assert recount.matches


def test_closing_a_vote_round_early_waits_for_the_results_to_carry(db, world):
    now = clock.utcnow()
    following = _neighbour(db, world, 2, "decide", world.round.closes_at + DAY,
                           world.round.closes_at + 9 * DAY)
    assert consultations.close_round(db, world.actor("admin"), world.round, reason="提前结束",
                                     now=now) == 0
    assert world.round.carried_at is None and following.opens_at == now


def test_the_consultation_budget_is_a_counting_term_of_its_vote(db, world):
    moderator = world.actor("moderator")
    form = dict(title="2026 微更新", year="2026", description="", categories="实事项目")
    with pytest.raises(FieldErrors) as refused:
        consultations.update_consultation(db, moderator, world.vote.consultation, budget="20000", **form)
    assert "budget" in refused.value.errors
    set_settings(db, world.round.id, budget_fen=500_000)  # the round has its own budget
    consultations.update_consultation(db, moderator, world.vote.consultation, budget="20000", **form)
    assert world.vote.consultation.budget_fen == 2_000_000


def test_double_entry_stays_on_while_ballots_wait_for_their_second_entry(db, world):
    set_settings(db, world.round.id, double_key=True)
    now = clock.utcnow()
    voter = services.paper_voter_of(db, world.actor("moderator"), world.load(),
                                    phone=world.people["voter2"].login)
    services.enter_paper(db, world.actor("moderator"), world.load(), serial="P-1", voter=voter,
                         raw=RawBallot(choices=ids(world.ideas, 1)), now=now)
    form = {"ballot_kind": "approval_budget", "rule": "greedy", "notice_days": "7"}
    with pytest.raises(FieldErrors) as refused:
        services.save_settings(db, world.actor("moderator"), world.load(), form, now)
    assert "double_key" in refused.value.errors
    services.save_settings(db, world.actor("moderator"), world.load(), {**form, "double_key": "1",
                                                                        "notice_days": "3"}, now)


# -- over HTTP ----------------------------------------------------------------------------


def _local(when):
    return clock.to_local(when).strftime("%Y-%m-%dT%H:%M")


def test_a_published_round_cannot_be_extended_page_or_api(client, db, world):
    _put_in_state(db, world, "published")
    before = _snapshot(db, world)
    factories.sign_in(client, world.people["moderator"].login)
    manage = f"/consultations/{world.vote.consultation.id}/manage"
    data = {"closes_at": _local(clock.utcnow() + 5 * DAY), "reason": "再投一次"}
    page = post_form(client, manage, f"/rounds/{world.round.id}/extend", data)
    assert page.status_code == 409 and "公布" in page.text
    api = client.post(f"/api/v1/rounds/{world.round.id}/extend", headers=api_headers(client, world, "moderator"),
                      json=data)
    assert api.status_code == 409 and api.json()["error"]["code"] == "published"
    assert _snapshot(db, world) == before


def test_an_open_or_closed_round_can_be_extended(client, db, world):
    _put_in_state(db, world, "closed")
    data = {"closes_at": _local(clock.utcnow() + 5 * DAY), "reason": "补充投票"}
    api = client.post(f"/api/v1/rounds/{world.round.id}/extend", headers=api_headers(client, world, "moderator"),
                      json=data)
    assert api.status_code == 200 and api.json()["state"] == "open"


def test_close_and_carry_follow_the_lifecycle_page_and_api(client, db, world):
    _put_in_state(db, world, "closed")
    _neighbour(db, world, 2, "decide", world.round.closes_at + DAY, world.round.closes_at + 9 * DAY)
    headers = api_headers(client, world, "moderator")
    closed = client.post(f"/api/v1/rounds/{world.round.id}/close", headers=headers, json={"reason": "结束"})
    assert closed.status_code == 409
    carry = client.post(f"/api/v1/rounds/{world.round.id}/carry", headers=headers, json={})
    assert carry.status_code == 409 and carry.json()["error"]["code"] == "round_closed"
    factories.sign_in(client, world.people["moderator"].login)
    manage = f"/consultations/{world.vote.consultation.id}/manage"
    page = post_form(client, manage, f"/rounds/{world.round.id}/carry", {})
    assert page.status_code == 409 and world.round.carried_at is None
    services.publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    assert post_form(client, manage, f"/rounds/{world.round.id}/carry", {}).status_code == 303


@pytest.mark.parametrize("action", ["settings", "paper", "paper_voter", "publish", "finalize",
                                    "resolve"])
def test_round_pages_refuse_after_publication(client, db, world, action):
    _put_in_state(db, world, "finalized")
    before = _snapshot(db, world)
    factories.sign_in(client, world.people["admin"].login)
    rid = world.round.id
    manage, paper = f"/rounds/{rid}/vote/manage", f"/rounds/{rid}/paper"
    path, data, page = {
        "settings": (f"/rounds/{rid}/vote/settings", {"ballot_kind": "approval_budget", "rule": "greedy",
                                                      "notice_days": "3"}, manage),
        "paper": (paper, {"serial": "P-9", "phone": world.people["voter3"].login,
                          "idea": [world.ideas[0].id]}, paper),
        "paper_voter": (f"{paper}/voters", {"area_id": str(world.tree["area_a"].id), "name": "孙阿婆",
                                            "id_last4": "1111"}, paper),
        "publish": (f"/rounds/{rid}/publish", {"confirm": "1"}, manage),
        "finalize": (f"/rounds/{rid}/finalize", {}, f"/rounds/{rid}/results"),
        "resolve": (f"{paper}/resolve", {"serial": "P-1", "keep": "1"}, paper),
    }[action]
    response = post_form(client, page, path, data)
    assert response.status_code == 409, response.text[:500]
    assert _snapshot(db, world) == before


def test_paper_ballots_api_refuses_after_publication(client, db, world):
    _put_in_state(db, world, "published")
    before = _snapshot(db, world)
    response = client.post(f"/api/v1/rounds/{world.round.id}/paper-ballots",
                           headers=api_headers(client, world, "admin"),
                           json={"serial": "P-9", "phone": world.people["voter3"].login,
                                 "choices": [world.ideas[0].id]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "published"
    assert _snapshot(db, world) == before


def test_counting_terms_are_fixed_once_voting_opens_page(client, db, world):
    factories.sign_in(client, world.people["moderator"].login)
    manage = f"/rounds/{world.round.id}/vote/manage"
    assert client.get(manage).context["locked"] is True
    changed = post_form(client, manage, f"/rounds/{world.round.id}/vote/settings",
                        {"ballot_kind": "approval_budget", "rule": "top-k", "k": "2", "notice_days": "7"})
    assert changed.status_code == 422 and "rule" in changed.context["errors"]
    notice = post_form(client, manage, f"/rounds/{world.round.id}/vote/settings",
                       {"ballot_kind": "approval_budget", "rule": "greedy", "notice_days": "12"})
    assert notice.status_code == 303
    assert db.get(VoteSettings, world.round.id).notice_days == 12


# -- acting on one's own request: disputes about a double-keyed paper ballot ---------------

#: who may decide the dispute about a ballot keyed by "moderator" then "moderator2"
DECIDERS = {"moderator": False, "moderator2": False, "admin": True, "moderator_b": False}


def _dispute(db, world):
    """Paper ballot P-1 keyed differently by "moderator", then "moderator2"."""
    set_settings(db, world.round.id, double_key=True)
    now = clock.utcnow()
    for keyer, idea in (("moderator", 0), ("moderator2", 1)):
        voter = services.paper_voter_of(db, world.actor(keyer), world.load(),
                                        phone=world.people["voter2"].login)
        services.enter_paper(db, world.actor(keyer), world.load(), serial="P-1", voter=voter,
                             raw=RawBallot(choices=ids(world.ideas, idea)), now=now)
    return now


@pytest.mark.parametrize("who", sorted(DECIDERS))
def test_who_decides_a_dispute(db, world, who):
    now = _dispute(db, world)
    try:
        services.resolve_dispute(db, world.actor(who), world.load(), serial="P-1", keep="1", now=now)
    except Forbidden as refusal:
        assert not DECIDERS[who], refusal
        if who.startswith("moderator") and who != "moderator_b":
            assert refusal.code == "own_request"
        assert db.exec(select(Ballot.status).where(Ballot.serial == "P-1")).one() == "disputed"
    else:
        assert DECIDERS[who]
        assert db.exec(select(Ballot.status).where(Ballot.serial == "P-1")).one() == "counted"


def test_a_keyer_is_told_to_ask_a_colleague_on_the_paper_page(client, db, world):
    _dispute(db, world)
    factories.sign_in(client, world.people["moderator"].login)
    paper = f"/rounds/{world.round.id}/paper"
    shown = client.get(paper)
    assert 'name="keep"' not in shown.text and "另一位" in shown.text
    refused = post_form(client, paper, f"{paper}/resolve", {"serial": "P-1", "keep": "1"})
    assert refused.status_code == 403 and "同事" in refused.text
    factories.sign_in(client, world.people["admin"].login)
    assert post_form(client, paper, f"{paper}/resolve", {"serial": "P-1", "keep": "1"}).status_code == 303


# -- paper-only voters are shown to the staff of their own places --------------------------


def _subdistrict_round(db, world):
    now = clock.utcnow()
    vote = add_vote_round(db, scope=world.tree["root"], author=world.people["voter3"],
                          opens_at=now - DAY, closes_at=now + 7 * DAY, title="街道投票")
    for area, name in (("area_a", "王阿婆"), ("area_b", "李老伯")):
        db.add(PaperVoter(area_id=world.tree[area].id, name=name, id_last4="1234"))
    db.flush()
    return vote.round


@pytest.mark.parametrize("who,names", [
    ("moderator", {"王阿婆"}), ("moderator_b", {"李老伯"}), ("admin", {"王阿婆", "李老伯"}),
])
def test_paper_voters_of_other_areas_are_not_listed(db, world, who, names):
    item = _subdistrict_round(db, world)
    found = services.paper_voters(db, world.actor(who), world.load(item))
    assert {person.name for person, _ in found} == names


def test_paper_page_lists_only_ones_own_residents(client, db, world):
    item = _subdistrict_round(db, world)
    factories.sign_in(client, world.people["moderator_b"].login)
    page = client.get(f"/rounds/{item.id}/paper")
    assert page.status_code == 200
    assert "李老伯" in page.text and "王阿婆" not in page.text
    assert {p.name for p, _ in page.context["voters"]} == {"李老伯"}


def test_a_building_group_moderator_sees_the_residents_of_the_group(db, world, settings):
    from consult.communities import services as places

    item = _subdistrict_round(db, world)
    db.add(PaperVoter(area_id=world.tree["area_a"].id, building_group_id=world.tree["group_a"].id,
                      name="周阿姨", id_last4="2222"))
    db.flush()
    keeper = factories.user(db, settings, name="楼组长")
    places.grant_role(db, user=keeper, role="moderator", place=world.tree["group_a"])
    found = services.paper_voters(db, places.actor_for(db, keeper), world.load(item))
    assert {person.name for person, _ in found} == {"周阿姨"}


# -- one open objection per resident and result ---------------------------------------------


def _published(db, world):
    now = clock.utcnow()
    services.cast(db, world.actor("voter"), world.people["voter"], world.load(),
                  RawBallot(choices=ids(world.ideas, 0)), now)
    _move(db, world.round, now - 2 * DAY, now - timedelta(minutes=1))
    services.publish(db, world.actor("moderator"), world.load(), now)


def test_one_open_objection_per_resident_edited_instead(db, world):
    _published(db, world)
    now = clock.utcnow()
    voter, user = world.actor("voter2"), world.people["voter2"]
    first = services.file_objection(db, voter, user, world.load(), "计票有误", now)
    with pytest.raises(Conflict) as refused:
        services.file_objection(db, voter, user, world.load(), "还有一点", now)
    assert refused.value.code == "objection_open"
    longer = "计票有误。" + "补充说明" * 700  # longer than the old limit of 1,000 characters
    services.edit_objection(db, voter, user, first.id, longer, now)
    assert db.get(Objection, first.id).body == longer and db.get(Objection, first.id).edited_at == now
    with pytest.raises(FieldErrors):
        services.edit_objection(db, voter, user, first.id, "长" * (rules.MAX_OBJECTION + 1), now)
    with pytest.raises(Forbidden):  # someone else's objection
        services.edit_objection(db, world.actor("voter3"), world.people["voter3"], first.id, "改", now)
    services.file_objection(db, world.actor("voter3"), world.people["voter3"], world.load(), "另一位", now)
    services.answer_objection(db, world.actor("moderator"), first.id, "已复核", now)
    with pytest.raises(Conflict):  # answered: it can no longer change
        services.edit_objection(db, voter, user, first.id, "再改", now)
    services.file_objection(db, voter, user, world.load(), "新的问题", now)  # a new one may follow
    assert db.exec(select(func.count()).select_from(Objection)).one() == 3


def test_the_database_keeps_one_open_objection_per_resident(db, world):
    from sqlalchemy.exc import IntegrityError

    _published(db, world)
    user_id = world.people["voter2"].id
    db.add(Objection(round_id=world.round.id, user_id=user_id, body="一"))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Objection(round_id=world.round.id, user_id=user_id, body="二"))
        db.flush()


def test_objection_form_becomes_an_edit_form(client, db, world):
    _published(db, world)
    factories.sign_in(client, world.people["voter2"].login)
    results = f"/rounds/{world.round.id}/results"
    assert post_form(client, results, f"/rounds/{world.round.id}/objections", {"body": "计票有误"}).status_code == 303
    shown = client.get(results)
    mine = shown.context["mine"]
    assert mine is not None and f"/objections/{mine.id}/edit" in shown.text
    again = post_form(client, results, f"/rounds/{world.round.id}/objections", {"body": "再来一条"})
    assert again.status_code == 409
    edited = post_form(client, results, f"/objections/{mine.id}/edit", {"body": "计票有误，请复核第3项" * 120})
    assert edited.status_code == 303
    assert db.exec(select(func.count()).select_from(Objection)).one() == 1
    mine = db.get(Objection, mine.id)
    db.refresh(mine)
    assert mine.body.startswith("计票有误，请复核第3项") and len(mine.body) > 1000
    factories.sign_in(client, world.people["voter3"].login)
    assert post_form(client, results, f"/objections/{mine.id}/edit", {"body": "改"}).status_code == 403


def test_result_rows_untouched_by_refusals(db, world):
    _put_in_state(db, world, "finalized")
    result = db.exec(select(VoteResult)).one()
    with pytest.raises(Conflict):
        services.publish(db, world.actor("admin"), world.load(), clock.utcnow())
    assert db.exec(select(VoteResult)).one() is result and result.finalized_at is not None


def test_migration_merges_open_objections_of_one_resident(tmp_path, settings):
    """voting_0004: a resident's several open objections on a round become one (texts joined)."""
    from alembic import command
    from sqlmodel import Session

    from consult.db.engine import make_engine
    from consult.db.migrate import alembic_config, upgrade
    from tests.voting.conftest import build_world

    if "CONSULT_TEST_DATABASE_URL" in os.environ:
        pytest.skip("runs on its own SQLite file")
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        world = build_world(db, settings)
        round_id, voter, other = world.round.id, world.people["voter"].id, world.people["voter2"].id
        db.commit()
    command.downgrade(alembic_config(url), "voting_0004_ballot_secrecy")
    with engine.begin() as conn:
        for user_id, body, answered in ((voter, "一", None), (voter, "二", None), (other, "三", None),
                                        (voter, "旧", "2026-01-01 00:00:00")):
            conn.exec_driver_sql(
                "INSERT INTO objection (round_id, user_id, body, created_at, answered_at) "
                "VALUES (?, ?, ?, '2026-01-01 00:00:00', ?)", (round_id, user_id, body, answered))
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT user_id, body, answered_at IS NULL FROM objection "
                                    "ORDER BY id").all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(voter, "一\n\n二", 1), (other, "三", 1), (voter, "旧", 0)]


def test_linking_leaves_the_ballots_of_published_rounds_as_published(db, world):
    """A paper-only resident is linked to their account after a round is published: the
    published round's ballots (and their keys) stay exactly as counted."""
    now = clock.utcnow()
    person = PaperVoter(area_id=world.tree["area_a"].id, name="钱老伯", id_last4="4321")
    db.add(person)
    db.flush()
    voter = services.paper_voter_of(db, world.actor("moderator"), world.load(), paper_voter_id=str(person.id))
    services.enter_paper(db, world.actor("moderator"), world.load(), serial="P-1", voter=voter,
                         raw=RawBallot(choices=ids(world.ideas, 0)), now=now)
    _move(db, world.round, now - 2 * DAY, now - timedelta(minutes=1))
    services.publish(db, world.actor("moderator"), world.load(), now)
    before = _snapshot(db, world)
    done = services.link_paper_voter(db, world.actor("moderator"), world.load(),
                                     paper_voter_id=str(person.id), phone=world.people["voter3"].login,
                                     now=now)
    assert done.person.user_id == world.people["voter3"].id
    after = _snapshot(db, world)
    assert after[6] == before[6]  # the ballots' keys and statuses
    assert services.recount(db, world.load(), services.published_result(db, world.round.id)).matches


def test_nobody_answers_their_own_objection(db, world, settings):
    """A moderator who is also a resident of the area raises an objection: a colleague answers it."""
    from consult.communities import services as places

    _published(db, world)
    places.grant_role(db, user=world.people["moderator"], role="resident", place=world.tree["area_a"])
    own = world.actor("moderator")
    objection = services.file_objection(db, own, world.people["moderator"], world.load(), "请复核",
                                        clock.utcnow())
    with pytest.raises(Forbidden) as refused:
        services.answer_objection(db, own, objection.id, "已复核", clock.utcnow())
    assert refused.value.code == "own_request" and db.get(Objection, objection.id).answered_at is None
    services.answer_objection(db, world.actor("moderator2"), objection.id, "已复核", clock.utcnow())
    assert db.get(Objection, objection.id).answered_by == world.people["moderator2"].id


@pytest.mark.parametrize("who,codes", [
    ("moderator", {"1-101"}), ("moderator_b", {"2-202"}), ("admin", {"1-101", "2-202"}),
])
def test_homes_of_other_areas_are_not_listed_for_paper_entry(db, world, who, codes):
    from consult.communities import services as places

    item = _subdistrict_round(db, world)
    set_settings(db, item.id, eligibility="owners")
    places.add_home(db, estate=world.tree["estate_b"], building_group=world.tree["group_b"], code="2-202",
                    building="2号楼", room="202", area_hundredths=7000, owners=["李先生"])
    found = services.homes_in_scope(db, world.load(item), world.actor(who))
    assert {home.code for home, _ in found} == codes
