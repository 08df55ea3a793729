"""While voting is open staff see who has voted and by which channel, never how; a
voided ballot is never silent (issue 11, item 3).

After the close the per-home record and its export stay as they were: owners' votes
are signed votes (实名表决票), kept for inspection and recounts by home.
"""

from __future__ import annotations

import re

from sqlmodel import select

from consult import clock
from consult.audit.models import AuditEntry
from consult.notifications.models import Notification
from consult.owners import services
from consult.owners.models import OwnerBallot
from tests import factories
from tests.conftest import post_form
from tests.owners.test_api import token
from tests.owners.test_routes import close, open_matter

CHOICE_WORDS = ("同意", "反对", "弃权")


def ballot_list_html(html: str) -> str:
    return html.split('id="list-h"', 1)[1].split("</section>", 1)[0]


def test_ballots_page_shows_who_and_how_it_came_but_not_the_choice_until_close(client, world, db):
    matter = open_matter(world)
    now = clock.utcnow()
    world.vote(world.li, matter, "disagree", now=now)
    services.enter_paper_ballot(db, world.staff, matter.id, serial="7", home="1-106",
                                choice="abstain", now=now)
    factories.sign_in(client, world.moderator.login)
    page = client.get(f"/owners/matters/{matter.id}/ballots")
    listing = ballot_list_html(page.text)
    assert "1-101" in listing and "1-106" in listing  # who voted
    assert "网上" in listing and "纸质表决票" in listing  # by which channel
    assert not [w for w in CHOICE_WORDS if w in listing], listing
    assert 'id="choices-sealed"' in page.text
    close(db, matter)
    listing = ballot_list_html(client.get(f"/owners/matters/{matter.id}/ballots").text)
    assert "反对" in listing and "弃权" in listing  # the signed record after the close


def test_api_answers_to_staff_carry_no_choice_while_voting_is_open(client, world):
    matter = open_matter(world, double_key=True)
    first = client.post(f"/api/v1/owners/matters/{matter.id}/paper-ballots",
                        headers=token(client, world.moderator),
                        json={"serial": "B1", "home_id": "1-107", "choice": "disagree"})
    second = client.post(f"/api/v1/owners/matters/{matter.id}/paper-ballots",
                         headers=token(client, world.moderator2),
                         json={"serial": "B1", "home_id": "1-107", "choice": "agree"})
    assert first.status_code == second.status_code == 201
    assert second.json()["outcome"] == "mismatch"
    assert first.json()["ballot"]["choice"] is None and second.json()["ballot"]["choice"] is None
    # the voter sees their own ballot
    cast = client.post(f"/api/v1/owners/matters/{matter.id}/ballots", headers=token(client, world.li),
                       json={"choice": "agree"})
    assert cast.json()["choice"] == "agree"


def test_audit_log_of_voiding_and_settling_keeps_no_choice(world, db):
    matter = world.matter(double_key=True)
    ballot = world.vote(world.li, matter, "disagree")
    services.void_ballot(db, world.staff, ballot.id, reason="业主申请更正", now=clock_now())
    services.enter_paper_ballot(db, world.staff, matter.id, serial="P1", home="1-107",
                                choice="agree", now=clock_now())
    entry = services.enter_paper_ballot(db, world.actor(world.moderator2), matter.id, serial="P1",
                                        home="1-107", choice="abstain", now=clock_now())
    services.resolve_mismatch(db, world.actor(world.moderator2), entry.ballot.id, keep="first",
                              now=clock_now())
    entries = db.exec(select(AuditEntry).where(AuditEntry.action.in_(
        ("void_owner_ballot", "resolve_owner_paper_ballot")))).all()
    assert len(entries) == 2
    for audit in entries:
        text = repr(audit.details)
        assert not re.search(r"agree|disagree|abstain", text), text


def clock_now():
    from tests.owners.conftest import NOW
    return NOW


def test_voiding_needs_a_reason_someone_else_notifies_the_owner_and_is_published(client, world, db):
    matter = open_matter(world)
    now = clock.utcnow()
    ballot = world.vote(world.li, matter, "agree", now=now)
    paper = services.enter_paper_ballot(db, world.staff, matter.id, serial="9", home="1-107",
                                        choice="agree", now=now).ballot
    factories.sign_in(client, world.moderator.login)
    page = f"/owners/matters/{matter.id}/ballots"
    assert post_form(client, page, f"/owners/ballots/{ballot.id}/void", {"reason": " "}).status_code == 422
    assert db.get(OwnerBallot, ballot.id).active is True
    # who entered a ballot does not void it (li cast her own, the moderator keyed the paper)
    assert post_form(client, page, f"/owners/ballots/{paper.id}/void", {"reason": "录错"}).status_code == 403
    with_reason = post_form(client, page, f"/owners/ballots/{ballot.id}/void", {"reason": "系统故障，重新投票"})
    assert with_reason.status_code == 303
    note = db.exec(select(Notification).where(Notification.user_id == world.li.id,
                                              Notification.kind == "owner_ballot_voided")).one()
    assert note.params == {"title": matter.title, "reason": "系统故障，重新投票"}
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "void_owner_ballot")).one().actor_id == world.moderator.id
    factories.sign_in(client, world.moderator2.login)
    assert post_form(client, page, f"/owners/ballots/{paper.id}/void", {"reason": "房号录错"}).status_code == 303
    close(db, matter)
    client.cookies.clear()
    result = client.get(f"/owners/matters/{matter.id}/result")
    section = result.text.split('id="voided"', 1)[1].split("</section>", 1)[0]
    assert "2" in section and "系统故障，重新投票" in section and "房号录错" in section
    words = re.sub(r"<[^>]+>", " ", section)
    assert "li" not in words and "qian" not in words and "1-10" not in words  # no names, no homes
    body = client.get(f"/api/v1/owners/matters/{matter.id}/result").json()
    assert body["voided"] == {"count": 2, "reasons": ["系统故障，重新投票", "房号录错"]}


def test_differing_keyings_are_settled_by_keying_again_without_showing_choices(client, world, db):
    matter = open_matter(world, double_key=True)
    now = clock.utcnow()
    services.enter_paper_ballot(db, world.staff, matter.id, serial="M1", home="1-107",
                                choice="agree", now=now)
    services.enter_paper_ballot(db, world.actor(world.moderator2), matter.id, serial="M1",
                                home="1-107", choice="disagree", now=now)
    factories.sign_in(client, world.moderator2.login)
    page = f"/owners/matters/{matter.id}/ballots"
    html = client.get(page).text
    mismatches = html.split('id="mismatch-h"', 1)[1].split("</section>", 1)[0]
    form = mismatches.split("<form", 1)[0] + mismatches.split("</fieldset>", 1)[1]
    assert not [w for w in CHOICE_WORDS if w in form], form  # only the re-keying radios name them
    [ballot] = client.get(page).context["listing"].mismatches
    wrong = post_form(client, page, f"/owners/ballots/{ballot.id}/resolve", {"home": "1-107", "choice": "abstain"})
    assert wrong.status_code == 409
    right = post_form(client, page, f"/owners/ballots/{ballot.id}/resolve", {"home": "1-107", "choice": "disagree"})
    assert right.status_code == 303
    db.expire_all()
    settled = db.get(OwnerBallot, ballot.id)
    assert (settled.status, settled.choice) == ("confirmed", "disagree")
