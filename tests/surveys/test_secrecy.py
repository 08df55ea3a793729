"""Anonymous surveys (issue 11, item 7): a dump of the database does not tell who answered what.

Two dozen residents answer an anonymous survey with known, distinct answers (given by a
random permutation, so the answers themselves follow none of the orders below), in an
order known to the test; one more form comes on paper. The whole database is then read
as an attacker with a dump would: every table, every column, rows in their physical
order (``SELECT *`` without ORDER BY) and ordered by every column. No join and no
ordering lines a resident up with their response; no anonymous row holds a time; the
"has answered" marks name nobody without the ballot key. With the key the app still
knows who has answered. The API gives out no response id, exports are shuffled.

While the survey is open PostgreSQL keeps the rows in the order they were written (the
README says so); once it has closed they are written again in random order, and from
then on no ordering at all lines anyone up.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select
from sqlmodel import select as sql_select

from consult.communities import services as communities
from consult.secrecy import hmac_hex
from consult.surveys import exports, rules, secrecy, services
from consult.surveys.models import Answer, Answered, Response, Survey
from consult.surveys.rules import QuestionDraft
from tests import factories
from tests.surveys.builders import CLOSES, NOW, OPENS, person, survey
from tests.voting.test_secrecy import _dump, _orderings

PEOPLE = 24
#: chance alone aligns about one person with their response; the old schema aligned all 24
MOST_ALIGNED_BY_CHANCE = 10
TABLES = ("survey_response", "survey_answer", "survey_answered")
QUESTIONS = [
    QuestionDraft(kind="satisfaction", text="总体满意度"),
    QuestionDraft(kind="single", text="最关心", options=("停车", "绿化", "安全")),
    QuestionDraft(kind="number", text="居住年数", min_value=0, max_value=100),
    QuestionDraft(kind="text", text="意见", required=False),
]


def _raw(form, value: int) -> dict[str, list[str]]:
    q = {x.kind: x for x in form.questions}
    return {f"q{q['satisfaction'].id}": [str(1 + value % 5)],
            f"q{q['single'].id}": [str(form.options[q["single"].id][value % 3].id)],
            f"q{q['number'].id}": [str(value)], f"q{q['text'].id}": [f"意见{value:02d}"]}


@pytest.fixture
def answered(db, settings):
    """24 residents answer an anonymous survey of 恒丰小区, in an order that is neither their
    ids', names' nor phones'; resident ``n`` answers ``values[n]``; one paper form."""
    tree = factories.place_tree(db)
    staff = person(db, settings, "moderator", tree["area_a"], name="居委会")[1]
    form = survey(db, staff, tree["estate_a"], anonymous=True, drafts=QUESTIONS, title="匿名测评")
    people = []
    for n in range(PEOPLE):
        user = factories.user(db, settings, name=f"居民{(n * 7) % PEOPLE:02d}")
        communities.grant_role(db, user=user, role="resident", place=tree["area_a"])
        people.append(user)
    db.flush()
    rng = random.Random(7)
    values = list(range(PEOPLE))
    rng.shuffle(values)
    order = list(range(PEOPLE))
    rng.shuffle(order)
    for step, n in enumerate(order):
        user = people[n]
        services.submit(db, communities.actor_for(db, user), form, _raw(form, values[n]),
                        now=NOW + timedelta(minutes=step))
    services.enter_paper(db, staff, form, _raw(form, 90), serial="P-001", now=NOW)
    db.flush()
    return {"form": form, "people": people, "values": values, "order": [people[n].id for n in order],
            "staff": staff, "tree": tree}


def _true_response(db, a) -> dict[int, int]:
    """Whose is each web response (found through the known answers: the test knows them)."""
    number = next(q for q in a["form"].questions if q.kind == "number")
    by_value = dict(db.execute(select(Answer.value, Answer.response_id).where(Answer.question_id == number.id)).all())
    return {user.id: by_value[a["values"][n]] for n, user in enumerate(a["people"])}


