"""An estate's survey (业委会满意度) reaches the people of that estate, not the whole area.

A resident of the same residential area whose verified building group, or whose
linked home, is in another estate is refused, with the reason, on the page and in
the API (issue 16 item 9).
"""

from datetime import timedelta

import pytest

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as places
from consult.communities.models import VerificationRequest
from consult.errors import Forbidden
from consult.surveys import services
from tests import factories
from tests.conftest import post_form
from tests.surveys.builders import good_answers, home, person, survey


@pytest.fixture
def tree(db):
    tree = factories.place_tree(db)
    tree["estate_a2"] = places.create_place(db, kind="estate", name="恒丰二村", parent=tree["area_a"])
    tree["group_a2"] = places.create_place(db, kind="building_group", name="二村1号楼组",
                                           parent=tree["estate_a2"])
    db.flush()
    return tree


@pytest.fixture
def form(db, settings, tree):
    _, staff = person(db, settings, "moderator", tree["area_a"], name="居委会")
    now = clock.utcnow()
    return survey(db, staff, tree["estate_a"], opens=now - timedelta(days=1), closes=now + timedelta(days=5))


def _verified(db, settings, tree, group):
    user, _ = person(db, settings, "resident", tree["area_a"])
    db.add(VerificationRequest(user_id=user.id, area_id=tree["area_a"].id, building_group_id=group.id,
                               status="approved"))
    db.flush()
    return user, places.actor_for(db, user)


def test_a_resident_of_another_estate_is_refused_with_the_reason(db, settings, tree, form):
    _, elsewhere = _verified(db, settings, tree, tree["group_a2"])
    verdict = services.eligibility(db, elsewhere, form, clock.utcnow())
    assert not verdict.may_answer and not verdict.already
    assert verdict.reason.params["place"] == "恒丰小区"
    assert "another estate" in verdict.reason.text
    with pytest.raises(Forbidden):
        services.submit(db, elsewhere, form, good_answers(form), now=clock.utcnow())


def test_an_owner_of_a_home_in_another_estate_is_refused(db, settings, tree, form):
    user, actor = person(db, settings, "resident", tree["area_a"])
    home(db, tree["estate_a2"], tree["group_a2"], "2-101", user)
    assert not services.eligibility(db, places.actor_for(db, user), form, clock.utcnow()).may_answer


def test_people_of_the_estate_answer(db, settings, tree, form):
    _, inside = _verified(db, settings, tree, tree["group_a"])
    assert services.eligibility(db, inside, form, clock.utcnow()).may_answer
    owner, _ = person(db, settings, "resident", tree["area_a"])
    home(db, tree["estate_a"], tree["group_a"], "1-101", owner)
    home(db, tree["estate_a2"], tree["group_a2"], "2-102", owner)  # a flat here and one there
    assert services.eligibility(db, places.actor_for(db, owner), form, clock.utcnow()).may_answer


def test_the_page_and_the_api_give_the_reason(client, db, settings, tree, form):
    user, _ = _verified(db, settings, tree, tree["group_a2"])
    factories.sign_in(client, user.login)
    page = client.get(f"/surveys/{form.survey.id}")
    assert page.status_code == 200
    assert "此测评只请恒丰小区的业主和住户填写" in page.text
    refused = post_form(client, f"/surveys/{form.survey.id}", f"/surveys/{form.survey.id}",
                        good_answers(form))
    assert refused.status_code == 403 and "此测评只请恒丰小区的业主和住户填写" in refused.text
    token = accounts.issue_token(db, user)
    db.flush()
    headers = {"authorization": f"Bearer {token}"}
    detail = client.get(f"/api/v1/surveys/{form.survey.id}", headers=headers).json()
    assert detail["you"]["may_answer"] is False and "恒丰小区" in detail["you"]["reason"]
    answers = {key[1:]: values[0] for key, values in good_answers(form).items()}
    api = client.post(f"/api/v1/surveys/{form.survey.id}/responses", json={"answers": answers},
                      headers=headers)
    assert api.status_code == 403 and "此测评只请恒丰小区的业主和住户填写" in api.text
