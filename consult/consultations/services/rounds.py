"""A consultation's rounds: adding and changing them, closing early, extending, carrying
ideas from one round into the next, and the pipeline that shows it all.

Rounds of a kind another domain runs (voting's "vote") are guarded by that domain
through ``ROUND_GUARDS``, so this module never needs to know its rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import (
    Consultation,
    Idea,
    IdeaRound,
    Round,
    RoundChange,
    Support,
    TimelineEntry,
)
from consult.consultations.services.common import (
    get_consultation,
    ideas_changed,
    round_state,
    rounds_of,
    scope_of,
)
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor

#: The lifecycle of rounds of a kind, kept by the domain that runs them (voting registers
#: "vote"): ``guard(db, round, action, now)`` raises ``Conflict`` when ``action``
#: ("reschedule", "extend", "close_early", "carry_from", "carry_into", "change_budget") may
#: not be done to that round now. ``GUARDED_KINDS`` names the module that registers each
#: guard; it is imported when needed, so a guard is never skipped. A name, not an import:
#: voting builds on consultations, never the reverse (the import-linter contracts), and
#: tests/test_layout.py checks that importing the named module registers the guard.
ROUND_GUARDS: dict[str, Callable[[Session, Round, str, datetime], None]] = {}
GUARDED_KINDS = {"vote": "consult.voting.services.rounds"}


def check_round_action(db: Session, item: Round, action: str, now: datetime) -> None:
    if item.kind in GUARDED_KINDS and item.kind not in ROUND_GUARDS:
        import_module(GUARDED_KINDS[item.kind])
    guard = ROUND_GUARDS.get(item.kind)
    if guard is not None:
        guard(db, item, action, now)
    elif item.kind in GUARDED_KINDS:
        raise RuntimeError(f"{GUARDED_KINDS[item.kind]} did not register the guard of {item.kind} rounds")


def _manage(db: Session, actor: Actor, consultation: Consultation) -> Place:
    scope = scope_of(db, consultation)
    if not permissions.allowed("manage_consultation", actor, scope.ids_from_root):
        raise Forbidden()
    return scope


def _round_settings(kind: str, ideas_per_resident, supports_needed, base: dict | None = None) -> dict:
    settings = dict(base or {})
    if kind == "collect":
        limit = rules.parse_count(ideas_per_resident, 100)
        needed = rules.parse_count(supports_needed, 10000)
        errors = {}
        if limit is None:
            errors["ideas_per_resident"] = Msg(N_("Please enter a whole number from 0 to %(max)s."), {"max": 100})
        if needed is None:
            errors["supports_needed"] = Msg(N_("Please enter a whole number from 0 to %(max)s."), {"max": 10000})
        if errors:
            raise FieldErrors(errors)
        settings.update(ideas_per_resident=limit, supports_needed=needed)
    return settings


def add_round(db: Session, actor: Actor, consultation: Consultation, *, kind: str,
              opens_at: datetime | None, closes_at: datetime | None, title: str = "",
              ideas_per_resident="3", supports_needed="0") -> Round:
    scope = _manage(db, actor, consultation)
    errors: dict[str, Msg] = {}
    if kind not in rules.ROUND_KINDS:
        errors["kind"] = Msg(N_("Please choose the kind of round."))
    if opens_at is None:
        errors["opens_at"] = Msg(N_("Please enter a date and time."))
    if closes_at is None:
        errors["closes_at"] = Msg(N_("Please enter a date and time."))
    title = rules.clean_text(title)
    if len(title) > 80:
        errors["title"] = Msg(N_("This can have at most %(max)s characters."), {"max": 80})
    if errors:
        raise FieldErrors(errors)
    settings = _round_settings(kind, ideas_per_resident, supports_needed)
    rounds = rounds_of(db, consultation.id)
    times = [(r.opens_at, r.closes_at) for r in rounds] + [(opens_at, closes_at)]
    if problem := rules.schedule_problem(times):
        raise FieldErrors({"opens_at": problem})
    item = Round(consultation_id=consultation.id, position=len(rounds) + 1, kind=kind,
                 title=title, opens_at=opens_at, closes_at=closes_at, settings=settings)
    db.add(item)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="add_round", target_type="round",
                 target_id=item.id, place_id=scope.id, kind=kind)
    return item


def update_round(db: Session, actor: Actor, item: Round, *, opens_at: datetime | None,
                 closes_at: datetime | None, title: str, ideas_per_resident="3",
                 supports_needed="0", now: datetime) -> Round:
    """Change a round that has not opened yet (an open round is extended or closed instead)."""
    consultation = get_consultation(db, item.consultation_id)
    scope = _manage(db, actor, consultation)
    if round_state(item, now) != "upcoming":
        raise Conflict(N_("Only a round that has not opened yet can be changed; extend or close an open round instead."))
    check_round_action(db, item, "reschedule", now)
    if opens_at is None or closes_at is None:
        raise FieldErrors({"opens_at" if opens_at is None else "closes_at":
                           Msg(N_("Please enter a date and time."))})
    if opens_at < now:
        raise FieldErrors({"opens_at": Msg(N_("The opening time cannot be in the past."))})
    title = rules.clean_text(title)
    if len(title) > 80:
        raise FieldErrors({"title": Msg(N_("This can have at most %(max)s characters."), {"max": 80})})
    settings = _round_settings(item.kind, ideas_per_resident, supports_needed, item.settings)
    rounds = rounds_of(db, consultation.id)
    times = [(opens_at, closes_at) if r.id == item.id else (r.opens_at, r.closes_at) for r in rounds]
    if problem := rules.schedule_problem(times):
        raise FieldErrors({"opens_at": problem})
    item.opens_at, item.closes_at, item.title, item.settings = opens_at, closes_at, title, settings
    db.add(item)
    audit.record(db, actor_id=actor.user_id, action="update_round", target_type="round",
                 target_id=item.id, place_id=scope.id)
    db.flush()
    return item


def close_round(db: Session, actor: Actor, item: Round, *, reason: str, now: datetime,
                open_next: bool = True) -> int:
    """Close an open round now, with a public reason, and carry its ideas on.

    With ``open_next`` the next round, if it has not opened, opens now. Returns the
    number of ideas carried.
    """
    consultation = get_consultation(db, item.consultation_id)
    scope = _manage(db, actor, consultation)
    reason = rules.clean_text(reason)
    if problem := rules.reason_problem(reason):
        raise FieldErrors({"reason": problem})
    if round_state(item, now) != "open":
        raise Conflict(N_("Only an open round can be closed early."))
    check_round_action(db, item, "close_early", now)
    db.add(RoundChange(round_id=item.id, kind="close_early", old_closes_at=item.closes_at,
                       new_closes_at=now, reason=reason, at=now, by=actor.user_id))
    item.closes_at = now
    item.closed_early_at = now
    db.add(item)
    audit.record(db, actor_id=actor.user_id, action="close_round_early", target_type="round",
                 target_id=item.id, place_id=scope.id, reason=reason)
    rounds = rounds_of(db, consultation.id)
    following = next((r for r in rounds if r.position == item.position + 1), None)
    if open_next and following is not None and round_state(following, now) == "upcoming":
        following.opens_at = now
        db.add(following)
    db.flush()
    if following is None or not _may_carry(db, item, following, now):
        return 0  # a vote round's ideas go on once its results are published
    return carry_forward(db, actor, item, now)


def _may_carry(db: Session, item: Round, following: Round, now: datetime) -> bool:
    try:
        check_round_action(db, item, "carry_from", now)
        check_round_action(db, following, "carry_into", now)
    except Conflict:
        return False
    return True


def extend_round(db: Session, actor: Actor, item: Round, *, closes_at: datetime | None,
                 reason: str, now: datetime, move_later: bool = False) -> Round:
    """Give an open round more time, or reopen a closed one; a vote round only until its
    results are published (``ROUND_GUARDS``).

    With ``move_later`` every later round opens and closes later by the same amount, with
    the same reason, in the same transaction; refused (``later_round_open``) if one of them
    has opened already, or if its kind's lifecycle forbids rescheduling it."""
    consultation = get_consultation(db, item.consultation_id)
    scope = _manage(db, actor, consultation)
    check_round_action(db, item, "extend", now)
    reason = rules.clean_text(reason)
    errors: dict[str, Msg] = {}
    if problem := rules.reason_problem(reason):
        errors["reason"] = problem
    if closes_at is None or closes_at <= max(now, item.closes_at):
        errors["closes_at"] = Msg(N_("The new closing time must be later than the current one and in the future."))
    if errors:
        raise FieldErrors(errors)
    if item.carried_at is not None:
        raise Conflict(N_("This round's ideas have already been carried into the next round."))
    rounds = rounds_of(db, consultation.id)
    later = [r for r in rounds if r.position > item.position] if move_later else []
    shift = closes_at - item.closes_at
    for following in later:
        if round_state(following, now) != "upcoming":
            raise Conflict(N_("A later round has already opened, so the later rounds cannot be moved. Extend this round without moving them, or change the rounds one by one."),
                           code="later_round_open")
        check_round_action(db, following, "reschedule", now)
    moved = {r.id: shift for r in later}
    times = [(r.opens_at + moved.get(r.id, timedelta(0)),
              closes_at if r.id == item.id else r.closes_at + moved.get(r.id, timedelta(0)))
             for r in rounds]
    if problem := rules.schedule_problem(times):
        raise FieldErrors({"closes_at": problem})
    for following in later:
        db.add(RoundChange(round_id=following.id, kind="moved", old_closes_at=following.closes_at,
                           new_closes_at=following.closes_at + shift, reason=reason, at=now,
                           by=actor.user_id))
        following.opens_at += shift
        following.closes_at += shift
        db.add(following)
        audit.record(db, actor_id=actor.user_id, action="move_round", target_type="round",
                     target_id=following.id, place_id=scope.id, reason=reason,
                     after_round=item.id)
    db.add(RoundChange(round_id=item.id, kind="extend", old_closes_at=item.closes_at,
                       new_closes_at=closes_at, reason=reason, at=now, by=actor.user_id))
    item.closes_at = closes_at
    item.extended = True
    item.closed_early_at = None
    db.add(item)
    audit.record(db, actor_id=actor.user_id, action="extend_round", target_type="round",
                 target_id=item.id, place_id=scope.id, reason=reason)
    db.flush()
    return item


