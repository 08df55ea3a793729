"""A consultation whose vote was held elsewhere (``services.create_held_vote``).

Voting's open-data import still writes these rows itself; the function gives it a way
to leave them to this domain. The parity test shows the function writes what the import
writes today, so the import can switch to it without a change anyone could see.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from consult.consultations import services
from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
from consult.voting import pabulib
from consult.voting import services as voting

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
DAY = timedelta(days=1)


def test_a_held_vote_is_a_closed_round_carrying_its_ideas_in_order(db, world):
    group = world.tree["group_a"]
    held = services.create_held_vote(
        db, scope=group, title="Open data", year=2024, budget_fen=500_000, description="a file",
        category_name="导入项目", round_title="The vote", opens_at=world.now - 14 * DAY,
        closes_at=world.now, author_id=world.people["admin"].id,
        ideas=[("Benches", "second", 30_000), ("Lamps", "first", None)], now=world.now)
    assert (held.consultation.title, held.consultation.year, held.consultation.budget_fen,
            held.consultation.scope_place_id) == ("Open data", 2024, 500_000, group.id)
    assert services.rounds_of(db, held.consultation.id) == [held.round]
    assert (held.round.kind, held.round.title, held.round.position) == ("vote", "The vote", 1)
    assert services.round_state(held.round, world.now) == "closed"
    assert [c.name for c in services.categories_of(db, held.consultation.id)] == ["导入项目"]
    assert held.idea_ids == sorted(held.idea_ids)
    on_ballot = services.ideas_in_round(db, held.round)
    assert [(i.id, i.title, i.estimated_cost_fen, i.state, i.category_name, i.place_name)
            for i in on_ballot] == [
        (held.idea_ids[0], "Benches", 30_000, "shortlisted", "导入项目", group.name),
        (held.idea_ids[1], "Lamps", None, "shortlisted", "导入项目", group.name)]
    ideas = [db.get(Idea, i) for i in held.idea_ids]
    assert {(i.area_id, i.current_round_id, i.author_id) for i in ideas} == {
        (world.tree["area_a"].id, held.round.id, world.people["admin"].id)}


def test_nothing_to_carry_is_a_round_without_ideas(db, world):
    held = services.create_held_vote(
        db, scope=world.tree["root"], title="Empty", year=2024, budget_fen=None, description="",
        category_name="导入项目", round_title="Empty", opens_at=world.now - DAY,
        closes_at=world.now, author_id=world.people["admin"].id, ideas=[], now=world.now)
    assert held.idea_ids == [] and services.ideas_in_round(db, held.round) == []


def _written(db, consultation_id: int) -> dict:
    """Every row of the consultation, without the ids that differ between two copies."""
    def plain(row, *skip):
        return {k: v for k, v in row.model_dump().items() if k not in {"id", *skip}}

    rounds = db.exec(select(Round).where(Round.consultation_id == consultation_id)).all()
    ideas = db.exec(select(Idea).where(Idea.consultation_id == consultation_id).order_by(Idea.id)).all()
    links = db.exec(select(IdeaRound).where(IdeaRound.round_id.in_([r.id for r in rounds]))
                    .order_by(IdeaRound.idea_id)).all()
    return {
        "consultation": plain(db.get(Consultation, consultation_id)),
        "categories": [plain(c, "consultation_id") for c in db.exec(
            select(Category).where(Category.consultation_id == consultation_id)).all()],
        "rounds": [plain(r, "consultation_id") for r in rounds],
        "ideas": [plain(i, "consultation_id", "category_id", "current_round_id") for i in ideas],
        "idea_rounds": [plain(link, "idea_id", "round_id") for link in links],
    }


def test_it_writes_what_the_open_data_import_writes(db, world):
    election = pabulib.load(DATA / "Netherlands_Assen_2024.pb")
    imported = voting.import_election(db, election, place=world.tree["area_a"], now=world.now)
    ideas = db.exec(select(Idea).where(Idea.consultation_id == imported.consultation.id)
                    .order_by(Idea.id)).all()
    held = services.create_held_vote(
        db, scope=world.tree["area_a"], title=imported.consultation.title,
        year=imported.consultation.year, budget_fen=imported.consultation.budget_fen,
        description=imported.consultation.description, category_name="导入项目",
        round_title=imported.round.title, opens_at=imported.round.opens_at,
        closes_at=imported.round.closes_at, author_id=ideas[0].author_id,
        ideas=[(i.title, i.description, i.estimated_cost_fen) for i in ideas], now=world.now)
    db.flush()
    assert len(held.idea_ids) == len(election.projects) > 1
    assert _written(db, held.consultation.id) == _written(db, imported.consultation.id)
