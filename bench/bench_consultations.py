"""Consultation figures: the idea list under load, page weights, SQL growth with list length.

    python -m bench.bench_consultations

Prints ``ideas_list_vs_bare`` (idea list, 20 shown of 1,000+, requests/s ÷ bare
Starlette; target ≥ 0.20), ``ideas_list_weight`` and ``idea_page_weight`` (gzip bytes
of HTML + CSS + JS; target ≤ 102400 each) and ``ideas_list_queries_growth`` (SQL
statements for the list page at 1,000 ideas minus at 10; target 0).

The list's body is kept in a per-process page cache until the next change to the
consultation's ideas (``routes.ideas_page``), so the load test, which asks for one
page over and over, measures cached requests. Statements are counted on a list
rendered afresh, and ``ideas_list_uncached_ms`` / ``ideas_list_cached_ms`` show the
in-process cost of both paths (milliseconds on this machine: compare versions with
them, not machines).
"""

from __future__ import annotations

import io
import random
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.common import (
    app_server,
    compressed_weight,
    paired_get,
    report,
    report_paired,
)
from tests.statements import count_statements

BIG = 1200
SMALL = 10


def _photo_key(media_dir: Path) -> str:
    from PIL import Image

    from consult.media.images import process_upload, store

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (110, 150, 100)).save(buffer, "JPEG")
    return store(process_upload(buffer.getvalue()), media_dir)


def _fill(db, consultation, round_, categories, groups, authors, count: int, photo: str, rng) -> None:
    """``count`` submitted ideas in bulk, each with a version, a timeline entry and a round link."""
    from sqlalchemy import insert

    from consult import clock
    from consult.consultations.models import Idea, IdeaPhoto, IdeaRound, IdeaVersion, TimelineEntry

    now = clock.utcnow()
    rows = []
    for i in range(count):
        group = rng.choice(groups)
        at = now - timedelta(minutes=count - i)
        rows.append(dict(
            consultation_id=consultation.id, author_id=rng.choice(authors).id,
            title=f"{group.name}楼道声控灯更换{i}", description="楼道里的灯坏了好几盏，晚上看不清。" * 4,
            category_id=rng.choice(categories).id, place_id=group.id, area_id=int(group.path.split("/")[2]),
            estimated_cost_fen=rng.randint(100, 5000) * 100, state="submitted", state_note=None,
            merged_into_id=None, current_round_id=round_.id, support_count=rng.randint(0, 40),
            version=1, created_at=at, updated_at=at, submitted_at=at))
    ids = list(db.execute(insert(Idea).returning(Idea.id), rows).scalars())
    db.execute(insert(IdeaRound.__table__), [dict(idea_id=i, round_id=round_.id, at=now) for i in ids])
    db.execute(insert(IdeaVersion.__table__), [dict(
        idea_id=i, number=1, title=r["title"], description=r["description"], category_name="自治项目",
        place_name="楼组", estimated_cost_fen=r["estimated_cost_fen"], photo_keys=[],
        round_id=round_.id, created_at=now, created_by=r["author_id"], author_is_moderator=False)
        for i, r in zip(ids, rows, strict=True)])
    db.execute(insert(TimelineEntry.__table__), [dict(
        idea_id=i, at=now, actor_id=None, actor_role="author", action="submitted",
        round_id=round_.id, note=None, details={}) for i in ids])
    db.execute(insert(IdeaPhoto.__table__), [dict(idea_id=i, key=photo, position=0, width=640,
                                                  height=480) for i in ids[::2]])