def round_changes(db: Session, consultation_id: int) -> dict[int, list[RoundChange]]:
    rows = db.exec(select(RoundChange).join(Round, Round.id == RoundChange.round_id)
                   .where(Round.consultation_id == consultation_id).order_by(RoundChange.id)).all()
    changes: dict[int, list[RoundChange]] = {}
    for change in rows:
        changes.setdefault(change.round_id, []).append(change)
    return changes


def carry_forward(db: Session, actor: Actor | None, item: Round, now: datetime) -> int:
    """Hand the ideas a closed round ends with to the next round (see ``rules.carry_states``).

    After a collect round, an idea needs the round's ``supports_needed``. Ideas carried
    into a vote round tell their authors that voting opens. Returns how many were carried.
    """
    consultation = get_consultation(db, item.consultation_id)
    if actor is not None:
        _manage(db, actor, consultation)
    if round_state(item, now) != "closed":
        raise Conflict(N_("A round's ideas can be carried on only after it has closed."))
    if item.carried_at is not None:
        raise Conflict(N_("This round's ideas have already been carried into the next round."))
    following = db.exec(select(Round).where(Round.consultation_id == item.consultation_id,
                                            Round.position == item.position + 1)).first()
    if following is None:
        raise Conflict(N_("This is the last round; there is no round to carry ideas into."))
    check_round_action(db, item, "carry_from", now)
    check_round_action(db, following, "carry_into", now)
    states = rules.carry_states(item.kind, following.kind)
    candidates = db.exec(select(Idea).where(Idea.current_round_id == item.id, Idea.state.in_(states))
                         .order_by(Idea.id)).all()
    needed = rules.supports_needed(item.kind, item.settings)
    ideas = [i for i in candidates if not rules.below_threshold(i.support_count, needed)]
    ideas_changed(db, consultation.id)
    for idea in candidates:
        if rules.below_threshold(idea.support_count, needed):
            _mark_below_threshold(db, idea, item, needed, now)
    for idea in ideas:
        idea.current_round_id = following.id
        db.add(idea)
        db.add(IdeaRound(idea_id=idea.id, round_id=following.id, at=now))
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_role="system", action="carried",
                             round_id=following.id,
                             details={"round": following.position, "kind": following.kind}))
    if following.kind == "vote" and ideas:
        _tell_voting_opens(db, consultation, following, [i.id for i in ideas],
                           {i.author_id for i in ideas}, now)
    item.carried_at = now
    db.add(item)
    audit.record(db, actor_id=actor.user_id if actor else None, action="carry_forward",
                 target_type="round", target_id=item.id, place_id=consultation.scope_place_id,
                 carried=len(ideas), into=following.id)
    db.flush()
    return len(ideas)


