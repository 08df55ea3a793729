"""The demo owners' votes hold what the issue promises, and 吴建国 can vote online."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from consult import clock
from consult.accounts.models import User
from consult.communities import demo as communities_demo
from consult.communities import services as communities
from consult.owners import demo, rules, services
from consult.owners.models import OwnerBallot, OwnerMatter


def test_demo_votes(db, settings):
    places = communities_demo.load_places(db)
    communities_demo.load_people(db, settings, places)
    demo.load(db, settings, places)
    now = clock.utcnow()
    matters = {m.estate_id: m for m in db.exec(select(OwnerMatter)).all()}

    lido = matters[places["国际丽都城"].id]
    assert rules.is_major(lido.kind) and services.state_of(lido, now) is rules.MatterState.CLOSED
    _, _, result = services.result(db, lido.id, now)
    assert result.quorum_met and result.owners_voted < result.owners_total
    channels = Counter(b.channel for b in db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == lido.id, OwnerBallot.active.is_(True))).all())
    assert set(channels) == {"web", "paper", "proxy"}
    assert services.attachments_of(db, lido)

    yupin = matters[places["御品大厦"].id]
    assert not rules.is_major(yupin.kind) and services.state_of(yupin, now) is rules.MatterState.OPEN
    homes = services.matter_homes(db, yupin)
    by_owner = rules.holdings(homes)
    assert len(by_owner[rules.DEVELOPER].home_ids) > 1  # developer stock, one owner
    assert sum(len(h.home_ids) > 1 for k, h in by_owner.items() if k is not rules.DEVELOPER) >= 2
    voided = db.exec(select(OwnerBallot).where(OwnerBallot.matter_id == yupin.id,
                                               OwnerBallot.active.is_(None))).one()
    assert voided.void_reason

    wu = db.exec(select(User).where(User.login == demo.OWNER)).one()
    [voice] = services.voices(db, wu, yupin)
    assert len(voice.homes) == 2 and voice.ballot is None
    ballot = services.cast_web_ballot(db, communities.actor_for(db, wu), wu, yupin.id,
                                      owner=voice.digest, choice="agree", now=now)
    assert ballot.channel == "web"
