"""Survey pages over HTTP: answering (stars, five levels), refusals, results, exports, staff pages."""

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.parsing import local_input
from consult.surveys.models import Question, Response
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.surveys.builders import good_answers, person, survey


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def staff(db, settings, tree):
    return person(db, settings, "moderator", tree["area_a"], name="居委会")


@pytest.fixture
def open_survey(db, staff, tree):
    now = clock.utcnow()
    return survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=1),
                  closes=now + timedelta(days=5))


def _responses(db, form):
    return db.exec(select(func.count()).select_from(Response)
                   .where(Response.survey_id == form.survey.id)).one()


def test_a_resident_sees_stars_and_the_five_levels(client, db, settings, tree, open_survey):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    page = client.get(f"/surveys/{open_survey.survey.id}")
    assert page.status_code == 200
    assert page.context["eligibility"].may_answer
    stars = next(q for q in open_survey.questions if q.kind == "stars")
    radios = re.findall(rf'<input type="radio" class="star-input" id="q{stars.id}-(\d)" name="q{stars.id}" value="(\d)"', page.text)
    assert sorted(v for _, v in radios) == ["1", "2", "3", "4", "5"]
    assert f'<label for="q{stars.id}-4" class="star">' in page.text
    assert "4 星" in page.text
    level = next(q for q in open_survey.questions if q.kind == "satisfaction")
    for value, text in (("5", "非常满意"), ("4", "满意"), ("3", "一般"), ("2", "不满意"), ("1", "非常不满意")):
        assert f'name="q{level.id}" value="{value}"> <span>{text}</span></label>' in page.text
    assert "1/6" in page.text and "6/6" in page.text  # progress without JavaScript
    assert 'src="/static/surveys.js' in page.text


def test_answering_stores_once_and_redirects(client, db, settings, tree, open_survey):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    url = f"/surveys/{open_survey.survey.id}"
    response = post_form(client, url, url, good_answers(open_survey))
    assert response.status_code == 303 and response.headers["location"] == url
    assert _responses(db, open_survey) == 1
    page = client.get(url)
    assert page.context["eligibility"].already
    assert 'name="csrf_token"' in page.text and "survey-form" not in page.text
    again = client.post(url, data={"csrf_token": page.context["csrf_token"], **good_answers(open_survey)})
    assert again.status_code == 409
    assert _responses(db, open_survey) == 1


@pytest.mark.parametrize("kind,value,message", [
    ("stars", "6", "请给 1 到 5 颗星"),
    ("stars", "0", "请给 1 到 5 颗星"),
    ("satisfaction", "", "请回答这个问题"),
    ("number", "101", "请输入 0 到 100 之间的数"),
])
def test_bad_answers_are_shown_and_nothing_is_stored(client, db, settings, tree, open_survey, kind,
                                                     value, message):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    q = next(q for q in open_survey.questions if q.kind == kind)
    url = f"/surveys/{open_survey.survey.id}"
    response = post_form(client, url, url, {**good_answers(open_survey), f"q{q.id}": value})
    assert response.status_code == 422
    assert set(response.context["errors"]) == {f"q{q.id}"}
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or f'id="e-q{q.id}"' in response.text
    assert _responses(db, open_survey) == 0


def test_too_many_choices(client, db, settings, tree, open_survey):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    q = next(q for q in open_survey.questions if q.kind == "multiple")
    url = f"/surveys/{open_survey.survey.id}"
    data = {**good_answers(open_survey), f"q{q.id}": [str(o.id) for o in open_survey.options[q.id][:3]]}
    response = post_form(client, url, url, data)
    assert response.status_code == 422 and f"q{q.id}" in response.context["errors"]
    assert _responses(db, open_survey) == 0