def _mark_below_threshold(db: Session, idea: Idea, item: Round, needed: int, now: datetime) -> None:
    """At the close the idea stays behind: its state and timeline say it missed the threshold."""
    idea.state = "below_threshold"
    idea.updated_at = now
    db.add(idea)
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_role="system", action="below_threshold",
                         round_id=item.id, details={"needed": needed, "count": idea.support_count}))


@dataclass
class Carried:
    round: Round
    carried: int


def carry_due(db: Session, now: datetime) -> list[Carried]:
    """Carry on the ideas of every working round that has closed (on time or early) and
    was not carried yet, as a moderator's click would: what ``finalize-due`` runs.

    Running it twice carries nothing twice (``Round.carried_at``); a round whose next
    round refuses ideas (a vote round with ballots) is left for the committee."""
    due = db.exec(select(Round).where(Round.carried_at.is_(None), Round.closes_at <= now,
                                      Round.kind.in_(rules.SELF_CARRYING))
                  .order_by(Round.consultation_id, Round.position)).all()
    done = []
    for item in due:
        following = db.exec(select(Round).where(Round.consultation_id == item.consultation_id,
                                                Round.position == item.position + 1)).first()
        if following is None or not _may_carry(db, item, following, now):
            continue
        with db.begin_nested():
            done.append(Carried(item, carry_forward(db, None, item, now)))
    return done


