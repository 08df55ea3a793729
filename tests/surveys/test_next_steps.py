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
