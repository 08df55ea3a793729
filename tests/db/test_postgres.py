"""PostgreSQL is part of CI: without it these skip on a laptop, but fail under CI=true."""

import os
import socket

import pytest
from sqlalchemy import text

from consult.db import make_engine


def _reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def test_postgresql_is_reachable_and_speaks_psycopg3():
    if not _reachable():
        message = "PostgreSQL is not running on 127.0.0.1:5432"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message + "; start it to run the PostgreSQL checks")
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_ci_runs_the_suite_on_postgresql_too():
    """`.ci/run` runs `make test` a second time with CONSULT_TEST_DATABASE_URL set."""
    from consult.config import ROOT

    script = (ROOT / ".ci" / "run").read_text()
    assert "CONSULT_TEST_DATABASE_URL=" in script and script.count("run_tests") >= 3
