"""The audit log as sentences: "李娟（恒丰居委会）提前结束了《…》第 2 轮：理由…", each with a
link to what it is about. The log itself (:mod:`consult.audit`) knows only action codes
and target ids; here, where the staff's view of every domain meets, they become words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import FamilyLink, User
from consult.audit import log as audit_log
from consult.communities.models import Home, Place
from consult.consultations import Comment, Consultation, Idea, Round
from consult.delivery import Project
from consult.elections import OwnerElection, ResidentElection
from consult.i18n import N_, Msg
from consult.owners import OwnerBallot, OwnerMatter
from consult.points import Activity, Member, Order, PointsClub, Prize, RedemptionDay
from consult.ratings.models import Campaign, Criterion, Forum
from consult.ratings.models import Objection as RatingObjection
from consult.surveys.models import Survey
from consult.voting.models import PaperVoter

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
    "hide_comment": N_("%(who)s hid a comment on %(object)s"),
    "unhide_comment": N_("%(who)s showed a hidden comment on %(object)s again"),
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
    # rounds and ideas
    "move_round": N_("%(who)s moved the dates of %(object)s"),
    "create_project": N_("%(who)s started the project %(object)s"),
    # owners' register, links and votes
    "import_owner_register": N_("%(who)s imported the owners' register of %(object)s"),
    "edit_owner_home": N_("%(who)s corrected the register entry of the home %(object)s"),
    "request_owner_link": N_("%(who)s asked to link %(object)s to a home of the owners' register"),
    "link_owner": N_("%(who)s linked %(object)s to an owner of the register"),
    "refused_owner_link": N_("%(who)s refused the owner link of %(object)s"),
    "cancelled_owner_link": N_("%(who)s withdrew the owner link request of %(object)s"),
    "unlink_owner": N_("%(who)s ended the owner link of %(object)s"),
    "create_owner_matter": N_("%(who)s created the owners' vote %(object)s"),
    "resolve_owner_paper_ballot": N_("%(who)s decided between two entries of a paper owners' ballot in "
                                     "%(object)s"),
    "void_owner_ballot": N_("%(who)s voided a ballot in %(object)s"),
    # elections
    "create_owner_election": N_("%(who)s created the owners' committee election %(object)s"),
    "refresh_owner_election_register": N_("%(who)s refreshed the register of the election %(object)s"),
    "add_election_candidate": N_("%(who)s added a candidate to the election %(object)s"),
    "remove_election_candidate": N_("%(who)s removed a candidate from the election %(object)s"),
    "resolve_election_paper": N_("%(who)s decided between two entries of a paper ballot in %(object)s"),
    "create_resident_election": N_("%(who)s created the residents' committee election %(object)s"),
    "add_resident_voter": N_("%(who)s added a voter to the election %(object)s"),
    "remove_resident_voter": N_("%(who)s removed a voter from the election %(object)s"),
    "nominate_resident_candidate": N_("%(who)s entered a nomination in the election %(object)s"),
    "publish_resident_candidates": N_("%(who)s published the candidates of the election %(object)s"),
    # surveys and star ratings
    "create_survey": N_("%(who)s created the survey %(object)s"),
    "update_survey": N_("%(who)s changed the survey %(object)s"),
    "enter_paper_survey": N_("%(who)s entered a paper questionnaire in %(object)s"),
    "create_campaign": N_("%(who)s created the rating %(object)s"),
    "publish_campaign": N_("%(who)s published the results of the rating %(object)s"),
    "enter_staff_scores": N_("%(who)s entered the staff scores of %(object)s"),
    "enter_forum_ratings": N_("%(who)s entered the ratings of a forum of %(object)s"),
    # the points club
    "points_club_created": N_("%(who)s set up the points club %(object)s"),
    "points_club_updated": N_("%(who)s changed the rules of the points club %(object)s"),
    "points_participation_set": N_("%(who)s changed who takes part in the points club %(object)s"),
    "points_member_joined_at_desk": N_("%(who)s signed up %(object)s for the points club at the desk"),
    "points_proxy_set": N_("%(who)s named who may act for %(object)s in the points club"),
    "points_activity_created": N_("%(who)s announced the activity %(object)s"),
    "points_activity_cancelled": N_("%(who)s cancelled the activity %(object)s"),
    "points_attendance_approved": N_("%(who)s approved the attendance of %(object)s"),
    "points_attendance_rejected": N_("%(who)s refused the attendance of %(object)s"),
    "points_correction_proposed": N_("%(who)s proposed a correction of the points of %(object)s"),
    "points_correction_confirmed": N_("%(who)s confirmed a correction of the points of %(object)s"),
    "points_correction_refused": N_("%(who)s refused a correction of the points of %(object)s"),
    "points_prize_added": N_("%(who)s added the prize %(object)s"),
    "points_prize_restocked": N_("%(who)s restocked the prize %(object)s"),
    "points_day_added": N_("%(who)s set the redemption day %(object)s"),
    "points_order_collected": N_("%(who)s handed over a prize ordered for %(object)s"),
    "points_day_released": N_("%(who)s released the uncollected orders of %(object)s"),
    # accounts, the desk and family members
    "create_managed_resident": N_("%(who)s created a managed account for %(object)s"),
    "merge_managed_resident": N_("%(who)s merged a managed account into the account of %(object)s"),
    "managed_resident_login": N_("%(who)s gave %(object)s a login of their own"),
    "acting_start_desk": N_("%(who)s began acting for %(object)s at the desk"),
    "acting_end_desk": N_("%(who)s stopped acting for %(object)s at the desk"),
    "acting_start_family": N_("%(who)s began acting for %(object)s as a family member"),
    "acting_end_family": N_("%(who)s stopped acting for %(object)s as a family member"),
    "family_link_requested": N_("%(who)s asked for a family link with %(object)s"),
    "family_link_confirmed": N_("%(who)s confirmed a family link with %(object)s"),
    "family_link_ended": N_("%(who)s ended a family link with %(object)s"),
    "family_reset_approved": N_("%(who)s approved a password reset of %(object)s as a family member"),
    "family_reset_refused": N_("%(who)s refused a password reset of %(object)s as a family member"),
    "password_reset": N_("%(who)s reset the password of %(object)s"),
    "issue_reset_slip": N_("%(who)s printed a password reset slip for %(object)s"),
    "lift_login_lockout": N_("%(who)s lifted the sign-in lockout of %(object)s"),
    "wechat_linked": N_("%(who)s linked a WeChat account to %(object)s"),
    "wechat_unlinked": N_("%(who)s unlinked the WeChat account of %(object)s"),
    "sms_opt_out": N_("%(who)s recorded that a phone number wants no more text messages"),
}
OTHER = N_("%(who)s: %(action)s")  # an action without a sentence yet: its code, still readable
COMMITTEE = {"area": N_("%(place)s residents' committee")}


@dataclass
class LogLine:
    at: datetime
    sentence: Msg
    reason: str | None
    link: tuple[str, dict] | None  # route name and its parameters


@dataclass(frozen=True)
class Kind:
    """How the log names one kind of target: its table, the field that names it, and the
    page it has (route and parameter). ``via`` names a target whose words and page are
    those of another object (a comment is shown as its idea): the other kind and the field
    holding its id."""

    model: type
    label: str | None = None
    route: str | None = None
    param: str | None = None
    quoted: bool = True
    via: tuple[str, str] | None = None


KINDS = {
    "consultation": Kind(Consultation, "title", "consultation", "cid"),
    "idea": Kind(Idea, "title", "idea", "iid"),
    "comment": Kind(Comment, via=("idea", "idea_id")),
    "project": Kind(Project, "title", "project", "project_id"),
    "paper_voter": Kind(PaperVoter, "name", quoted=False),
    "user": Kind(User, "display_name", quoted=False),
    "family_link": Kind(FamilyLink, via=("user", "person_id")),
    "place": Kind(Place, "name", "owners_estate", "estate_id", quoted=False),
    "home": Kind(Home, quoted=False),
    "owner_matter": Kind(OwnerMatter, "title", "owners_matter", "matter_id"),
    "owner_ballot": Kind(OwnerBallot, via=("owner_matter", "matter_id")),
    "owner_election": Kind(OwnerElection, "title", "election", "election_id"),
    "resident_election": Kind(ResidentElection, "title", "resident_election", "election_id"),
    "survey": Kind(Survey, "title", "survey", "survey_id"),
    "campaign": Kind(Campaign, "title", "campaign", "campaign_id"),
    "criterion": Kind(Criterion, via=("campaign", "campaign_id")),
    "forum": Kind(Forum, via=("campaign", "campaign_id")),
    "objection": Kind(RatingObjection, via=("campaign", "campaign_id")),
    "points_club": Kind(PointsClub, "name", "points_club", "club_id"),
    "points_member": Kind(Member, "name", "points_passbook", "member_id", quoted=False),
    "points_activity": Kind(Activity, "title", "points_activity", "activity_id"),
    "points_prize": Kind(Prize, "name"),
    "points_day": Kind(RedemptionDay, "title", "points_day", "day_id"),
    "points_order": Kind(Order, via=("points_day", "day_id")),
}


def _words(kind: Kind, item) -> str:
    if kind.model is Home:
        return f"{item.building} {item.room}"
    text = getattr(item, kind.label)
    return f"《{text}》" if kind.quoted else text


def _objects(db: Session, entries) -> dict[tuple[str, int], tuple[Msg | str, tuple[str, dict] | None]]:
    """What each entry is about, in words and as a link (one query per kind, and one more
    per kind that is shown through another: a comment through its idea)."""
    wanted: dict[str, set[int]] = {}
    for entry, _, _ in entries:
        if entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, int], tuple[Msg | str, tuple[str, dict] | None]] = {}
    through: dict[tuple[str, int], tuple[str, int]] = {}
    for name, ids in list(wanted.items()):
        if (kind := KINDS.get(name)) and kind.via:
            other, field = kind.via
            for item in db.exec(select(kind.model).where(kind.model.id.in_(ids))).all():
                through[name, item.id] = (other, getattr(item, field))
                wanted.setdefault(other, set()).add(getattr(item, field))
    if ids := wanted.get("round"):
        for item, consultation in db.exec(select(Round, Consultation).join(
                Consultation, Consultation.id == Round.consultation_id).where(Round.id.in_(ids))).all():
            found["round", item.id] = (Msg(N_("“%(title)s” round %(n)s"),
                                           {"title": consultation.title, "n": item.position}),
                                       ("consultation", {"cid": consultation.id}))
    for name, ids in wanted.items():
        kind = KINDS.get(name)
        if kind is None or kind.via:
            continue
        for item in db.exec(select(kind.model).where(kind.model.id.in_(ids))).all():
            found[name, item.id] = (_words(kind, item),
                                    (kind.route, {kind.param: item.id}) if kind.route else None)
    for key, other in through.items():
        if other in found:
            found[key] = found[other]
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
