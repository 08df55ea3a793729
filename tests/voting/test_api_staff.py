"""The committee's vote-round operations over the API (consult.voting.api_staff): the same
services, permissions and checks as the pages; success, refusal by role and by state, bad bodies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.voting import services
from consult.voting.api_staff import SettingsBody
from consult.voting.models import Ballot, Objection, VoteResult, VoteSettings
from consult.voting.rules import SETTINGS_FIELDS, RawBallot
from tests.voting.conftest import api_headers, close_round, ids


def test_settings_body_names_every_field_the_form_sets():
    """A VoteSettings field the form reads must be a line of the body too."""
    assert set(SettingsBody.model_fields) == set(SETTINGS_FIELDS)


def _settings_of_an_upcoming_round(db, world) -> str:
    """The round opens tomorrow, so its settings may still change: their API address."""
    world.round.opens_at = clock.utcnow() + timedelta(days=1)
    world.round.closes_at = clock.utcnow() + timedelta(days=8)
    db.add(world.round)
    db.flush()
    return f"/api/v1/rounds/{world.round.id}/settings"


def test_settings_read_and_replace(client, db, world):
    url = _settings_of_an_upcoming_round(db, world)
    staff = api_headers(client, world, "moderator")
    shown = client.get(url, headers=staff)
    assert shown.status_code == 200 and shown.json()["ballot_kind"] == "approval_budget"
    body = {**shown.json(), "ballot_kind": "cumulative", "max_points": 5, "rule": "greedy"}
    saved = client.put(url, json=body, headers=staff)
    assert saved.status_code == 200, saved.text
    assert saved.json()["ballot_kind"] == "cumulative" and saved.json()["max_points"] == 5
    db.expire_all()
    assert db.get(VoteSettings, world.round.id).max_points == 5
    bad = client.put(url, json={**body, "ballot_kind": "lottery"}, headers=staff)
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"ballot_kind"}
    typed = client.put(url, json={**body, "max_points": "5", "colour": 1}, headers=staff)
    assert set(typed.json()["error"]["fields"]) == {"max_points", "colour"}
    resident = api_headers(client, world, "voter")
    assert client.get(url, headers=resident).status_code == 403
    assert client.put(url, json=body, headers=resident).status_code == 403
    assert client.put(url, json=body, headers=api_headers(client, world, "moderator_b")).status_code == 403


def test_settings_left_out_take_the_forms_defaults(client, db, world):
    url = _settings_of_an_upcoming_round(db, world)
    staff = api_headers(client, world, "moderator")
    left_out = client.put(url, json={"ballot_kind": "approval", "rule": "greedy"}, headers=staff)
    assert left_out.status_code == 200, left_out.text
    assert left_out.json()["min_score"] == 1  # nobody's choice is never selected
    none = client.put(url, json={"ballot_kind": "approval", "rule": "greedy", "min_score": None},
                      headers=staff)
    assert none.status_code == 200 and none.json()["min_score"] is None
    db.expire_all()
    assert db.get(VoteSettings, world.round.id).min_score is None


def test_settings_locked_once_voting_opened(client, db, world):
    staff = api_headers(client, world, "moderator")
    url = f"/api/v1/rounds/{world.round.id}/settings"
    body = {**client.get(url, headers=staff).json(), "ballot_kind": "cumulative", "max_points": 5}
    locked = client.put(url, json=body, headers=staff)  # the round is open
    assert locked.status_code == 422 and "ballot_kind" in locked.json()["error"]["fields"]


def test_publish_objection_answer_finalize(client, db, world):
    now = clock.utcnow()
    services.cast(db, world.actor("voter"), world.people["voter"], world.load(),
                  RawBallot(choices=ids(world.ideas, 0)), now)
    rid = world.round.id
    staff, resident = api_headers(client, world, "moderator"), api_headers(client, world, "voter")
    early = client.post(f"/api/v1/rounds/{rid}/publish", headers=staff)
    assert early.status_code == 409  # still open
    close_round(db, world.round)
    assert client.post(f"/api/v1/rounds/{rid}/publish", headers=resident).status_code == 403
    assert client.post(f"/api/v1/rounds/{rid}/publish", json={"now": 1}, headers=staff).status_code == 422
    asked = client.post(f"/api/v1/rounds/{rid}/publish", headers=staff)
    assert asked.status_code == 202, asked.text  # counted after the answer (the test client waits for it)
    assert asked.json()["state"] == "queued" and asked.json()["ballots"] == 1
    assert asked.headers["location"] == f"/api/v1/rounds/{rid}/publish-job"
    assert client.get(asked.headers["location"], headers=resident).status_code == 403
    job = client.get(asked.headers["location"], headers=staff)
    assert job.status_code == 200 and job.json()["state"] == "done", job.text
    published = job.json()["result"]
    assert published["selected"][0] == world.ideas[0].id and published["ballots"] == 1
    assert client.post(f"/api/v1/rounds/{rid}/publish", headers=staff).status_code == 409
    assert client.post(f"/api/v1/rounds/{rid}/objections", json={"body": 5}, headers=resident).status_code == 422
    filed = client.post(f"/api/v1/rounds/{rid}/objections", json={"body": "计票有误？"}, headers=resident)
    assert filed.status_code == 201, filed.text
    oid = filed.json()["id"]
    assert client.post(f"/api/v1/objections/{oid}/answer", json={"answer": "没有"},
                       headers=resident).status_code == 403
    waiting = client.post(f"/api/v1/rounds/{rid}/finalize", headers=staff)
    assert waiting.status_code == 409  # notice period, and an objection unanswered
    answered = client.post(f"/api/v1/objections/{oid}/answer", json={"answer": "已复核，无误。"}, headers=staff)
    assert answered.status_code == 200 and answered.json()["answered_at"]
    listed = client.get(f"/api/v1/rounds/{rid}/objections").json()["objections"]
    assert [o["answer"] for o in listed] == ["已复核，无误。"]
    result = db.exec(select(VoteResult).where(VoteResult.round_id == rid)).one()
    result.notice_until = clock.utcnow() - timedelta(minutes=1)
    db.add(result)
    db.flush()
    assert client.post(f"/api/v1/rounds/{rid}/finalize", headers=resident).status_code == 403
    done = client.post(f"/api/v1/rounds/{rid}/finalize", headers=staff)
    assert done.status_code == 200 and done.json()["finalized_at"]
    assert client.post(f"/api/v1/rounds/{rid}/finalize", headers=staff).status_code == 409
    assert db.exec(select(func.count()).select_from(Objection)).one() == 1
    assert db.exec(select(func.count()).select_from(Ballot)).one() == 1


def test_paper_voters_registered_listed_and_linked(client, db, world):
    rid = world.round.id
    staff, resident = api_headers(client, world, "moderator"), api_headers(client, world, "voter")
    body = {"area_id": world.tree["area_a"].id, "name": "赵阿姨", "id_last4": "1234"}
    assert client.post(f"/api/v1/rounds/{rid}/paper-voters", json=body, headers=resident).status_code == 403
    bad = client.post(f"/api/v1/rounds/{rid}/paper-voters", json={**body, "id_last4": 1234}, headers=staff)
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"id_last4"}
    elsewhere = client.post(f"/api/v1/rounds/{rid}/paper-voters",
                            json={**body, "area_id": world.tree["estate_a"].id}, headers=staff)
    assert elsewhere.status_code == 422 and "area_id" in elsewhere.json()["error"]["fields"]
    added = client.post(f"/api/v1/rounds/{rid}/paper-voters", json=body, headers=staff)
    assert added.status_code == 201, added.text
    pid = added.json()["id"]
    listed = client.get(f"/api/v1/rounds/{rid}/paper-voters", headers=staff).json()["paper_voters"]
    assert [(p["id"], p["area"]) for p in listed] == [(pid, world.tree["area_a"].name)]
    assert client.get(f"/api/v1/rounds/{rid}/paper-voters", headers=resident).status_code == 403
    link = {"paper_voter_id": pid, "phone": world.people["voter3"].login}
    assert client.post(f"/api/v1/rounds/{rid}/paper-voters/link", json=link, headers=resident).status_code == 403
    assert client.post(f"/api/v1/rounds/{rid}/paper-voters/link", json={"paper_voter_id": pid},
                       headers=staff).status_code == 422
    linked = client.post(f"/api/v1/rounds/{rid}/paper-voters/link", json=link, headers=staff)
    assert linked.status_code == 200, linked.text
    assert linked.json()["user_id"] == world.people["voter3"].id
    close_round(db, world.round)
    services.publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    late = client.post(f"/api/v1/rounds/{rid}/paper-voters", json={**body, "name": "钱老伯"}, headers=staff)
    assert late.status_code == 409  # results published: no more paper-only voters for it
