"""Linking an owner of record to an account (issue 11, item 2).

Staff only ask; someone else confirms: the account holder (on their page, or by
reading the code shown there to staff) or a second staff member, never the person
who asked, never on one's own account alone, and only the owner while a matter of
the estate is open and only if the owner has not voted.  One account holds one owner
(or co-owners of the same homes).  The owner is notified; the audit log keeps who
asked and who confirmed.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult.audit.models import AuditEntry
from consult.communities import services as communities
from consult.communities.models import HomeOwner
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.notifications.models import Notification
from consult.owners import rules, services
from consult.owners.models import OwnerLink
from consult.owners.rules import LinkMethod
from tests import factories
from tests.conftest import post_form
from tests.owners.conftest import BEFORE, NOW
from tests.owners.test_api import token


@pytest.fixture
def qian(db, settings):
    return factories.user(db, settings, name="qian")


def ask(world, person, name="qian", staff=None, now=NOW):
    return services.request_link(world.db, staff or world.staff, world.owner_row(name).id,
                                 phone=person.phone, now=now)


def linked_to(world, name="qian"):
    return world.owner_row(name).user_id


# -- the pure rules ------------------------------------------------------------------------


@pytest.mark.parametrize("method, decider, requested_by, account, matter_open, expected", [
    (LinkMethod.OWNER, 3, 1, 3, False, None),
    (LinkMethod.OWNER, 3, 1, 3, True, None),
    (LinkMethod.OWNER, 2, 1, 3, False, "not_yours"),
    (LinkMethod.OWNER, 3, 3, 3, False, "own_request"),  # staff linking their own account
    (LinkMethod.CODE, 1, 1, 3, False, None),  # the asker types the owner's code: fine
    (LinkMethod.CODE, 1, 1, 3, True, None),
    (LinkMethod.CODE, 3, 1, 3, False, "own_request"),  # one's own code
    (LinkMethod.CODE, 2, 3, 3, False, "own_request"),  # own account: the code is one's own
    (LinkMethod.SECOND_STAFF, 2, 1, 3, False, None),
    (LinkMethod.SECOND_STAFF, 1, 1, 3, False, "own_request"),
    (LinkMethod.SECOND_STAFF, 3, 1, 3, False, "own_request"),
    (LinkMethod.SECOND_STAFF, 2, 3, 3, False, None),  # own account, someone else approves
    (LinkMethod.SECOND_STAFF, 2, 1, 3, True, "owner_must_confirm"),
    (LinkMethod.OWNER, None, 1, 3, False, "not_signed_in"),
])
def test_link_refusal_table(method, decider, requested_by, account, matter_open, expected):
    assert rules.link_refusal(method, decider=decider, requested_by=requested_by, account=account,
                              matter_open=matter_open) == expected


def test_an_account_holds_one_owner_or_co_owners_of_the_same_homes():
    held = [(4, "wang", 10), (4, "wang", 11)]
    assert rules.account_may_hold([], estate_id=4, name="zhao", homes=[10])
    assert rules.account_may_hold(held, estate_id=4, name="wang", homes=[10, 11])
    assert rules.account_may_hold(held, estate_id=4, name="zhao", homes=[10, 11])  # co-owner
    assert not rules.account_may_hold(held, estate_id=4, name="qian", homes=[12])
    assert not rules.account_may_hold([(6, "wang", 10)], estate_id=4, name="wang", homes=[10])


# -- asking and confirming -----------------------------------------------------------------


def test_asking_links_nothing_but_tells_the_account_holder_and_is_audited(world, db, qian):
    link = ask(world, qian)
    assert link.status == "pending" and linked_to(world) is None
    note = db.exec(select(Notification).where(Notification.user_id == qian.id)).one()
    assert note.kind == "owner_link_requested" and note.params["name"] == "qian"
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "request_owner_link",
                                             AuditEntry.target_id == qian.id)).one()
    assert entry.details["requested_by"] == world.moderator.id and entry.target_id == qian.id


def test_the_account_holder_confirms_on_their_page(world, db, qian):
    link = ask(world, qian)
    with pytest.raises(NotFound):  # not someone else's request
        services.confirm_link(db, world.actor(world.li), link.id, method="owner", now=NOW)
    services.confirm_link(db, world.actor(qian), link.id, method="owner", now=NOW)
    assert linked_to(world) == qian.id
    assert ("owner", world.estate.id) in communities.actor_for(db, qian).roles
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "link_owner",
                                             AuditEntry.target_id == qian.id)).one()
    assert (entry.details["requested_by"], entry.details["confirmed_by"], entry.details["method"]) == (
        world.moderator.id, qian.id, "owner")
    kinds = db.exec(select(Notification.kind).where(Notification.user_id == qian.id)).all()
    assert "owner_linked" in kinds
    with pytest.raises(Conflict):  # decided once
        services.confirm_link(db, world.actor(qian), link.id, method="owner", now=NOW)


def test_staff_type_the_code_the_owner_reads_out(world, db, qian):
    link = ask(world, qian)
    with pytest.raises(FieldErrors):
        services.confirm_link(db, world.staff, link.id, method="code", code="not it", now=NOW)
    assert linked_to(world) is None
    services.confirm_link(db, world.staff, link.id, method="code", code=link.code, now=NOW)
    assert linked_to(world) == qian.id
    assert db.get(OwnerLink, link.id).method == "code"


def test_five_wrong_codes_cancel_the_request(world, db, qian):
    link = ask(world, qian)
    wrong = "000000" if link.code != "000000" else "111111"
    for _ in range(services.MAX_CODE_ATTEMPTS):
        with pytest.raises(FieldErrors):
            services.confirm_link(db, world.staff, link.id, method="code", code=wrong, now=NOW)
    assert db.get(OwnerLink, link.id).status == "cancelled"
    with pytest.raises(Conflict):
        services.confirm_link(db, world.staff, link.id, method="code", code=link.code, now=NOW)


def test_a_second_staff_member_approves_but_not_the_one_who_asked(world, db, settings, qian):
    link = ask(world, qian)
    with pytest.raises(Forbidden):
        services.confirm_link(db, world.staff, link.id, method="second_staff", now=NOW)
    with pytest.raises(Forbidden):  # nor can a resident approve
        services.confirm_link(db, world.actor(world.li), link.id, method="second_staff", now=NOW)
    rep = factories.user(db, settings, name="代表2")
    communities.grant_role(db, user=rep, role="owners_rep", place=world.estate)
    with pytest.raises(Forbidden):  # nor an owners' representative: four eyes means staff
        services.confirm_link(db, world.actor(rep), link.id, method="second_staff", now=NOW)
    services.confirm_link(db, world.actor(world.moderator2), link.id, method="second_staff", now=NOW)
    assert linked_to(world) == qian.id


def test_staff_linking_their_own_account_need_someone_else(world, db, settings):
    rep = factories.user(db, settings, name="代表")
    communities.grant_role(db, user=rep, role="owners_rep", place=world.estate)
    rep_actor = world.actor(rep)
    link = ask(world, rep, staff=rep_actor)
    with pytest.raises(Forbidden):  # confirming one's own request as "the owner"
        services.confirm_link(db, rep_actor, link.id, method="owner", now=NOW)
    with pytest.raises(Forbidden):  # typing one's own code, or having it typed
        services.confirm_link(db, rep_actor, link.id, method="code", code=link.code, now=NOW)
    with pytest.raises(Forbidden):
        services.confirm_link(db, world.staff, link.id, method="code", code=link.code, now=NOW)
    assert linked_to(world) is None
    services.confirm_link(db, world.staff, link.id, method="second_staff", now=NOW)
    assert linked_to(world) == rep.id


def test_an_account_linked_to_another_owner_is_refused_unless_co_owner(world, db):
    with pytest.raises(Conflict) as caught:  # li's account cannot also vote for qian
        ask(world, world.li)
    assert caught.value.code == "linked_to_other_owner"
    # wang and zhao own 1-103 and 1-104 together: one account may hold both of them
    link = ask(world, world.wang, name="zhao")
    services.confirm_link(db, world.actor(world.wang), link.id, method="owner", now=NOW)
    assert linked_to(world, "zhao") == world.wang.id


def test_while_a_matter_is_open_only_the_owner_confirms_and_only_before_voting(world, db, settings, qian):
    matter = world.matter(now=BEFORE)  # open at NOW
    link = ask(world, qian)
    with pytest.raises(Conflict) as caught:
        services.confirm_link(db, world.actor(world.moderator2), link.id, method="second_staff", now=NOW)
    assert caught.value.code == "owner_must_confirm"
    # the owner votes on paper before confirming: the link is refused
    services.enter_paper_ballot(db, world.staff, matter.id, serial="Q1", home="1-107",
                                choice="agree", now=NOW)
    with pytest.raises(Conflict) as caught:
        services.confirm_link(db, world.actor(qian), link.id, method="owner", now=NOW)
    assert caught.value.code == "owner_voted" and linked_to(world) is None
    with pytest.raises(Conflict):  # and a new request too
        ask(world, factories.user(db, settings, name="qian2"))


def test_while_a_matter_is_open_the_owner_who_has_not_voted_can_confirm(world, db, qian):
    matter = world.matter(now=BEFORE)
    link = ask(world, qian)
    services.confirm_link(db, world.staff, link.id, method="code", code=link.code, now=NOW)
    [voice] = services.voices(db, qian, matter)
    assert voice.names == ("qian",)


def test_the_reported_attack_a_rep_voting_as_another_owner_is_refused(world, db, settings):
    """An owners' representative links their own account to an owner during an open matter."""
    matter = world.matter(now=BEFORE)
    rep = factories.user(db, settings, name="代表")
    communities.grant_role(db, user=rep, role="owners_rep", place=world.estate)
    link = ask(world, rep, staff=world.actor(rep))
    for method, decider in (("owner", rep), ("code", world.moderator), ("second_staff", world.moderator)):
        with pytest.raises((Forbidden, Conflict)):
            services.confirm_link(db, world.actor(decider), link.id, method=method, code=link.code, now=NOW)
    assert services.voices(db, rep, matter) == []


