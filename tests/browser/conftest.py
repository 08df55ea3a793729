"""Browser-test fixtures: one live server and one Chromium per session, a fresh context per page.

Fixtures (all that a new flow test needs):

``live_server`` (session)
    A real ``python -m uvicorn app:app`` process on a free loopback port, with its own
    SQLite database in a temporary directory, migrated by Alembic and holding the demo.
    Attributes: ``base_url``, ``url(path)``, ``database`` (a ``Database`` on the same
    file, for arranging data), ``settings`` (to pass to services), ``log`` (the server's
    output file). SQLite even when ``CONSULT_TEST_DATABASE_URL`` names PostgreSQL: the
    browser tests check pages, and the database-specific behaviour is tested elsewhere.
``base_url`` (session), ``live_db`` (session)
    Shortcuts for ``live_server.base_url`` and ``live_server.database``. Arrange data with
    ``with live_db.session(write=True) as db: ...; db.commit()`` — the server sees it.
``browser`` (session)
    Headless Debian Chromium. Missing Chromium, Playwright or a Chinese font
    (``fonts-noto-cjk``) skips the tests with a message; under ``CI=true`` it fails them.
``make_page`` (function)
    ``make_page(js=True, user=None, lang=None, elder=False, viewport=PHONE)`` opens a page
    in a fresh browser context (own cookies). ``user`` signs that login in once per
    session and reuses the cookies (so do not "sign out on all devices" or change the
    password of a shared demo user; register a ``fresh_phone()`` for that). ``lang``
    ("en" / "zh_Hans") and ``elder`` set the preference cookies, as the footer buttons do
    (for anonymous pages; a signed-in user's saved elder mode wins). Call it several
    times for several people at once.
``page``, ``page_nojs`` (function)
    ``make_page()`` and ``make_page(js=False)``: anonymous, Chinese, 360×740.

When a test fails, a full-page screenshot of each of its pages goes to
``test-artifacts/<test name>-<n>.png`` (gitignored), and the tail of the server log is
printed with the failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from consult.config import Settings
from consult.db.engine import Database, make_engine
from consult.db.migrate import upgrade
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PHONE, require_or_skip, sign_in
from tests.conftest import FAST_ARGON2, ROOT

ARTIFACTS = ROOT / "test-artifacts"
SECRET_KEY = "browser-tests-secret-key-not-for-production"
START_TIMEOUT = 30  # seconds for uvicorn to answer


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure at teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request) -> bool:
    return any(getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
               for when in ("setup", "call"))


# -- the live server ---------------------------------------------------------------------


@dataclass
class LiveServer:
    base_url: str
    database: Database
    settings: Settings
    log: Path

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the live server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the live server did not answer {url} within {START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from consult.demo import load

    var = tmp_path_factory.mktemp("live")
    db_url = f"sqlite:///{var / 'live.db'}"
    upgrade(db_url)
    # Demo passwords hashed with fast argon2 parameters: loading stays quick; the server
    # verifies them anyway (and upgrades the hash at the first sign-in, as in production).
    settings = Settings(database_url=db_url, secret_key=SECRET_KEY, argon2=FAST_ARGON2,
                        media_dir=var / "media")
    database = Database(make_engine(db_url))
    with database.session(write=True) as db:
        load(db, settings)
        db.commit()

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CONSULT_DATABASE_URL": db_url,
        "CONSULT_SECRET_KEY": SECRET_KEY,
        "CONSULT_ALLOWED_HOSTS": "127.0.0.1",
        "CONSULT_BASE_URL": base_url,
        "CONSULT_VAR_DIR": str(var),
        "CONSULT_MEDIA_DIR": str(var / "media"),
    }
    log = var / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base_url + "/", proc, log)
        yield LiveServer(base_url=base_url, database=database, settings=settings, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        database.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server.base_url


@pytest.fixture(scope="session")
def live_db(live_server) -> Database:
    return live_server.database


# -- the browser -------------------------------------------------------------------------


def _has_chinese_font() -> bool:
    """Layout checks measure text; without a CJK font Chinese would render as "tofu" boxes."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                               text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.strip())


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require_or_skip(sync_playwright is not None,
                    "Playwright is not installed: .venv/bin/pip install -e '.[test]'")
    require_or_skip(CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is not None,
                    f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    require_or_skip(_has_chinese_font(),
                    "no Chinese font, so Chinese text would be measured as narrow empty boxes: "
                    "apt-get install -y fonts-noto-cjk")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def _signed_in_states(browser, live_server):
    """Cookies of users signed in once per session, by login."""
    return {}


@pytest.fixture
def make_page(request, browser, live_server, _signed_in_states):
    contexts = []

    def make(*, js: bool = True, user: str | None = None, lang: str | None = None,
             elder: bool = False, viewport: dict = PHONE, password: str = PASSWORD):
        state = None
        if user is not None:
            if user not in _signed_in_states:
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                sign_in(context.new_page(), live_server.base_url, user, password)
                _signed_in_states[user] = context.storage_state()
                context.close()
            state = _signed_in_states[user]
        context = browser.new_context(viewport=viewport, java_script_enabled=js,
                                      locale="zh-CN", storage_state=state)
        context.set_default_timeout(10_000)
        cookies = {"lang": lang, "elder": "1" if elder else None}
        context.add_cookies([{"name": k, "value": v, "url": live_server.base_url}
                             for k, v in cookies.items() if v])
        contexts.append(context)
        return context.new_page()

    yield make
    if _failed(request):
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.name)
        shots = []
        for n, page in enumerate((p for c in contexts for p in c.pages), start=1):
            path = ARTIFACTS / f"{stem}-{n}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                shots.append(f"{path} ({page.url})")
            except Exception as exc:  # a crashed page must not hide the real failure
                shots.append(f"no screenshot of {page.url}: {exc}")
        request.node.add_report_section("teardown", "browser", "\n".join(
            ["screenshots:", *shots, "server log (tail):", live_server.log_tail()]))
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    return make_page()


@pytest.fixture
def page_nojs(make_page):
    return make_page(js=False)
