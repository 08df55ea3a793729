"""Screenshots of the pages of issue 16's journeys, for anyone to look at.

    python -m tests.browser.screenshots [OUT_DIR]      (default: test-artifacts/screenshots)

Starts the app on a fresh demo database (as the browser tests do), then saves full-page
PNGs at 360 px (and 320 px) in Debian's Chromium: what a visitor, a resident waiting for
verification (孙丽), a verified resident (刘秀英) and the 恒丰 moderator (李娟) see, in
normal and elder mode. Needs Chromium and Playwright, like tests/browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlmodel import select

from consult.config import Settings
from consult.consultations.models import Idea, Round
from consult.db.engine import Database, make_engine
from consult.db.migrate import upgrade
from tests.browser.conftest import SECRET_KEY, _free_port, _wait_until_up
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, MODERATOR, RESIDENT, sign_in
from tests.conftest import FAST_ARGON2, ROOT

PENDING = "13800000009"  # 孙丽: registered, her verification request waits (the demo)
WIDTHS = (360, 320)


def _serve(var: Path) -> tuple[subprocess.Popen, str, Database]:
    from consult.demo import load

    url = f"sqlite:///{var / 'shots.db'}"
    upgrade(url)
    database = Database(make_engine(url))
    with database.session(write=True) as db:
        load(db, Settings(database_url=url, secret_key=SECRET_KEY, argon2=FAST_ARGON2,
                          media_dir=var / "media"))
        db.commit()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CONSULT_DATABASE_URL": url, "CONSULT_SECRET_KEY": SECRET_KEY,
           "CONSULT_ALLOWED_HOSTS": "127.0.0.1", "CONSULT_BASE_URL": base,
           "CONSULT_VAR_DIR": str(var), "CONSULT_MEDIA_DIR": str(var / "media")}
    log = var / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    _wait_until_up(base + "/", proc, log)
    return proc, base, database


def _pages(database: Database) -> dict[str, str]:
    """The paths to photograph: an idea in an open round and an open vote round of the demo."""
    with database.session() as db:
        vote = db.exec(select(Round).where(Round.kind == "vote").order_by(Round.id)).first()
        idea = db.exec(select(Idea).where(Idea.state.in_(("submitted", "shortlisted")))
                       .order_by(Idea.id)).first()
    pages = {"home": "/", "consultations": "/consultations", "surveys": "/surveys"}
    if idea is not None:
        pages["idea"] = f"/ideas/{idea.id}"
    if vote is not None:
        pages["ballot"] = f"/rounds/{vote.id}/vote"
        pages["manage-refused"] = f"/rounds/{vote.id}/vote/manage"
    return pages


def _staff_pages(database: Database) -> dict[str, str]:
    """The staff pages of issue 16 items 12-16: the review queue, paper entry, turnout, the
    audit log, and for a vote with a published result its printable notice."""
    from consult.voting.models import VoteResult

    with database.session() as db:
        vote = db.exec(select(Round).where(Round.kind == "vote").order_by(Round.id)).first()
        published = db.exec(select(VoteResult).order_by(VoteResult.round_id)).first()
    pages = {"audit-log": "/staff/audit"}
    if vote is not None:
        pages |= {"review-queue": f"/consultations/{vote.consultation_id}/review",
                  "paper-entry": f"/rounds/{vote.id}/paper", "turnout": f"/rounds/{vote.id}/turnout",
                  "vote-manage": f"/rounds/{vote.id}/vote/manage"}
    if published is not None:
        pages |= {"results": f"/rounds/{published.round_id}/results",
                  "results-notice": f"/rounds/{published.round_id}/results/notice"}
    return pages


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    out = Path(argv[0] if argv else ROOT / "test-artifacts" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    people = {"visitor": None, "pending": PENDING, "resident": RESIDENT, "moderator": MODERATOR}
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, database = _serve(Path(tmp))
        try:
            pages = _pages(database)
            pages_of = {"moderator": {**pages, "staff-desk": "/staff", **_staff_pages(database)}}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for who, login in people.items():
                    for elder in (False, True):
                        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 740},
                                                      locale="zh-CN")
                        page = context.new_page()
                        if login:
                            sign_in(page, base, login)
                        if elder:
                            page.goto(base + "/")
                            page.click("footer button[name=elder]")
                        for name, path in pages_of.get(who, pages).items():
                            page.goto(base + path)
                            for width in WIDTHS:
                                page.set_viewport_size({"width": width, "height": 740})
                                shot = out / f"{who}-{'elder-' if elder else ''}{name}-{width}.png"
                                page.screenshot(path=str(shot), full_page=True)
                                print(shot)
                        context.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            database.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
