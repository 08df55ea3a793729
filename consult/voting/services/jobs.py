"""Publishing a result as a job: asked for in a request, run after its response.

Why: counting is the one long piece of work a committee starts. At a city's size (a
million ballots) it takes a minute or more; a request that waited for it would hold a
worker's thread and its database connection, and a person looking at a page that does
not answer for a minute presses the button again or gives up. So the publish button only
asks (:func:`request_publish`, in its own short request, the round's state checked as
publication will check it), the page that follows shows the job (:func:`job_view`,
refreshing itself, no script needed) and the work runs after the response
(:func:`run_publish_job`, in the worker's thread pool), telling whoever asked when it is
done. ``python -m consult publish-jobs`` runs what a worker left (it stopped, or died).

Publication itself is unchanged: one transaction with the round's row locked
(``results.publish``). A job is only a row that says who asked, when, and how it went, one
per round (a retry reuses it), so two publications of one round cannot run at once, and a
job whose worker died left nothing half-published: it is run again, and if its
publication had committed after all, it is simply marked done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.accounts.models import User
from consult.communities import services as communities
from consult.errors import Forbidden, Problem, UserError
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor
from consult.voting.models import PublishJob
from consult.voting.services.results import check_publishable, publish
from consult.voting.services.rounds import VoteRound, _scope_path, load_round, published_result

log = logging.getLogger(__name__)

#: a job queued or running for longer than this is taken for one whose worker stopped:
#: it may be run again (a publication of a million ballots takes about a minute)
STALE_AFTER = timedelta(minutes=15)

#: what a failure says when the error was not one the person can act on
SERVER_ERROR = N_("Counting stopped because of an error on the server; nothing was published. Try again; if it fails again, tell the platform's administrator.")


@dataclass(frozen=True)
class JobView:
    """What the job's page and the API show of a publication job at ``now``."""

    round_id: int
    state: str  # queued | running | done | failed
    ballots: int
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: int  # since it was asked for (working) or how long it took (ended)
    error: Msg | None
    stale: bool  # queued or running for longer than STALE_AFTER: may be run again

    @property
    def working(self) -> bool:
        return self.state in ("queued", "running") and not self.stale

    @property
    def may_retry(self) -> bool:
        return self.state == "failed" or self.stale


def _stale(job: PublishJob, now: datetime) -> bool:
    since = job.started_at or job.requested_at
    return job.state in ("queued", "running") and now - since > STALE_AFTER


def job_of(db: Session, round_id: int) -> PublishJob | None:
    """The round's job as the database has it now (not as this session first loaded it:
    ``request_publish`` asks again after waiting for the round's lock)."""
    return db.exec(select(PublishJob).where(PublishJob.round_id == round_id)
                   .execution_options(populate_existing=True)).first()


def active_job(db: Session, round_id: int, now: datetime) -> PublishJob | None:
    """The round's job if it is queued or running (and not stale). Asked before the round
    is locked: while a publication counts it holds the round's lock, which a second click
    must not wait for."""
    job = job_of(db, round_id)
    return job if job is not None and job_view(job, now).working else None


def job_view(job: PublishJob, now: datetime) -> JobView:
    end = job.finished_at if job.state in ("done", "failed") and job.finished_at else now
    return JobView(
        round_id=job.round_id, state=job.state, ballots=job.ballots,
        requested_at=job.requested_at, started_at=job.started_at, finished_at=job.finished_at,
        seconds=max(int((end - job.requested_at).total_seconds()), 0),
        error=Msg(job.error, job.error_params or {}) if job.error else None,
        stale=_stale(job, now))


