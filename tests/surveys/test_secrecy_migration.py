"""Migration surveys_0003: "has answered" rows stored the old way (``user_id`` / ``home_id``,
sequential ids) become marks keyed with the app's ballot key, responses and answers get
random ids, closed anonymous surveys count as mixed; and back.

It runs on a database of its own (the ``url`` fixture of the ballots' migration test): a
SQLite file, or a schema of its own on the PostgreSQL server the suite is given.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from consult.communities import services as places
from consult.db.engine import make_engine
from consult.db.migrate import alembic_config, upgrade
from consult.surveys import secrecy
from consult.surveys.models import Answer, Answered, Response, Survey
from consult.surveys.rules import QuestionDraft
from tests import factories
from tests.surveys.builders import person, survey
from tests.voting.test_secrecy_migration import url  # noqa: F401  (the fixture)

BEFORE = "surveys_0002_version"
_OLD_ANSWERED = sa.table("survey_answered", *(sa.column(c) for c in ("id", "survey_id", "user_id", "home_id")))
_OLD_RESPONSE = sa.table("survey_response", *(sa.column(c) for c in (
    "id", "survey_id", "user_id", "home_id", "building_group_id", "channel", "created_at")))
_OLD_ANSWER = sa.table("survey_answer", *(sa.column(c) for c in ("id", "response_id", "question_id", "value")))


def test_old_answers_are_re_keyed_and_back(url, settings):  # noqa: F811
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    stars = [QuestionDraft(kind="stars", text="打星")]
    with Session(engine) as db:  # surveys and people, as the app makes them
        tree = factories.place_tree(db)
        staff = person(db, settings, "moderator", tree["area_a"])[1]
        voters = [factories.user(db, settings, name=n) for n in ("甲", "乙")]
        owner = factories.user(db, settings, name="丙")
        home = places.add_home(db, estate=tree["estate_a"], building_group=tree["group_a"], code="1-101",
                               building="1", room="101", area_hundredths=100, owners=["丙"])
        closed = survey(db, staff, tree["estate_a"], anonymous=True, drafts=stars,
                        opens=now - timedelta(days=9), closes=now - timedelta(days=2))
        still_open = survey(db, staff, tree["estate_a"], anonymous=True, drafts=stars,
                            opens=now - timedelta(days=1), closes=now + timedelta(days=5))
        named = survey(db, staff, tree["estate_a"], audience="owners", drafts=stars,
                       opens=now - timedelta(days=1), closes=now + timedelta(days=5))
        db.commit()
        ids = {"closed": closed.survey.id, "open": still_open.survey.id, "named": named.survey.id,
               "voters": [v.id for v in voters], "owner": owner.id, "home": home.id, "group": tree["group_a"].id,
               "q": {k: f.questions[0].id for k, f in (("closed", closed), ("open", still_open), ("named", named))}}
    engine.dispose()
    command.downgrade(alembic_config(url), BEFORE)  # the answer tables as they were

    at = datetime(2026, 11, 30, 18, 30, 12, tzinfo=UTC)
    marks = [(ids["closed"], ids["voters"][0], None), (ids["closed"], ids["voters"][1], None),
             (ids["open"], ids["voters"][0], None), (ids["named"], None, ids["home"])]
    responses = [(ids["closed"], None, None, None, None, 5), (ids["closed"], None, None, None, None, 3),
                 (ids["open"], None, None, None, None, 4),
                 (ids["named"], ids["owner"], ids["home"], ids["group"], at, 2)]
    key = {"closed": ids["closed"], "open": ids["open"], "named": ids["named"]}
    question = {sid: ids["q"][name] for name, sid in key.items()}
    engine = make_engine(url)
    with engine.begin() as conn:
        for n, (sid, user_id, home_id) in enumerate(marks, start=1):
            conn.execute(_OLD_ANSWERED.insert().values(id=n, survey_id=sid, user_id=user_id, home_id=home_id))
        for n, (sid, user_id, home_id, group, created, value) in enumerate(responses, start=1):
            conn.execute(_OLD_RESPONSE.insert().values(id=n, survey_id=sid, user_id=user_id, home_id=home_id,
                                                       building_group_id=group, channel="web", created_at=created))
            conn.execute(_OLD_ANSWER.insert().values(id=n, response_id=n, question_id=question[sid], value=value))
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        stored = {(m.survey_id, m.answer_key) for m in db.exec(select(Answered)).all()}
        assert stored == {(ids["closed"], secrecy.answer_key(ids["closed"], "user", v)) for v in ids["voters"]} | {
            (ids["open"], secrecy.answer_key(ids["open"], "user", ids["voters"][0])),
            (ids["named"], secrecy.answer_key(ids["named"], "home", ids["home"]))}
        assert secrecy.has_answered(db, ids["open"], "user", ids["voters"][0])
        assert not secrecy.has_answered(db, ids["open"], "user", ids["voters"][1])
        rows = db.exec(select(Response, Answer.value).join(Answer, Answer.response_id == Response.id)).all()
        assert sorted((r.survey_id, value) for r, value in rows) == sorted((r[0], r[5]) for r in responses)
        for response, _ in rows:
            assert response.id > 4  # new, random ids
            if response.survey_id == ids["named"]:
                assert (response.user_id, response.home_id, response.created_at) == (ids["owner"], ids["home"], at)
            else:
                assert (response.user_id, response.home_id, response.created_at) == (None, None, None)
        assert {s.id: s.answers_mixed for s in db.exec(select(Survey)).all()} == {
            ids["closed"]: True, ids["open"]: False, ids["named"]: False}
    engine.dispose()

    command.downgrade(alembic_config(url), BEFORE)
    engine = make_engine(url)
    with engine.connect() as conn:
        back = conn.execute(sa.select(_OLD_ANSWERED.c.survey_id, _OLD_ANSWERED.c.user_id,
                                      _OLD_ANSWERED.c.home_id)).all()
        answers = conn.execute(sa.select(_OLD_RESPONSE.c.id, _OLD_RESPONSE.c.survey_id, _OLD_RESPONSE.c.user_id,
                                         _OLD_ANSWER.c.value)
                               .join(_OLD_ANSWER, _OLD_ANSWER.c.response_id == _OLD_RESPONSE.c.id)).all()
    engine.dispose()
    assert sorted(map(tuple, back), key=str) == sorted(marks, key=str)
    assert sorted((s, u, v) for _, s, u, v in answers) == sorted((r[0], r[1], r[5]) for r in responses)
    assert sorted(r[0] for r in answers) == [1, 2, 3, 4]  # sequential again
    upgrade(url)  # and forward once more, on the rows the downgrade wrote
    engine = make_engine(url)
    with Session(engine) as db:
        assert len(db.exec(select(Answered)).all()) == 4 and len(db.exec(select(Answer)).all()) == 4
    engine.dispose()