def _check_no_ordering_lines_up(db, a, *, skip_physical_on_postgres: bool):
    people = a["people"]
    truth = _true_response(db, a)
    web = set(truth.values())
    known = {"user id": sorted(truth), "phone": [u.id for u in sorted(people, key=lambda u: u.login)],
             "name": [u.id for u in sorted(people, key=lambda u: u.display_name)], "answering order": a["order"]}
    postgres = db.connection().dialect.name == "postgresql"
    dump = _dump(db)
    for table in ("survey_response", "survey_answer"):
        columns, rows = dump[table]
        at = columns.index("id" if table == "survey_response" else "response_id")
        rows = [r for r in rows if r[at] in web]
        for how, ordered, total in _orderings(columns, rows):
            sequence = list(dict.fromkeys(r[at] for r in ordered))
            assert len(sequence) == PEOPLE
            for what, ids in known.items():
                if skip_physical_on_postgres and postgres and not total and what == "answering order":
                    continue  # PostgreSQL keeps rows in the order written, until the close
                aligned = sum(rid == truth[uid] for rid, uid in zip(sequence, ids, strict=True))
                assert aligned <= MOST_ALIGNED_BY_CHANCE, f"{table} by {how} lines up with people by {what}"


def test_a_dump_lines_up_nobody_with_their_answers(db, answered):
    a = answered
    sid = a["form"].survey.id
    dump = _dump(db)

    # 1. The mark names nobody: the survey and an HMAC, nothing else, no reference to a
    # person, a home or a response.
    columns, marks = dump["survey_answered"]
    assert set(columns) == {"survey_id", "answer_key"}
    assert [fk["referred_table"] for fk in inspect(db.connection()).get_foreign_keys("survey_answered")] == ["survey"]
    assert len([m for m in marks if m[columns.index("survey_id")] == sid]) == PEOPLE
    keys = {m[columns.index("answer_key")] for m in marks}
    # with the app's ballot key each person's mark is found ...
    assert keys == {secrecy.answer_key(sid, "user", u.id) for u in a["people"]}
    for wrong in (b"", b"guess", b"test-secret-key-not-for-production"):  # ... not without it
        assert not keys & {rules.answer_key(wrong, sid, "user", u.id) for u in a["people"]}
        assert not keys & {hmac_hex(wrong, str(u.id)) for u in a["people"]}

    # 2. An anonymous response holds no person, home, building group or time; nothing
    # written with it is a time; the paper form holds only its keyer and serial.
    columns, rows = dump["survey_response"]
    mine = [dict(zip(columns, r, strict=True)) for r in rows if r[columns.index("survey_id")] == sid]
    assert len(mine) == PEOPLE + 1
    for r in mine:
        assert (r["user_id"], r["home_id"], r["building_group_id"], r["created_at"]) == (None, None, None, None)
        assert r["entered_by"] is None if r["channel"] == "web" else r["paper_serial"] == "P-001"
    for table in TABLES:
        table_columns, table_rows = dump[table]
        times = [c["name"] for c in inspect(db.connection()).get_columns(table)
                 if "TIME" in str(c["type"]).upper() or "DATE" in str(c["type"]).upper()]
        assert times == (["created_at"] if table == "survey_response" else []), table
        for name in times:
            assert all(r[table_columns.index(name)] is None for r in table_rows), (table, name)

    # 3. Nothing outside the survey tables holds a response id, an answer id or a mark.
    answer_columns, answer_rows = dump["survey_answer"]
    identifiers = {str(r["id"]) for r in mine} | {str(k) for k in keys} | {
        str(r[answer_columns.index("id")]) for r in answer_rows}
    for table, (_, table_rows) in dump.items():
        if table in TABLES:
            continue
        leaked = {str(v) for r in table_rows for v in r} & identifiers
        assert not leaked, f"{table} holds identifiers of anonymous answers"

    # 4. No ordering of responses or answers lines people up with their responses, against
    # the orders an attacker may know of people: sign-up (user ids), phone, name, and the
    # order they answered in (except PostgreSQL's physical order while the survey is open).
    _check_no_ordering_lines_up(db, a, skip_physical_on_postgres=True)

    # 5. The answers are all there for the results and the export.
    number = next(q for q in a["form"].questions if q.kind == "number")
    stored = sorted(db.execute(select(Answer.value).where(Answer.question_id == number.id)).scalars())
    assert stored == sorted([*a["values"], 90])


