"""Publishing a result as a job (issue 14 item 1): asked for in a request, counted after its
answer, followed on its page (by its script, or its refresh link); one job per round, a failure said with
its reason and tried again, a job left by a stopped worker run again, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, update
from sqlmodel import select

from consult import clock
from consult.communities.models import RoleAssignment
from consult.errors import Conflict, Forbidden
from consult.notifications.models import Notification
from consult.voting import services
from consult.voting.models import Ballot, PublishJob, VoteResult
from consult.voting.rules import RawBallot
from consult.voting.services import jobs
from tests import factories
from tests.conftest import post_form
from tests.voting.conftest import close_round, ids


def _results(db) -> int:
    return db.exec(select(func.count()).select_from(VoteResult)).one()


def _job(db, round_id) -> PublishJob:
    db.expire_all()
    return db.exec(select(PublishJob).where(PublishJob.round_id == round_id)).one()


def _closed_with_a_ballot(db, world):
    services.cast(db, world.actor("voter"), world.people["voter"], world.load(),
                  RawBallot(choices=ids(world.ideas, 0)), clock.utcnow())
    close_round(db, world.round)
    return world.load()


def test_publication_is_asked_for_then_counted_and_the_asker_is_told(db, database, world):
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.flush()
    assert job.state == "queued" and job.ballots == 1 and _results(db) == 0  # asked, not counted
    view = services.job_view(job, clock.utcnow())
    assert view.working and not view.may_retry and view.error is None

    assert services.run_publish_job(database, job.id) == "done"
    job = _job(db, vr.id)
    assert job.state == "done" and job.attempts == 1 and job.finished_at is not None
    result = db.exec(select(VoteResult).where(VoteResult.round_id == vr.id)).one()
    assert result.selected[0] == world.ideas[0].id and result.ballots == 1
    assert result.published_by == world.people["moderator"].id
    told = db.exec(select(Notification).where(
        Notification.user_id == world.people["moderator"].id,
        Notification.kind == "vote_publish_done")).one()
    assert told.link == f"/rounds/{vr.id}/publish/job"
    assert not services.job_view(job, clock.utcnow()).working


def test_asked_twice_is_one_job_and_one_publication(db, database, world):
    vr = _closed_with_a_ballot(db, world)
    first = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    again = services.request_publish(db, world.actor("moderator2"), world.load(), clock.utcnow())
    assert again.id == first.id and again.requested_by == world.people["moderator"].id
    assert services.run_publish_job(database, first.id) == "done"
    assert services.run_publish_job(database, first.id) is None  # nothing left to run
    assert _results(db) == 1 and _job(db, vr.id).attempts == 1
    # and once published, asking again is refused as publishing is
    with pytest.raises(Conflict) as refused:
        services.request_publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    assert refused.value.code == "published"


def test_refused_like_publishing_before_anything_is_queued(db, world):
    services.cast(db, world.actor("voter"), world.people["voter"], world.load(),
                  RawBallot(choices=ids(world.ideas, 0)), clock.utcnow())
    for who, refusal in (("moderator", Conflict), ("voter", Forbidden)):  # still open; a resident
        with pytest.raises(refusal):
            services.request_publish(db, world.actor(who), world.load(), clock.utcnow())
    assert db.exec(select(func.count()).select_from(PublishJob)).one() == 0


def test_a_failed_job_says_why_and_is_tried_again(db, database, world):
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    # between the request and the count, a paper ballot came to wait for its second entry
    waiting = db.exec(select(Ballot).where(Ballot.round_id == vr.id)).one()
    db.execute(update(Ballot).where(Ballot.id == waiting.id).values(status="pending"))
    db.flush()
    assert services.run_publish_job(database, job.id) == "failed"
    job = _job(db, vr.id)
    view = services.job_view(job, clock.utcnow())
    assert view.state == "failed" and view.may_retry and not view.working
    assert view.error.text.startswith("%(n)s paper ballots wait") and view.error.params == {"n": 1}
    assert _results(db) == 0
    assert db.exec(select(Notification).where(Notification.kind == "vote_publish_failed")).one()

    db.execute(update(Ballot).where(Ballot.id == waiting.id).values(status="counted"))
    db.flush()
    retried = services.request_publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    assert retried.id == job.id and retried.state == "queued" and retried.error is None
    assert services.run_publish_job(database, job.id) == "done"
    assert _results(db) == 1 and _job(db, vr.id).attempts == 2


def test_a_server_error_is_said_plainly_and_publishes_nothing(db, database, world, monkeypatch):
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "publish", broken)
    assert services.run_publish_job(database, job.id) == "failed"
    assert _job(db, vr.id).error == jobs.SERVER_ERROR and _results(db) == 0


def test_a_job_left_by_a_stopped_worker_runs_again_once(db, database, world):
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    now = clock.utcnow()
    # a worker claimed it and stopped: running, its publication rolled back with the worker
    db.execute(update(PublishJob).where(PublishJob.id == job.id).values(
        state="running", started_at=now - timedelta(minutes=5), attempts=1))
    db.flush()
    assert services.pending_jobs(db, now) == []  # still within its time: nobody takes it
    assert services.run_publish_job(database, job.id) is None
    later = now + jobs.STALE_AFTER
    assert services.job_view(_job(db, vr.id), later).stale
    assert services.job_view(_job(db, vr.id), later).may_retry
    assert services.pending_jobs(db, later) == [job.id]
    assert services.run_publish_job(database, job.id, now=lambda: later) == "done"
    assert _results(db) == 1 and _job(db, vr.id).attempts == 2
    assert services.run_publish_job(database, job.id, now=lambda: later) is None


def test_a_job_whose_publication_committed_is_marked_done(db, database, world):
    """The worker published, then stopped before it wrote that the job was done."""
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    services.publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.flush()
    assert services.run_publish_job(database, job.id) == "done"
    assert _results(db) == 1 and _job(db, vr.id).error is None


def test_the_pages_follow_the_job(client, db, database, world):
    vr = _closed_with_a_ballot(db, world)
    page = f"/rounds/{vr.id}/vote/manage"
    job_page = f"/rounds/{vr.id}/publish/job"
    factories.sign_in(client, world.people["moderator"].login)
    assert client.get(job_page).status_code == 404  # nothing asked for yet

    # asked for, not yet counted (as a worker would show it before its count begins)
    services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.flush()
    waiting = client.get(job_page)
    assert waiting.status_code == 200 and waiting.context["follow"] == 3
    assert 'data-follow="3"' in waiting.text and "http-equiv" not in waiting.text  # no reload by itself
    assert "共 1 张选票" in waiting.text and "结果公布后您会收到通知" in waiting.text
    assert f'href="/rounds/{vr.id}/publish/job"' in waiting.text  # refreshed by hand without script
    manage = client.get(page)
    assert manage.context["job"].working and "查看进度" in manage.text
    assert f"action=\"/rounds/{vr.id}/publish\"" not in manage.text  # no second button meanwhile

    factories.sign_in(client, world.people["voter"].login)
    assert client.get(job_page).status_code == 403
    factories.sign_in(client, world.people["moderator"].login)

    # the button again (an old page): the same job's page; the worker that queued it counts
    asked = post_form(client, page, f"/rounds/{vr.id}/publish", {"confirm": "1"})
    assert asked.status_code == 303 and asked.headers["location"] == job_page
    assert _job(db, vr.id).state == "queued" and _results(db) == 0
    assert services.run_publish_job(database, _job(db, vr.id).id) == "done"
    done = client.get(job_page)
    assert done.context["job"].state == "done" and done.context["follow"] is None
    assert "data-follow" not in done.text and "结果已公布，公示期开始。" in done.text
    assert f'href="/rounds/{vr.id}/results"' in done.text
    assert _results(db) == 1


def test_a_failed_job_on_its_page_offers_to_try_again(client, db, database, world):
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.execute(update(Ballot).where(Ballot.round_id == vr.id).values(status="disputed"))
    db.flush()
    services.run_publish_job(database, job.id)
    factories.sign_in(client, world.people["moderator"].login)
    failed = client.get(f"/rounds/{vr.id}/publish/job")
    assert "结果没有公布" in failed.text and "张纸质选票" in failed.text
    assert 'name="csrf_token"' in failed.text and "重试" in failed.text
    manage = client.get(f"/rounds/{vr.id}/vote/manage")
    assert "上一次公布没有成功" in manage.text


def test_a_job_whose_asker_lost_the_role_is_refused_not_published(db, database, world):
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.execute(delete(RoleAssignment).where(RoleAssignment.user_id == world.people["moderator"].id))
    db.flush()
    assert services.run_publish_job(database, job.id) == "failed"
    assert _job(db, vr.id).error == "You are not allowed to do this." and _results(db) == 0


def test_a_click_while_counting_does_not_wait_for_the_round(client, db, world, monkeypatch):
    """The count holds the round's lock; asking again answers with the running job at once."""
    vr = _closed_with_a_ballot(db, world)
    services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.execute(update(PublishJob).where(PublishJob.round_id == vr.id).values(state="running"))
    db.flush()

    def locked(*args, **kwargs):
        raise AssertionError("waited for the round's lock")

    monkeypatch.setattr(services, "lock_round", locked)
    monkeypatch.setattr(jobs, "check_publishable", locked)
    factories.sign_in(client, world.people["moderator"].login)
    again = post_form(client, f"/rounds/{vr.id}/vote/manage", f"/rounds/{vr.id}/publish", {"confirm": "1"})
    assert again.status_code == 303 and again.headers["location"] == f"/rounds/{vr.id}/publish/job"
    with pytest.raises(Forbidden):  # and who may not publish is still refused
        services.request_publish(db, world.actor("voter"), world.load(), clock.utcnow())
    assert _job(db, vr.id).state == "running" and _results(db) == 0


