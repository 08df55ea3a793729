"""Every role against every action, inside and outside its place.

Places: sub-district 1 → areas 2 (恒丰) and 3 (郑家巷); 恒丰 → estate 4 → group 5;
郑家巷 → estate 6 → group 7. The thing acted on sits at group 5 (inside 恒丰), so a role
"in place" is held at 恒丰 and "out of place" at 郑家巷.
"""

import pytest

from consult.permissions import ANONYMOUS, RULES, Actor, allowed

IN = (1, 2, 4, 5)  # path of the thing acted on
AREA_IN, AREA_OUT, ROOT = 2, 3, 1


def actor(role=None, place=None):
    return Actor(user_id=7, roles=frozenset({(role, place)}) if role else frozenset())


ACTORS = {
    "anonymous": ANONYMOUS,
    "signed_in": actor(),
    "resident_in": actor("resident", AREA_IN),
    "resident_out": actor("resident", AREA_OUT),
    "owner_in": actor("owner", 4),
    "owner_out": actor("owner", 6),
    "owners_rep_in": actor("owners_rep", 4),
    "owners_rep_out": actor("owners_rep", 6),
    "expert_in": actor("expert", AREA_IN),
    "expert_out": actor("expert", AREA_OUT),
    "moderator_in": actor("moderator", AREA_IN),
    "moderator_out": actor("moderator", AREA_OUT),
    "admin": actor("admin", ROOT),
    # someone acts for the person (代办): the person's roles, narrowed by the helper
    "resident_in_desk": Actor(user_id=7, roles=frozenset({("resident", AREA_IN)}),
                              helper="desk", helper_id=8),
    "resident_in_family": Actor(user_id=7, roles=frozenset({("resident", AREA_IN)}),
                                helper="family", helper_id=8),
    "owner_in_desk": Actor(user_id=7, roles=frozenset({("owner", 4)}), helper="desk", helper_id=8),
    "owner_in_family": Actor(user_id=7, roles=frozenset({("owner", 4)}), helper="family",
                             helper_id=8),
    # a moderator being helped keeps no staff power while helped
    "moderator_in_desk": Actor(user_id=7, roles=frozenset({("moderator", AREA_IN)}),
                               helper="desk", helper_id=8),
}

# Who may do each action on a thing at IN; everyone else must be refused.
STAFF_IN = {"moderator_in", "admin"}
SIGNED = set(ACTORS) - {"anonymous"}
HELPED = {"resident_in_desk", "resident_in_family", "owner_in_desk", "owner_in_family",
          "moderator_in_desk"}
THEMSELVES = SIGNED - HELPED
EXPECTED = {
    "view_public": set(ACTORS),
    "use_account": SIGNED,
    "request_verification": SIGNED - {"resident_in", "resident_in_desk", "resident_in_family",
                                      "owner_in_family"},
    "decide_verification": STAFF_IN,
    "view_audit_log": STAFF_IN,
    "lift_login_lockout": {"admin"},
    "assign_roles": {"admin"},
    "manage_places": {"admin"},
    "manage_consultation": STAFF_IN,
    "submit_idea": {"resident_in", "resident_in_desk", "resident_in_family"},
    "support_idea": {"resident_in", "resident_in_desk", "resident_in_family"},
    "comment": {"resident_in", "resident_in_desk", "expert_in"} | STAFF_IN,
    "report_comment": SIGNED - {"resident_in_family", "owner_in_family"},
    "review_idea": STAFF_IN,
    "advise_idea": {"expert_in"} | STAFF_IN,
    "hide_comment": STAFF_IN,
    "export_ideas": STAFF_IN,
    "vote": {"resident_in", "resident_in_desk"},  # never a family member
    # only asked for a family member in a round that allows it (``may_cast_vote`` below)
    "vote_assisted": {"resident_in", "resident_in_family"},
    "vote_for_home": {"owner_in", "owner_in_desk"},
    "enter_paper_ballot": STAFF_IN,
    "publish_results": STAFF_IN,
    "view_turnout": STAFF_IN,
    "file_objection": {"resident_in", "resident_in_desk"},
    "answer_objection": STAFF_IN,
    "manage_survey": STAFF_IN,
    "enter_paper_survey": STAFF_IN,
    "manage_campaign": STAFF_IN,
    "rate_contest_entry": {"resident_in", "resident_in_desk"},
    "enter_forum_ratings": STAFF_IN,
    "answer_survey": {"resident_in", "resident_in_desk", "resident_in_family"},
    "answer_owner_survey": {"owner_in", "owner_in_desk", "owner_in_family"},
    "answer_rep_survey": {"owners_rep_in"},
    "view_forum": {"owners_rep_in"} | STAFF_IN,
    "manage_owner_register": {"owners_rep_in"} | STAFF_IN,
    "manage_owner_matter": STAFF_IN,
    "cast_owner_ballot": {"owner_in"},  # signed ballots: never helped (paper, 委托书)
    "enter_owner_paper_ballot": STAFF_IN,
    "void_owner_ballot": STAFF_IN,
    "view_owner_turnout": {"owner_in", "owner_in_desk", "owners_rep_in"} | STAFF_IN,
    "decide_owner_link": {"owners_rep_in"} | STAFF_IN,
    "approve_owner_link": STAFF_IN,
    "manage_owner_election": STAFF_IN,
    "cast_owner_election_ballot": {"owner_in"},
    "enter_owner_election_paper": STAFF_IN,
    "view_owner_election_gauge": set(ACTORS),
    "view_door_to_door": STAFF_IN,
    "export_owner_election": STAFF_IN,
    "manage_resident_election": STAFF_IN,
    "cast_resident_ballot": {"resident_in"},
    "view_outbox": STAFF_IN,
    "join_points_club": {"resident_in"},
    "take_part_in_points_club": {"resident_in"},
    "manage_points_club": STAFF_IN,
    "act_at_points_desk": STAFF_IN,
    "record_attendance": STAFF_IN,
    "approve_attendance": STAFF_IN,
    "propose_points_correction": STAFF_IN,
    "confirm_points_correction": STAFF_IN,
    "view_points_ledger": STAFF_IN,
    "manage_project": STAFF_IN,
    "pledge_to_project": {"resident_in"},
    "receive_pledge": STAFF_IN,
    "sign_acceptance": {"resident_in", "owners_rep_in"} | STAFF_IN,
    "rate_project": {"resident_in", "resident_in_desk"},  # at the desk too, never by family
    "enter_paper_rating": STAFF_IN,
    "record_safety_check": STAFF_IN,
    "recheck_repair": STAFF_IN,
    "confirm_receipt": STAFF_IN,
    "issue_desk_reset": STAFF_IN,
    "assist_at_desk": STAFF_IN,
    "create_managed_resident": STAFF_IN,
    "confirm_family_link_at_desk": STAFF_IN,
    "view_help_log": STAFF_IN,
}

