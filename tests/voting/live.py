"""Real databases and real servers, for the voting tests where committed transactions
and concurrent requests must meet (marked ``slow``).

``scratch_database_url`` is a migrated-on-demand database of the test's own: a SQLite
file, or a PostgreSQL database created next to ``CONSULT_TEST_DATABASE_URL`` and dropped
afterwards (skipped when that is not set). ``Server`` is ``uvicorn app:app`` with several
workers, so requests really overlap in the database; ``request`` one JSON request to it,
``Browser`` a browser's cookies and its page requests (redirects not followed).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from consult.db import make_engine
from tests.conftest import ROOT

SERVER_SECRET = "integrity-test-secret"
WORKERS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``uvicorn app:app`` with several workers on a free port, for the duration of a block.
    ``env`` adds settings (e.g. ``CONSULT_BODY_IDLE_SECONDS``); ``port`` starts it again
    where an earlier server was."""

    def __init__(self, database_url: str, log, env: dict[str, str] | None = None,
                 port: int | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CONSULT_DATABASE_URL": database_url,
               "CONSULT_SECRET_KEY": SERVER_SECRET, "CONSULT_ALLOWED_HOSTS": "127.0.0.1",
               **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port",
             str(self.port), "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self):
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__(None, None, None)  # a server that did not start is not left running
            raise
        return self

    def wait_ready(self, seconds: float = 180) -> None:
        """Until every worker answers (a few answers in a row). Generous: four workers each
        importing the app take a minute on a loaded 2-core machine; this is not a speed check."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server exited"
            try:
                with urllib.request.urlopen(self.base + "/api/v1/openapi.json", timeout=5):
                    for _ in range(WORKERS * 2):
                        urllib.request.urlopen(self.base + "/api/v1/openapi.json", timeout=10).close()
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail("the server did not start")

    def workers(self) -> list[int]:
        """The process ids of the workers (the supervisor's children that serve)."""
        pids = []
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            with open(f"/proc/{self.proc.pid}/task/{task}/children") as children:
                pids += [int(pid) for pid in children.read().split()]
        serving = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if b"spawn_main" in cmdline.read():
                        serving.append(pid)
            except FileNotFoundError:
                pass
        return serving

    def kill_all(self) -> None:
        """SIGKILL the supervisor and every worker at once: the whole server dies mid-request."""
        for pid in [*self.workers(), self.proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(30)

    def __exit__(self, *exc):
        workers = self.workers() if self.proc.poll() is None else []
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pid in workers:  # none left behind, whatever happened to the supervisor
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def request_or_none(base: str, method: str, path: str, body: dict | None = None,
                    token: str | None = None):
    """``request``, or (None, {}) when the connection failed (a server killed meanwhile):
    such a request was not acknowledged."""
    try:
        return request(base, method, path, body, token)
    except (OSError, http.client.HTTPException, json.JSONDecodeError):
        return None, {}


def request(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
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
        return None  # the 303 itself is the answer to look at


class Browser:
    """A browser on a real server: its cookies, sent with every request and updated from
    every answer. ``tab`` is another tab of the same browser: the same cookies now, its
    own answers from then on (as a double click sends the same cookie twice)."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None):
        self.base = base
        self.cookies = dict(cookies or {})
        self._opener = urllib.request.build_opener(_NoRedirect)

    def tab(self) -> Browser:
        return Browser(self.base, self.cookies)

    def open(self, method: str, path: str, form: dict | None = None) -> tuple[int, Message, str]:
        """(status, headers, text) of one request; ``form`` is sent url-encoded. The
        headers are looked up without regard to case."""
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        headers = {"content-type": "application/x-www-form-urlencoded"} if data else {}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            response = self._opener.open(req, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            status, answer, text = response.status, response.headers, response.read().decode()
        for line in answer.get_all("set-cookie") or []:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return status, answer, text


@contextmanager
def scratch_database_url(kind: str, tmp_path, prefix: str = "voting_integrity") -> Iterator[str]:
    """A fresh database URL of ``kind`` (sqlite | postgresql), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'integrity.db'}"
        return
    base = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL: set CONSULT_TEST_DATABASE_URL to run this on PostgreSQL too")
    with scratch_postgresql(base, prefix) as url:
        yield url


@contextmanager
def scratch_postgresql(base: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database beside the one ``base`` names (also for the benchmarks),
    dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