def test_ids_are_random_and_say_nothing_of_the_order(db, answered):
    ids = sorted(db.execute(select(Response.id).where(Response.survey_id == answered["form"].survey.id)).scalars())
    answer_ids = sorted(db.execute(select(Answer.id)).scalars())
    for found in (ids, answer_ids):
        assert found[0] > 2**40  # not 1, 2, 3…: random 63-bit numbers
        assert max(b - a for a, b in zip(found, found[1:], strict=False)) > 2**40


def test_answering_writes_the_response_and_the_mark_only(db, settings, answered):
    """No audit entry, notification or other row is written with an answer."""
    _, actor = person(db, settings, "resident", answered["tree"]["area_a"])
    before = {t: sorted(map(repr, rows)) for t, (_, rows) in _dump(db).items()}
    services.submit(db, actor, answered["form"], _raw(answered["form"], 50), now=NOW + timedelta(hours=2))
    db.flush()
    after = {t: sorted(map(repr, rows)) for t, (_, rows) in _dump(db).items()}
    assert {t for t in after if after[t] != before.get(t)} == {"survey", *TABLES}
    survey_row = db.get(Survey, answered["form"].survey.id)
    assert survey_row.version > 0  # the results cache key: a counter, no time, no person


def test_with_the_key_a_person_is_known_to_have_answered(db, answered):
    form = services.load_form(db, answered["form"].survey.id)
    for user in answered["people"][:3]:
        actor = communities.actor_for(db, user)
        verdict = services.eligibility(db, actor, form, NOW)
        assert verdict.already and not verdict.may_answer
        assert services.answered_ids(db, user.id, [form.survey.id]) == {form.survey.id}
        from consult.errors import Conflict

        with pytest.raises(Conflict) as refused:
            services.submit(db, actor, form, _raw(form, 1), now=NOW)
        assert refused.value.code == "already_answered"


def test_marks_differ_by_survey_by_kind_and_by_key(settings):
    key = settings.ballot_secret
    assert rules.answer_key(key, 1, "user", 5) != rules.answer_key(key, 2, "user", 5)
    assert rules.answer_key(key, 1, "user", 5) != rules.answer_key(key, 1, "home", 5)
    assert rules.answer_key(b"another key", 1, "user", 5) != rules.answer_key(key, 1, "user", 5)
    from consult.voting.rules import voter_key

    assert rules.answer_key(key, 1, "user", 5) != voter_key(key, 1, "user", 5)  # not a ballot's key
    assert len(rules.answer_key(key, 1, "user", 5)) == 40
    with pytest.raises(ValueError):
        rules.answer_key(key, 1, "paper", 5)


def test_the_results_show_no_latest_texts(db, answered):
    result = services.results(db, answered["form"], NOW)
    texts = next(r for r in result.questions if r.question.kind == "text").texts
    by_user = {u.id: f"意见{answered['values'][n]:02d}" for n, u in enumerate(answered["people"])}
    latest = [by_user[uid] for uid in reversed(answered["order"])][:len(texts)]
    assert len(texts) == services.TEXT_SAMPLE and texts != latest


def test_exports_are_shuffled_and_name_nobody(db, answered):
    from consult.i18n import translator

    form = answered["form"]
    orders = [[r.id for r, _ in services.raw_responses(db, form)] for _ in range(5)]
    assert len({tuple(o) for o in orders}) > 1  # a new shuffle every time
    assert all(sorted(o) == sorted(orders[0]) for o in orders)
    truth = _true_response(db, answered)
    for order in orders:
        web = [rid for rid in order if rid in set(truth.values())]
        aligned = sum(rid == truth[uid] for rid, uid in zip(web, answered["order"], strict=True))
        assert aligned <= MOST_ALIGNED_BY_CHANCE
    t = translator("zh_Hans")
    book = exports.xlsx(services.results(db, form, NOW), services.raw_responses(db, form), form, t)
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(book))[t("Responses")[:31]]
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    for user in answered["people"]:
        assert user.login not in cells and user.display_name not in cells
    assert len(list(sheet.iter_rows())) == PEOPLE + 2  # a header, 24 web forms, one paper form