def test_refusing_and_withdrawing(world, db, qian):
    link = ask(world, qian)
    services.refuse_link(db, world.actor(qian), link.id, now=NOW)
    assert db.get(OwnerLink, link.id).status == "refused"
    again = ask(world, qian)
    with pytest.raises(NotFound):
        services.refuse_link(db, world.actor(world.li), again.id, now=NOW)
    services.refuse_link(db, world.staff, again.id, now=NOW)
    assert db.get(OwnerLink, again.id).status == "cancelled"


def test_unlinking_tells_the_account_holder_and_ends_the_owner_role(world, db):
    assert ("owner", world.estate.id) in world.actor(world.li).roles
    services.unlink_owner(db, world.staff, world.owner_row("li").id, now=NOW)
    assert ("owner", world.estate.id) not in world.actor(world.li).roles
    assert db.exec(select(HomeOwner.user_id).where(HomeOwner.name == "li")).all() == [None, None]
    assert db.exec(select(Notification).where(Notification.user_id == world.li.id,
                                              Notification.kind == "owner_unlinked")).one()


# -- pages and API -------------------------------------------------------------------------


def test_pages_second_staff_approval_and_code(client, world, db, qian):
    factories.sign_in(client, world.moderator.login)
    owner = world.owner_row("qian")
    page = f"/owners/homes/{owner.home_id}"
    assert post_form(client, page, f"/owners/owner-records/{owner.id}/link",
                     {"phone": qian.phone}).status_code == 303
    [(link, _)] = client.get(page).context["pending"]
    html = client.get(page).text
    assert link.code not in html  # staff never see the code
    assert f"/owners/links/{link.id}/approve" not in html  # not offered to who asked
    response = post_form(client, page, f"/owners/links/{link.id}/code", {"code": "x"})
    assert response.status_code == 422 and link.id in response.context["code_errors"]
    factories.sign_in(client, world.moderator2.login)
    assert f"/owners/links/{link.id}/approve" in client.get(page).text
    assert post_form(client, page, f"/owners/links/{link.id}/approve", {}).status_code == 303
    db.expire_all()
    assert world.owner_row("qian").user_id == qian.id


