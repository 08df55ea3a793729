"""Moderators' decisions on ideas: shortlist, request a revision, merge, reject or
restore, one idea or several at once, never on one's own (four eyes); and the queues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, insert, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import (
    Comment,
    CommentReport,
    Consultation,
    Idea,
    Support,
    TimelineEntry,
)
from consult.consultations.services.common import (
    _current,
    _staff_role,
    ideas_changed,
    round_state,
    rounds_of,
    scope_of,
)
from consult.consultations.services.ideas import IdeaRow, _rows, _with_names
from consult.consultations.services.supports_comments import _refresh_support_count
from consult.db.ids import find
from consult.db.ids import parse_id as _int
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor

#: each review action's code in the audit log (written out, so every code can be found)
AUDIT_ACTIONS = {"shortlist": "idea_shortlist", "request_revision": "idea_request_revision",
                 "merge": "idea_merge", "reject": "idea_reject", "restore": "idea_restore"}


def _notify_review(db: Session, idea: Idea, action: str, note: str, target: Idea | None) -> None:
    link = f"/ideas/{idea.id}"
    if action == "shortlist":
        notifications.notify(db, user_id=idea.author_id, kind="idea_shortlisted",
                             params={"title": idea.title}, link=link)
    elif action == "request_revision":
        notifications.notify(db, user_id=idea.author_id, kind="idea_revision_requested",
                             params={"title": idea.title, "note": note}, link=link)
    elif action == "merge":
        notifications.notify(db, user_id=idea.author_id, kind="idea_merged",
                             params={"title": idea.title, "target": target.title},
                             link=f"/ideas/{target.id}")
    elif action == "reject":
        notifications.notify(db, user_id=idea.author_id, kind="idea_rejected",
                             params={"title": idea.title, "reason": note}, link=link)


def _merge_supports(db: Session, source: Idea, target: Idea, now: datetime) -> None:
    """Supports of ``source`` (and its author) join ``target``, nobody twice, never its author."""
    other = aliased(Support)
    already = exists().where(other.idea_id == target.id, other.user_id == Support.user_id)
    db.exec(insert(Support).from_select(
        ["idea_id", "user_id", "created_at"],
        select(literal(target.id), Support.user_id, Support.created_at).where(
            Support.idea_id == source.id, Support.user_id != target.author_id, ~already),
    ))
    if source.author_id != target.author_id:
        try:
            with db.begin_nested():
                db.add(Support(idea_id=target.id, user_id=source.author_id, created_at=now))
        except IntegrityError:
            pass
    _refresh_support_count(db, target)


OWN_IDEA = N_("This is your own idea, so another moderator of this area or of the "
              "sub-district reviews it. It stays in the review queue for them.")
OWN_MERGE_TARGET = N_("That idea is your own, so another moderator of this area or of the "
                      "sub-district decides whether ideas are merged into it.")


def review_idea(db: Session, actor: Actor, idea: Idea, action: str, *, note: str = "",
                target_id=None, now: datetime) -> Idea:
    """Shortlist, request a revision, merge, reject or restore one idea, on its public timeline.

    Never the reviewer's own idea, nor a merge into it: another moderator decides those."""
    place = db.get(Place, idea.place_id)
    path = place.ids_from_root
    communities.check_decision("review_idea", actor, path, idea.author_id, OWN_IDEA)
    kind, state = _current(db, idea, now)
    if problem := rules.review_problem(action, idea.state, kind, state):
        raise Conflict(problem)
    note = rules.clean_text(note)
    required = action in ("reject", "request_revision")
    if problem := rules.reason_problem(note, required=required):
        raise FieldErrors({"note": problem})
    target = None
    if action == "merge":
        target = find(db, Idea, target_id)
        if (target is None or target.id == idea.id or target.consultation_id != idea.consultation_id
                or target.state not in rules.ACTIVE):
            raise FieldErrors({"target_id": Msg(N_("Please choose another idea of this consultation that is still in the running."))})
        target_place = db.get(Place, target.place_id)
        communities.check_decision("review_idea", actor, target_place.ids_from_root,
                                   target.author_id, OWN_MERGE_TARGET)
    ideas_changed(db, idea.consultation_id)
    idea.state = rules.next_state(idea.state, action)
    idea.state_note = note or None
    idea.updated_at = now
    role = _staff_role(actor, path)
    timeline_action = {"shortlist": "shortlisted", "merge": "merged", "reject": "rejected",
                       "restore": "restored", "request_revision": "request_revision"}[action]
    details = {"target": target.title, "target_id": target.id} if target else {}
    if target is not None:
        idea.merged_into_id = target.id
        _merge_supports(db, idea, target, now)
        db.add(TimelineEntry(idea_id=target.id, at=now, actor_id=actor.user_id, actor_role=role,
                             action="merged_in", note=note or None, round_id=target.current_round_id,
                             details={"source": idea.title, "source_id": idea.id}))
    if action == "restore":
        idea.merged_into_id = None
    db.add(idea)
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role=role,
                         action=timeline_action, note=note or None, round_id=idea.current_round_id,
                         details=details))
    audit.record(db, actor_id=actor.user_id, action=AUDIT_ACTIONS[action], target_type="idea",
                 target_id=idea.id, place_id=place.id, reason=note or None,
                 merged_into=target.id if target else None)
    _notify_review(db, idea, action, note, target)
    db.flush()
    return idea