def test_after_the_close_the_rows_are_mixed(db, answered):
    form = answered["form"]
    sid = form.survey.id
    before_ids = set(db.execute(select(Response.id).where(Response.survey_id == sid)).scalars())
    figures = [(r.question.id, r.answered, [row.count for row in r.rows], r.mean)
               for r in services.results(db, form, NOW).questions]
    assert secrecy.mix_due(db, NOW) == []  # still open
    assert secrecy.mix_due(db, CLOSES) == [sid]
    assert secrecy.mix_due(db, CLOSES) == []  # once
    assert db.get(Survey, sid).answers_mixed
    after_ids = set(db.execute(select(Response.id).where(Response.survey_id == sid)).scalars())
    assert len(after_ids) == PEOPLE + 1 and not after_ids & before_ids  # new ids
    again = services.load_form(db, sid)
    assert [(r.question.id, r.answered, [row.count for row in r.rows], r.mean)
            for r in services.results(db, again, CLOSES).questions] == figures
    for user in answered["people"]:  # the marks still work
        assert services.eligibility(db, communities.actor_for(db, user), again, OPENS).already
    # no ordering at all lines anyone up now, PostgreSQL's physical order included
    _check_no_ordering_lines_up(db, answered, skip_physical_on_postgres=False)
    paper = db.exec(sql_select(Response).where(Response.survey_id == sid, Response.channel == "paper")).one()
    assert paper.paper_serial == "P-001" and paper.created_at is None
    assert db.exec(sql_select(Answered).where(Answered.survey_id == sid)).all()


def test_closing_early_mixes_at_once(db, answered):
    s = answered["form"].survey
    services.update_survey(db, answered["staff"], s, title=s.title, description=s.description,
                           audience=s.audience, anonymous=True, opens_at=s.opens_at, closes_at=NOW, now=NOW)
    assert services.survey_state(s, NOW) == "closed" and db.get(Survey, s.id).answers_mixed
    _check_no_ordering_lines_up(db, answered, skip_physical_on_postgres=False)


def test_named_surveys_are_not_mixed(db, settings):
    tree = factories.place_tree(db)
    staff = person(db, settings, "moderator", tree["area_a"])[1]
    form = survey(db, staff, tree["estate_a"], drafts=QUESTIONS, opens=NOW - timedelta(days=2),
                  closes=NOW - timedelta(days=1))
    assert secrecy.mix_due(db, NOW) == [] and not secrecy.mix_answers(db, form.survey.id)


def test_the_api_gives_no_response_id_for_anonymous_answers(client, db, settings):
    from consult import clock
    from consult.accounts import services as accounts

    tree = factories.place_tree(db)
    staff_user, staff = person(db, settings, "moderator", tree["area_a"])
    now = clock.utcnow()
    ids = {}
    for anonymous in (True, False):
        form = survey(db, staff, tree["estate_a"], anonymous=anonymous, drafts=QUESTIONS,
                      opens=now - timedelta(days=1), closes=now + timedelta(days=3))
        user, _ = person(db, settings, "resident", tree["area_a"])
        for who, path, body in ((user, "responses", {}), (staff_user, "paper", {"serial": "P-7"})):
            headers = {"authorization": f"Bearer {accounts.issue_token(db, who)}"}
            db.flush()
            answers = {key[1:]: values[0] for key, values in _raw(form, 3).items()}
            created = client.post(f"/api/v1/surveys/{form.survey.id}/{path}", headers=headers,
                                  json={"answers": answers, **body})
            assert created.status_code == 201, created.text
            ids[(anonymous, path)] = created.json()["id"]
    assert ids[(True, "responses")] is None and ids[(True, "paper")] is None
    assert isinstance(ids[(False, "responses")], int) and isinstance(ids[(False, "paper")], int)