# Actions that are not about a place: "anywhere" is the scope.
PLACELESS = {"view_staff_area": {"moderator_in", "moderator_out", "admin"},
             "record_sms_opt_out": {"moderator_in", "moderator_out", "admin"},
             # only the person themselves, never while someone acts for them
             "use_own_credentials": THEMSELVES,
             "manage_family_links": THEMSELVES,
             "approve_family_reset": THEMSELVES,
             "act_for_family": THEMSELVES,
             "choose_message_channels": THEMSELVES}


def test_every_action_has_expectations():
    assert set(RULES) == set(EXPECTED) | set(PLACELESS)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_role_against_action(action, who):
    assert allowed(action, ACTORS[who], IN) == (who in EXPECTED[action])


@pytest.mark.parametrize("action", sorted(PLACELESS))
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_staff_area(who, action):
    assert allowed(action, ACTORS[who]) == (who in PLACELESS[action])


def test_role_covers_descendants_not_ancestors():
    moderator_of_group = actor("moderator", 5)
    assert allowed("decide_verification", moderator_of_group, (1, 2, 4, 5))
    assert not allowed("decide_verification", moderator_of_group, (1, 2))


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        allowed("launch_rockets", ACTORS["admin"], IN)


# -- acting on one's own request ----------------------------------------------------------
# Every decision on a request (or about one person) × every role × whose request it is:
# allowed as above for someone else's request (or nobody's), never for the actor's own.

from consult.permissions import DECISIONS, decides_own_request, may_decide  # noqa: E402

REQUESTERS = {"self": 7, "other": 8, "nobody": None}  # every actor above is user 7


def test_decisions_are_actions():
    assert DECISIONS <= set(EXPECTED)


@pytest.mark.parametrize("requester", sorted(REQUESTERS))
@pytest.mark.parametrize("action", sorted(DECISIONS))
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_nobody_decides_their_own_request(who, action, requester):
    expected = who in EXPECTED[action] and requester != "self"
    assert may_decide(action, ACTORS[who], IN, REQUESTERS[requester]) == expected


def test_a_second_moderator_of_the_place_or_one_above_decides():
    requester = Actor(user_id=7, roles=frozenset({("moderator", AREA_IN)}))
    second = Actor(user_id=8, roles=frozenset({("moderator", AREA_IN)}))
    above = Actor(user_id=9, roles=frozenset({("admin", ROOT)}))
    for action in DECISIONS - {"assign_roles"}:
        assert not may_decide(action, requester, IN, requester.user_id)
        assert may_decide(action, second, IN, requester.user_id)
        assert may_decide(action, above, IN, requester.user_id)
    assert may_decide("assign_roles", above, IN, requester.user_id)
    assert not may_decide("assign_roles", above, IN, above.user_id)


def test_own_request_predicate():
    assert decides_own_request(ACTORS["moderator_in"], 7)
    assert not decides_own_request(ACTORS["moderator_in"], 8)
    assert not decides_own_request(ACTORS["moderator_in"], None)
    assert not decides_own_request(ANONYMOUS, None)


def test_may_decide_is_only_for_decisions():
    with pytest.raises(KeyError):
        may_decide("vote", ACTORS["resident_in"], IN, 8)

# -- acting on one's own request: nobody decides what they asked for or keyed themselves ---

