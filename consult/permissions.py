"""Who may do what, where: every authorization decision in one module.

A role is held at a place and covers that place and everything under it (a
moderator of 郑家巷 moderates its estates; a sub-district admin, everything).
Predicates are pure functions of an :class:`Actor` and the place path of the
thing acted on (ids from the root down), so they are tested for every role
against every action without HTTP or a database. Routes and services ask
``allowed(action, actor, path)``; nothing else decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from consult.i18n import N_

PlacePath = tuple[int, ...]

STAFF = frozenset({"moderator", "admin"})


#: The roles a person keeps while someone helps them.
HELPED_ROLES = frozenset({"resident", "owner"})

#: Who may be helping the person act (代办): a staff member at the desk, a family member
#: (亲情账号). None: the person acts themselves.
HELPERS = ("desk", "family")


@dataclass(frozen=True)
class Actor:
    """The person acting: ``user_id`` is None for an anonymous visitor.

    ``helper`` is set while someone acts for them (``"desk"``: a staff member at the
    desk; ``"family"``: a linked family member); the roles are then the person's, never
    the helper's, and ``allowed`` narrows them (``DESK_ACTIONS``, ``FAMILY_ACTIONS``).
    """

    user_id: int | None = None
    roles: frozenset[tuple[str, int]] = frozenset()
    helper: str | None = None
    helper_id: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def holds(self, roles: Iterable[str], path: PlacePath) -> bool:
        """Does the actor hold one of ``roles`` at a place on ``path``?"""
        wanted = set(roles)
        places = set(path)
        return any(role in wanted and place in places for role, place in self.roles)

    def holds_anywhere(self, roles: Iterable[str]) -> bool:
        wanted = set(roles)
        return any(role in wanted for role, _ in self.roles)


ANONYMOUS = Actor()


def _signed_in(actor: Actor, path: PlacePath = ()) -> bool:
    return actor.authenticated


def _staff(actor: Actor, path: PlacePath) -> bool:
    return actor.holds(STAFF, path)


def _admin(actor: Actor, path: PlacePath) -> bool:
    return actor.holds({"admin"}, path)


def _resident(actor: Actor, path: PlacePath) -> bool:
    return actor.holds({"resident"}, path)


def _resident_or_staff(actor: Actor, path: PlacePath) -> bool:
    return actor.holds({"resident", "expert", *STAFF}, path)


def _expert_or_staff(actor: Actor, path: PlacePath) -> bool:
    return actor.holds({"expert", *STAFF}, path)


def _owner(actor: Actor, path: PlacePath) -> bool:
    return actor.holds({"owner"}, path)


def _owners_staff(actor: Actor, path: PlacePath) -> bool:
    return actor.holds({"owners_rep", *STAFF}, path)


def _can_request_verification(actor: Actor, path: PlacePath) -> bool:
    return actor.authenticated and not actor.holds({"resident"}, path)


def _staff_anywhere(actor: Actor, path: PlacePath = ()) -> bool:
    return actor.holds_anywhere(STAFF)


def _themselves(actor: Actor, path: PlacePath = ()) -> bool:
    """Signed in and acting as themselves (nobody helping: a helper never changes the
    person's password, tokens, family links or message settings)."""
    return actor.authenticated and actor.helper is None


#: Every action of the product and its predicate. Adding an action means adding a
#: line here and a row in ``tests/test_permissions.py``.
RULES: dict[str, Callable[[Actor, PlacePath], bool]] = {
    # accounts and places
    "view_public": lambda actor, path: True,
    "use_account": _signed_in,
    "request_verification": _can_request_verification,
    "decide_verification": _staff,
    "view_audit_log": _staff,
    "assign_roles": _admin,
    "manage_places": _admin,
    "view_staff_area": _staff_anywhere,
    "lift_login_lockout": _admin,
    # consultations
    "manage_consultation": _staff,
    "submit_idea": _resident,
    "support_idea": _resident,
    "comment": _resident_or_staff,
    "report_comment": _signed_in,
    "review_idea": _staff,
    "advise_idea": _expert_or_staff,
    "hide_comment": _staff,
    "export_ideas": _staff,
    # voting
    "vote": _resident,
    # a family member (亲情账号) casts the resident's ballot: only in a residents' vote
    # round whose settings allow assisted voting (``may_cast_vote``)
    "vote_assisted": _resident,
    "vote_for_home": _owner,
    "enter_paper_ballot": _staff,
    "publish_results": _staff,
    "view_turnout": _staff,
    "file_objection": _resident,
    "answer_objection": _staff,
    # surveys and ratings
    "manage_survey": _staff,
    "enter_paper_survey": _staff,
    "manage_campaign": _staff,
    "rate_contest_entry": _resident,
    "enter_forum_ratings": _staff,
    "answer_survey": _resident,
    "answer_owner_survey": _owner,
    "answer_rep_survey": lambda actor, path: actor.holds({"owners_rep"}, path),
    "view_forum": _owners_staff,
    # owners' votes
    "manage_owner_register": _owners_staff,
    "manage_owner_matter": _staff,
    "cast_owner_ballot": _owner,
    "enter_owner_paper_ballot": _staff,
    "void_owner_ballot": _staff,
    "view_owner_turnout": lambda actor, path: actor.holds({"owner", "owners_rep", *STAFF}, path),
    # confirm (with the owner's code, or as a second staff member) or withdraw a link
    # request; never one's own (consult.owners.rules.link_refusal)
    "decide_owner_link": _owners_staff,
    # approve a link as the second pair of eyes: staff only, not an owners' representative
    "approve_owner_link": _staff,
    # owners' committee elections (consult.elections): staff call them and key paper; the
    # gauge against the 2/3 lines is public; the list of homes not yet voted (door to door)
    # and the per-home export are staff's; an owner of record votes online
    "manage_owner_election": _staff,
    "cast_owner_election_ballot": _owner,
    "enter_owner_election_paper": _staff,
    "view_owner_election_gauge": lambda actor, path: True,
    "view_door_to_door": _staff,
    "export_owner_election": _staff,
    # residents' committee elections: staff of the area run them (register, candidates,
    # paper ballots); a verified resident on the register votes online
    "manage_resident_election": _staff,
    "cast_resident_ballot": _resident,
    # text messages: the outbox of messages about a place (about no place: the root's
    # staff); recording that a number asked for no more notices (退订) at the desk
    "view_outbox": _staff,
    "record_sms_opt_out": _staff_anywhere,
    # the points club (积分制): residents of the club's place join, sign up, check in (a
    # pending entry only) and redeem; committee staff run the club, act at the desk for
    # residents without a phone, record and approve attendance (never their own) and
    # correct the ledger (a second staff member confirms)
    "join_points_club": _resident,
    "take_part_in_points_club": _resident,
    "manage_points_club": _staff,
    "act_at_points_desk": _staff,
    "record_attendance": _staff,
    "approve_attendance": _staff,
    "propose_points_correction": _staff,
    "confirm_points_correction": _staff,
    "view_points_ledger": _staff,
    # delivery: projects, their accounts, milestones and the register (consult.delivery);
    # what a project's state allows is consult.delivery.rules.PROJECT_ACTIONS
    "manage_project": _staff,
    "pledge_to_project": _resident,
    "receive_pledge": _staff,
    "sign_acceptance": lambda actor, path: actor.holds({"resident", "owners_rep", *STAFF}, path),
    "rate_project": _resident,
    "enter_paper_rating": _staff,
    "record_safety_check": _staff,
    "recheck_repair": _staff,       # a decision: not by who recorded the failure
    "confirm_receipt": _staff,      # a decision: not by who recorded the receipt
    # people without e-mail (issue 17): getting back in, being helped, family proxies.
    # The path is the person's: a place where they hold a role or asked to be verified.
    "issue_desk_reset": _staff,           # print a one-time reset slip after an ID check
    "assist_at_desk": _staff,             # act for a resident at the desk (代办)
    "create_managed_resident": _staff,    # a resident record without a login
    "confirm_family_link_at_desk": _staff,  # the resident confirms in person
    "view_help_log": _staff,              # who acted for a person, when (their own page too)
    "use_own_credentials": _themselves,   # password, tokens, sign out everywhere
    "manage_family_links": _themselves,   # name, confirm, end family links
    "approve_family_reset": _themselves,  # a family member lets the person set a new password
    "act_for_family": _themselves,        # start acting for a linked person
    "choose_message_channels": _themselves,
}

#: What a person may do with a staff member helping at the desk: what they could do
#: themselves, except signed owners' ballots (those use the paper ballot or the written
#: proxy 委托书) and anything about their credentials.
DESK_ACTIONS = frozenset({
    "view_public", "use_account", "request_verification", "submit_idea", "support_idea",
    "comment", "report_comment", "vote", "vote_for_home", "file_objection",
    "rate_contest_entry", "answer_survey", "answer_owner_survey", "view_owner_turnout",
    "view_owner_election_gauge", "rate_project",
})

#: What a family member may do for the person (issue 17, 亲情账号): browse, submit and
#: support ideas, answer surveys and forms. A residents' vote round only when it allows
#: assisted voting (``vote_assisted``, asked through ``may_cast_vote``); never an owners'
#: ballot or an election (those use the written proxy 委托书).
FAMILY_ACTIONS = frozenset({
    "view_public", "use_account", "submit_idea", "support_idea", "answer_survey",
    "answer_owner_survey", "view_owner_election_gauge", "vote_assisted",
})


def vote_action(actor: Actor, *, eligibility: str, assisted_voting: bool) -> str:
    """The action that casting a ballot in a vote round asks: ``vote_for_home`` in an
    owners' round, ``vote_assisted`` for a family member acting for the person in a round
    that allows it, else ``vote`` (which no family member may do)."""
    if eligibility == "owners":
        return "vote_for_home"
    if actor.helper == "family" and assisted_voting:
        return "vote_assisted"
    return "vote"


def may_cast_vote(actor: Actor, path: PlacePath, *, state: str, eligibility: str,
                  assisted_voting: bool) -> bool:
    """May the actor cast (or change) a ballot in a vote round in ``state``? Only while it
    is open; a family member only for a resident, and only when the round allows assisted
    voting; nobody helping casts an owners' ballot but staff at the desk."""
    if state != "open":
        return False
    return allowed(vote_action(actor, eligibility=eligibility, assisted_voting=assisted_voting),
                   actor, path)


def allowed(action: str, actor: Actor, path: PlacePath = ()) -> bool:
    """The single question every route and service asks. While someone helps the person,
    only what the helper may do for them (``DESK_ACTIONS``, ``FAMILY_ACTIONS``), and only
    as a resident or owner: a helped person's staff or committee roles do not count."""
    rule = RULES[action]
    if actor.helper is not None:
        helped = DESK_ACTIONS if actor.helper == "desk" else FAMILY_ACTIONS
        if action not in helped:
            return False
        actor = replace(actor, roles=frozenset(
            (role, place) for role, place in actor.roles if role in HELPED_ROLES))
    return rule(actor, path)


# -- four eyes: nobody decides their own request -----------------------------------------
#
# A request a person files (to be verified, an idea put to the committee) and a decision
# about their own contribution (hiding or showing their comment, a role for themselves)
# must be decided by someone else: a second moderator of the place or someone above.
# ``allowed`` answers "may this role act here"; ``may_decide`` adds "and not on their own
# request". Other domains add their decision actions (answering an objection, resolving a
# paper ballot's dispute, voiding a ballot, linking an owner) to ``DECISIONS`` and ask
# ``may_decide`` with the requester's id.

#: Actions that decide a request someone filed, or a matter about one person.
DECISIONS = frozenset({
    "decide_verification",  # requester: the person asking to be verified
    "assign_roles",         # requester: the person receiving the role
    "review_idea",          # requester: the idea's author (and a merge target's author)
    "hide_comment",         # requester: the comment's author (hide and show again)
    "answer_objection",     # requester: who filed the objection (a vote result, a rating)
    "approve_attendance",   # requester: the member whose attendance it is
    "confirm_points_correction",  # requester: who proposed it (and the member it is about)
    "receive_pledge",       # requester: the pledger (their own pledge's receipt)
    "sign_acceptance",      # requester: who proposed the idea the project delivers
    "recheck_repair",       # requester: who recorded the failed item (the repair's opener)
    "confirm_receipt",      # requester: who recorded the pledge's receipt
    "issue_desk_reset",     # requester: the person whose password is reset
    "assist_at_desk",       # requester: the person acted for
    "confirm_family_link_at_desk",  # requester: the family member (and the person)
})


def decides_own_request(actor: Actor, requester_id: int | None) -> bool:
    """Would the actor decide a request they filed themselves (or one about themselves)?"""
    return actor.user_id is not None and actor.user_id == requester_id


def may_decide(action: str, actor: Actor, path: PlacePath, requester_id: int | None) -> bool:
    """``allowed(action, actor, path)``, never on the actor's own request.

    ``requester_id`` is the person who filed the request (or whom the decision is
    about); None when nobody did (then only ``allowed`` counts).
    """
    if action not in DECISIONS:
        raise KeyError(action)
    return allowed(action, actor, path) and not decides_own_request(actor, requester_id)


def acting_on_own_request(actor: Actor, parties: Iterable[int | None]) -> bool:
    """Is the actor one of the people a decision is about (who asked, or whose work is being
    checked)? Nobody decides on their own request: a second staff member of the place, or
    one above it, does."""
    return actor.user_id is not None and actor.user_id in set(parties)


# -- why not: the reason a refusal page gives (issue 16 item 8) ---------------------------
#
# A refused person is told who may do it and where ("只有恒丰的居民可以…", "由石门二路街道的
#工作人员办理"), not only "not allowed". Keyed by the predicate, so a new action with an
# existing predicate has its reason; ``%(place)s`` is the name of the place acted on.

_WHO_MAY: dict[Callable[[Actor, PlacePath], bool], str] = {
    _staff: N_("This is managed by the staff of %(place)s."),
    _admin: N_("Only administrators of %(place)s can do this."),
    _resident: N_("Only verified residents of %(place)s can do this."),
    _resident_or_staff: N_("Only verified residents and the staff of %(place)s can do this."),
    _expert_or_staff: N_("Only experts and the staff of %(place)s can do this."),
    _owner: N_("Only owners of record of a home in %(place)s can do this."),
    _owners_staff: N_("Only owners' representatives and the staff of %(place)s can do this."),
}
_WHO_MAY_ANYWHERE: dict[Callable[[Actor, PlacePath], bool], str] = {
    _staff_anywhere: N_("This page is for the staff of the residents' committees and the sub-district."),
}


def who_may(action: str, placed: bool) -> str | None:
    """The English template of why ``action`` was refused (translated at the edge):
    with ``%(place)s`` when ``placed`` (the thing acted on has a place), else one
    without a place; None when there is nothing more to say than "not allowed"."""
    rule = RULES[action]
    if rule in _WHO_MAY_ANYWHERE:
        return _WHO_MAY_ANYWHERE[rule]
    return _WHO_MAY.get(rule) if placed else None
