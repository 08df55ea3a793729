"""The audit log as sentences: "李娟（恒丰居委会）提前结束了《…》第 2 轮：理由…", each with a
link to what it is about. The log itself (:mod:`consult.audit`) knows only action codes
and target ids; here, where the staff's view of every domain meets, they become words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit import log as audit_log
from consult.communities.models import Place
from consult.consultations import Consultation, Idea, Round
from consult.i18n import N_, Msg

#: action code → sentence; ``who`` is the person with their committee, ``object`` what it
#: is about (a round, an idea, a person…), ``reason`` the reason given (added after a colon)
SENTENCES = {
    "close_round_early": N_("%(who)s closed %(object)s early"),
    "extend_round": N_("%(who)s extended %(object)s"),
    "add_round": N_("%(who)s added %(object)s"),
    "update_round": N_("%(who)s changed %(object)s"),
    "carry_forward": N_("%(who)s carried the ideas of %(object)s on to the next round"),
    "create_consultation": N_("%(who)s created the consultation %(object)s"),
    "update_consultation": N_("%(who)s changed the consultation %(object)s"),
    "edit_idea": N_("%(who)s edited the idea %(object)s"),
    "idea_shortlist": N_("%(who)s shortlisted the idea %(object)s"),
    "idea_request_revision": N_("%(who)s asked for a revision of the idea %(object)s"),
    "idea_merge": N_("%(who)s merged the idea %(object)s into another"),
    "idea_reject": N_("%(who)s did not take up the idea %(object)s"),
    "idea_restore": N_("%(who)s restored the idea %(object)s"),
    "hide_comment": N_("%(who)s hid a comment"),
    "unhide_comment": N_("%(who)s showed a hidden comment again"),
    "vote_settings": N_("%(who)s changed the vote settings of %(object)s"),
    "enter_paper_ballot": N_("%(who)s entered a paper ballot in %(object)s"),
    "resolve_paper_ballot": N_("%(who)s decided between two entries of a paper ballot in %(object)s"),
    "register_paper_voter": N_("%(who)s registered a paper-only voter"),
    "link_paper_voter": N_("%(who)s linked a paper-only voter to their account"),
    "import_pabulib": N_("%(who)s imported ballots into %(object)s"),
    "publish_results": N_("%(who)s published the results of %(object)s"),
    "answer_objection": N_("%(who)s answered an objection to %(object)s"),
    "confirm_vote_outcome": N_("%(who)s confirmed the outcome of %(object)s"),
    "grant_role": N_("%(who)s gave a role to %(object)s"),
    "approve_resident": N_("%(who)s verified %(object)s as a resident"),
    "refuse_resident": N_("%(who)s refused the verification of %(object)s"),
}
OTHER = N_("%(who)s: %(action)s")  # an action without a sentence yet: its code, still readable
COMMITTEE = {"area": N_("%(place)s residents' committee")}


@dataclass
class LogLine:
    at: datetime
    sentence: Msg
    reason: str | None
    link: tuple[str, dict] | None  # route name and its parameters


def _objects(db: Session, entries) -> dict[tuple[str, int], tuple[Msg | str, tuple[str, dict] | None]]:
    """What each entry is about, in words and as a link: rounds, ideas, consultations, people
    (one query per kind)."""
    wanted: dict[str, set[int]] = {}
    for entry, _, _ in entries:
        if entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, int], tuple[Msg | str, tuple[str, dict] | None]] = {}
    if ids := wanted.get("round"):
        for item, consultation in db.exec(select(Round, Consultation).join(
                Consultation, Consultation.id == Round.consultation_id).where(Round.id.in_(ids))).all():
            found["round", item.id] = (Msg(N_("“%(title)s” round %(n)s"),
                                           {"title": consultation.title, "n": item.position}),
                                       ("consultation", {"cid": consultation.id}))
    if ids := wanted.get("idea"):
        for idea in db.exec(select(Idea).where(Idea.id.in_(ids))).all():
            found["idea", idea.id] = (f"《{idea.title}》", ("idea", {"iid": idea.id}))
    if ids := wanted.get("consultation"):
        for consultation in db.exec(select(Consultation).where(Consultation.id.in_(ids))).all():
            found["consultation", consultation.id] = (f"《{consultation.title}》",
                                                      ("consultation", {"cid": consultation.id}))
    if ids := wanted.get("user"):
        for user in db.exec(select(User).where(User.id.in_(ids))).all():
            found["user", user.id] = (user.display_name, None)
    return found


def log_lines(db: Session, places: list[Place], t, limit: int = 100) -> list[LogLine]:
    """The latest entries about ``places`` as sentences in the reader's language (``t``)."""
    entries = audit_log.entries_within(db, places, limit)
    objects = _objects(db, entries)
    lines = []
    for entry, actor, place in entries:
        name = actor.display_name if actor else t(Msg(N_("The system")))
        committee = t(Msg(COMMITTEE[place.kind], {"place": place.name})) if place.kind in COMMITTEE else place.name
        who = t(Msg(N_("%(name)s (%(committee)s)"), {"name": name, "committee": committee}))
        thing, link = objects.get((entry.target_type, entry.target_id), ("", None))
        thing = t(thing) if isinstance(thing, Msg) else thing
        template = SENTENCES.get(entry.action, OTHER)
        lines.append(LogLine(entry.at, Msg(template, {"who": who, "object": thing,
                                                      "action": entry.action}),
                             entry.reason, link))
    return lines
