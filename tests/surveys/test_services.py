"""Survey services against the database: building, answering, paper forms, results."""

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from consult.errors import Conflict, FieldErrors, Forbidden, NotSignedIn
from consult.permissions import ANONYMOUS
from consult.surveys import secrecy, services
from consult.surveys.models import Answer, Answered, Response
from consult.surveys.rules import QuestionDraft
from tests import factories
from tests.surveys.builders import ALL_KINDS, CLOSES, NOW, OPENS, good_answers, home, person, survey


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def staff(db, settings, tree):
    return person(db, settings, "moderator", tree["area_a"], name="居委会")[1]


def _count(db, model, **where):
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.exec(query).one()


# -- building ---------------------------------------------------------------------------


def test_staff_outside_the_place_cannot_create(db, settings, tree):
    _, other = person(db, settings, "moderator", tree["area_b"])
    with pytest.raises(Forbidden):
        services.create_survey(db, other, place_id=tree["estate_a"].id, title="x", description="",
                               audience="residents", anonymous=False, opens_at=OPENS, closes_at=CLOSES)


def test_bad_survey_settings_are_refused(db, staff, tree):
    with pytest.raises(FieldErrors) as caught:
        services.create_survey(db, staff, place_id=tree["estate_a"].id, title="", description="",
                               audience="residents", anonymous=False, opens_at=CLOSES, closes_at=OPENS)
    assert set(caught.value.errors) == {"title", "closes_at"}


