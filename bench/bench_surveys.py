"""Survey figures: the weight of a long form on a phone, and the results page at scale.

    python -m bench.bench_surveys

``survey_page_weight``: gzip size of the answer page of a 20-question survey (as a
signed-in resident sees it, with the form) plus the CSS and JS it links; target ≤ 102400.

``survey_results_queries_growth``: SQL statements of the results page at 5,000
responses minus at 50, each counted on a cold cache (in process, TestClient); target 0.

``survey_results_vs_bare``: requests per second of the results page of a survey with
5,000 responses (served by uvicorn, one worker, SQLite) divided by the bare Starlette
app's in the same run, same load generator; target ≥ 0.10.

Every figure is printed, on target or not; a line ``# off target: …`` says which missed.
"""

from __future__ import annotations

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

QUESTIONS = 20
LARGE, SMALL = 5000, 50
PASSWORD = "bench-password-2026"


def questions():
    from consult.surveys.rules import QuestionDraft

    kinds = []
    for i in range(QUESTIONS):
        kind = ("satisfaction", "stars", "single", "multiple", "satisfaction", "number", "stars", "text")[i % 8]
        text = f"第{i + 1}题：您对小区公共事务第{i + 1}项工作的看法如何？请根据实际感受回答。"
        if kind == "single":
            kinds.append(QuestionDraft(kind=kind, text=text, options=("经常", "有时", "很少", "从不")))
        elif kind == "multiple":
            kinds.append(QuestionDraft(kind=kind, text=text, max_choices=2,
                                       options=("停车", "绿化", "安全", "卫生", "电梯")))
        elif kind == "number":
            kinds.append(QuestionDraft(kind=kind, text=text, min_value=0, max_value=100, required=False))
        elif kind == "text":
            kinds.append(QuestionDraft(kind=kind, text=text, max_length=300, required=False))
        else:
            kinds.append(QuestionDraft(kind=kind, text=text))
    return kinds


def fill(db, form, count: int, seed: int) -> None:
    """``count`` paper-like responses inserted in bulk (the answers a real form would hold)."""
    from sqlalchemy import insert, select

    from consult.surveys.models import Answer, Response

    rng = random.Random(seed)
    db.execute(insert(Response), [{"survey_id": form.survey.id, "channel": "paper",
                                   "paper_serial": f"B{n:06d}"} for n in range(count)])
    ids = db.execute(select(Response.id).where(Response.survey_id == form.survey.id)).scalars().all()
    rows = []
    for rid in ids:
        for q in form.questions:
            options = [o.id for o in form.options.get(q.id, [])]
            if q.kind in ("satisfaction", "stars"):
                rows.append({"response_id": rid, "question_id": q.id, "value": rng.randint(1, 5)})
            elif q.kind == "single":
                rows.append({"response_id": rid, "question_id": q.id, "option_id": rng.choice(options)})
            elif q.kind == "multiple":
                rows += [{"response_id": rid, "question_id": q.id, "option_id": o}
                         for o in rng.sample(options, 2)]
            elif q.kind == "number":
                rows.append({"response_id": rid, "question_id": q.id, "value": rng.randint(0, 100)})
            elif rng.random() < 0.2:
                rows.append({"response_id": rid, "question_id": q.id, "text": "希望楼道灯早点修好。"})
    for start in range(0, len(rows), 20000):
        db.execute(insert(Answer), rows[start:start + 20000])


def build(url: str, media: Path):
    """A database with an open 20-question survey and two closed ones (50 and 5,000 answers)."""
    from consult import clock
    from consult.accounts import services as accounts
    from consult.communities import services as places
    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.db.migrate import upgrade
    from consult.permissions import Actor
    from consult.surveys import services

    upgrade(url)
    engine = make_engine(url)
    database = Database(engine)
    settings = Settings(database_url=url, secret_key="bench-secret", base_url="http://testserver",
                        allowed_hosts=("testserver", "127.0.0.1"), media_dir=media)
    now = clock.utcnow()
    with database.session(write=True) as db:
        root = places.create_place(db, kind="subdistrict", name="石门二路街道")
        area = places.create_place(db, kind="area", name="恒丰", parent=root)
        estate = places.create_place(db, kind="estate", name="御品大厦", parent=area)
        staff = Actor(user_id=None, roles=frozenset({("admin", root.id)}))
        resident = accounts.create_user(db, settings, login="13912345678", display_name="刘秀英",
                                        password=PASSWORD)
        places.grant_role(db, user=resident, role="resident", place=area)
        ids = {}
        for label, opens, closes in (("open", now - timedelta(days=1), now + timedelta(days=30)),
                                     (SMALL, now - timedelta(days=30), now - timedelta(days=1)),
                                     (LARGE, now - timedelta(days=30), now - timedelta(days=1))):
            survey = services.create_survey(db, staff, place_id=estate.id, title="2026年度满意度测评表",
                                            description="请根据实际感受填写。", audience="residents",
                                            anonymous=True, opens_at=opens, closes_at=closes)
            for draft in questions():  # built before it opened
                services.add_question(db, staff, survey, draft, now=opens - timedelta(hours=1))
            ids[label] = survey.id
            if label != "open":
                fill(db, services.load_form(db, survey.id), label, seed=label)
        db.commit()
    return engine, database, settings, ids


def main() -> None:
    from starlette.testclient import TestClient

    from consult.surveys import services
    from consult.web.app import create_app
    from tests.factories import sign_in

    off = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = f"sqlite:///{directory / 'bench.db'}"
        engine, database, settings, ids = build(url, directory / "media")
        with TestClient(create_app(settings, database), base_url="http://testserver") as client:
            sign_in(client, "13912345678", PASSWORD)
            page = client.get(f"/surveys/{ids['open']}")
            assert page.context["eligibility"].may_answer and len(page.context["form"].questions) == QUESTIONS
            weight = compressed_weight(client, f"/surveys/{ids['open']}")
            counts = {}
            for size in (SMALL, LARGE):
                path = f"/surveys/{ids[size]}/results"
                assert client.get(path).status_code == 200
                services.clear_results_cache()
                with count_statements(engine) as statements:
                    assert client.get(path).status_code == 200
                counts[size] = len(statements)
        engine.dispose()
        report("survey_page_weight", weight, "bytes")
        if weight > 102400:
            off.append("survey_page_weight")
        report("survey_results_queries_50", counts[SMALL], "statements")
        report("survey_results_queries_5000", counts[LARGE], "statements")
        report("survey_results_queries_growth", counts[LARGE] - counts[SMALL], "statements")
        if counts[LARGE] != counts[SMALL]:
            off.append("survey_results_queries_growth")

        with app_server(url, CONSULT_MEDIA_DIR=str(directory / "media")) as base:
            result = paired_get(f"{base}/surveys/{ids[LARGE]}/results", total=2000)
        report_paired("survey_results", result)
        if result.ratio < 0.10:
            off.append("survey_results_vs_bare")
    if off:
        print("# off target: " + ", ".join(off), flush=True)


if __name__ == "__main__":
    main()