def test_outsiders_and_visitors_cannot_answer(client, db, settings, tree, open_survey):
    url = f"/surveys/{open_survey.survey.id}"
    page = client.get(url)
    assert page.status_code == 200 and not page.context["eligibility"].may_answer
    assert "survey-form" not in page.text
    outsider, _ = person(db, settings, "resident", tree["area_b"])
    factories.sign_in(client, outsider.login)
    response = post_form(client, url, url, good_answers(open_survey))
    assert response.status_code == 403
    assert "恒丰小区的认证居民" in response.text
    assert _responses(db, open_survey) == 0


def test_after_closing_answers_are_refused(client, db, settings, staff, tree):
    now = clock.utcnow()
    form = survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=9),
                  closes=now - timedelta(days=1))
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    url = f"/surveys/{form.survey.id}"
    response = post_form(client, url, url, good_answers(form))
    assert response.status_code == 409
    assert response.context["eligibility"].state == "closed"
    assert _responses(db, form) == 0


def test_results_page_has_svg_chart_and_text_alternative(client, db, settings, staff, tree, open_survey):
    for level in (5, 4, 2):
        _, resident = person(db, settings, "resident", tree["area_a"])
        from consult.surveys import services

        services.submit(db, resident, open_survey, good_answers(open_survey, level=level),
                        now=clock.utcnow())
    url = f"/surveys/{open_survey.survey.id}/results"
    resident_user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, resident_user.login)
    assert client.get(url).status_code == 403  # residents wait for the closing
    factories.sign_in(client, staff[0].login)
    page = client.get(url)
    assert page.status_code == 200
    result = page.context["result"]
    assert result.responses == 3
    sat = next(r for r in result.questions if r.question.kind == "satisfaction")
    assert page.context["percent"](sat.rate) == "66.7%"
    assert "66.7%" in page.text
    assert page.text.count("<svg") >= 3 and 'role="img"' in page.text
    assert '<th scope="row">非常满意</th><td class="num">1</td>' in page.text


def test_exports(client, db, settings, staff, tree, open_survey):
    from consult.surveys import services

    _, resident = person(db, settings, "resident", tree["area_a"])
    raw = good_answers(open_survey)
    text_q = next(q for q in open_survey.questions if q.kind == "text")
    raw[f"q{text_q.id}"] = ["=1+1 不是公式"]
    services.submit(db, resident, open_survey, raw, now=clock.utcnow())
    factories.sign_in(client, staff[0].login)
    base = f"/surveys/{open_survey.survey.id}/results"
    data = client.get(base + ".csv")
    assert data.status_code == 200 and data.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig"))))
    assert rows[0] == ["问卷", "满意度测评"]
    assert any(r[2:] == ["满意率", "1", "100.0%"] for r in rows if len(r) == 5)
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx").content))
    sheet = book.worksheets[1]
    values = [c.value for c in sheet[2]]
    assert "'=1+1 不是公式" in values and "非常满意" in values


def test_staff_build_a_survey(client, db, settings, staff, tree):
    factories.sign_in(client, staff[0].login)
    created = post_form(client, "/staff/surveys", "/staff/surveys", {
        "place_id": tree["estate_a"].id, "title": "绿化满意度", "description": "", "audience": "residents",
        "opens_at": "2026-12-01T08:00", "closes_at": "2026-12-10T20:00"})
    assert created.status_code == 303
    edit_url = created.headers["location"]
    survey_id = int(edit_url.rsplit("/", 1)[1])
    bad = post_form(client, edit_url, f"{edit_url}/questions", {"kind": "single", "text": "?", "options": "只有一个"})
    assert bad.status_code == 422 and "options" in bad.context["question_errors"]
    for kind, text in (("stars", "环境"), ("satisfaction", "总体")):
        ok = post_form(client, edit_url, f"{edit_url}/questions", {"kind": kind, "text": text, "required": "1"})
        assert ok.status_code == 303
    questions = db.exec(select(Question).where(Question.survey_id == survey_id)
                        .order_by(Question.position)).all()
    assert [q.text for q in questions] == ["环境", "总体"]
    moved = post_form(client, edit_url, f"{edit_url}/questions/{questions[1].id}/move", {"direction": "up"})
    assert moved.status_code == 303
    db.expire_all()
    assert [q.text for q in db.exec(select(Question).where(Question.survey_id == survey_id)
                                    .order_by(Question.position)).all()] == ["总体", "环境"]
    preview = client.get(f"{edit_url}/preview")
    assert preview.status_code == 200 and preview.context["preview"] is True


