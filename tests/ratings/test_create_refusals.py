"""Creating and changing campaigns, contests and forums in a state or a role that refuses
it, over the API and on the staff pages: refused with the state's (or the role's) clear
message, and nothing is created or changed. The services' own checks of every action in
every state are ``test_lifecycle.py``; these are the endpoints in front of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.i18n import translator
from consult.parsing import local_input
from consult.ratings import rules, services
from consult.ratings.models import Campaign, Contest, Forum, StaffScore, Subject
from consult.ratings.rules import CriterionDraft
from tests import factories
from tests.conftest import post_form
from tests.surveys.builders import person

#: how long ago the campaign was published, for each state it is in now
PUBLISHED_AGO = {"notice": timedelta(hours=1), "final": timedelta(days=30)}
ZH = translator("zh_Hans")


def bearer(db, user) -> dict:
    token = accounts.issue_token(db, user)
    db.flush()
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def scene(db, settings):
    """恒丰 (area_a) with its moderator, a moderator of 郑家巷 (area_b) and a resident; a
    campaign of 恒丰 rating one owners' committee by a staff score, with one forum."""
    tree = factories.place_tree(db)
    people = {name: person(db, settings, role, tree[place], name=name)
              for name, role, place in (("moderator", "moderator", "area_a"),
                                        ("outsider", "moderator", "area_b"),
                                        ("resident", "resident", "area_a"))}
    staff = people["moderator"][1]
    campaign = services.create_campaign(db, staff, place_id=tree["area_a"].id, title="星级业委会",
                                        year="2026", notice_days="7")
    services.set_criteria(db, staff, campaign, [services.CriterionRow(None, CriterionDraft("台账", 100, "staff"))])
    subject = services.add_subject(db, staff, campaign, kind="owners_committee", place_id=tree["estate_a"].id)
    ledger = services.criteria_of(db, campaign)[0]
    services.save_staff_scores(db, staff, campaign, ledger, {subject.id: ("90", "台账齐全")}, now=clock.utcnow())
    forum = services.create_forum(db, staff, campaign, subject_id=subject.id,
                                  held_at=clock.utcnow() - timedelta(days=40), location="会议室")
    return {"tree": tree, "people": people, "campaign": campaign, "subject": subject, "forum": forum,
            "ledger": ledger}


def _publish(db, scene, state):
    if state != "draft":
        services.publish(db, scene["people"]["moderator"][1], scene["campaign"],
                         clock.utcnow() - PUBLISHED_AGO[state])
    assert services.state_of(scene["campaign"], clock.utcnow()) == state


def _snapshot(db, scene):
    db.flush()
    campaign = db.get(Campaign, scene["campaign"].id)
    db.refresh(campaign)

    def rows(*columns, where=True):
        return tuple(map(tuple, db.exec(select(*columns).where(where).order_by(*columns)).all()))

    return ((campaign.published_at, *campaign.thresholds),
            db.exec(select(func.count()).select_from(Campaign)).one(),
            rows(Contest.id, Contest.campaign_id),
            rows(Subject.id, Subject.name, where=Subject.campaign_id == campaign.id),
            rows(StaffScore.subject_id, StaffScore.score, StaffScore.evidence),
            rows(Forum.id, Forum.location, Forum.minutes, Forum.held_at))


def _forum_body(scene) -> dict:
    return {"subject_id": scene["subject"].id, "held_at": local_input(clock.utcnow() + timedelta(days=3)),
            "location": "居委会二楼"}


def _contest_body(scene, place="area_a") -> dict:
    opens = clock.utcnow() + timedelta(days=1)
    return {"place_id": scene["tree"][place].id, "title": "最美楼道", "opens_at": local_input(opens),
            "closes_at": local_input(opens + timedelta(days=7)), "campaign_id": scene["campaign"].id}


@pytest.mark.parametrize("state", ["notice", "final"])
def test_the_api_creates_no_forum_attaches_no_contest_and_rates_nothing_once_published(client, db, scene, state):
    _publish(db, scene, state)
    staff = bearer(db, scene["people"]["moderator"][0])
    before = _snapshot(db, scene)
    for url, body, action in ((f"/api/v1/campaigns/{scene['campaign'].id}/forums", _forum_body(scene),
                               "manage_forum"),
                              ("/api/v1/contests", _contest_body(scene), "attach_contest"),
                              (f"/api/v1/forums/{scene['forum'].id}/ratings", {"ratings": []},
                               "enter_forum_ratings")):
        send = client.put if url.endswith("/ratings") else client.post
        refused = send(url, json=body, headers=staff)
        assert refused.status_code == 409, (url, refused.text)
        error = refused.json()["error"]
        assert error["code"] == rules.CAMPAIGN_CODES[state]
        assert error["message"] == ZH(rules.campaign_action_problem(action, state))
    # the state is what stands in the way, whatever else the form gets wrong
    backwards = client.post("/api/v1/contests", json={**_contest_body(scene), "closes_at": "2026-01-01T09:00"},
                            headers=staff)
    assert backwards.status_code == 409 and backwards.json()["error"]["code"] == rules.CAMPAIGN_CODES[state]
    assert _snapshot(db, scene) == before
    # a contest of its own, counting for no campaign, is still made
    alone = client.post("/api/v1/contests", json={**_contest_body(scene), "campaign_id": None}, headers=staff)
    assert alone.status_code == 201, alone.text


