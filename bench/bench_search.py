"""Search figures: the idea list searched by title and description at 10,000 ideas.

    python -m bench.bench_search

Prints ``ideas_search_ms`` (milliseconds for one search through the service, in
process, best of three rounds, for a two-character Chinese query that matches a few
ideas; target < 50: under three characters a search reads the list's ideas, see
``consult/db/search.py``), ``ideas_search_trigram_ms`` (a three-character query, found
through the index), ``ideas_search_common_ms`` and ``ideas_search_common_trigram_ms``
(queries matching every idea, by a scan and through the index: the worst cases for
ranking) and ``ideas_search_queries`` (SQL statements of one search page rendered
afresh; target: as many as the plain list).
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_consultations import _fill, _photo_key, _residents, _user
from bench.common import report
from tests.statements import count_statements

IDEAS = 10_000


def build(directory: Path) -> tuple[str, int]:
    from sqlalchemy import update

    from consult import clock
    from consult.communities import services as places
    from consult.config import Settings
    from consult.consultations import services
    from consult.consultations.models import Idea
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.demo import load as load_demo

    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    settings = Settings.from_env(database_url=url, secret_key="bench-secret",
                                 media_dir=directory / "media")
    with Database(engine).session(write=True) as db:
        load_demo(db, settings)
        root = places.root(db)
        admin = places.actor_for(db, db.exec(_user("13800000001")).one())
        now = clock.utcnow()
        consultation = services.create_consultation(db, admin, scope_place_id=root.id,
                                                    title="搜索基准", year="2026")
        round_ = services.add_round(db, admin, consultation, kind="collect",
                                    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30))
        _fill(db, consultation, round_, services.categories_of(db, consultation.id),
              places.places_of_kind(db, "building_group", root), list(db.exec(_residents()).all()),
              IDEAS, _photo_key(directory / "media"), random.Random(5))
        ids = db.exec(Idea.__table__.select().with_only_columns(Idea.id)
                      .where(Idea.consultation_id == consultation.id)).scalars().all()
        for number, idea_id in enumerate(ids[::1000]):  # ten ideas about charging
            db.execute(update(Idea).where(Idea.id == idea_id).values(title=f"电动车充电棚{number}"))
        db.commit()
        cid = consultation.id
    engine.dispose()
    return url, cid


def best_ms(run, n: int = 20) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            run()
        best = min(best, (time.perf_counter() - start) * 1000 / n)
    return round(best, 2)


def main() -> None:
    from starlette.testclient import TestClient

    from consult.config import Settings
    from consult.consultations import services
    from consult.db import Database, make_engine
    from consult.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url, cid = build(Path(tmp))
        engine = make_engine(url)
        database = Database(engine)
        with database.session() as db:
            consultation = services.get_consultation(db, cid)
            found = services.list_ideas(db, consultation, query="充电")
            assert found.total == 10, found.total
            report("ideas_search_ms", best_ms(
                lambda: services.list_ideas(db, consultation, query="充电")), "ms")
            report("ideas_search_trigram_ms", best_ms(
                lambda: services.list_ideas(db, consultation, query="充电棚")), "ms")
            report("ideas_search_common_ms", best_ms(
                lambda: services.list_ideas(db, consultation, query="楼道", sort="supported")), "ms")
            report("ideas_search_common_trigram_ms", best_ms(
                lambda: services.list_ideas(db, consultation, query="楼道声控", sort="supported")), "ms")
        settings = Settings.from_env(database_url=url, secret_key="bench-secret",
                                     media_dir=Path(tmp) / "media", allowed_hosts=("testserver",))
        app = create_app(settings, database)
        with TestClient(app) as client:
            path = f"/consultations/{cid}/ideas"
            client.get(path, params={"q": "充电"})
            app.state.ideas_list_cache.clear()
            with count_statements(engine) as statements:
                assert client.get(path, params={"q": "充电"}).status_code == 200
            report("ideas_search_queries", len(statements), "statements")
        engine.dispose()


if __name__ == "__main__":
    main()
