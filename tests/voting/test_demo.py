"""The voting demo: an open vote with web and paper ballots, an earlier published one."""

from __future__ import annotations

from sqlmodel import select

from consult import clock
from consult.communities import demo as communities_demo
from consult.communities import services as communities
from consult.consultations.models import Idea, IdeaRound
from consult.voting import services
from consult.voting.models import VoteResult
from consult.voting.rules import RawBallot
from tests.voting.conftest import load_voting_demo


def test_demo(db, settings, client):
    _, users = load_voting_demo(db, settings)
    now = clock.utcnow()

    rounds = services.vote_rounds(db, now)
    current = next(s.vr for s in rounds if s.vr.state == "open" and s.vr.consultation.year == 2019)
    assert (current.settings.ballot_kind, current.settings.rule) == ("approval_budget", "greedy")
    seen = services.turnout(db, None, current, check=False)
    assert seen.by_channel["web"] > 200 and seen.by_channel["paper"] > 20
    assert [r.place.name for r in seen.areas] == communities_demo.AREAS
    assert all(row.voted for row in seen.areas) and seen.groups
    assert services.count_round(db, current).ballots == seen.total

    earlier = next(s for s in rounds if s.published)
    result = db.exec(select(VoteResult).where(VoteResult.round_id == earlier.vr.id)).one()
    assert result.finalized_at is not None and services.recount(db, earlier.vr, result).matches
    states = {i.state for i in db.exec(select(Idea).join(IdeaRound, IdeaRound.idea_id == Idea.id)
                                       .where(IdeaRound.round_id == earlier.vr.id)).all()}
    assert states == {"selected", "not_selected"}
    assert client.get(f"/rounds/{earlier.vr.id}/results").status_code == 200

    resident = users["13800000007"]  # 刘秀英 has not voted yet: she can try it
    ideas = services.ideas_on_ballot(db, current)
    cheapest = min(ideas, key=lambda i: i.cost_fen or 0)
    done = services.cast(db, communities.actor_for(db, resident), resident, current,
                         RawBallot(choices=[str(cheapest.id)]), now)
    assert done.changed is False
