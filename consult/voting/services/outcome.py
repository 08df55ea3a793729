"""After publication: objections during the notice period, their answers, and the outcome.

One open objection per resident and result; nobody answers their own objection. Once
the notice period has ended and every objection is answered, the selected ideas become
projects (``finalize``, by a committee or the daily ``finalize_due``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import consultations, permissions
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities import services as communities
from consult.consultations import clean_text
from consult.db.ids import find
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor
from consult.voting import rules
from consult.voting.models import Objection, VoteResult
from consult.voting.services.rounds import (
    VoteRound,
    _scope_path,
    load_round,
    published_result,
    require_round_action,
)
from consult.voting.services.voters import resident_place

# -- objections and the outcome -----------------------------------------------------------


def file_objection(db: Session, actor: Actor, user: User | None, vr: VoteRound, body: str,
                   now: datetime) -> Objection:
    if user is None:
        raise NotSignedIn()
    """One open objection per resident and result: while it waits for its answer, they
    change or lengthen it (``edit_objection``) instead of raising another."""
    _may_object(db, actor, user, vr, now)
    body = clean_text(body)
    if problem := rules.objection_problem(body):
        raise FieldErrors({"body": problem})
    if open_objection(db, vr.id, user.id) is not None:
        raise Conflict(N_("Your objection still waits for its answer. You can change or add to it instead of raising another."),
                       code="objection_open")
    objection = Objection(round_id=vr.id, user_id=user.id, body=body, created_at=now)
    try:
        with db.begin_nested():
            db.add(objection)
            db.flush()
    except IntegrityError:  # the same resident's other request, a moment ago
        raise Conflict(N_("Your objection still waits for its answer. You can change or add to it instead of raising another."),
                       code="objection_open") from None
    communities.notify_staff(db, vr.scope, kind="objection_filed", params={"title": vr.title},
                             link=f"/rounds/{vr.id}/results", except_user=user.id)
    return objection


def _may_object(db: Session, actor: Actor, user: User | None, vr: VoteRound, now: datetime) -> None:
    if user is None:
        raise NotSignedIn()
    if resident_place(db, actor, vr.scope, "file_objection") is None:
        raise Forbidden(Msg(N_("Only verified residents of %(place)s can raise an objection."),
                            {"place": vr.scope.name}))
    require_round_action(db, vr, "file_objection")
    result = published_result(db, vr.id)
    if not rules.notice_open(result.notice_until, result.finalized_at, now):
        raise Conflict(N_("Objections can be raised only during the notice period after publication."),
                       code="notice_closed")


def open_objection(db: Session, round_id: int, user_id: int) -> Objection | None:
    """The resident's objection on this result still waiting for its answer, if any."""
    return db.exec(select(Objection).where(Objection.round_id == round_id, Objection.user_id == user_id,
                                           Objection.answered_at.is_(None))).first()


def objection_round_id(db: Session, objection_id) -> int:
    objection = find(db, Objection, objection_id)
    if objection is None:
        raise NotFound()
    return objection.round_id


def edit_objection(db: Session, actor: Actor, user: User | None, objection_id, body: str,
                   now: datetime) -> tuple[Objection, VoteRound]:
    """A resident changes or lengthens their own objection while it waits for its answer."""
    objection = find(db, Objection, objection_id)
    if objection is None:
        raise NotFound()
    vr = load_round(db, objection.round_id, now)
    _may_object(db, actor, user, vr, now)
    if problem := rules.objection_edit_problem(objection.user_id, user.id, objection.answered_at is not None):
        raise (Forbidden if objection.user_id != user.id else Conflict)(problem)
    body = clean_text(body)
    if problem := rules.objection_problem(body):
        raise FieldErrors({"body": problem})
    objection.body, objection.edited_at = body, now
    db.add(objection)
    db.flush()
    return objection, vr


