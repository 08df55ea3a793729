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
