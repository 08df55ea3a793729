"""``python -m consult checks-due``: the daily reminder of safety checks and repairs."""

import pytest
from sqlmodel import select

from consult.db import Database, make_engine
from consult.notifications.models import Notification
from tests.test_cli import cli_env, run  # noqa: F401  (cli_env is a fixture)


@pytest.mark.slow
def test_checks_due_lists_the_demo_s_overdue_check_and_open_repair(cli_env):  # noqa: F811
    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    done = run(env, "checks-due")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("i 爱在恒丰，点亮绿角" in line and "check overdue" in line for line in lines)
    assert any("小景观，大世界" in line and "repair due" in line for line in lines)
    assert lines[-1].endswith("notifications")
    database = Database(make_engine(url))
    with database.session() as db:
        assert db.exec(select(Notification).where(Notification.kind == "safety_checks_due")).all()
    database.engine.dispose()
    assert run(env, "checks-due", "--days", "0").returncode == 0


@pytest.mark.slow
def test_finalize_due_makes_the_projects_of_the_outcome_it_confirms(cli_env):  # noqa: F811
    from sqlalchemy import delete, update

    from consult.delivery.models import Project
    from consult.voting import VoteResult

    url, env = cli_env
    assert run(env, "migrate").returncode == 0 and run(env, "demo").returncode == 0
    database = Database(make_engine(url))
    with database.session(write=True) as db:  # as if last year's vote were not yet confirmed
        round_id, selected = db.exec(select(VoteResult.round_id, VoteResult.selected)).one()
        db.execute(delete(Project).where(Project.round_id == round_id))
        db.execute(update(VoteResult).values(finalized_at=None, finalized_by=None))
        db.commit()
    assert "confirmed" in run(env, "finalize-due").stdout
    with database.session() as db:
        made = db.exec(select(Project.idea_id).where(Project.round_id == round_id)).all()
    assert sorted(made) == sorted(selected)
    database.engine.dispose()
