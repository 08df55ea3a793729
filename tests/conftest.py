"""Test fixtures: a migrated database, each test inside a transaction that is rolled back.

The database is SQLite in a temporary directory, or PostgreSQL when
``CONSULT_TEST_DATABASE_URL`` is set (CI sets it to a fresh database). The
schema is built by Alembic, exactly as in production.

``database`` is the app's own ``Database`` bound to the test's connection: every
session it hands out (the ``db`` fixture's, each request's) joins the test's
transaction with a savepoint, so commits and rollbacks behave as in production and
the test's rollback undoes everything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from consult.config import Argon2Params, Settings
from consult.db.engine import Database, make_engine
from consult.db.migrate import upgrade
from consult.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"
FAST_ARGON2 = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1)
SECRET_KEY = "test-secret-key-not-for-production"


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def database(connection) -> Database:
    return Database(connection)


@pytest.fixture
def db(database):
    """A session for arranging and checking data, inside the test's transaction."""
    session = database.session(write=True)
    yield session
    session.close()


@pytest.fixture(scope="session", autouse=True)
def ballot_key():
    """The ballot key of the test settings, also for services called without an app."""
    from consult import secrecy

    secrecy.configure(Settings(database_url="unused", secret_key=SECRET_KEY))


@pytest.fixture(scope="session", autouse=True)
def export_directory(tmp_path_factory):
    """Where published rounds' export files go, also for services called without an app."""
    from consult import voting

    voting.configure_exports(tmp_path_factory.mktemp("exports"))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        database_url="unused",
        secret_key=SECRET_KEY,
        base_url="http://testserver",
        allowed_hosts=("testserver",),
        media_dir=tmp_path / "media",
        argon2=FAST_ARGON2,
    )


@pytest.fixture
def app(settings, database):
    return create_app(settings, database)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client: TestClient, page: str, action: str, data: dict, **kwargs):
    """Open ``page`` like a browser, then submit its form to ``action`` with the CSRF token."""
    token = csrf_from(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False, **kwargs)
