"""The delivery demo: what the issue's demo list promises is there, and the pages render it."""

from sqlmodel import select

from consult import clock
from consult.communities import demo as communities_demo
from consult.consultations import demo as consultations_demo
from consult.consultations.models import Idea
from consult.delivery import demo, rules
from consult.delivery.models import Milestone, Pledge, Project, ProjectRating, Repair
from consult.delivery.services import register
from consult.voting import demo as voting_demo


def test_demo(db, settings, client):
    places = communities_demo.load_places(db)
    users = communities_demo.load_people(db, settings, places)
    consultations_demo.load(db, settings, places, users)
    voting_demo.load(db, settings, places, users)
    demo.load(db, settings, places, users)
    today = clock.utcnow().date()

    every = db.exec(select(Project)).all()
    from_vote = [p for p in every if p.idea_id is not None]
    assert len(from_vote) >= 2
    states = {p.idea_id: p.state for p in from_vote}
    assert "in_progress" in states.values() and "accepted" in states.values()
    for idea_id, state in states.items():
        expected = {"planned": "selected", "in_progress": "in_progress", "accepted": "completed"}[state]
        assert db.get(Idea, idea_id).state == expected
    assert db.exec(select(Milestone)).all()
    rated = db.exec(select(ProjectRating.project_id)).all()
    assert {p.id for p in every if p.state in ("accepted", "in_use")} & set(rated)
    pledgers = {p.pledger_kind for p in db.exec(select(Pledge)).all()}
    assert pledgers == {"household", "organisation", "unit"}
    assert {p.category for p in every} == set(rules.CATEGORIES)
    due = register.due_list(db, today)
    assert [d.what for d in due if d.overdue] == ["check"]  # one overdue check
    assert db.exec(select(Repair).where(Repair.state == "open")).one()  # one failed item, its repair open
    for p in every:
        assert client.get(f"/projects/{p.id}").status_code == 200
    assert client.get("/projects").status_code == 200
