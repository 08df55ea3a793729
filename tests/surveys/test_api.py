"""Surveys over the JSON API: bearer tokens, the shared error format, the OpenAPI document."""

from datetime import timedelta

import pytest

from consult import clock
from consult.accounts import services as accounts
from tests import factories
from tests.surveys.builders import good_answers, person, survey


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def staff(db, settings, tree):
    return person(db, settings, "moderator", tree["area_a"])


@pytest.fixture
def form(db, staff, tree):
    now = clock.utcnow()
    return survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=1), closes=now + timedelta(days=3))


def bearer(db, user):
    token = accounts.issue_token(db, user)
    db.flush()
    return {"authorization": f"Bearer {token}"}


def _json_answers(form, **change):
    return {key[1:]: values[0] for key, values in {**good_answers(form), **change}.items()}


def test_read_and_answer_a_survey(client, db, settings, tree, form):
    user, _ = person(db, settings, "resident", tree["area_a"])
    headers = bearer(db, user)
    listed = client.get("/api/v1/surveys").json()["surveys"]
    assert [s["id"] for s in listed] == [form.survey.id] and listed[0]["state"] == "open"
    detail = client.get(f"/api/v1/surveys/{form.survey.id}", headers=headers).json()
    assert detail["you"]["may_answer"] is True
    assert [q["kind"] for q in detail["questions"]][:2] == ["satisfaction", "stars"]
    url = f"/api/v1/surveys/{form.survey.id}/responses"
    stars = next(q for q in form.questions if q.kind == "stars")
    bad = client.post(url, json={"answers": _json_answers(form, **{f"q{stars.id}": ["6"]})}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid" and str(stars.id) in "".join(bad.json()["error"]["fields"])
    created = client.post(url, json={"answers": _json_answers(form)}, headers=headers)
    assert created.status_code == 201
    again = client.post(url, json={"answers": _json_answers(form)}, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    assert client.post(url, json={"answers": _json_answers(form)}).status_code == 401


def test_results_for_staff_and_refused_to_residents_while_open(client, db, settings, staff, tree, form):
    user, _ = person(db, settings, "resident", tree["area_a"])
    client.post(f"/api/v1/surveys/{form.survey.id}/responses", json={"answers": _json_answers(form)},
                headers=bearer(db, user))
    refused = client.get(f"/api/v1/surveys/{form.survey.id}/results", headers=bearer(db, user))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    data = client.get(f"/api/v1/surveys/{form.survey.id}/results", headers=bearer(db, staff[0])).json()
    assert data["responses"] == 1
    satisfaction = next(q for q in data["questions"] if q["kind"] == "satisfaction")
    assert satisfaction["satisfaction_rate"] == {"exact": "1/1", "shown": "100.0%"}


def test_staff_build_and_enter_paper_over_the_api(client, db, staff, tree):
    headers = bearer(db, staff[0])
    created = client.post("/api/v1/surveys", headers=headers, json={
        "place_id": tree["estate_a"].id, "title": "停车满意度", "audience": "residents",
        "opens_at": "2026-01-01T08:00:00+08:00", "closes_at": "2099-01-01T08:00:00+08:00"})
    assert created.status_code == 201
    survey_id = created.json()["id"]
    bad = client.post(f"/api/v1/surveys/{survey_id}/questions", headers=headers,
                      json={"kind": "number", "text": "几辆车？", "min_value": 5, "max_value": 1})
    assert bad.status_code == 422
    question = client.post(f"/api/v1/surveys/{survey_id}/questions", headers=headers,
                           json={"kind": "stars", "text": "停车秩序"}).json()["id"]
    paper = client.post(f"/api/v1/surveys/{survey_id}/paper", headers=headers,
                        json={"serial": "A-1", "answers": {str(question): 5}})
    assert paper.status_code == 201 and paper.json()["channel"] == "paper"


def test_survey_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/surveys", "/api/v1/surveys/{survey_id}", "/api/v1/surveys/{survey_id}/responses",
                 "/api/v1/surveys/{survey_id}/results", "/api/v1/surveys/{survey_id}/paper"):
        assert path in paths, path
    assert "requestBody" in paths["/api/v1/surveys/{survey_id}/responses"]["post"]


def test_a_survey_without_questions_cannot_be_answered_page_or_api(client, db, settings, staff, tree):
    now = clock.utcnow()
    empty = survey(db, staff[1], tree["estate_a"], opens=now - timedelta(days=1),
                   closes=now + timedelta(days=3), drafts=())
    user, _ = person(db, settings, "resident", tree["area_a"])
    answered = client.post(f"/api/v1/surveys/{empty.survey.id}/responses", json={"answers": {}},
                           headers=bearer(db, user))
    assert answered.status_code == 409 and answered.json()["error"]["code"] == "no_questions"
    factories.sign_in(client, user.login)
    page = client.get(f"/surveys/{empty.survey.id}")
    assert page.status_code == 200 and "还没有题目" in page.text