OWN_REQUEST = {  # actor id → parties to the decision → may decide?
    "the requester": (7, (7,), False),
    "the first keyer": (7, (7, 8), False),
    "the second keyer": (8, (7, 8), False),
    "someone else": (9, (7, 8), True),
    "nobody recorded": (9, (None,), True),
}


@pytest.mark.parametrize("case", sorted(OWN_REQUEST))
def test_acting_on_own_request(case):
    from consult.permissions import acting_on_own_request

    user_id, parties, may = OWN_REQUEST[case]
    staff = Actor(user_id=user_id, roles=frozenset({("moderator", AREA_IN)}))
    assert acting_on_own_request(staff, parties) is (not may)
    assert not acting_on_own_request(ANONYMOUS, parties)


def test_the_lifecycle_dimension_is_tested_with_the_round():
    """Every privileged action on a vote round × every state of the round is in
    tests/voting/test_lifecycle.py (pure predicate, services and HTTP)."""
    from consult.voting import rules
    from tests.voting.test_lifecycle import EXPECTED as LIFECYCLE

    assert set(LIFECYCLE) == set(rules.ROUND_ACTIONS)
    assert all(states <= set(rules.ROUND_STATES) for states in LIFECYCLE.values())


def test_the_lifecycle_dimension_is_tested_for_surveys_campaigns_and_contests():
    """Every privileged action on a survey, a rating campaign and a photo contest × every
    state is in tests/surveys/test_lifecycle.py and tests/ratings/test_lifecycle.py (pure
    predicate and services; a closed survey refused over HTTP too)."""
    from consult.ratings import rules as ratings
    from consult.surveys import rules as surveys
    from tests.ratings.test_lifecycle import CAMPAIGN_EXPECTED, CONTEST_EXPECTED
    from tests.surveys.test_lifecycle import EXPECTED as SURVEY_EXPECTED

    for expected, actions, states in ((SURVEY_EXPECTED, surveys.SURVEY_ACTIONS, surveys.SURVEY_STATES),
                                      (CAMPAIGN_EXPECTED, ratings.CAMPAIGN_ACTIONS, ratings.CAMPAIGN_STATES),
                                      (CONTEST_EXPECTED, ratings.CONTEST_ACTIONS, ratings.CONTEST_STATES)):
        assert set(expected) == set(actions)
        assert all(allowed <= set(states) for allowed in expected.values())


def test_the_lifecycle_dimension_is_tested_for_activities_and_redemption_days():
    """Every action on a points activity and a redemption day × every state is in
    tests/points/test_lifecycle.py (pure predicate and services)."""
    from consult.points import rules
    from tests.points.test_lifecycle import ACTIVITY_EXPECTED, DAY_EXPECTED

    for expected, actions, states in ((ACTIVITY_EXPECTED, rules.ACTIVITY_ACTIONS, rules.ACTIVITY_STATES),
                                      (DAY_EXPECTED, rules.DAY_ACTIONS, rules.DAY_STATES)):
        assert set(expected) == set(actions)
        assert all(allowed <= set(states) for allowed in expected.values())


def test_the_lifecycle_dimension_is_tested_for_delivery():
    """Every privileged action on a project × every state of the project is in
    tests/delivery/test_lifecycle.py (pure predicate and services); every role against
    every delivery action through the services in tests/delivery/test_permissions_matrix.py."""
    from consult.delivery import rules
    from tests.delivery.test_lifecycle import EXPECTED as LIFECYCLE

    assert set(LIFECYCLE) == set(rules.PROJECT_ACTIONS)
    assert all(states <= set(rules.STATES) for states in LIFECYCLE.values())


# -- casting a vote-round ballot: every actor × round state × eligibility × assisted voting --

VOTE_STATES = ("upcoming", "open", "closed", "published", "finalized")


def _may_vote_expected(who: str, state: str, eligibility: str, assisted_voting: bool) -> bool:
    if state != "open":
        return False
    if eligibility == "owners":  # never a family member: the written proxy 委托书
        return who in {"owner_in", "owner_in_desk"}
    if who == "resident_in_family":
        return assisted_voting
    return who in {"resident_in", "resident_in_desk"}


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("state", VOTE_STATES)
@pytest.mark.parametrize("eligibility", ["residents", "owners"])
@pytest.mark.parametrize("assisted_voting", [False, True])
def test_who_may_cast_a_vote_round_ballot(who, state, eligibility, assisted_voting):
    from consult.permissions import may_cast_vote

    assert may_cast_vote(ACTORS[who], IN, state=state, eligibility=eligibility,
                         assisted_voting=assisted_voting) \
        == _may_vote_expected(who, state, eligibility, assisted_voting)


def test_the_vote_states_are_the_rounds():
    from consult.voting import rules

    assert set(VOTE_STATES) == set(rules.ROUND_STATES)


@pytest.mark.parametrize("action", ["cast_owner_ballot", "cast_owner_election_ballot",
                                    "cast_resident_ballot", "vote_for_home", "vote"])
def test_a_family_member_never_casts_an_owners_or_election_ballot(action):
    assert not allowed(action, ACTORS["resident_in_family"], IN)
    assert not allowed(action, ACTORS["owner_in_family"], IN)
