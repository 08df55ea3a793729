"""Voting figures: ballots accepted over HTTP, and that none is lost or doubled meanwhile.

    python -m bench.bench_voting

``vote_post_vs_bare``: ballots accepted per second through the HTML form path (session
cookie, CSRF token, eligibility, insert of the ballot and its choices, 303 to the
receipt) ÷ bare Starlette requests per second in the same run, same load generator;
target ≥ 0.15. ``lost_or_double_ballots``: during that load, acknowledged ballots (303)
missing from the database plus duplicate ballots; target 0. ``vote_post_app_ms``: app
time per ballot with the app called in process, for comparing versions on one machine.

The voters' sessions are prepared before the clock starts. A few voters sign in through
the login form; signing in all of them that way would take minutes (each sign-in
verifies an argon2id hash, about half a second here, by design), so the other sessions
are the same signed cookie the form sign-in sets (``uid``, ``sv``, ``csrf``), signed with
the server's secret key. The server checks them exactly as it checks any session.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.common import app_server, build_request, paired, report

VOTERS = 4000
FORM_SIGN_INS = 4
CONCURRENCY = 16
ROUNDS = 5
SECRET = "bench-secret"  # app_server's CONSULT_SECRET_KEY
PASSWORD = "bench voter password"


def build_database(directory: Path, url: str | None = None) -> tuple[str, int, list[int], list[tuple[int, str]]]:
    """A migrated database (a SQLite file in ``directory`` unless ``url`` names one) with
    an open vote round and verified voters."""
    from sqlalchemy import insert
    from sqlmodel import select

    from consult import clock
    from consult.accounts import services as accounts
    from consult.accounts.models import User, UserSession
    from consult.communities import services as communities
    from consult.communities.models import RoleAssignment
    from consult.config import Argon2Params, Settings
    from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.voting import VoteSettings

    url = url or f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    now = clock.utcnow()
    settings = Settings(database_url=url, secret_key=SECRET,
                        argon2=Argon2Params(time_cost=1, memory_cost=1024, parallelism=1))
    with Database(engine).session(write=True) as db:
        root = communities.create_place(db, kind="subdistrict", name="街道")
        area = communities.create_place(db, kind="area", name="恒丰", parent=root)
        for n in range(FORM_SIGN_INS):
            accounts.create_user(db, settings, login=f"1380000{n:04d}", phone=f"1380000{n:04d}",
                                 display_name=f"表单{n}", password=PASSWORD)
        db.execute(insert(User), [{"login": f"1390000{n:04d}", "phone": f"1390000{n:04d}",
                                   "display_name": f"居民{n}", "password_hash": None,
                                   "session_version": 1, "elder_mode": False, "created_at": now}
                                  for n in range(VOTERS - FORM_SIGN_INS)])
        users = list(db.exec(select(User.id, User.login).order_by(User.id)).all())
        db.execute(insert(RoleAssignment), [{"user_id": uid, "role": "resident", "place_id": area.id,
                                             "created_at": now} for uid, _ in users])
        db.execute(insert(UserSession), [{"digest": accounts.session_digest(_session_key(uid)),
                                          "user_id": uid, "created_at": now} for uid, _ in users])
        consultation = Consultation(title="基准测试", year=2026, scope_place_id=area.id,
                                    budget_fen=20_000_000)
        db.add(consultation)
        db.flush()
        category = Category(consultation_id=consultation.id, name="实事项目")
        item = Round(consultation_id=consultation.id, position=1, kind="vote", opens_at=now - timedelta(days=1),
                     closes_at=now + timedelta(days=1), settings={})
        db.add_all([category, item])
        db.flush()
        ideas = [Idea(consultation_id=consultation.id, author_id=users[0][0], title=f"建议{i}",
                      description="基准", category_id=category.id, place_id=area.id, area_id=area.id,
                      estimated_cost_fen=(i + 1) * 500_000, state="shortlisted",
                      current_round_id=item.id) for i in range(12)]
        db.add_all(ideas)
        db.flush()
        db.add_all([IdeaRound(idea_id=i.id, round_id=item.id) for i in ideas])
        db.add(VoteSettings(round_id=item.id, ballot_kind="approval_budget", rule="greedy"))
        db.commit()
        round_id, idea_ids = item.id, [i.id for i in ideas]
    engine.dispose()
    return url, round_id, idea_ids, users


def _session_key(uid: int) -> str:
    """The session key of a voter's cookie; its digest is a ``user_session`` row."""
    return f"bench-session-{uid}"


