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
