"""No request holds the event loop: while one request is inside a slow service call,
another request to the same worker is answered (``consult.web.offloop``).

The platform's app over a database of its own (a migrated SQLite file: two requests at
once need two connections, which the suite's one shared test connection is not), driven
at the ASGI level in one event loop, as one uvicorn worker drives it. A service is made
slow by waiting until the test lets it go; it records whether the other request was
answered meanwhile. Were the endpoint run on the event loop, the loop would be stuck in
that wait, the other request could not even start, and the wait would end by its
timeout with nothing answered.
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.voting import services as voting
from consult.web.app import create_app
from consult.web.offloop import EndpointThreads

#: how long the slow service waits for the other answer: generous, not a measure
PATIENCE = 60


@pytest.fixture(scope="module")
def own_database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('loop') / 'loop.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield Database(engine)
    engine.dispose()


def _run(coro):
    """``asyncio.run`` in a thread of its own (a session-wide browser may hold the main
    thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _call(app, method: str, path: str, body: bytes = b"", headers=()) -> dict:
    """One request: its ``status``, ``cookies`` (name=value) and ``body``."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    answer: dict = {"body": b"", "cookies": []}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["cookies"] = [v.split(b";")[0] for k, v in message["headers"] if k == b"set-cookie"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"host", b"testserver"), *headers],
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1),
             "root_path": "", "http_version": "1.1"}
    await app(scope, receive, send)
    return answer


class Gate:
    """A service call that waits (in whatever thread runs it) until it is let go, and
    records whether it was let go or gave up waiting."""

    def __init__(self):
        self.entered = threading.Event()
        self.released = threading.Event()
        self.other_answered_meanwhile = False

    def wrap(self, service):
        def slow(*args, **kwargs):
            self.entered.set()
            self.other_answered_meanwhile = self.released.wait(PATIENCE)
            return service(*args, **kwargs)
        return slow


async def _slow_and_other(app, slow: tuple, other: tuple, gate: Gate) -> tuple[int, int]:
    """Start ``slow``; once it is inside the gated service, ``other``; then let go."""
    first = asyncio.ensure_future(_call(app, *slow))
    for _ in range(PATIENCE * 20):
        if gate.entered.is_set() or first.done():
            break
        await asyncio.sleep(0.05)
    assert gate.entered.is_set(), "the slow request never reached its service"
    second = await asyncio.wait_for(_call(app, *other), PATIENCE)
    gate.released.set()
    return (await first)["status"], second["status"]


def test_a_slow_page_does_not_stop_another_request(settings, own_database, monkeypatch):
    gate = Gate()
    monkeypatch.setattr(voting, "vote_rounds", gate.wrap(voting.vote_rounds))
    app = create_app(settings, own_database)
    assert _run(_slow_and_other(app, ("GET", "/votes"), ("GET", "/"), gate)) == (200, 200)
    assert gate.other_answered_meanwhile, "the other request waited for the slow one"


def test_a_slow_form_post_holding_the_write_lock_does_not_stop_a_page(settings, own_database,
                                                                       monkeypatch):
    """A form POST held inside its service, on SQLite with the write lock taken before
    the route ran: a page is answered meanwhile."""
    gate = Gate()
    monkeypatch.setattr(voting, "check_receipt", gate.wrap(voting.check_receipt))
    app = create_app(settings, own_database)

    async def scenario():
        page = await _call(app, "GET", "/receipts")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page["body"]).group(1)
        form = b"code=ABCD-EFGH&csrf_token=" + token
        slow = ("POST", "/receipts", form,
                [(b"content-type", b"application/x-www-form-urlencoded"),
                 (b"cookie", b"; ".join(page["cookies"])), (b"origin", b"http://testserver")])
        return await _slow_and_other(app, slow, ("GET", "/votes"), gate)

    slow, other = _run(scenario())
    assert slow in (200, 422) and other == 200, (slow, other)
    assert gate.other_answered_meanwhile, "the other request waited for the slow one"


def test_no_more_endpoints_run_at_once_than_the_pool_has_connections(settings, own_database,
                                                                      monkeypatch):
    """With room for two, a third request waits for a thread (on the loop, holding no
    connection) until one of the two is done, then runs: all three are answered."""
    inside, most = 0, 0
    lock = threading.Lock()
    two_inside, go_on = threading.Event(), threading.Event()
    real = voting.vote_rounds

    def held(*args, **kwargs):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
            if inside >= 2:
                two_inside.set()
        go_on.wait(PATIENCE)
        with lock:
            inside -= 1
        return real(*args, **kwargs)

    monkeypatch.setattr(voting, "vote_rounds", held)
    app = create_app(settings, own_database)
    app.state.endpoint_threads = EndpointThreads(2)

    async def scenario():
        calls = [asyncio.ensure_future(_call(app, "GET", "/votes")) for _ in range(3)]
        for _ in range(PATIENCE * 20):
            if two_inside.is_set():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # room for a third to get in, were there no limit
        go_on.set()
        return [answer["status"] for answer in await asyncio.gather(*calls)]

    assert _run(scenario()) == [200, 200, 200]
    assert most == 2