def _cookie(uid: int, csrf: str) -> str:
    """The session cookie a form sign-in sets (Starlette's SessionMiddleware format)."""
    from itsdangerous import TimestampSigner

    data = base64.b64encode(json.dumps({"uid": uid, "sid": _session_key(uid), "csrf": csrf}).encode())
    return "consult_session=" + TimestampSigner(SECRET).sign(data).decode()


def _form_session(base: str, login: str) -> tuple[str, str]:
    """Sign in through the login form like a browser; return the cookie and the CSRF token."""
    import http.client

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    cookie = ""

    def call(method: str, path: str, body: str | None = None) -> tuple[int, str]:
        nonlocal cookie
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for set_cookie in response.msg.get_all("set-cookie") or []:  # the device cookie too
            if set_cookie.startswith("consult_session="):
                cookie = set_cookie.split(";", 1)[0]
        return response.status, text

    def token(text: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)

    _, page = call("GET", "/login")
    status, _ = call("POST", "/login", urlencode({"csrf_token": token(page), "login": login,
                                                  "password": PASSWORD}))
    assert status == 303, status
    _, page = call("GET", "/votes")
    conn.close()
    return cookie, token(page)


async def _worker(host: str, port: int, jobs: list[tuple[int, bytes]], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for index, raw in jobs:
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            statuses[index] = answered(head)
    finally:
        writer.close()


_TO_RECEIPT = re.compile(rb"(?i)\r\nlocation: *[^\r]*/receipt")


def answered(head: bytes) -> int:
    """The status of a ballot's answer; a 303 that is not to the receipt (to the sign-in
    page: the session was not accepted) acknowledges nothing and counts as 0."""
    status = int(head.split(b" ", 2)[1])
    return 0 if status == 303 and not _TO_RECEIPT.search(head) else status


def fire(base: str, jobs: list[tuple[int, bytes]]) -> tuple[float, dict[int, int]]:
    """Send every (index, request) once over keep-alive connections; (seconds, status by index)."""
    parts = urlsplit(base)
    shares = [jobs[i::CONCURRENCY] for i in range(CONCURRENCY)]
    statuses: dict[int, int] = {}

    async def run():
        await asyncio.gather(*(_worker(parts.hostname, parts.port, share, statuses) for share in shares))

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start, statuses


def check_database(url: str, round_id: int, acknowledged: set[int]) -> tuple[int, int, int]:
    """(stored ballots, acknowledged voters missing, duplicate ballots)."""
    from sqlalchemy import func
    from sqlmodel import select

    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.voting import Ballot
    from consult.voting.rules import voter_key

    engine = make_engine(url)
    with Database(engine).session() as db:
        keys = db.exec(select(Ballot.voter_key).where(Ballot.round_id == round_id)).all()
        distinct = db.exec(select(func.count(Ballot.voter_key.distinct()))
                           .where(Ballot.round_id == round_id)).one()
    engine.dispose()
    # A ballot stores its voter's key, an HMAC under the server's ballot key.
    secret = Settings(database_url=url, secret_key=SECRET).ballot_secret
    stored = set(keys)
    missing = {uid for uid in acknowledged if voter_key(secret, round_id, "user", uid) not in stored}
    return len(keys), len(missing), len(keys) - distinct


def _ballot_body(n: int, csrf: str, idea_ids: list[int]) -> bytes:
    chosen = [idea_ids[n % 12], idea_ids[(n * 7 + 3) % 12]]
    return urlencode([("csrf_token", csrf), *(("idea", i) for i in dict.fromkeys(chosen))]).encode()


def in_process_ms(directory: Path, count: int = 600) -> float:
    """Milliseconds of app time per ballot, the app called in process (no HTTP server),
    each of ``count`` voters casting once on a database of its own: for comparing
    versions on one machine, like ``ideas_list_cached_ms``."""
    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.web.app import create_app

    url, round_id, idea_ids, users = build_database(directory)
    engine = make_engine(url)
    app = create_app(Settings.from_env(database_url=url, secret_key=SECRET,
                                       allowed_hosts=("testserver",)), Database(engine))
    calls = []
    for n, (uid, _) in enumerate(users[FORM_SIGN_INS:FORM_SIGN_INS + count]):
        csrf = secrets.token_urlsafe(32)
        body = _ballot_body(n, csrf, idea_ids)
        headers = [(b"host", b"testserver"), (b"cookie", _cookie(uid, csrf).encode()),
                   (b"content-type", b"application/x-www-form-urlencoded"),
                   (b"origin", b"http://testserver"), (b"content-length", str(len(body)).encode())]
        calls.append((headers, body))
    path = f"/rounds/{round_id}/vote/confirm"
    statuses = []

    async def one(headers, body):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
                 "server": ("testserver", 80)}

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)

    async def run() -> float:
        for headers, body in calls[:50]:  # warm up
            await one(headers, body)
        start = time.perf_counter()
        for headers, body in calls[50:]:
            await one(headers, body)
        return (time.perf_counter() - start) * 1000 / (len(calls) - 50)

    ms = asyncio.run(run())
    engine.dispose()
    assert set(statuses) == {303}, set(statuses)
    return ms


