"""What residents add to an idea: supports (one per person, a UNIQUE constraint) and
comments, with reports and the moderators' hiding and showing again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import Comment, CommentReport, Idea, Support, TimelineEntry
from consult.consultations.services.common import _current, ideas_changed
from consult.db.ids import find
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor

OWN_COMMENT = N_("This is your own comment, so another moderator of this area or of the "
                 "sub-district decides whether it is hidden or shown.")


def _refresh_support_count(db: Session, idea: Idea) -> None:
    idea.support_count = db.exec(select(func.count()).select_from(Support)
                                 .where(Support.idea_id == idea.id)).one()
    db.add(idea)


def support_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    """Add the actor's support; supporting twice still leaves one (a UNIQUE constraint)."""
    place = db.get(Place, idea.place_id)
    if not permissions.allowed("support_idea", actor, place.ids_from_root):
        raise Forbidden(N_("Only verified residents of this area can support ideas here."))
    if idea.author_id == actor.user_id:
        raise Conflict(N_("You cannot support your own idea."))
    kind, state = _current(db, idea, now)
    if problem := rules.support_problem(idea.state, kind, state):
        raise Conflict(problem)
    ideas_changed(db, idea.consultation_id)
    try:
        with db.begin_nested():
            db.add(Support(idea_id=idea.id, user_id=actor.user_id, created_at=now))
    except IntegrityError:
        pass  # already supported: the constraint keeps it to one
    _refresh_support_count(db, idea)
    db.flush()
    return idea


def unsupport_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    if not actor.authenticated:
        raise Forbidden()
    kind, state = _current(db, idea, now)
    if problem := rules.support_problem(idea.state, kind, state):
        raise Conflict(problem)
    ideas_changed(db, idea.consultation_id)
    db.exec(delete(Support).where(Support.idea_id == idea.id, Support.user_id == actor.user_id))
    _refresh_support_count(db, idea)
    db.flush()
    return idea


def add_comment(db: Session, actor: Actor, idea: Idea, *, body: str, parent_id=None,
                now: datetime) -> Comment:
    place = db.get(Place, idea.place_id)
    path = place.ids_from_root
    if idea.state == "draft" or not permissions.allowed("comment", actor, path):
        raise Forbidden(N_("Only verified residents, experts and staff of this area can comment here."))
    body = rules.clean_text(body)
    if problem := rules.comment_problem(body):
        raise FieldErrors({"body": problem})
    parent = None
    if parent_id not in (None, ""):
        parent = find(db, Comment, parent_id)
        if parent is None or parent.idea_id != idea.id or parent.parent_id is not None:
            raise FieldErrors({"body": Msg(N_("You can only reply to a comment on this idea."))})
    is_expert = actor.holds({"expert"}, path) and permissions.allowed("advise_idea", actor, path)
    ideas_changed(db, idea.consultation_id)  # the lists show comment counts
    comment = Comment(idea_id=idea.id, author_id=actor.user_id, parent_id=parent.id if parent else None,
                      body=body, is_expert=is_expert, created_at=now)
    db.add(comment)
    if is_expert:
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role="expert",
                             action="advice", round_id=idea.current_round_id))
    db.flush()
    return comment


def report_comment(db: Session, actor: Actor, comment_id: int, *, reason: str, now: datetime) -> Comment:
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    if not permissions.allowed("report_comment", actor, ()):
        raise Forbidden()
    reason = rules.clean_text(reason)
    if len(reason) > 200:
        raise FieldErrors({"reason": Msg(N_("This can have at most %(max)s characters."), {"max": 200})})
    try:
        with db.begin_nested():
            db.add(CommentReport(comment_id=comment.id, user_id=actor.user_id, reason=reason,
                                 created_at=now))
    except IntegrityError:
        pass  # reported before: once is enough
    return comment


def _moderated_comment(db: Session, actor: Actor, comment_id: int) -> tuple[Comment, Idea, Place]:
    """A comment a moderator of its idea's place may hide or show again."""
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    idea = db.get(Idea, comment.idea_id)
    place = db.get(Place, idea.place_id)
    communities.check_decision("hide_comment", actor, place.ids_from_root, comment.author_id,
                               OWN_COMMENT)
    return comment, idea, place


def hide_comment(db: Session, actor: Actor, comment_id: int, *, reason: str, now: datetime) -> Comment:
    comment, idea, place = _moderated_comment(db, actor, comment_id)
    reason = rules.clean_text(reason)
    if problem := rules.reason_problem(reason):
        raise FieldErrors({"reason": problem})
    if len(reason) > 200:
        raise FieldErrors({"reason": Msg(N_("This can have at most %(max)s characters."), {"max": 200})})
    if comment.hidden_at is not None:
        raise Conflict(N_("This comment is already hidden."))
    ideas_changed(db, idea.consultation_id)
    comment.hidden_at, comment.hidden_reason, comment.hidden_by = now, reason, actor.user_id
    db.add(comment)
    audit.record(db, actor_id=actor.user_id, action="hide_comment", target_type="comment",
                 target_id=comment.id, place_id=place.id, reason=reason, idea_id=idea.id,
                 body=comment.body)
    db.flush()
    return comment


def unhide_comment(db: Session, actor: Actor, comment_id: int, *, now: datetime) -> Comment:
    """Show a hidden comment again (hidden by mistake, or the matter was cleared up); the
    audit log keeps when it was hidden, by whom and why."""
    comment, idea, place = _moderated_comment(db, actor, comment_id)
    if comment.hidden_at is None:
        raise Conflict(N_("This comment is not hidden."))
    audit.record(db, actor_id=actor.user_id, action="unhide_comment", target_type="comment",
                 target_id=comment.id, place_id=place.id, idea_id=idea.id,
                 hidden_reason=comment.hidden_reason, hidden_by=comment.hidden_by,
                 hidden_at=comment.hidden_at.isoformat())
    ideas_changed(db, idea.consultation_id)
    comment.hidden_at = comment.hidden_reason = comment.hidden_by = None
    db.add(comment)
    db.flush()
    return comment
