"""Real servers for the integrity tests: ``uvicorn app:app`` with several workers on a
database of the test's own, and a small JSON/form client for it.

The database is a SQLite file, or a fresh PostgreSQL database created next to
``CONSULT_TEST_DATABASE_URL`` and dropped afterwards (``fresh_database_url``).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from consult.config import Settings
from consult.db import make_engine
from tests.conftest import ROOT

SERVER_SECRET = "integrity-test-secret"
WORKERS = 4


def server_ballot_secret() -> bytes:
    """The ballot key of a ``Server`` (not this process's test key): ballots are found by it."""
    return Settings(database_url="", secret_key=SERVER_SECRET).ballot_secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``uvicorn app:app`` with several workers on a free port, for the duration of a block."""

    def __init__(self, database_url: str, log, workers: int = WORKERS):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        env = {**os.environ, "CONSULT_DATABASE_URL": database_url,
               "CONSULT_SECRET_KEY": SERVER_SECRET, "CONSULT_ALLOWED_HOSTS": "127.0.0.1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port",
             str(self.port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server exited"
            try:
                with urllib.request.urlopen(self.base + "/api/v1/openapi.json", timeout=2):
                    # all workers up: a few more answers in a row
                    for _ in range(self.workers * 2):
                        urllib.request.urlopen(self.base + "/api/v1/openapi.json", timeout=5).close()
                    return self
            except OSError:
                time.sleep(0.2)
        pytest.fail("the server did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    """One JSON API call: (status, decoded body)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A signed-in browser for the HTML pages: its session cookie and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self.csrf = ""

    def _call(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Origin": self.base})
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, login: str, password: str) -> None:
        _, page = self._call("GET", "/login")
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = self._call("POST", "/login", {"csrf_token": self.csrf, "login": login,
                                                   "password": password})
        assert status == 303, status
        _, page = self._call("GET", "/account")  # a signed-in session has its own token
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, path: str, form: dict | None = None) -> int:
        """Submit a form like a browser; the status (303 on success)."""
        return self._call("POST", path, {"csrf_token": self.csrf, **(form or {})})[0]


@contextmanager
def fresh_database_url(kind: str, directory: Path, name: str) -> Iterator[str]:
    """A database of its own: ``sqlite`` (a file in ``directory``) or ``postgresql`` (a new
    database next to ``CONSULT_TEST_DATABASE_URL``, dropped afterwards; skipped without it)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    base = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL: set CONSULT_TEST_DATABASE_URL to run this on PostgreSQL too")
    database = f"{name}_{secrets.token_hex(4)}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(base).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