def ballot_requests(base: str, round_id: int, idea_ids: list[int],
                    users: list[tuple[int, str]]) -> list[bytes]:
    """Every voter's confirm POST of the ballot form (a few sessions from the login form,
    the others the cookie it sets), after warming the server up with ballot pages."""
    host = urlsplit(base).netloc
    sessions = [_form_session(base, login) for _, login in users[:FORM_SIGN_INS]]
    for uid, _ in users[FORM_SIGN_INS:]:
        csrf = secrets.token_urlsafe(32)
        sessions.append((_cookie(uid, csrf), csrf))
    path = f"{base}/rounds/{round_id}/vote/confirm"
    requests = []
    for n, (cookie, csrf) in enumerate(sessions):
        body = _ballot_body(n, csrf, idea_ids)
        requests.append(build_request(path, "POST", {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{host}"}, body))
    warm = build_request(f"{base}/rounds/{round_id}/vote", "GET", {"Cookie": sessions[0][0]})
    fire(base, [(0, warm)] * 50)
    return requests


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in_process").mkdir()
        report("vote_post_app_ms", in_process_ms(Path(tmp) / "in_process"), "ms")
        url, round_id, idea_ids, users = build_database(Path(tmp))
        with app_server(url) as base:
            requests = ballot_requests(base, round_id, idea_ids, users)
            # Every voter casts once; the voters are split into ROUNDS batches, each
            # measured right after a bare Starlette run (see ``bench.common.paired``).
            jobs = list(enumerate(requests))
            batches = [jobs[n::ROUNDS] for n in range(ROUNDS)]
            statuses: dict[int, int] = {}

            def measure(n: int) -> float:
                seconds, batch_statuses = fire(base, batches[n])
                statuses.update(batch_statuses)
                return sum(1 for s in batch_statuses.values() if s == 303) / seconds

            result = paired(measure, ROUNDS)
        acknowledged = {users[i][0] for i, status in statuses.items() if status == 303}
        stored, missing, duplicates = check_database(url, round_id, acknowledged)
        assert len(acknowledged) == VOTERS, {s: list(statuses.values()).count(s) for s in set(statuses.values())}
        report("vote_bare_rps", result.bare_rate, "requests/s")
        report("vote_post_rps", result.app_rate, "ballots/s")
        report("vote_post_vs_bare", result.ratio, "ratio")
        print("# vote_post_vs_bare by round: " + ", ".join(f"{r:.3f}" for r in result.ratios), flush=True)
        report("lost_or_double_ballots", missing + duplicates + (stored - len(acknowledged)), "ballots")


if __name__ == "__main__":
    main()