@pytest.mark.parametrize("state", ["notice", "final"])
def test_the_staff_pages_create_and_change_nothing_once_published(client, db, scene, state):
    _publish(db, scene, state)
    factories.sign_in(client, scene["people"]["moderator"][0].login)
    campaign, forum = scene["campaign"].id, scene["forum"].id
    page = f"/staff/ratings/{campaign}"
    shown = client.get(page)
    assert shown.status_code == 200
    for form in ("/forums", "/thresholds", "/criteria", "/subjects"):
        assert f'action="{page}{form}"' not in shown.text, form
    expected = ZH(rules.campaign_action_problem("change_setup", state))
    before = _snapshot(db, scene)
    attempts = [
        (page, f"{page}/forums", {k: str(v) for k, v in _forum_body(scene).items()}),
        ("/staff/ratings", "/staff/contests", {k: str(v) for k, v in _contest_body(scene).items()}),
        (page, f"{page}/thresholds", {"t1": "10", "t2": "20", "t3": "30", "t4": "40", "t5": "50"}),
        (page, f"{page}/subjects", {"kind": "building_group", "place_id": str(scene["tree"]["group_a"].id)}),
        (page, f"{page}/scores/{scene['ledger'].id}", {f"s{scene['subject'].id}": "10",
                                                        f"e{scene['subject'].id}": "复查"}),
        (f"/staff/forums/{forum}", f"/staff/forums/{forum}",
         {"held_at": local_input(clock.utcnow()), "location": "别处", "agenda": "", "minutes": "改写"}),
    ]
    for opened, action, data in attempts:
        refused = post_form(client, opened, action, data)
        assert refused.status_code == 409, (action, refused.status_code)
        assert expected in refused.text, action
    assert _snapshot(db, scene) == before


def test_only_staff_of_the_place_create_campaigns_contests_and_forums_over_the_api(client, db, scene):
    outsider = bearer(db, scene["people"]["outsider"][0])
    resident = bearer(db, scene["people"]["resident"][0])
    area_a = scene["tree"]["area_a"].id
    before = _snapshot(db, scene)
    campaign = {"place_id": area_a, "title": "星级物业", "year": 2026}
    forums = f"/api/v1/campaigns/{scene['campaign'].id}/forums"
    for headers in (outsider, resident):
        assert client.post("/api/v1/campaigns", json=campaign, headers=headers).status_code == 403
        assert client.post("/api/v1/contests", json={**_contest_body(scene), "campaign_id": None},
                           headers=headers).status_code == 403
        assert client.post(forums, json=_forum_body(scene), headers=headers).status_code == 403
    # its own area's contest, but counting for 恒丰's campaign: that field is refused
    borrowed = client.post("/api/v1/contests", json=_contest_body(scene, place="area_b"), headers=outsider)
    assert borrowed.status_code == 422 and set(borrowed.json()["error"]["fields"]) == {"campaign_id"}
    assert _snapshot(db, scene) == before


def test_only_staff_of_the_place_create_them_on_the_pages(client, db, scene):
    area_a = str(scene["tree"]["area_a"].id)
    page = f"/staff/ratings/{scene['campaign'].id}"
    before = _snapshot(db, scene)
    factories.sign_in(client, scene["people"]["outsider"][0].login)
    campaign = {"place_id": area_a, "title": "星级物业", "year": "2026", "description": "",
                "notice_days": "7"}
    assert post_form(client, "/staff/ratings", "/staff/ratings", campaign).status_code == 403
    contest = {k: str(v) for k, v in {**_contest_body(scene), "campaign_id": ""}.items()}
    assert post_form(client, "/staff/ratings", "/staff/contests", contest).status_code == 403
    assert client.get(page).status_code in (403, 404)
    forum = {k: str(v) for k, v in _forum_body(scene).items()}
    assert post_form(client, "/staff/ratings", f"{page}/forums", forum).status_code == 403
    borrowed = post_form(client, "/staff/ratings", "/staff/contests",
                         {k: str(v) for k, v in _contest_body(scene, place="area_b").items()})
    assert borrowed.status_code == 422 and ZH("Please choose a campaign.") in borrowed.text
    factories.sign_in(client, scene["people"]["resident"][0].login)
    assert post_form(client, "/", "/staff/ratings", campaign).status_code == 403
    assert _snapshot(db, scene) == before


@pytest.mark.parametrize("state", ["closed", "rated"])
def test_a_contest_takes_no_entry_once_closed_or_rated(client, db, scene, state):
    staff = scene["people"]["moderator"][1]
    now = clock.utcnow()
    opens, closes = ((now - timedelta(days=8), now - timedelta(hours=1)) if state == "closed"
                     else (now - timedelta(days=1), now + timedelta(days=6)))
    contest = services.create_contest(db, staff, place_id=scene["tree"]["area_a"].id, title="最美楼道",
                                      description="", opens_at=opens, closes_at=closes, now=opens)
    entry = services.add_entry(db, staff, contest, title="恒丰1号楼组", now=opens - timedelta(hours=1))
    if state == "rated":
        services.rate_entry(db, scene["people"]["resident"][1], contest, entry.id, "5", now)
    expected = services.entry_refusal(db, contest, now)
    assert expected is not None
    factories.sign_in(client, scene["people"]["moderator"][0].login)
    page = f"/staff/contests/{contest.id}"
    assert f'action="{page}/entries"' not in client.get(page).text
    refused = post_form(client, page, f"{page}/entries", {"title": "郑家巷1号楼组", "text": ""})
    assert refused.status_code == 409 and ZH(expected) in refused.text
    assert [e.entry.title for e in services.entries(db, contest, None)] == ["恒丰1号楼组"]