def answer_objection(db: Session, actor: Actor, objection_id: int, answer: str,
                     now: datetime) -> tuple[Objection, VoteRound]:
    objection = db.get(Objection, objection_id)
    if objection is None:
        raise NotFound()
    vr = load_round(db, objection.round_id, now)
    if not permissions.allowed("answer_objection", actor, _scope_path(vr)):
        raise Forbidden()
    if permissions.acting_on_own_request(actor, (objection.user_id,)):
        raise Forbidden(N_("This is your own objection, so another moderator answers it. Ask a colleague of the area or of the sub-district."),
                        code="own_request")
    if objection.answered_at is not None:
        raise Conflict(N_("This objection has already been answered."))
    require_round_action(db, vr, "answer_objection")
    answer = clean_text(answer)
    if problem := rules.objection_problem(answer, rules.MAX_ANSWER):
        raise FieldErrors({"answer": Msg(N_("Please write the answer; it is shown publicly."))
                           if not answer else problem})
    objection.answer, objection.answered_at, objection.answered_by = answer, now, actor.user_id
    db.add(objection)
    notifications.notify(db, user_id=objection.user_id, kind="objection_answered",
                         params={"title": vr.consultation.title}, link=f"/rounds/{vr.id}/results")
    audit.record(db, actor_id=actor.user_id, action="answer_objection", target_type="round",
                 target_id=vr.id, place_id=vr.scope.id)
    db.flush()
    return objection, vr


#: Called with (db, actor or None, round id, selected idea ids, now) once an outcome is
#: confirmed, in its transaction: where a domain that builds on voting (delivery) turns
#: the selected ideas into projects, without voting knowing it.
OUTCOME_HOOKS: list = []


def finalize(db: Session, actor: Actor | None, vr: VoteRound, now: datetime) -> VoteResult:
    """After the notice period, the selected ideas become projects (state "selected").

    ``actor`` None is the scheduled command (``finalize_due``)."""
    if actor is not None and not permissions.allowed("publish_results", actor, _scope_path(vr)):
        raise Forbidden()
    require_round_action(db, vr, "finalize")
    result = published_result(db, vr.id)
    unanswered = db.exec(select(func.count()).select_from(Objection).where(
        Objection.round_id == vr.id, Objection.answered_at.is_(None))).one()
    if problem := rules.finalize_problem(result.notice_until, result.finalized_at, unanswered, now):
        raise Conflict(problem)
    consultations.record_outcome(db, actor, vr.round, list(result.selected), now)
    for hook in OUTCOME_HOOKS:  # the selected ideas become projects (consult.delivery)
        hook(db, actor, vr.round.id, list(result.selected), now)
    by = actor.user_id if actor else None
    result.finalized_at, result.finalized_by = now, by
    db.add(result)
    audit.record(db, actor_id=by, action="confirm_vote_outcome",
                 target_type="round", target_id=vr.id, place_id=vr.scope.id,
                 selected=len(result.selected))
    db.flush()
    return result


@dataclass(frozen=True)
class DueOutcome:
    round_id: int
    title: str
    selected: int | None  # None: not confirmed
    problem: Msg | None = None


def finalize_due(db: Session, now: datetime) -> list[DueOutcome]:
    """Confirm every published outcome whose notice period has ended: what a committee
    would otherwise do by hand. A round with an objection still unanswered waits for
    its answer, and is listed with the reason."""
    due = db.exec(select(VoteResult.round_id).where(VoteResult.finalized_at.is_(None),
                                                    VoteResult.notice_until <= now)
                  .order_by(VoteResult.round_id)).all()
    done = []
    for round_id in due:
        vr = load_round(db, round_id, now)
        title = vr.round.title or vr.consultation.title
        try:
            with db.begin_nested():
                result = finalize(db, None, vr, now)
        except Conflict as refused:
            done.append(DueOutcome(round_id, title, None, refused.msg))
            continue
        done.append(DueOutcome(round_id, title, len(result.selected)))
    return done
