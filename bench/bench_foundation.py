"""Foundation figures: home page speed against bare Starlette, page weight, SQL per page.

    python -m bench.bench_foundation

Prints ``home_vs_bare`` (target ≥ 0.25), ``home_weight`` (bytes, target ≤ 102400) and
``queries_<page>`` (SQL statements for one request of each foundation page, with the
public cache cold; the home page makes none while its cached overview is fresh).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from bench.common import (
    app_server,
    compressed_weight,
    paired_get,
    report,
    report_paired,
)
from tests.statements import count_statements


def build_database(directory: Path) -> str:
    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.demo import load as load_demo

    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Database(engine).session(write=True) as db:
        load_demo(db, Settings.from_env(database_url=url, secret_key="bench-secret"))
        db.commit()
    engine.dispose()
    return url


def in_process_figures(url: str) -> None:
    from starlette.testclient import TestClient

    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.web.app import create_app

    engine = make_engine(url)
    settings = Settings.from_env(database_url=url, secret_key="bench-secret",
                                 allowed_hosts=("testserver",))
    app = create_app(settings, Database(engine))
    with TestClient(app) as client:
        report("home_weight", compressed_weight(client, "/"), "bytes")
        area = re.search(r'href="(/places/\d+)"', client.get("/").text).group(1)
        pages = {"home": "/", "area": area, "login": "/login", "register": "/register"}
        for name, path in pages.items():
            client.get(path)
            app.state.public_cache.clear()  # count the statements of a cold cache
            with count_statements(engine) as statements:
                assert client.get(path).status_code == 200
            report(f"queries_{name}", len(statements), "statements")
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"csrf_token": token, "login": "13800000002",
                                    "password": "shimen-demo-2026"})
        for name, path in {"account": "/account", "notifications": "/notifications",
                           "verifications": "/staff/verifications"}.items():
            with count_statements(engine) as statements:
                assert client.get(path).status_code == 200
            report(f"queries_{name}", len(statements), "statements")
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = build_database(Path(tmp))
        in_process_figures(url)
        with app_server(url) as base:
            result = paired_get(base + "/", total=2000)
        report_paired("home", result)


if __name__ == "__main__":
    main()