def request_publish(db: Session, actor: Actor, vr: VoteRound, now: datetime) -> PublishJob:
    """Ask for the round's result to be published: the same refusals as publishing
    (``check_publishable``: permission, state, paper ballots waiting), then the round's job,
    queued. Asked again while it is queued or running (a second click), the same job."""
    if not permissions.allowed("publish_results", actor, _scope_path(vr)):
        raise Forbidden()
    if (running := active_job(db, vr.id, now)) is not None:
        return running
    ballots = check_publishable(db, actor, vr)
    if (running := active_job(db, vr.id, now)) is not None:  # queued while we waited for the lock
        return running
    job = job_of(db, vr.id)
    if job is None:
        job = PublishJob(round_id=vr.id)
        db.add(job)
    job.state, job.requested_by, job.requested_at = "queued", actor.user_id, now
    job.started_at = job.finished_at = job.error = job.error_params = None
    job.ballots = ballots
    db.flush()
    return job


def _claim(db: Session, job_id: int, now: datetime) -> PublishJob | None:
    """Mark the job running if it is queued (or stale): one runner only, by the UPDATE's
    condition, whichever worker gets there first."""
    job = db.get(PublishJob, job_id)
    if job is None or not (job.state == "queued" or _stale(job, now)):
        return None
    claimed = db.execute(update(PublishJob).where(
        PublishJob.id == job_id, PublishJob.state == job.state,
        PublishJob.attempts == job.attempts).values(
        state="running", started_at=now, attempts=job.attempts + 1)).rowcount
    db.commit()
    if claimed != 1:
        return None
    db.refresh(job)
    return job


def run_publish_job(database, job_id: int, now: Callable[[], datetime] | None = None) -> str | None:
    """Run a queued job: publish in a transaction of its own, then record how it went and
    tell who asked. Returns the job's final state, or None if another runner had it.
    ``database`` is the app's :class:`consult.db.Database`; ``now`` the clock (tests pass
    their own; by default ``clock.utcnow``, looked up at each call)."""
    now = now or (lambda: clock.utcnow())
    with database.session(write=True) as db:
        job = _claim(db, job_id, now())
        if job is None:
            return None
        round_id, requested_by = job.round_id, job.requested_by
    error: Msg | None = None
    title = ""
    try:
        with database.session(write=True) as db:
            vr = load_round(db, round_id, now())
            title = vr.consultation.title
            actor = None
            if requested_by is not None:
                user = db.get(User, requested_by)
                actor = communities.actor_for(db, user) if user is not None else None
                if actor is None:
                    raise UserError(N_("The person who asked for the publication no longer has an account."))
            publish(db, actor, vr, now())
            db.commit()
    except Problem as exc:  # refused as publishing refuses (the round changed, the role went)
        with database.session() as db:
            done_already = published_result(db, round_id) is not None
        if not done_already:
            error = exc.msg
    except Exception:  # logged for the administrator; the person sees what to do
        log.exception("publication job %s of round %s failed", job_id, round_id)
        error = Msg(SERVER_ERROR)
    return _finish(database, job_id, requested_by, round_id, title, error, now())


def _finish(database, job_id: int, requested_by: int | None, round_id: int, title: str,
            error: Msg | None, now: datetime) -> str:
    state = "failed" if error else "done"
    with database.session(write=True) as db:
        db.execute(update(PublishJob).where(PublishJob.id == job_id).values(
            state=state, finished_at=now, error=error.text if error else None,
            error_params=dict(error.params) if error and error.params else None))
        if requested_by is not None:
            notifications.notify(db, user_id=requested_by,
                                 kind="vote_publish_failed" if error else "vote_publish_done",
                                 params={"title": title}, link=f"/rounds/{round_id}/publish/job")
        db.commit()
    return state


def pending_jobs(db: Session, now: datetime) -> list[int]:
    """Jobs queued and never started by the worker that queued them, or stale: what
    ``python -m consult publish-jobs`` runs."""
    jobs = db.exec(select(PublishJob).where(PublishJob.state.in_(("queued", "running")))
                   .order_by(PublishJob.requested_at)).all()
    return [j.id for j in jobs if j.state == "queued" or _stale(j, now)]
