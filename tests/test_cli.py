"""The command line: migrate, demo (twice), createuser, logins."""

import subprocess
import sys

import pytest
from sqlmodel import select

from consult.accounts.models import User
from consult.communities.models import Place, RoleAssignment
from consult.config import ROOT
from consult.db import Database, make_engine


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"CONSULT_DATABASE_URL": url, "CONSULT_SECRET_KEY": "cli-test", "PATH": "/usr/bin:/bin",
           "CONSULT_VAR_DIR": str(tmp_path)}
    return url, env


def run(env, *args, stdin=""):
    return subprocess.run([sys.executable, "-m", "consult", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_migrate_demo_twice_and_createuser(cli_env):
    url, env = cli_env
    assert run(env, "migrate").returncode == 0
    first = run(env, "demo")
    assert first.returncode == 0 and "demo loaded" in first.stdout
    second = run(env, "demo")
    assert second.returncode == 0 and "nothing changed" in second.stdout

    database = Database(make_engine(url))
    with database.session() as db:
        areas = db.exec(select(Place).where(Place.kind == "area")).all()
        assert len(areas) == 11
        assert {"恒丰", "郑家巷", "东王", "太和"} <= {a.name for a in areas}
        estates = {p.name for p in db.exec(select(Place).where(Place.kind == "estate")).all()}
        assert {"御品大厦", "国际丽都城"} <= estates
        roles = {r.role for r in db.exec(select(RoleAssignment)).all()}
        assert roles >= {"resident", "owner", "moderator", "expert", "owners_rep", "admin"}
        area_id = areas[0].id

    created = run(env, "createuser", "13911112222", "--name", "新主任", "--role", "moderator",
                  "--place", str(area_id), stdin="a fine long password\n")
    assert created.returncode == 0, created.stderr
    with database.session() as db:
        user = db.exec(select(User).where(User.login == "13911112222")).one()
        assert user.display_name == "新主任"
        assert db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).one().role == "moderator"

    assert run(env, "createuser", "13911112222", stdin="a fine long password\n").returncode == 2
    weak = run(env, "createuser", "13933334444", stdin="12345678\n")
    assert weak.returncode == 2 and "too common" in weak.stderr
    assert run(env, "createuser", "admin2", "--role", "emperor", "--place", "1",
               stdin="a fine long password\n").returncode == 2
    assert run(env, "createuser", "admin3", "--role", "admin", "--place", "99999",
               stdin="a fine long password\n").returncode == 2
    logins = run(env, "logins")
    assert "13800000002" in logins.stdout and "shimen-demo-2026" in logins.stdout
    database.engine.dispose()


@pytest.mark.slow
def test_finalize_due_confirms_what_the_notice_period_has_let_through(cli_env):
    from sqlalchemy import update

    from consult.voting import VoteResult

    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    nothing = run(env, "finalize-due")
    assert nothing.returncode == 0 and "no outcome is due" in nothing.stdout
    database = Database(make_engine(url))
    with database.session(write=True) as db:  # as if nobody had confirmed last year's vote
        round_id = db.exec(select(VoteResult.round_id)).one()
        db.execute(update(VoteResult).values(finalized_at=None, finalized_by=None))
        db.commit()
    done = run(env, "finalize-due")
    assert done.returncode == 0 and f"round {round_id} " in done.stdout and "confirmed" in done.stdout
    with database.session() as db:
        assert db.exec(select(VoteResult.finalized_at)).one() is not None
    assert "no outcome is due" in run(env, "finalize-due").stdout
    database.engine.dispose()


def test_finalize_due_mixes_the_answers_of_closed_anonymous_surveys(cli_env):
    from datetime import timedelta

    from sqlalchemy import update

    from consult import clock
    from consult.surveys.models import Response, Survey

    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    assert "survey" not in run(env, "finalize-due").stdout  # the demo's anonymous survey is open
    database = Database(make_engine(url))
    with database.session(write=True) as db:  # as if it had closed yesterday
        survey_id = db.exec(select(Survey.id).where(Survey.anonymous.is_(True))).one()
        before = set(db.exec(select(Response.id).where(Response.survey_id == survey_id)).all())
        db.execute(update(Survey).where(Survey.id == survey_id)
                   .values(closes_at=clock.utcnow() - timedelta(days=1)))
        db.commit()
    done = run(env, "finalize-due")
    assert done.returncode == 0 and f"survey {survey_id}: closed, its anonymous answers are mixed" in done.stdout
    with database.session() as db:
        assert db.get(Survey, survey_id).answers_mixed
        after = set(db.exec(select(Response.id).where(Response.survey_id == survey_id)).all())
        assert len(after) == len(before) > 0 and not after & before
    assert "survey" not in run(env, "finalize-due").stdout  # once
    database.engine.dispose()


def test_secret_key_generated_once(tmp_path, monkeypatch):
    from consult.config import Settings

    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    monkeypatch.setenv("CONSULT_VAR_DIR", str(tmp_path))
    first = Settings.from_env().secret_key
    assert len(first) > 40 and (tmp_path / "secret_key").read_text() == first
    assert Settings.from_env().secret_key == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_finalize_due_tells_each_person_once_of_votes_and_surveys_open_to_them(cli_env):
    import re

    from consult.notifications.models import NoticeSent

    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    first = run(env, "finalize-due")
    told = re.search(r"told (\d+) of a vote open to them, (\d+) of one closing soon, "
                     r"(\d+) of a questionnaire addressed to them", first.stdout)
    assert first.returncode == 0 and told, first.stdout + first.stderr
    opened, _soon, addressed = (int(n) for n in told.groups())
    assert opened > 0 and addressed > 0  # the demo has a vote and surveys open now
    again = run(env, "finalize-due")
    assert "told 0 of a vote open to them, 0 of one closing soon, 0 of a questionnaire" in again.stdout
    database = Database(make_engine(url))
    with database.session() as db:
        kinds = [kind for (kind,) in db.execute(select(NoticeSent.kind)).all()]
        assert kinds.count("survey_addressed") == addressed
        assert kinds.count("vote_opened") >= opened  # and those told when ideas were carried
    database.engine.dispose()


def test_finalize_due_reminds_club_members_and_credits_participation_once(cli_env):
    import re

    from sqlalchemy import update

    from consult.points.models import Participation, PointsClub

    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    first = run(env, "finalize-due")
    assert first.returncode == 0 and "of an activity they signed up for" in first.stdout
    assert "0 participation points entries posted" in first.stdout  # the demo's club has it off
    database = Database(make_engine(url))
    with database.session(write=True) as db:
        db.execute(update(PointsClub).values(participation_on=True, per_idea=5, per_survey=2, per_forum=3))
        db.commit()
    on = run(env, "finalize-due")
    posted = int(re.search(r"(\d+) participation points entries posted", on.stdout).group(1))
    with database.session() as db:
        assert len(db.exec(select(Participation)).all()) >= posted
    assert "0 participation points entries posted" in run(env, "finalize-due").stdout  # once
    database.engine.dispose()


@pytest.mark.slow
def test_publish_jobs_runs_what_a_stopped_worker_left(cli_env):
    from consult.voting import VoteResult
    from consult.voting.models import PublishJob

    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    assert "no publication waits" in run(env, "publish-jobs").stdout
    database = Database(make_engine(url))
    with database.session(write=True) as db:  # asked for; the worker stopped before counting
        round_id = db.exec(select(VoteResult.round_id)).one()
        db.add(PublishJob(round_id=round_id, state="queued", ballots=1))
        db.commit()
    ran = run(env, "publish-jobs")
    assert ran.returncode == 0, ran.stderr
    assert "publication job" in ran.stdout and ": done" in ran.stdout  # published already: done
    with database.session() as db:
        assert db.exec(select(PublishJob.state)).one() == "done"
        assert len(db.exec(select(VoteResult).where(VoteResult.round_id == round_id)).all()) == 1
    assert "no publication waits" in run(env, "publish-jobs").stdout
    database.engine.dispose()


@pytest.mark.slow
def test_finalize_due_drops_the_photos_of_idea_forms_nobody_sent_again(cli_env, settings, tmp_path):
    """Issue 16 item 6: a photo kept with a refused idea form for more than a day is dropped,
    its row and its files."""
    import os
    from datetime import timedelta

    from consult import clock
    from consult.consultations.models import PendingPhoto
    from tests import factories

    url, env = cli_env
    media = tmp_path / "media"
    env = {**env, "CONSULT_MEDIA_DIR": str(media)}
    assert run(env, "migrate").returncode == 0
    key = "ab" * 32
    files = [media / "pending" / f"{key}.jpg", media / "pending" / f"{key}_t.jpg"]
    files[0].parent.mkdir(parents=True)
    two_days_ago = clock.utcnow() - timedelta(days=2)
    for path in files:
        path.write_bytes(b"jpeg")
        os.utime(path, (two_days_ago.timestamp(), two_days_ago.timestamp()))
    database = Database(make_engine(url))
    with database.session(write=True) as db:
        user = factories.user(db, settings, name="忘了写标题的居民")
        db.add(PendingPhoto(token="t" * 22, user_id=user.id, key=key, width=64, height=48,
                            created_at=two_days_ago))
        db.commit()
    done = run(env, "finalize-due")
    assert done.returncode == 0, done.stderr
    assert "1 photos kept with an idea form nobody sent again were dropped" in done.stdout
    with database.session() as db:
        assert db.exec(select(PendingPhoto)).all() == []
    assert not any(path.exists() for path in files)
    database.engine.dispose()
