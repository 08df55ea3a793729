"""Issue 16 item 16: the audit log reads as sentences — who (and for which committee) did
what to which object, why — with a link to the object, not ``close_round_early``."""

from __future__ import annotations

from consult import clock
from consult.consultations import services as consultations
from tests import factories
from tests.voting.conftest import build_world


def test_closing_a_round_early_reads_as_a_sentence_with_a_link(client, db, settings):
    world = build_world(db, settings)
    world.people["moderator"].display_name = "李娟"
    db.add(world.people["moderator"])
    consultations.close_round(db, world.actor("moderator"), world.round, reason="人数已够",
                              now=clock.utcnow(), open_next=False)
    db.flush()
    factories.sign_in(client, world.people["moderator"].login)
    page = client.get("/staff/audit").text
    area = world.tree["area_a"].name
    assert f"李娟（{area}居委会）提前结束了《2026 微更新》第 1 轮：人数已够" in page
    assert f'href="/consultations/{world.vote.consultation.id}"' in page
    assert "close_round_early" not in page


def test_owners_actions_read_as_sentences_with_links_to_the_estate_and_the_vote(client, db, settings):
    """Actions of another domain than consultations (the owners' register, links and votes)
    are sentences too; a target shown through another (a ballot through its vote) links
    to that one."""
    from tests.owners.conftest import NOW, World

    world = World(db, settings)
    matter = world.matter()
    ballot = world.vote(world.li, matter)
    from consult.owners import services as owners

    owners.void_ballot(db, world.staff, ballot.id, reason="重复投票", now=NOW)
    db.flush()
    factories.sign_in(client, world.moderator.login)
    page = client.get("/staff/audit").text
    assert f"导入了{world.estate.name}的业主名册" in page
    assert f'href="/estates/{world.estate.id}/owners"' in page
    assert "发起了业主表决《续聘物业服务企业》" in page
    assert "作废了《续聘物业服务企业》的一张表决票：重复投票" in page
    assert f'href="/owners/matters/{matter.id}"' in page
    assert "申请将li关联为业主名册中的业主" in page
    for code in ("create_owner_matter", "import_owner_register", "void_owner_ballot", "request_owner_link"):
        assert code not in page


def test_the_log_shows_an_entry_of_every_kind_even_when_its_object_is_gone(client, db, settings):
    """Every kind of object is looked up (a missing one leaves the sentence without a name or
    a link, never an error page)."""
    from consult.audit import services as audit
    from consult.staffdesk.audit_log import KINDS

    world = build_world(db, settings)
    area = world.tree["area_a"]
    for kind in [*KINDS, "round", "phone"]:
        audit.record(db, actor_id=world.people["moderator"].id, action="grant_role", target_type=kind,
                     target_id=999_999, place_id=area.id)
    db.flush()
    factories.sign_in(client, world.people["moderator"].login)
    page = client.get("/staff/audit")
    assert page.status_code == 200
    assert page.text.count("授予了角色") >= len(KINDS) + 2