def test_bad_survey_settings_show_errors(client, db, settings, staff, tree):
    factories.sign_in(client, staff[0].login)
    response = post_form(client, "/staff/surveys", "/staff/surveys", {
        "place_id": tree["estate_a"].id, "title": "", "audience": "residents",
        "opens_at": "2026-12-10T08:00", "closes_at": "2026-12-01T08:00"})
    assert response.status_code == 422
    assert set(response.context["errors"]) == {"title", "closes_at"}


def test_residents_cannot_reach_staff_pages(client, db, settings, tree, open_survey):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    for path in (f"/staff/surveys/{open_survey.survey.id}", f"/staff/surveys/{open_survey.survey.id}/paper",
                 f"/surveys/{open_survey.survey.id}/results.csv"):
        assert client.get(path).status_code == 403, path


def test_staff_enter_a_paper_form(client, db, settings, staff, tree, open_survey):
    factories.sign_in(client, staff[0].login)
    url = f"/staff/surveys/{open_survey.survey.id}/paper"
    data = {**good_answers(open_survey), "serial": "No.0007", "building_group_id": tree["group_a"].id}
    response = post_form(client, url, url, data)
    assert response.status_code == 303
    again = post_form(client, url, url, data)
    assert again.status_code == 422 and "serial" in again.context["errors"]
    stored = db.exec(select(Response).where(Response.survey_id == open_survey.survey.id)).all()
    assert [(r.channel, r.paper_serial) for r in stored] == [("paper", "No.0007")]


def test_survey_list(client, db, settings, tree, open_survey):
    page = client.get("/surveys")
    assert page.status_code == 200
    assert [i["survey"].id for i in page.context["open"]] == [open_survey.survey.id]


# -- the results page keeps its figures per version of the survey -------------------------


def _figures(page) -> tuple[int, int, list[int]]:
    """(responses, of which on paper, answers per question) as the page shows them."""
    result = page.context["result"]
    return result.responses, result.paper, [r.answered for r in result.questions]


def test_results_show_an_answer_from_another_worker_at_once(client, db, settings, staff, tree,
                                                            open_survey):
    """Nothing in this process hears of an answer stored elsewhere: the page must notice it
    in the database (the survey's version), not serve its kept figures."""
    from consult.surveys import services

    factories.sign_in(client, staff[0].login)
    url = f"/surveys/{open_survey.survey.id}/results"
    assert _figures(client.get(url))[:2] == (0, 0)
    for level, expected in ((5, "100.0%"), (1, "50.0%")):
        _, resident = person(db, settings, "resident", tree["area_a"])
        services.submit(db, resident, open_survey, good_answers(open_survey, level=level),
                        now=clock.utcnow())
        page = client.get(url)
        sat = next(r for r in page.context["result"].questions if r.question.kind == "satisfaction")
        assert page.context["percent"](sat.rate) == expected
        assert f"满意率：<strong>{expected}</strong>" in page.text
    assert _figures(page)[:2] == (2, 0)