def bulk_review(db: Session, actor: Actor, consultation: Consultation, idea_ids: list,
                action: str, *, note: str = "", now: datetime) -> int:
    """The same decision for several ideas: all of them, or none when one cannot be done."""
    if action not in ("shortlist", "request_revision", "reject"):
        raise FieldErrors({"action": Msg(N_("Please choose an action."))})
    ids = sorted({i for i in (_int(x) for x in idea_ids) if i is not None})
    if not ids:
        raise FieldErrors({"ideas": Msg(N_("Please tick at least one idea."))})
    ideas = list(db.exec(select(Idea).where(Idea.id.in_(ids),
                                            Idea.consultation_id == consultation.id)).all())
    if len(ideas) != len(ids):
        raise NotFound()
    note = rules.clean_text(note)
    if problem := rules.reason_problem(note, required=action != "shortlist"):
        raise FieldErrors({"note": problem})
    rounds = {r.id: r for r in rounds_of(db, consultation.id)}
    place_paths = dict(db.exec(select(Place.id, Place.path).where(
        Place.id.in_({i.place_id for i in ideas}))).all())
    failed = []
    for idea in ideas:
        path = tuple(int(x) for x in place_paths[idea.place_id].strip("/").split("/"))
        communities.check_decision("review_idea", actor, path, idea.author_id, OWN_IDEA)
        current = rounds.get(idea.current_round_id)
        if rules.review_problem(action, idea.state, current.kind if current else None,
                                round_state(current, now) if current else None):
            failed.append(idea)
    if failed:
        raise Conflict(Msg(N_("Nothing was changed: these ideas cannot take that action now: %(ids)s"),
                           {"ids": ", ".join(f"#{i.id}" for i in failed)}))
    for idea in ideas:
        review_idea(db, actor, idea, action, note=note, now=now)
    return len(ideas)


def review_queue(db: Session, actor: Actor, consultation: Consultation,
                 states: tuple[str, ...] = ("submitted", "revision_requested", "shortlisted"),
                 limit: int = 200) -> list[IdeaRow]:
    """Ideas awaiting a decision, limited to the places the actor reviews."""
    places = [p for p in _staff_places(db, actor)]
    if not places:
        return []
    inside = or_(*(Place.path.startswith(p.path) for p in places))
    results = db.exec(_with_names().where(Idea.consultation_id == consultation.id,
                                          Idea.state.in_(states), inside)
                      .order_by(Idea.state, Idea.id).limit(limit)).all()
    return _rows(db, results)


def _staff_places(db: Session, actor: Actor) -> list[Place]:
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    return list(db.exec(select(Place).where(Place.id.in_(ids))).all())


def may_review_in(db: Session, actor: Actor, consultation: Consultation) -> bool:
    """Does the actor review ideas somewhere inside (or above) the consultation's scope?"""
    scope = scope_of(db, consultation)
    return any(p.path.startswith(scope.path) or scope.path.startswith(p.path)
               for p in _staff_places(db, actor))


def reported_comments(db: Session, actor: Actor, consultation: Consultation) -> list[tuple]:
    """Visible comments someone reported, in the places the actor moderates."""
    places = _staff_places(db, actor)
    if not places:
        return []
    inside = or_(*(Place.path.startswith(p.path) for p in places))
    return list(db.exec(
        select(Comment, Idea, func.count(CommentReport.id))
        .join(CommentReport, CommentReport.comment_id == Comment.id)
        .join(Idea, Idea.id == Comment.idea_id).join(Place, Place.id == Idea.place_id)
        .where(Idea.consultation_id == consultation.id, Comment.hidden_at.is_(None), inside)
        .group_by(Comment.id, Idea.id).order_by(Comment.id)).all())
