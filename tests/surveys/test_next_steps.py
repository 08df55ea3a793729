"""Issue 16 item 1 on surveys: in place of the form, why not and what comes next."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult import clock
from tests import factories
from tests.surveys.builders import person, survey


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def area_survey(db, settings, tree):
    _, staff = person(db, settings, "moderator", tree["area_a"], name="居委会")
    now = clock.utcnow()
    return survey(db, staff, tree["area_a"], opens=now - timedelta(days=1), closes=now + timedelta(days=5))


def _page(client, form):
    page = client.get(f"/surveys/{form.survey.id}")
    assert page.status_code == 200
    return page


def test_visitor_is_asked_to_sign_in_or_register(client, area_survey):
    page = _page(client, area_survey)
    assert page.context["standing"].state == "anonymous"
    assert "登录或注册并通过居民认证后，即可回答这份问卷。" in page.text
    assert f'href="/register?next=/surveys/{area_survey.survey.id}"' in page.text


def test_unverified_gets_the_verification_button(client, db, settings, tree, area_survey):
    user, _ = person(db, settings)
    factories.sign_in(client, user.login)
    page = _page(client, area_survey)
    assert "申请居民认证后即可回答这份问卷。" in page.text
    assert f"area={tree['area_a'].id}" in page.text and "survey-form" not in page.text


def test_resident_of_another_area_is_told_who_may_answer(client, db, settings, tree, area_survey):
    user, _ = person(db, settings, "resident", tree["area_b"])
    factories.sign_in(client, user.login)
    page = _page(client, area_survey)
    assert "只有恒丰的居民可以回答这份问卷。" in page.text


def test_a_resident_gets_the_form_and_no_next_step(client, db, settings, tree, area_survey):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    page = _page(client, area_survey)
    assert page.context["standing"] is None and "survey-form" in page.text


# -- issue 16 item 10 ----------------------------------------------------------------------


def test_the_error_list_numbers_questions_as_the_survey_does(client, db, settings, tree, area_survey):
    from tests.conftest import post_form
    from tests.surveys.builders import good_answers

    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    q = next(q for q in area_survey.questions if q.kind == "multiple")  # question 4 of 6
    url = f"/surveys/{area_survey.survey.id}"
    data = {**good_answers(area_survey), f"q{q.id}": [str(o.id) for o in area_survey.options[q.id][:3]]}
    response = post_form(client, url, url, data)
    assert response.status_code == 422
    assert f'<a href="#q{q.id}">第 4 题：{q.text}</a>' in response.text


def test_a_multiple_choice_maximum_is_on_the_form_for_the_script(client, db, settings, tree, area_survey):
    user, _ = person(db, settings, "resident", tree["area_a"])
    factories.sign_in(client, user.login)
    q = next(q for q in area_survey.questions if q.kind == "multiple")
    page = _page(client, area_survey)
    assert f'data-max="2" data-max-note-id="max-q{q.id}"' in page.text
    assert f'id="max-q{q.id}" data-max-note>最多选 2 项。</p>' in page.text


def test_the_language_switch_is_a_quiet_link_beside_elder_mode(client, area_survey):
    page = _page(client, area_survey)
    assert '<button class="link-button" name="lang" value="en" lang="en">English</button>' in page.text
    assert '<button name="elder" value="1">' in page.text