def test_results_show_an_answer_and_a_paper_form_entered_on_the_pages_at_once(
        client, app, db, settings, staff, tree, open_survey):
    from starlette.testclient import TestClient

    url = f"/surveys/{open_survey.survey.id}/results"
    factories.sign_in(client, staff[0].login)
    assert _figures(client.get(url))[:2] == (0, 0)
    resident, _ = person(db, settings, "resident", tree["area_a"])
    with TestClient(app, base_url="http://testserver") as phone:
        factories.sign_in(phone, resident.login)
        answer = f"/surveys/{open_survey.survey.id}"
        assert post_form(phone, answer, answer, good_answers(open_survey)).status_code == 303
    assert _figures(client.get(url))[:2] == (1, 0)
    paper = f"/staff/surveys/{open_survey.survey.id}/paper"
    assert post_form(client, paper, paper, {**good_answers(open_survey, level=2),
                                            "serial": "No.0001"}).status_code == 303
    page = client.get(url)
    responses, on_paper, answered = _figures(page)
    assert (responses, on_paper) == (2, 1)
    satisfaction = next(i for i, r in enumerate(page.context["result"].questions)
                        if r.question.kind == "satisfaction")
    assert answered[satisfaction] == 2
    assert '<th scope="row">不满意</th><td class="num">1</td>' in page.text


def test_results_follow_edits_of_the_questions_and_settings_at_once(client, db, settings, staff, tree):
    from consult.surveys import services

    now = clock.utcnow()  # a survey not open yet: its audience and anonymity may still change
    open_survey = survey(db, staff[1], tree["estate_a"], opens=now + timedelta(days=1),
                         closes=now + timedelta(days=5))
    factories.sign_in(client, staff[0].login)
    sid = open_survey.survey.id
    url, edit = f"/surveys/{sid}/results", f"/staff/surveys/{sid}"

    def texts():
        page = client.get(url)
        assert page.status_code == 200
        return [r.question.text for r in page.context["result"].questions], page

    person(db, settings, "resident", tree["area_a"])
    before, page = texts()
    assert before == [q.text for q in open_survey.questions]
    assert page.context["result"].audience == 1  # residents
    assert post_form(client, edit, f"{edit}/questions",
                     {"kind": "stars", "text": "物业服务", "required": "1"}).status_code == 303
    added, page = texts()
    assert added == [*before, "物业服务"] and "物业服务" in page.text
    new_id = next(r.question.id for r in page.context["result"].questions if r.question.text == "物业服务")
    assert post_form(client, edit, f"{edit}/questions/{new_id}/move", {"direction": "up"}).status_code == 303
    moved, _page = texts()
    assert moved == [*before[:-1], "物业服务", before[-1]]
    assert post_form(client, edit, f"{edit}/questions/{new_id}/delete", {}).status_code == 303
    assert texts()[0] == before
    s = open_survey.survey
    assert post_form(client, edit, edit, {
        "title": "年度满意度测评", "description": "", "audience": "owners", "anonymous": "1",
        "opens_at": local_input(s.opens_at), "closes_at": local_input(s.closes_at)}).status_code == 303
    page = texts()[1]
    assert page.context["result"].survey.title == "年度满意度测评" and "年度满意度测评" in page.text
    assert page.context["result"].survey.audience == "owners"
    db.expire_all()
    owners = services.load_form(db, sid)
    assert page.context["result"].audience == services.audience_size(db, owners.survey, owners.place) != 1
    assert page.context["result"].groups is None  # anonymous now: no breakdown by building group


def test_a_repeated_results_page_reads_no_answers(client, db, settings, staff, tree, open_survey, engine):
    """The kept figures are reused while the survey's version stays the same: the page then
    reads the survey and its place, and nothing of its questions or answers."""
    from consult.surveys import services
    from tests.statements import count_statements

    _, resident = person(db, settings, "resident", tree["area_a"])
    services.submit(db, resident, open_survey, good_answers(open_survey), now=clock.utcnow())
    factories.sign_in(client, staff[0].login)
    url = f"/surveys/{open_survey.survey.id}/results"
    first = client.get(url)
    with count_statements(engine) as seen:
        again = client.get(url)
    assert again.text.count("<svg") == first.text.count("<svg") >= 3
    assert _figures(again) == _figures(first)
    touched = [s for s in seen if re.search(r"\bsurvey_(answer|question|option|response)\b", s)]
    assert touched == []
    assert len([s for s in seen if re.search(r"\bFROM survey\b", s)]) == 1


