"""A survey's lifecycle: every privileged action on a survey in every state of the survey.

States (``rules.SURVEY_STATES``): upcoming, open, closed (its results public). Each action
is tried by someone who may do it, through the services the pages and the API share, so
the only reason to refuse is the survey's state; a refusal must change nothing. Then the
attack of issue 11 over HTTP: a closed survey is not reopened by extending it, on the
page or through the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult.errors import Conflict, FieldErrors
from consult.surveys import rules, services
from consult.surveys.models import Answer, Answered, Option, Question, Response, Survey
from consult.surveys.rules import QuestionDraft
from tests import factories
from tests.conftest import post_form
from tests.surveys.builders import NOW, good_answers, person, survey

STATES = rules.SURVEY_STATES

#: action → the states it is allowed in (written out here, independently of ``rules``)
EXPECTED = {
    "change_texts": {"upcoming", "open"},
    "change_audience": {"upcoming"},
    "reschedule": {"upcoming"},
    "change_closing": {"upcoming", "open"},
    "edit_questions": {"upcoming", "open"},
    "answer": {"open"},
    "enter_paper": {"open"},
}
#: where each state puts the survey's period, around NOW
PERIODS = {
    "upcoming": (NOW + timedelta(days=1), NOW + timedelta(days=8)),
    "open": (NOW - timedelta(days=1), NOW + timedelta(days=6)),
    "closed": (NOW - timedelta(days=8), NOW - timedelta(hours=1)),
}


def test_every_survey_action_has_expectations():
    assert set(rules.SURVEY_ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_survey_action_allowed(action, state):
    allowed = state in EXPECTED[action]
    assert rules.survey_action_allowed(action, state) is allowed
    assert (rules.survey_action_problem(action, state) is None) is allowed


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        rules.survey_action_allowed("reopen", "closed")


def test_settings_actions_compare_times_to_the_minute():
    old = {"title": "t", "description": "", "audience": "residents", "anonymous": False,
           "opens_at": NOW + timedelta(seconds=42), "closes_at": NOW + timedelta(days=1)}
    assert rules.settings_actions(old, {**old, "opens_at": NOW}) == []  # the form's minute
    assert rules.settings_actions(old, {**old, "closes_at": NOW + timedelta(days=2)}) == ["change_closing"]
    assert rules.settings_actions(old, {**old, "anonymous": True, "title": "u"}) == [
        "change_texts", "change_audience"]


def test_an_open_survey_closes_now_at_the_earliest():
    assert rules.closing_time("open", NOW - timedelta(seconds=30), NOW) == (NOW, None)
    late, problem = rules.closing_time("open", NOW - timedelta(minutes=5), NOW)
    assert problem is not None
    assert rules.closing_time("upcoming", NOW - timedelta(minutes=5), NOW) == (NOW - timedelta(minutes=5), None)
    assert rules.closing_time("open", NOW + timedelta(days=1), NOW) == (NOW + timedelta(days=1), None)


# -- through the services -----------------------------------------------------------------


@pytest.fixture
def scene(db, settings):
    tree = factories.place_tree(db)
    staff = person(db, settings, "moderator", tree["area_a"], name="居委会")[1]
    residents = [person(db, settings, "resident", tree["area_a"], name=f"居民{n}")[1] for n in range(2)]
    return {"tree": tree, "staff": staff, "residents": residents}


def _put_in_state(db, scene, state, answered=True):
    """A survey in ``state`` (at NOW) with one web answer and one paper form whenever it
    has been open (and ``answered``)."""
    opens, closes = PERIODS[state]
    form = survey(db, scene["staff"], scene["tree"]["estate_a"], opens=opens, closes=closes)
    if state != "upcoming" and answered:
        services.submit(db, scene["residents"][0], form, good_answers(form), now=opens + timedelta(minutes=5))
        services.enter_paper(db, scene["staff"], form, good_answers(form, level=2), serial="P-1",
                             now=opens + timedelta(minutes=6))
    return form


def _snapshot(db, form):
    db.flush()
    s = db.get(Survey, form.survey.id)
    db.refresh(s)

    def rows(*columns, where):
        return tuple(map(tuple, db.exec(select(*columns).where(where).order_by(*columns)).all()))

    questions = select(Question.id).where(Question.survey_id == s.id)
    responses = select(Response.id).where(Response.survey_id == s.id)
    return ((s.title, s.description, s.audience, s.anonymous, s.opens_at, s.closes_at),
            rows(Question.id, Question.position, Question.text, where=Question.survey_id == s.id),
            rows(Option.id, Option.label, where=Option.question_id.in_(questions)),
            rows(Response.id, Response.channel, where=Response.survey_id == s.id),
            rows(Answer.question_id, Answer.option_id, Answer.value, Answer.text,
                 where=Answer.response_id.in_(responses)),
            db.exec(select(func.count()).select_from(Answered).where(Answered.survey_id == s.id)).one())


def _prepare(db, scene, form, action):
    """The call of the service that does ``action`` to the survey, at NOW."""
    s, staff = form.survey, scene["staff"]
    settings = {"title": s.title, "description": s.description, "audience": s.audience,
                "anonymous": s.anonymous, "opens_at": s.opens_at, "closes_at": s.closes_at}

    def update(**change):
        return lambda: services.update_survey(db, staff, s, **{**settings, **change}, now=NOW)

    if action == "change_texts":
        return update(title="年度满意度测评（修订）")
    if action == "change_audience":
        return update(anonymous=not s.anonymous)
    if action == "reschedule":
        return update(opens_at=s.opens_at + timedelta(hours=1))
    if action == "change_closing":  # the attack: extending, which would reopen a closed survey
        return update(closes_at=s.closes_at + timedelta(days=3))
    if action == "edit_questions":
        return lambda: services.add_question(db, staff, s, QuestionDraft(kind="stars", text="物业服务"), now=NOW)
    if action == "answer":
        return lambda: services.submit(db, scene["residents"][1], form, good_answers(form), now=NOW)
    if action == "enter_paper":
        return lambda: services.enter_paper(db, staff, form, good_answers(form), serial="P-2", now=NOW)
    raise AssertionError(action)  # pragma: no cover


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_survey_action_in_state(db, scene, action, state):
    # Questions change only before the first answer (see the test after this one).
    form = _put_in_state(db, scene, state, answered=(action, state) != ("edit_questions", "open"))
    assert services.survey_state(form.survey, NOW) == state
    expected = state in EXPECTED[action]
    attempt = _prepare(db, scene, form, action)
    before = _snapshot(db, form)
    try:
        attempt()
    except Conflict as refusal:
        assert not expected, f"{action} must be allowed when {state}: {refusal}"
        assert refusal.code in {"not_open", "survey_open", "survey_closed", "already_answered"}
        assert _snapshot(db, form) == before, "a refusal changed something"
    else:
        assert expected, f"{action} must be refused when {state}"
        assert _snapshot(db, form) != before


def test_questions_stay_once_someone_has_answered(db, scene):
    form = _put_in_state(db, scene, "open")
    before = _snapshot(db, form)
    with pytest.raises(Conflict) as refused:
        _prepare(db, scene, form, "edit_questions")()
    assert refused.value.code == "has_answers" and _snapshot(db, form) == before


def test_a_closed_survey_is_not_reopened(db, scene):
    """The point of the lifecycle: after the close nothing reopens the survey or changes it."""
    form = _put_in_state(db, scene, "closed")
    before = _snapshot(db, form)
    s = form.survey
    for opens_at, closes_at in ((s.opens_at, NOW + timedelta(days=5)), (NOW - timedelta(hours=2), NOW + timedelta(days=1)),
                                (NOW + timedelta(days=1), NOW + timedelta(days=2))):
        with pytest.raises(Conflict) as refused:
            services.update_survey(db, scene["staff"], s, title=s.title, description=s.description,
                                   audience=s.audience, anonymous=s.anonymous, opens_at=opens_at,
                                   closes_at=closes_at, now=NOW)
        assert refused.value.code == "survey_closed"
    with pytest.raises(Conflict):
        services.submit(db, scene["residents"][1], form, good_answers(form), now=NOW)
    assert _snapshot(db, form) == before
    assert services.results(db, services.load_form(db, s.id), NOW).responses == 2


def test_closing_an_open_survey_early(db, scene):
    form = _put_in_state(db, scene, "open")
    s = form.survey
    services.update_survey(db, scene["staff"], s, title=s.title, description=s.description,
                           audience=s.audience, anonymous=s.anonymous, opens_at=s.opens_at,
                           closes_at=NOW - timedelta(seconds=20), now=NOW)
    assert s.closes_at == NOW and services.survey_state(s, NOW) == "closed"
    reopened = _put_in_state(db, scene, "open")
    with pytest.raises(FieldErrors) as refused:  # a closing time in the past is a typing error
        services.update_survey(db, scene["staff"], reopened.survey, title=s.title, description="",
                               audience=s.audience, anonymous=False, opens_at=reopened.survey.opens_at,
                               closes_at=NOW - timedelta(days=1), now=NOW)
    assert "closes_at" in refused.value.errors


# -- over HTTP ----------------------------------------------------------------------------


def _local(when):
    from consult import clock

    return clock.to_local(when).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def closed(db, scene):
    """A survey that closed an hour ago (by the real clock), with answers."""
    from consult import clock

    now = clock.utcnow()
    form = survey(db, scene["staff"], scene["tree"]["estate_a"], opens=now - timedelta(days=3),
                  closes=now - timedelta(hours=1))
    services.submit(db, scene["residents"][0], form, good_answers(form), now=now - timedelta(days=2))
    return form


def test_a_closed_survey_cannot_be_extended_on_the_page(client, db, settings, scene, closed):
    staff_user = factories.user(db, settings, name="居委会2")
    from consult.communities import services as places

    places.grant_role(db, user=staff_user, role="moderator", place=scene["tree"]["area_a"])
    before = _snapshot(db, closed)
    factories.sign_in(client, staff_user.login)
    edit = f"/staff/surveys/{closed.survey.id}"
    s = closed.survey
    page = client.get(edit)
    assert page.status_code == 200
    assert f'action="{edit}"' not in page.text and f"{edit}/questions" not in page.text  # no forms
    refused = post_form(client, edit, edit, {
        "title": s.title, "description": s.description, "audience": s.audience,
        "opens_at": _local(s.opens_at), "closes_at": _local(s.closes_at + timedelta(days=5))})
    assert refused.status_code == 409 and "已经结束" in refused.text
    added = post_form(client, edit, f"{edit}/questions", {"kind": "stars", "text": "再问一题"})
    assert added.status_code == 409
    assert _snapshot(db, closed) == before


def test_a_closed_survey_refuses_the_api(client, db, settings, scene, closed):
    from consult.accounts import services as accounts
    from consult.communities import services as places

    staff_user = factories.user(db, settings, name="居委会3")
    places.grant_role(db, user=staff_user, role="moderator", place=scene["tree"]["area_a"])
    headers = {"authorization": f"Bearer {accounts.issue_token(db, staff_user)}"}
    db.flush()
    before = _snapshot(db, closed)
    sid = closed.survey.id
    question = client.post(f"/api/v1/surveys/{sid}/questions", json={"kind": "stars", "text": "再问一题"},
                           headers=headers)
    assert question.status_code == 409 and question.json()["error"]["code"] == "survey_closed"
    paper = client.post(f"/api/v1/surveys/{sid}/paper", json={"serial": "P-9", "answers": {}}, headers=headers)
    assert paper.status_code == 409 and paper.json()["error"]["code"] == "survey_closed"
    assert _snapshot(db, closed) == before