def test_questions_keep_their_order_and_can_move(db, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    kinds = [q.kind for q in form.questions]
    assert kinds == ["satisfaction", "stars", "single", "multiple", "number", "text"]
    services.move_question(db, staff, form.survey, form.questions[1].id, up=True)
    services.delete_question(db, staff, form.survey, form.questions[5].id)
    again = services.load_form(db, form.survey.id)
    assert [q.kind for q in again.questions] == ["stars", "satisfaction", "single", "multiple", "number"]
    assert [o.label for o in again.options[again.questions[2].id]] == ["每周", "每月", "很少"]


def test_questions_are_locked_once_answers_arrive(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    _, resident = person(db, settings, "resident", tree["area_a"])
    services.submit(db, resident, form, good_answers(form), now=NOW)
    with pytest.raises(Conflict):
        services.add_question(db, staff, form.survey, QuestionDraft(kind="stars", text="?"))
    with pytest.raises(Conflict):
        services.update_survey(db, staff, form.survey, title="t", description="", audience="owners",
                               anonymous=False, opens_at=OPENS, closes_at=CLOSES)


# -- answering --------------------------------------------------------------------------


def test_a_resident_answers_once(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    user, resident = person(db, settings, "resident", tree["area_a"])
    response = services.submit(db, resident, form, good_answers(form), now=NOW)
    assert response.user_id == user.id and response.channel == "web"
    assert _count(db, Answer, response_id=response.id) == 3
    with pytest.raises(Conflict) as caught:
        services.submit(db, resident, form, good_answers(form), now=NOW)
    assert caught.value.code == "already_answered"
    assert _count(db, Response, survey_id=form.survey.id) == 1


def test_the_database_refuses_a_second_answered_row(db, staff, settings, tree):
    form = survey(db, staff, tree["estate_a"])
    user, _ = person(db, settings, "resident", tree["area_a"])
    mark = secrecy.answer_key(form.survey.id, "user", user.id)
    db.add(Answered(survey_id=form.survey.id, answer_key=mark))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Answered(survey_id=form.survey.id, answer_key=mark))


def test_bad_answers_store_nothing(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    _, resident = person(db, settings, "resident", tree["area_a"])
    stars = next(q for q in form.questions if q.kind == "stars")
    raw = {**good_answers(form), f"q{stars.id}": ["6"]}
    with pytest.raises(FieldErrors) as caught:
        services.submit(db, resident, form, raw, now=NOW)
    assert set(caught.value.errors) == {f"q{stars.id}"}
    assert _count(db, Response, survey_id=form.survey.id) == 0
    assert _count(db, Answered, survey_id=form.survey.id) == 0


def test_outside_the_audience_or_outside_the_dates_is_refused(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    _, outsider = person(db, settings, "resident", tree["area_b"])
    _, nobody = person(db, settings)
    _, resident = person(db, settings, "resident", tree["area_a"])
    for actor in (outsider, nobody):
        with pytest.raises(Forbidden):
            services.submit(db, actor, form, good_answers(form), now=NOW)
    with pytest.raises(NotSignedIn):
        services.submit(db, ANONYMOUS, form, good_answers(form), now=NOW)
    for moment in (OPENS - timedelta(minutes=1), CLOSES):
        with pytest.raises(Conflict) as caught:
            services.submit(db, resident, form, good_answers(form), now=moment)
        assert caught.value.code == "not_open"
    assert _count(db, Response, survey_id=form.survey.id) == 0


def test_a_sub_district_survey_reaches_residents_of_every_area(db, settings, staff, tree):
    _, admin = person(db, settings, "admin", tree["root"])
    form = survey(db, admin, tree["root"])
    _, resident_b = person(db, settings, "resident", tree["area_b"])
    verdict = services.eligibility(db, resident_b, form, NOW)
    assert verdict.may_answer
    services.submit(db, resident_b, form, good_answers(form), now=NOW)
    assert services.audience_size(db, form.survey, form.place) == 1


def test_anonymous_response_carries_no_link_to_the_person(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"], anonymous=True)
    user, resident = person(db, settings, "resident", tree["area_a"])
    response = services.submit(db, resident, form, good_answers(form), now=NOW)
    assert (response.user_id, response.home_id, response.building_group_id, response.created_at) == (
        None, None, None, None)
    answered = db.exec(select(Answered).where(Answered.survey_id == form.survey.id)).one()
    assert answered.answer_key == secrecy.answer_key(form.survey.id, "user", user.id)
    assert not hasattr(answered, "user_id") and not hasattr(answered, "response_id")
    assert services.eligibility(db, resident, form, NOW).already
    with pytest.raises(Conflict):
        services.submit(db, resident, form, good_answers(form), now=NOW)


def test_owners_answer_once_per_home(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"], audience="owners")
    owner, owner_actor = person(db, settings, "owner", tree["estate_a"], name="吴业主")
    co_owner, co_actor = person(db, settings, "owner", tree["estate_a"], name="吴太太")
    first = home(db, tree["estate_a"], tree["group_a"], "1-101", owner)
    second = home(db, tree["estate_a"], tree["group_a"], "1-102", owner)
    from consult.communities.models import HomeOwner
    db.add(HomeOwner(home_id=first.id, name="吴太太", user_id=co_owner.id))
    home(db, tree["estate_a"], tree["group_a"], "1-103", developer=True)
    db.flush()

    verdict = services.eligibility(db, owner_actor, form, NOW)
    assert [h.id for h in verdict.homes] == [first.id, second.id]
    with pytest.raises(FieldErrors) as caught:
        services.submit(db, owner_actor, form, good_answers(form), now=NOW)  # which home?
    assert "home_id" in caught.value.errors
    response = services.submit(db, owner_actor, form, good_answers(form), now=NOW, home_id=first.id)
    assert response.home_id == first.id and response.building_group_id == tree["group_a"].id
    with pytest.raises(Conflict):  # the co-owner cannot answer again for the same home
        services.submit(db, co_actor, form, good_answers(form), now=NOW, home_id=first.id)
    assert services.eligibility(db, co_actor, form, NOW).already
    services.submit(db, owner_actor, form, good_answers(form), now=NOW, home_id=second.id)
    assert services.eligibility(db, owner_actor, form, NOW).already
    assert services.audience_size(db, form.survey, form.place) == 2  # developer stock excluded


def test_an_owner_without_a_linked_home_is_refused(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"], audience="owners")
    _, owner_actor = person(db, settings, "owner", tree["estate_a"])
    with pytest.raises(Forbidden):
        services.submit(db, owner_actor, form, good_answers(form), now=NOW)


def test_representatives_survey(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"], audience="owners_reps")
    _, rep = person(db, settings, "owners_rep", tree["estate_a"])
    _, resident = person(db, settings, "resident", tree["area_a"])
    services.submit(db, rep, form, good_answers(form), now=NOW)
    with pytest.raises(Forbidden):
        services.submit(db, resident, form, good_answers(form), now=NOW)


# -- paper ------------------------------------------------------------------------------


def test_paper_forms_are_marked_and_serials_are_unique(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    raw = good_answers(form)
    response = services.enter_paper(db, staff, form, raw, serial="P-001", now=NOW,
                                    building_group_id=tree["group_a"].id)
    assert (response.channel, response.paper_serial, response.building_group_id) == (
        "paper", "P-001", tree["group_a"].id)
    with pytest.raises(FieldErrors) as caught:
        services.enter_paper(db, staff, form, raw, serial="P-001", now=NOW)
    assert "serial" in caught.value.errors
    assert _count(db, Response, survey_id=form.survey.id) == 1


def test_paper_forms_accept_blank_required_answers_but_not_bad_ones(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    stars = next(q for q in form.questions if q.kind == "stars")
    services.enter_paper(db, staff, form, {f"q{stars.id}": ["3"]}, serial="1", now=NOW)
    with pytest.raises(FieldErrors):
        services.enter_paper(db, staff, form, {f"q{stars.id}": ["7"]}, serial="2", now=NOW)
    with pytest.raises(FieldErrors):
        services.enter_paper(db, staff, form, {}, serial="3", now=NOW)
    _, resident = person(db, settings, "resident", tree["area_a"])
    with pytest.raises(Forbidden):
        services.enter_paper(db, resident, form, {f"q{stars.id}": ["3"]}, serial="4", now=NOW)
    with pytest.raises(Conflict):
        services.enter_paper(db, staff, form, {f"q{stars.id}": ["3"]}, serial="5", now=CLOSES)


def test_a_paper_form_for_a_home_stops_the_home_answering_online(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"], audience="owners")
    owner, owner_actor = person(db, settings, "owner", tree["estate_a"])
    h = home(db, tree["estate_a"], tree["group_a"], "2-201", owner)
    services.enter_paper(db, staff, form, good_answers(form), serial="9", now=NOW, home_code="2-201")
    assert services.eligibility(db, owner_actor, form, NOW).already
    with pytest.raises(FieldErrors):
        services.enter_paper(db, staff, form, good_answers(form), serial="10", now=NOW,
                             home_code="no-such")
    assert h.id


# -- results ----------------------------------------------------------------------------


def test_results_are_aggregated_exactly(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    q = {x.kind: x for x in form.questions}
    levels = [5, 5, 4, 3, 1, 4]
    stars = [5, 4, 4, 3, 2, 1]
    for i, (level, star) in enumerate(zip(levels, stars, strict=True)):
        _, resident = person(db, settings, "resident", tree["area_a"])
        raw = good_answers(form, level=level, stars=star)
        raw[f"q{q['multiple'].id}"] = [str(form.options[q["multiple"].id][i % 2].id)]
        raw[f"q{q['number'].id}"] = [str(10 * i)]
        raw[f"q{q['text'].id}"] = [f"意见{i}"]
        services.submit(db, resident, form, raw, now=NOW + timedelta(minutes=i))  # 意见5 is the latest
    person(db, settings, "resident", tree["area_a"])  # in the audience, did not answer
    result = services.results(db, form, NOW)
    assert (result.responses, result.audience) == (6, 7)
    assert result.response_rate == Fraction(6, 7)
    by_kind = {r.question.kind: r for r in result.questions}
    sat = by_kind["satisfaction"]
    assert [row.count for row in sat.rows] == [2, 2, 1, 0, 1]
    assert sat.rate == Fraction(4, 6)
    assert sat.mean == Fraction(22, 6)
    assert by_kind["stars"].mean == Fraction(19, 6)
    assert [row.count for row in by_kind["multiple"].rows] == [3, 3, 0, 0]
    assert by_kind["multiple"].rows[0].share == Fraction(1, 2)
    assert (by_kind["number"].mean, by_kind["number"].minimum, by_kind["number"].maximum) == (
        Fraction(150, 6), 0, 50)
    assert len(by_kind["text"].texts) == 5 and by_kind["text"].texts[0] == "意见5"
    assert by_kind["single"].answered == 6
    [group] = result.groups
    assert group.responses == 6 and group.satisfied == Fraction(4, 6)


def test_results_query_count_does_not_grow_with_responses(db, settings, staff, tree, engine):
    from tests.statements import count_statements

    form = survey(db, staff, tree["estate_a"])

    def statements():
        with count_statements(engine) as seen:
            services.results(db, services.load_form(db, form.survey.id), NOW)
        return len(seen)

    _, resident = person(db, settings, "resident", tree["area_a"])
    services.submit(db, resident, form, good_answers(form), now=NOW)
    few = statements()
    for _ in range(5):
        _, resident = person(db, settings, "resident", tree["area_a"])
        services.submit(db, resident, form, good_answers(form, level=3), now=NOW)
    assert statements() == few


def test_owner_breakdown_by_building_group_with_response_rate(db, settings, staff, tree):
    from consult.communities import services as places

    form = survey(db, staff, tree["estate_a"], audience="owners")
    group2 = places.create_place(db, kind="building_group", name="恒丰2号楼组", parent=tree["estate_a"])
    for i, group in enumerate((tree["group_a"], tree["group_a"], group2)):
        owner, actor = person(db, settings, "owner", tree["estate_a"])
        h = home(db, tree["estate_a"], group, f"h{i}", owner)
        if i < 2:
            services.submit(db, actor, form, good_answers(form, level=5 - 3 * i), now=NOW, home_id=h.id)
    result = services.results(db, form, NOW)
    assert [(g.name, g.responses, g.audience, g.satisfied) for g in result.groups] == [
        ("恒丰1号楼组", 2, 2, Fraction(1, 2))]
    assert result.response_rate == Fraction(2, 3)


def test_results_are_hidden_from_residents_until_closing(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    _, resident = person(db, settings, "resident", tree["area_a"])
    with pytest.raises(Forbidden):
        services.check_results_visible(resident, form, NOW)
    assert services.check_results_visible(staff, form, NOW) is True
    assert services.check_results_visible(resident, form, CLOSES) is False


def test_cached_results_follow_new_answers(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"])
    _, resident = person(db, settings, "resident", tree["area_a"])
    services.submit(db, resident, form, good_answers(form, level=5), now=NOW)
    first = services.results(db, form, NOW)
    assert services.results(db, form, NOW).questions[0].rate == first.questions[0].rate == 1
    services.enter_paper(db, staff, form, good_answers(form, level=1), serial="1", now=NOW)
    again = services.results(db, form, NOW)
    assert again.responses == 2 and again.questions[0].rate == Fraction(1, 2)


def test_a_survey_without_questions_does_not_open(db, settings, staff, tree):
    form = survey(db, staff, tree["estate_a"], drafts=())
    _, resident = person(db, settings, "resident", tree["area_a"])
    verdict = services.eligibility(db, resident, form, NOW)
    assert not verdict.may_answer and verdict.no_questions
    with pytest.raises(Conflict) as caught:
        services.submit(db, resident, form, {}, now=NOW)
    assert caught.value.code == "no_questions"
    with pytest.raises(Conflict) as caught:
        services.enter_paper(db, staff, form, {}, serial="P-1", now=NOW)
    assert caught.value.code == "no_questions"
    assert _count(db, Response, survey_id=form.survey.id) == 0


def test_opening_a_survey_now_needs_a_question(db, staff, tree):
    later = NOW + timedelta(days=1)
    s = services.create_survey(db, staff, place_id=tree["estate_a"].id, title="停车", description="",
                               audience="residents", anonymous=False, opens_at=later, closes_at=CLOSES)
    change = dict(title="停车", description="", audience="residents", anonymous=False, closes_at=CLOSES)
    with pytest.raises(FieldErrors) as caught:
        services.update_survey(db, staff, s, opens_at=NOW, now=NOW, **change)
    assert "opens_at" in caught.value.errors and s.opens_at == later
    services.add_question(db, staff, s, QuestionDraft(kind="stars", text="停车秩序"), now=NOW)
    services.update_survey(db, staff, s, opens_at=NOW, now=NOW, **change)
    assert s.opens_at == NOW


def test_the_last_question_of_an_open_survey_stays(db, staff, tree):
    form = survey(db, staff, tree["estate_a"], drafts=ALL_KINDS[:2])
    services.delete_question(db, staff, form.survey, form.questions[0].id, now=NOW)
    with pytest.raises(Conflict) as caught:
        services.delete_question(db, staff, form.survey, form.questions[1].id, now=NOW)
    assert caught.value.code == "last_question"
