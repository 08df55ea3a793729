"""Rounds that move on by themselves (issue 15, item 4): at the close, on time, the ideas
go into the next round without a click, and those below the support threshold say so."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult.consultations import rules, services
from consult.consultations.models import IdeaRound, TimelineEntry
from tests.consultations.conftest import new_idea


def _threshold(db, world, needed):
    world.collect.settings = {**world.collect.settings, "supports_needed": needed}
    db.add(world.collect)
    db.flush()


def test_a_collect_round_closing_on_time_carries_its_ideas_once(db, world):
    _threshold(db, world, 1)
    popular = new_idea(db, world, title="加装扶手")
    lonely = new_idea(db, world, title="健身步道")
    services.support_idea(db, world.actor("resident_a2"), popular, world.now)
    assert services.carry_due(db, world.collect.closes_at - timedelta(seconds=1)) == []
    assert popular.current_round_id == world.collect.id

    after = world.collect.closes_at + timedelta(seconds=1)
    done = services.carry_due(db, after)
    assert [(d.round.id, d.carried) for d in done] == [(world.collect.id, 1)]
    assert popular.current_round_id == world.review.id and popular.state == "submitted"
    assert lonely.current_round_id == world.collect.id and lonely.state == "below_threshold"
    assert world.collect.carried_at == after

    assert services.carry_due(db, after + timedelta(hours=1)) == []  # nothing moves twice
    links = db.exec(select(IdeaRound.round_id).where(IdeaRound.idea_id == popular.id)).all()
    assert sorted(links) == sorted([world.collect.id, world.review.id])
    carried = db.exec(select(TimelineEntry).where(TimelineEntry.idea_id == popular.id,
                                                  TimelineEntry.action == "carried")).all()
    assert len(carried) == 1


def test_ideas_below_the_threshold_stay_behind_marked_and_leave_the_queue(db, world):
    _threshold(db, world, 2)
    lonely = new_idea(db, world, title="健身步道")
    services.support_idea(db, world.actor("resident_a2"), lonely, world.now)
    moderator = world.actor("moderator_a")
    assert lonely.id in [r.idea.id for r in services.review_queue(db, moderator, world.consultation)]

    services.carry_due(db, world.collect.closes_at)
    assert lonely.state == "below_threshold" and lonely.current_round_id == world.collect.id
    entry = db.exec(select(TimelineEntry).where(TimelineEntry.idea_id == lonely.id,
                                                TimelineEntry.action == "below_threshold")).one()
    assert entry.details == {"needed": 2, "count": 1} and entry.round_id == world.collect.id
    assert entry.actor_role == "system"
    assert lonely.id not in [r.idea.id for r in services.review_queue(db, moderator, world.consultation)]
    text = rules.timeline_text(entry.action, entry.details, lambda m: m.text % m.params)
    assert "1" in text and "2" in text
    services.carry_due(db, world.collect.closes_at + timedelta(days=1))
    assert len(db.exec(select(TimelineEntry).where(TimelineEntry.idea_id == lonely.id,
                                                   TimelineEntry.action == "below_threshold")).all()) == 1


def test_a_review_round_closing_on_time_puts_its_shortlist_on_the_ballot(db, world):
    shortlisted = new_idea(db, world, title="加装扶手")
    other = new_idea(db, world, title="健身步道")
    services.carry_due(db, world.collect.closes_at)
    in_review = world.review.opens_at + timedelta(minutes=5)
    services.review_idea(db, world.actor("moderator_a"), shortlisted, "shortlist", now=in_review)
    assert services.ideas_in_round(db, world.vote) == []

    done = services.carry_due(db, world.review.closes_at)
    assert [(d.round.id, d.carried) for d in done] == [(world.review.id, 1)]
    assert [i.id for i in services.ideas_in_round(db, world.vote)] == [shortlisted.id]
    assert other.current_round_id == world.review.id


def test_an_early_close_marks_the_ideas_below_the_threshold_too(db, world):
    _threshold(db, world, 1)
    lonely = new_idea(db, world, title="健身步道")
    services.close_round(db, world.actor("moderator_a"), world.collect, reason="提前结束征集",
                         now=world.now + timedelta(minutes=1))
    assert lonely.state == "below_threshold"
    assert services.carry_due(db, world.now + timedelta(minutes=2)) == []


def test_residents_see_the_threshold_while_the_round_is_open_and_the_outcome_after(client, db, world):
    _threshold(db, world, 3)
    idea = new_idea(db, world, title="健身步道")
    services.support_idea(db, world.actor("resident_a2"), idea, world.now)
    db.commit()
    listing = client.get(f"/consultations/{world.consultation.id}/ideas").text
    assert "至少 3 个附议" in listing
    page = client.get(f"/ideas/{idea.id}").text
    assert "至少 3 个附议" in page and "目前有 1 个" in page

    services.carry_due(db, world.collect.closes_at)
    world.collect.closes_at = world.now - timedelta(seconds=1)  # the pages read the real clock
    world.collect.opens_at = world.now - timedelta(days=2)
    db.add(world.collect)
    db.commit()
    page = client.get(f"/ideas/{idea.id}").text
    assert "未达到附议门槛：获得 1 个附议，门槛为 3 个" in page
    assert "至少 3 个附议" not in page
    assert "至少 3 个附议" not in client.get(f"/consultations/{world.consultation.id}/ideas").text


def test_the_decision_round_ends_once_the_outcome_is_confirmed(client, db, world):
    admin = world.actor("admin")
    decide = services.add_round(db, admin, world.consultation, kind="decide",
                                opens_at=world.vote.closes_at,
                                closes_at=world.vote.closes_at + timedelta(days=7))
    idea = new_idea(db, world, title="加装扶手")
    services.carry_due(db, world.collect.closes_at)
    services.review_idea(db, world.actor("moderator_a"), idea, "shortlist",
                         now=world.review.opens_at + timedelta(minutes=1))
    services.carry_due(db, world.review.closes_at)
    confirmed = world.vote.closes_at + timedelta(days=2)
    assert services.round_state(decide, confirmed) == "open"
    services.record_outcome(db, None, world.vote, [idea.id], confirmed)
    assert idea.state == "selected"
    assert services.round_state(decide, confirmed) == "closed"
    assert decide.closes_at == confirmed and decide.closed_early_at == confirmed
    changes = services.round_changes(db, world.consultation.id)[decide.id]
    assert [(c.kind, c.new_closes_at) for c in changes] == [("confirmed", confirmed)]
    services.record_outcome(db, None, world.vote, [idea.id], confirmed + timedelta(days=1))
    assert len(services.round_changes(db, world.consultation.id)[decide.id]) == 1
    db.commit()
    assert "结果已确认" in client.get(f"/consultations/{world.consultation.id}").text