def test_the_button_counts_after_its_answer(client, db, world):
    vr = _closed_with_a_ballot(db, world)
    factories.sign_in(client, world.people["moderator"].login)
    asked = post_form(client, f"/rounds/{vr.id}/vote/manage", f"/rounds/{vr.id}/publish", {"confirm": "1"})
    assert asked.status_code == 303 and asked.headers["location"] == f"/rounds/{vr.id}/publish/job"
    assert _job(db, vr.id).state == "done" and _results(db) == 1  # the test client waits for it
    again = post_form(client, f"/rounds/{vr.id}/vote/manage", f"/rounds/{vr.id}/publish", {"confirm": "1"})
    assert again.status_code == 409 and "本轮结果已经公布" in again.text  # nothing queued again
    assert _job(db, vr.id).attempts == 1


def test_asked_again_after_the_lock_sees_the_job_another_request_queued(db, database, world):
    """Two retries at once: the second, past the round's lock, finds the job the first
    queued (as committed), not the failed one it read before waiting."""
    vr = _closed_with_a_ballot(db, world)
    job = services.request_publish(db, world.actor("moderator"), vr, clock.utcnow())
    db.execute(update(PublishJob).where(PublishJob.id == job.id).values(state="failed"))
    db.flush()
    assert services.job_of(db, vr.id).state == "failed"  # loaded by this session
    with database.session(write=True) as other:  # the other retry, committed meanwhile
        other.execute(update(PublishJob).where(PublishJob.id == job.id).values(state="running"))
        other.commit()
    again = services.request_publish(db, world.actor("moderator2"), world.load(), clock.utcnow())
    assert again.id == job.id and again.state == "running"
    assert _job(db, vr.id).requested_by == world.people["moderator"].id  # not queued over it