def _tell_voting_opens(db: Session, consultation: Consultation, vote_round: Round,
                       idea_ids: list[int], authors: set[int], now: datetime) -> None:
    """The authors and the supporters of the ideas on the ballot hear that voting opens:
    one notification each, however many of those ideas they wrote or supported, and not
    again when the daily notices tell the round's audience (the same marker)."""
    supporters = set(db.exec(select(Support.user_id).where(Support.idea_id.in_(idea_ids))).all())
    notifications.notify_once(db, user_ids=authors | supporters, kind="vote_opened",
                              subject=f"round:{vote_round.id}", params={"title": consultation.title},
                              link=f"/rounds/{vote_round.id}/vote", now=now)


@dataclass
class PipelineStep:
    round: Round
    state: str
    carried: int
    counts: dict[str, int]
    changes: list[RoundChange] = field(default_factory=list)


def pipeline(db: Session, consultation: Consultation, now: datetime) -> list[PipelineStep]:
    """Round by round: ideas carried, and what happened to them there (three queries)."""
    rounds = rounds_of(db, consultation.id)
    ids = [r.id for r in rounds]
    carried = dict(db.exec(select(IdeaRound.round_id, func.count()).where(
        IdeaRound.round_id.in_(ids)).group_by(IdeaRound.round_id)).all()) if ids else {}
    actions = {"submitted": "submitted", "shortlisted": "shortlisted", "merged": "merged",
               "rejected": "rejected", "withdrawn": "withdrawn"}
    rows = db.exec(select(TimelineEntry.round_id, TimelineEntry.action,
                          func.count(TimelineEntry.idea_id.distinct()))
                   .where(TimelineEntry.round_id.in_(ids), TimelineEntry.action.in_(actions))
                   .group_by(TimelineEntry.round_id, TimelineEntry.action)).all() if ids else []
    counts: dict[int, Counter] = {}
    for round_id, action, n in rows:
        counts.setdefault(round_id, Counter())[actions[action]] = n
    changes = round_changes(db, consultation.id)
    return [PipelineStep(round=r, state=round_state(r, now), carried=carried.get(r.id, 0),
                         counts={k: counts.get(r.id, Counter())[k] for k in rules.PIPELINE_COUNTS},
                         changes=changes.get(r.id, []))
            for r in rounds]
