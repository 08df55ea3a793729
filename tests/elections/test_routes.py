"""The election pages: what they show and what their forms do, with JavaScript off."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.elections import services
from consult.elections.models import ElectionBallot, OwnerElection
from tests import factories
from tests.conftest import post_form


def open_now(db, election: OwnerElection) -> OwnerElection:
    now = clock.utcnow()
    election.opens_at, election.closes_at = now - timedelta(hours=1), now + timedelta(days=3)
    db.add(election)
    db.flush()
    return election


def close(db, election: OwnerElection) -> None:
    now = clock.utcnow()
    election.opens_at, election.closes_at = now - timedelta(days=3), now - timedelta(minutes=1)
    db.add(election)
    db.flush()


def test_staff_call_an_election_and_add_candidates(client, world, db):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/elections/new"
    now = clock.utcnow()
    local = lambda t: (t + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    response = post_form(client, page, f"/estates/{world.estate.id}/elections", {
        "title": "第一届业主委员会选举", "description": "", "seats": "7", "rank": "headcount",
        "opens_at": local(now + timedelta(days=1)), "closes_at": local(now + timedelta(days=8)),
        "paper_double_key": "1"})
    assert response.status_code == 303
    election = db.exec(select(OwnerElection).where(OwnerElection.estate_id == world.estate.id)).one()
    assert response.headers["location"].endswith(f"/elections/{election.id}")
    page = f"/elections/{election.id}"
    added = post_form(client, page, f"/elections/{election.id}/candidates",
                      {"name": "周海燕", "statement": "退休教师，愿为大家服务。"})
    assert added.status_code == 303
    shown = client.get(page)
    assert "周海燕" in shown.text and "退休教师" in shown.text
    assert 'id="g-area"' in shown.text  # the gauge, before voting too


def test_a_bad_election_form_is_shown_again_in_chinese(client, world, db):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/elections/new"
    response = post_form(client, page, f"/estates/{world.estate.id}/elections", {
        "title": "", "seats": "0", "rank": "headcount", "opens_at": "", "closes_at": ""})
    assert response.status_code == 422
    assert "请" in response.text
    assert db.exec(select(OwnerElection)).all() == []


def test_an_owner_votes_for_candidates(client, world, db):
    election, (a, b, c) = world.election(seats=2)
    open_now(db, election)
    factories.sign_in(client, world.li.login)
    page = f"/elections/{election.id}"
    shown = client.get(page)
    assert shown.context["unvoted"] and 'name="candidates"' in shown.text
    response = post_form(client, page, f"/elections/{election.id}/vote", {"candidates": [a, c]})
    assert response.status_code == 303
    again = client.get(page)
    assert again.context["unvoted"] == [] and 'name="candidates"' not in again.text
    [ballot] = db.exec(select(ElectionBallot)).all()
    assert ballot.candidates == ";".join(sorted([a, c], key=int)) and ballot.channel == "web"
    assert again.context["gauge"].owners_voted == 1


def test_too_many_candidates_are_refused_and_nothing_is_stored(client, world, db):
    election, ids = world.election(seats=2)
    open_now(db, election)
    factories.sign_in(client, world.li.login)
    page = f"/elections/{election.id}"
    response = post_form(client, page, f"/elections/{election.id}/vote", {"candidates": ids})
    assert response.status_code == 422
    assert "最多" in response.text
    assert db.exec(select(ElectionBallot)).all() == []


def test_staff_key_paper_and_print_the_door_to_door_list(client, world, db):
    election, (a, _, _) = world.election()
    open_now(db, election)
    factories.sign_in(client, world.moderator.login)
    ballots = f"/elections/{election.id}/ballots"
    response = post_form(client, ballots, f"/elections/{election.id}/paper",
                         {"serial": "P-1", "home": "1-107", "candidates": [a]})
    assert response.status_code == 303
    bad = post_form(client, ballots, f"/elections/{election.id}/paper",
                    {"serial": "P-2", "home": "9-999", "candidates": [a]})
    assert bad.status_code == 422 and "9-999" in bad.text
    door = client.get(f"/elections/{election.id}/door-to-door")
    assert door.status_code == 200
    listed = [h.home_id for stops in door.context["groups"].values() for s in stops for h in s.homes]
    assert "1-107" not in listed and "1-101" in listed
    article = door.text.split("<article", 1)[1].split("</article>", 1)[0]
    assert "1 103" in article  # building 1, room 103
    words = set(article.replace("<", " ").replace(">", " ").replace("、", " ").split())
    assert not {"li", "wang", "zhao", "qian"} & words  # homes, never names


def test_the_door_to_door_list_is_staff_only(client, world, db):
    election, _ = world.election()
    factories.sign_in(client, world.li.login)
    assert client.get(f"/elections/{election.id}/door-to-door").status_code == 403


def test_the_result_page_and_exports(client, world, db):
    election, (a, b, _) = world.election(seats=2)
    open_now(db, election)
    now = clock.utcnow()
    world.vote(world.li, election, [a], now=now)
    world.vote(world.wang, election, [a, b], now=now)
    services.enter_proxy_ballot(db, world.staff, election.id, home="1-107", holder="钱小明",
                                candidates=[b], now=now, settings=world.settings, scan=b"%PDF-1.4 proxy")
    assert client.get(f"/elections/{election.id}/result").status_code == 409
    close(db, election)
    page = client.get(f"/elections/{election.id}/result")
    assert page.status_code == 200
    outcome = page.context["outcome"]
    # b: exactly half of the area taking part (200 of 400): not more than half, not elected
    assert outcome.quorum_met and outcome.elected == (a,) and outcome.unfilled == 1
    assert "甲" in page.text and "400.00" in page.text
    factories.sign_in(client, world.moderator.login)
    exported = client.get(f"/elections/{election.id}/ballots.csv")
    assert exported.status_code == 200
    assert exported.content.decode("utf-8-sig").splitlines()[0] == "home_id,candidates,channel"