def test_surveys_are_searched_by_title(client, db, staff, tree):
    now = clock.utcnow()
    survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=1),
           closes=now + timedelta(days=5), title="电动车充电棚选址征询")
    survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=1),
           closes=now + timedelta(days=5), title="物业满意度测评")
    page = client.get("/surveys", params={"q": "充电"})
    assert [i["survey"].title for i in page.context["open"]] == ["电动车充电棚选址征询"]
    assert "只显示标题含有“充电”的" in page.text
    assert len(client.get("/surveys").context["open"]) == 2
    api = client.get("/api/v1/surveys", params={"q": "满意"}).json()
    assert [s["title"] for s in api["surveys"]] == ["物业满意度测评"]
    # three characters or more: through the index (consult/db/search.py), the same answers
    indexed = client.get("/surveys", params={"q": "充电棚选址"})
    assert [i["survey"].title for i in indexed.context["open"]] == ["电动车充电棚选址征询"]
    api = client.get("/api/v1/surveys", params={"q": "满意度测评"}).json()
    assert [s["title"] for s in api["surveys"]] == ["物业满意度测评"]
    assert client.get("/api/v1/surveys", params={"q": "测评满意"}).json()["surveys"] == []


def test_a_closed_surveys_results_are_kept_whole_for_visitors_and_follow_every_change(
        client, app, db, settings, staff, tree, monkeypatch):
    """A visitor not signed in gets the results page kept whole (no rendering) until its
    figures, its audience, or anything of the survey or its place read differently."""
    from consult.surveys import services
    from consult.web import templating

    now = clock.utcnow()
    form = survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=5),
                  closes=now - timedelta(days=1))
    _, resident = person(db, settings, "resident", tree["area_a"])
    services.submit(db, resident, form, good_answers(form, level=5), now=now - timedelta(days=2))
    db.flush()
    url = f"/surveys/{form.survey.id}/results"
    rendered = []
    real = templating.render_page
    monkeypatch.setattr(templating, "render_page",
                        lambda request, name, *a, **k: rendered.append(name) or real(request, name, *a, **k))

    def visit():
        rendered.clear()
        page = client.get(url)
        assert page.status_code == 200
        return page, rendered == []  # (the page, whether it was the kept one)

    first, kept = visit()
    assert not kept and _figures(first)[0] == 1
    again, kept = visit()
    assert kept and _figures(again)[0] == 1
    assert again.text.replace(csrf_from(again.text), "") == first.text.replace(csrf_from(first.text), "")
    # another worker's answer (here: the service, straight into the database) raises the version
    _, second = person(db, settings, "resident", tree["area_a"])
    services.submit(db, second, form, good_answers(form, level=1), now=now - timedelta(days=2))
    db.flush()
    page, kept = visit()
    assert not kept and _figures(page)[0] == 2
    assert visit()[1]
    # the title changed without the version (a change of what the page shows, however made)
    form.survey.title = "年度测评结果"
    db.add(form.survey)
    db.flush()
    page, kept = visit()
    assert not kept and "年度测评结果" in page.text
    tree["estate_a"].name = "新名小区"  # its place read differently
    db.add(tree["estate_a"])
    db.flush()
    page, kept = visit()
    assert not kept and "新名小区" in page.text
    # a new audience once the kept audience is read again
    before = page.context["result"].audience
    person(db, settings, "resident", tree["area_a"])
    db.flush()
    assert visit()[1]  # the audience is kept for public_cache_seconds
    app.state.public_cache.clear()
    page, kept = visit()
    assert not kept and page.context["result"].audience == 3 != before  # the three residents
    # signed in, the page is rendered for the person
    factories.sign_in(client, staff[0].login)
    assert not visit()[1]