def build_database(directory: Path) -> tuple[str, int, int, int]:
    """A sub-district, one consultation with BIG ideas and one with SMALL; returns their ids."""
    from consult import clock
    from consult.communities import services as places
    from consult.config import Settings
    from consult.consultations import services
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.demo import load as load_demo

    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    media = directory / "media"
    settings = Settings.from_env(database_url=url, secret_key="bench-secret", media_dir=media)
    rng = random.Random(3)
    with Database(engine).session(write=True) as db:
        load_demo(db, settings)
        root = places.root(db)
        admin = places.actor_for(db, db.exec(_user("13800000001")).one())
        area = places.places_of_kind(db, "area", root)[0]
        groups = places.places_of_kind(db, "building_group", root)
        authors = list(db.exec(_residents()).all())
        photo = _photo_key(media)
        now = clock.utcnow()
        ids = []
        for count in (BIG, SMALL):
            consultation = services.create_consultation(
                db, admin, scope_place_id=root.id if count == BIG else area.id,
                title=f"基准测试 {count}", year="2026")
            round_ = services.add_round(db, admin, consultation, kind="collect",
                                        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30))
            in_scope = groups if count == BIG else [g for g in groups if g.path.startswith(area.path)]
            _fill(db, consultation, round_, services.categories_of(db, consultation.id), in_scope,
                  authors, count, photo, rng)
            ids.append(consultation.id)
        db.commit()
        from sqlmodel import select

        from consult.consultations.models import Idea
        idea_id = db.exec(select(Idea.id).where(Idea.consultation_id == ids[0])
                          .order_by(Idea.id.desc())).first()
    engine.dispose()
    return url, ids[0], ids[1], idea_id


def _user(login: str):
    from sqlmodel import select

    from consult.accounts.models import User

    return select(User).where(User.login == login)


def _residents():
    from sqlmodel import select

    from consult.accounts.models import User
    from consult.communities.models import RoleAssignment

    return select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == "resident")


def in_process_figures(url: str, big: int, small: int, idea_id: int, media: Path) -> None:
    from starlette.testclient import TestClient

    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.web.app import create_app

    engine = make_engine(url)
    settings = Settings.from_env(database_url=url, secret_key="bench-secret", media_dir=media,
                                 allowed_hosts=("testserver",))
    app = create_app(settings, Database(engine))
    with TestClient(app) as client:
        big_page, small_page = f"/consultations/{big}/ideas", f"/consultations/{small}/ideas"
        page = client.get(big_page)
        shown = page.text.count('class="idea-item"')
        assert shown == 20, shown
        report("ideas_list_weight", compressed_weight(client, big_page), "bytes")
        report("idea_page_weight", compressed_weight(client, f"/ideas/{idea_id}"), "bytes")
        # Statements of a list rendered afresh (the page cache emptied first: a cached
        # list costs one statement whatever its length, which would prove nothing).
        counts, cached = {}, {}
        for name, path in (("big", big_page), ("small", small_page)):
            client.get(path)
            app.state.ideas_list_cache.clear()
            with count_statements(engine) as statements:
                assert client.get(path).status_code == 200
            counts[name] = len(statements)
            with count_statements(engine) as statements:
                assert client.get(path).status_code == 200
            cached[name] = len(statements)
        report("ideas_list_queries", counts["big"], "statements")
        report("ideas_list_queries_cached", cached["big"], "statements")
        report("ideas_list_queries_growth", counts["big"] - counts["small"], "statements")
    for name, fresh in (("ideas_list_uncached_ms", True), ("ideas_list_cached_ms", False)):
        report(name, _app_ms(app, big_page, "sort=supported&page=7", fresh=fresh), "ms")
    engine.dispose()


def _app_ms(app, path: str, query: str, *, fresh: bool, n: int = 300) -> float:
    """Milliseconds of app time per list request, called in process (best of three
    rounds), rendered afresh each time or served from the page cache. For comparing
    versions on one machine; the speed figure that counts is the ratio against bare
    Starlette below."""
    import asyncio
    import time

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "headers": [(b"host", b"testserver")],
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1),
             "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"}}
    statuses = set()

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    async def rounds() -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                if fresh:
                    app.state.ideas_list_cache.clear()
                await app(dict(scope), receive, send)
            best = min(best, (time.perf_counter() - start) * 1000 / n)
        return best

    best = asyncio.run(rounds())
    assert statuses == {200}, statuses
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url, big, small, idea_id = build_database(directory)
        in_process_figures(url, big, small, idea_id, directory / "media")
        path = f"/consultations/{big}/ideas?sort=supported&page=7"
        with app_server(url, CONSULT_MEDIA_DIR=str(directory / "media")) as base:
            result = paired_get(base + path)
        report_paired("ideas_list", result)


if __name__ == "__main__":
    main()