def test_refused_link_request_on_the_page_says_why(client, world):
    factories.sign_in(client, world.moderator.login)
    owner = world.owner_row("qian")
    page = f"/owners/homes/{owner.home_id}"
    response = post_form(client, page, f"/owners/owner-records/{owner.id}/link", {"phone": world.li.phone})
    assert response.status_code == 409 and "另一位业主" in response.text


def test_api_link_flow(client, world, qian):
    owner = world.owner_row("qian")
    asked = client.post(f"/api/v1/owners/owner-records/{owner.id}/link",
                        headers=token(client, world.moderator), json={"phone": qian.phone})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    assert asked.json()["code"] is None  # never to staff
    link_id = asked.json()["id"]
    holder = token(client, qian)
    [mine] = client.get("/api/v1/owners/links", headers=holder).json()["links"]
    assert mine["id"] == link_id and len(mine["code"]) == 6
    approve = client.post(f"/api/v1/owners/links/{link_id}/approve", headers=token(client, world.moderator))
    assert approve.status_code == 403
    code = client.post(f"/api/v1/owners/links/{link_id}/code", headers=token(client, world.moderator),
                       json={"code": mine["code"]})
    assert code.status_code == 200 and code.json() == {**mine, "status": "linked", "method": "code",
                                                       "code": None}
    world.db.expire_all()
    assert world.owner_row("qian").user_id == qian.id
