"""The counting rules of Civil Code art. 278, each tested at its boundary."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from consult.owners.rules import (
    DEVELOPER,
    Choice,
    Home,
    MatterKind,
    TallyError,
    area_to_cents,
    holdings,
    is_major,
    majority_rule,
    owner_key,
    owner_of_home,
    register_totals,
    tally,
)

A, D, X = Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN


def home(home_id: str, area: str, *owners: str, dev: bool = False) -> Home:
    return Home(home_id, "1", home_id, Decimal(area), owners, dev)


def solo(key: str) -> frozenset[str]:
    return frozenset({key})


def estate(*areas: str) -> list[Home]:
    """One home per owner, owners named o0, o1, ... in order."""
    return [home(f"h{i}", area, f"o{i}") for i, area in enumerate(areas)]


def votes(**choices: Choice) -> dict[frozenset[str], Choice]:
    return {solo(name): choice for name, choice in choices.items()}


# --- area and headcount ---------------------------------------------------------


def test_total_area_is_the_sum_over_homes_exactly() -> None:
    totals = register_totals(estate("0.10", "0.20", "89.57"))
    assert totals.area_total == Decimal("89.87")
    assert totals.area_total_cents == 8987
    assert totals.owners_total == 3
    assert totals.homes_total == 3


def test_each_home_of_a_different_owner_is_one_head() -> None:
    assert register_totals(estate("50", "60", "70", "80")).owners_total == 4


def test_all_developer_homes_together_are_one_owner() -> None:
    homes = [
        home("d1", "90", dev=True),
        home("d2", "80", dev=True),
        home("d3", "70.50", dev=True),
        home("h1", "60", "li"),
    ]
    totals = register_totals(homes)
    assert totals.owners_total == 2
    assert holdings(homes)[DEVELOPER].area == Decimal("240.50")
    assert holdings(homes)[DEVELOPER].home_ids == ("d1", "d2", "d3")


def test_developer_wins_over_listed_buyer_of_undelivered_home() -> None:
    sold_not_delivered = home("d1", "90", "li", dev=True)
    delivered = home("h1", "60", "li")
    assert owner_key(sold_not_delivered) is DEVELOPER
    assert register_totals([sold_not_delivered, delivered]).owners_total == 2
    # li's ballot covers only the delivered home; the developer votes for d1.
    outcome = tally([sold_not_delivered, delivered], {solo("li"): A}, "ordinary")
    assert outcome.area_voted == Decimal("60.00")


def test_same_buyer_with_several_homes_is_one_owner() -> None:
    homes = [home("h1", "50", "li"), home("h2", "70", "li"), home("h3", "80", "wang")]
    assert register_totals(homes).owners_total == 2
    assert holdings(homes)[solo("li")].area_cents == 12000


def test_co_owners_are_one_owner_in_any_order() -> None:
    homes = [
        home("h1", "50", "li", "wang"),
        home("h2", "70", "wang", "li"),
        home("h3", "80", "zhao", "qian", "sun"),
        home("h4", "80", "sun", "zhao", "qian"),
    ]
    assert register_totals(homes).owners_total == 2
    assert owner_key(homes[0]) == owner_key(homes[1]) == frozenset({"li", "wang"})


def test_alone_and_as_co_owner_are_different_owners() -> None:
    homes = [home("h1", "50", "li"), home("h2", "70", "li", "wang")]
    assert register_totals(homes).owners_total == 2
    # li alone cannot vote for the home li shares with wang.
    outcome = tally(homes, {solo("li"): A}, "ordinary")
    assert outcome.area_voted == Decimal("50.00")
    assert outcome.owners_voted == 1


def test_a_subset_of_co_owners_is_a_different_owner() -> None:
    homes = [home("h1", "50", "a", "b", "c"), home("h2", "50", "a", "b")]
    assert register_totals(homes).owners_total == 2


def test_name_repeated_in_one_home_is_the_same_person() -> None:
    assert owner_key(home("h1", "50", "li", "li")) == solo("li")


def test_owner_of_home_maps_every_home_to_its_owner() -> None:
    homes = [home("h1", "50", "li"), home("h2", "60", "wang", "li"), home("d", "9", dev=True)]
    assert owner_of_home(homes) == {
        "h1": solo("li"),
        "h2": frozenset({"li", "wang"}),
        "d": DEVELOPER,
    }


# --- quorum -----------------------------------------------------------------------


def test_quorum_met_at_exactly_two_thirds_of_area_and_heads() -> None:
    outcome = tally(estate("100", "100", "100"), votes(o0=A, o1=A), "ordinary")
    assert outcome.area_turnout == Fraction(2, 3)
    assert outcome.owners_turnout == Fraction(2, 3)
    assert outcome.quorum_met
    assert outcome.passed


def test_quorum_fails_one_cent_below_two_thirds_of_area() -> None:
    # 199.99 of 300.00 m², with exactly 2 of 3 heads.
    outcome = tally(estate("100.00", "99.99", "100.01"), votes(o0=A, o1=A), "ordinary")
    assert outcome.area_voted == Decimal("199.99")
    assert outcome.owners_turnout == Fraction(2, 3)
    assert not outcome.quorum_met
    assert not outcome.passed


def test_quorum_met_one_cent_above_two_thirds_of_area() -> None:
    outcome = tally(estate("100.00", "99.99", "100.01"), votes(o0=A, o2=A), "ordinary")
    assert outcome.area_voted == Decimal("200.01")
    assert outcome.quorum_met


def test_quorum_fails_one_head_below_two_thirds() -> None:
    # 9 owners; the 5 voters hold almost all the area, but 5/9 < 6/9 heads.
    homes = estate("500", "500", "500", "500", "500", "1", "1", "1", "1")
    outcome = tally(homes, votes(o0=A, o1=A, o2=A, o3=A, o4=A), "ordinary")
    assert outcome.area_turnout > Fraction(2, 3)
    assert outcome.owners_voted == 5
    assert not outcome.quorum_met
    assert not outcome.passed
    six = tally(homes, votes(o0=A, o1=A, o2=A, o3=A, o4=A, o5=A), "ordinary")
    assert six.owners_turnout == Fraction(2, 3)
    assert six.quorum_met


def test_no_pass_without_quorum_even_if_unanimous() -> None:
    outcome = tally(estate("100", "100", "100"), votes(o0=A), "ordinary")
    assert outcome.area_agree_ratio == 1
    assert outcome.owners_agree_ratio == 1
    assert not outcome.quorum_met
    assert not outcome.passed


def test_nobody_voting_gives_zero_ratios_and_no_quorum() -> None:
    outcome = tally(estate("100", "100"), {}, "major")
    assert outcome.area_voted == Decimal("0.00")
    assert outcome.area_agree_ratio == 0
    assert outcome.owners_agree_ratio == 0
    assert not outcome.quorum_met
    assert not outcome.passed


# --- ordinary matters: strictly more than half ---------------------------------------


def test_ordinary_fails_at_exactly_half_of_area_and_heads() -> None:
    outcome = tally(estate("100", "100", "100", "100"), votes(o0=A, o1=A, o2=D, o3=D), "ordinary")
    assert outcome.quorum_met
    assert outcome.area_agree_ratio == Fraction(1, 2)
    assert outcome.owners_agree_ratio == Fraction(1, 2)
    assert not outcome.passed


def test_ordinary_fails_with_more_area_but_exactly_half_the_heads() -> None:
    homes = estate("100.01", "100", "100", "99.99")
    outcome = tally(homes, votes(o0=A, o1=A, o2=D, o3=D), "ordinary")
    assert outcome.area_agree == Decimal("200.01")
    assert outcome.owners_agree_ratio == Fraction(1, 2)
    assert not outcome.passed


def test_ordinary_fails_with_more_heads_but_exactly_half_the_area() -> None:
    homes = estate("50", "50", "50", "150")
    outcome = tally(homes, votes(o0=A, o1=A, o2=A, o3=D), "ordinary")
    assert outcome.owners_agree_ratio == Fraction(3, 4)
    assert outcome.area_agree_ratio == Fraction(1, 2)
    assert not outcome.passed


def test_ordinary_passes_one_cent_over_half() -> None:
    homes = estate("50", "50", "50.01", "150")
    outcome = tally(homes, votes(o0=A, o1=A, o2=A, o3=D), "ordinary")
    assert outcome.area_agree_ratio > Fraction(1, 2)
    assert outcome.passed


# --- major matters: three quarters or more ---------------------------------------------


@pytest.mark.parametrize(
    "kind", ["major", "maintenance_fund_raise", "rebuild", "common_use_change"]
)
def test_major_passes_at_exactly_three_quarters(kind: str) -> None:
    outcome = tally(estate("100", "100", "100", "100"), votes(o0=A, o1=A, o2=A, o3=D), kind)
    assert outcome.area_agree_ratio == Fraction(3, 4)
    assert outcome.owners_agree_ratio == Fraction(3, 4)
    assert outcome.passed


def test_major_fails_one_cent_below_three_quarters_of_area() -> None:
    homes = estate("100", "100", "99.99", "100.01")
    outcome = tally(homes, votes(o0=A, o1=A, o2=A, o3=D), "major")
    assert outcome.area_agree == Decimal("299.99")
    assert outcome.owners_agree_ratio == Fraction(3, 4)
    assert not outcome.passed


def test_major_fails_one_head_below_three_quarters() -> None:
    # 8 voters: 5 agree (5/8 < 6/8) although they hold nearly all the area.
    homes = estate("500", "500", "500", "500", "500", "1", "1", "1")
    ballots = votes(o0=A, o1=A, o2=A, o3=A, o4=A, o5=D, o6=D, o7=D)
    outcome = tally(homes, ballots, "major")
    assert outcome.area_agree_ratio > Fraction(3, 4)
    assert not outcome.passed
    assert tally(homes, ballots, "ordinary").passed  # 5/8 is over half
    ballots = votes(o0=A, o1=A, o2=A, o3=A, o4=A, o5=A, o6=D, o7=D)
    assert tally(homes, ballots, "major").passed


def test_major_needs_quorum_too() -> None:
    outcome = tally(estate("100", "100", "100", "100"), votes(o0=A, o1=A), "major")
    assert not outcome.quorum_met
    assert not outcome.passed


#: Civil Code art. 278 para. 1, items (1)-(9), with the majority para. 2 gives each.
ART_278 = [
    ("rules_of_procedure", False), ("management_statute", False), ("committee_election", False),
    ("property_manager", False), ("maintenance_fund_use", False), ("maintenance_fund_raise", True),
    ("rebuild", True), ("common_use_change", True), ("other_common_matter", False),
]


def test_matter_kinds_are_the_nine_items_of_article_278() -> None:
    assert [k.value for k in MatterKind][:9] == [kind for kind, _ in ART_278]
    for kind, major in ART_278:
        assert is_major(kind) is major, kind
        assert majority_rule(kind) == ((Fraction(3, 4), False) if major else (Fraction(1, 2), True))
    assert not is_major("ordinary") and is_major("major")
    with pytest.raises(ValueError):
        is_major("coup")
    with pytest.raises(ValueError):
        tally(estate("1"), {}, "coup")


@pytest.mark.parametrize("kind", [kind for kind, major in ART_278 if not major])
def test_half_majority_items_pass_at_seventy_percent(kind: str) -> None:
    # Using the maintenance fund (item 5) is among them: a use agreed by 70% passes.
    homes = estate(*["100"] * 10)
    seventy = votes(**{f"o{i}": (A if i < 7 else D) for i in range(10)})
    assert tally(homes, seventy, kind).passed
    half = votes(**{f"o{i}": (A if i < 5 else D) for i in range(10)})
    assert not tally(homes, half, kind).passed  # exactly half is not more than half


@pytest.mark.parametrize("kind", [kind for kind, major in ART_278 if major])
def test_items_six_to_eight_need_three_quarters(kind: str) -> None:
    homes = estate("100", "100", "100", "100")
    assert not tally(homes, votes(o0=A, o1=A, o2=D), kind).passed  # 2/3
    assert tally(homes, votes(o0=A, o1=A, o2=A, o3=D), kind).passed  # exactly 3/4


# --- abstentions, multi-home owners, the developer's ballot ------------------------------


def test_abstention_counts_as_voting_but_not_agreeing() -> None:
    homes = estate("100", "100", "100")
    outcome = tally(homes, votes(o0=A, o1=X), "ordinary")
    assert outcome.quorum_met  # the abstainer makes the quorum
    assert outcome.owners_voted == 2
    assert outcome.owners_abstain == 1
    assert outcome.area_abstain == Decimal("100.00")
    assert outcome.owners_agree_ratio == Fraction(1, 2)
    assert not outcome.passed  # 1 of 2 voters is not more than half
    assert not tally(homes, votes(o0=A), "ordinary").quorum_met


def test_one_ballot_covers_all_homes_of_a_multi_home_owner() -> None:
    homes = [
        home("h1", "50", "li"),
        home("h2", "70", "li"),
        home("h3", "80", "wang", "zhao"),
        home("h4", "20", "zhao", "wang"),
        home("h5", "10", "qian"),
    ]
    outcome = tally(homes, {solo("li"): A, frozenset({"zhao", "wang"}): D}, "ordinary")
    assert outcome.owners_total == 3
    assert outcome.owners_voted == 2
    assert outcome.area_voted == Decimal("220.00")
    assert outcome.area_agree == Decimal("120.00")
    assert outcome.area_disagree == Decimal("100.00")
    assert outcome.owners_disagree == 1


def test_developer_votes_once_for_all_its_homes() -> None:
    homes = [home(f"d{i}", "100", dev=True) for i in range(5)] + estate("100", "100")
    outcome = tally(homes, {DEVELOPER: A, solo("o0"): A}, "major")
    assert outcome.owners_total == 3
    assert outcome.area_agree == Decimal("600.00")
    assert outcome.owners_agree == 2
    assert outcome.passed


def test_choices_may_be_plain_strings() -> None:
    outcome = tally(estate("1", "1", "1"), {solo("o0"): "agree", solo("o1"): "abstain"}, "major")
    assert (outcome.owners_agree, outcome.owners_abstain) == (1, 1)


def test_ballot_from_a_non_owner_is_refused() -> None:
    with pytest.raises(TallyError):
        tally(estate("100"), {solo("stranger"): A}, "ordinary")
    with pytest.raises(TallyError):  # no developer homes, so no developer ballot
        tally(estate("100"), {DEVELOPER: A}, "ordinary")
    with pytest.raises(ValueError):
        tally(estate("100"), {solo("o0"): "maybe"}, "ordinary")


def test_empty_register_and_duplicate_homes_are_refused() -> None:
    with pytest.raises(TallyError):
        tally([], {}, "ordinary")
    with pytest.raises(TallyError):
        register_totals([home("h1", "1", "a"), home("h1", "2", "b")])


# --- exactness and the Home value -----------------------------------------------------------


def test_outcome_areas_have_exactly_two_decimals() -> None:
    outcome = tally(estate("100", "0.5"), votes(o0=A, o1=A), "ordinary")
    assert str(outcome.area_total) == "100.50"
    assert str(outcome.area_agree) == "100.50"


def test_many_small_areas_sum_without_drift() -> None:
    # 0.1 added 1000 times drifts in binary floating point; it must not here.
    homes = [home(f"h{i}", "0.10", f"o{i}") for i in range(1000)]
    assert register_totals(homes).area_total == Decimal("100.00")


def test_area_to_cents_is_exact_or_refuses() -> None:
    assert area_to_cents(Decimal("89.57")) == 8957
    assert area_to_cents(Decimal("89.500")) == 8950
    assert area_to_cents(Decimal("1E+2")) == 10000
    assert area_to_cents(12) == 1200
    assert area_to_cents(Decimal("123456789.99")) == 12345678999
    for bad in (Decimal("0.001"), Decimal("NaN"), Decimal("Infinity"), Decimal("1E+20")):
        with pytest.raises(ValueError):
            area_to_cents(bad)
    for wrong_type in (89.5, True, "89.5"):
        with pytest.raises(TypeError):
            area_to_cents(wrong_type)  # type: ignore[arg-type]


def test_home_refuses_float_area_and_bad_owners() -> None:
    with pytest.raises(TypeError):
        Home("h1", "1", "101", 89.5, ("li",), False)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Home("h1", "1", "101", Decimal("0"), ("li",), False)
    with pytest.raises(ValueError):
        Home("h1", "1", "101", Decimal("-1"), ("li",), False)
    with pytest.raises(ValueError):
        Home("h1", "1", "101", Decimal("1"), (), False)
    with pytest.raises(ValueError):
        Home("h1", "1", "101", Decimal("1"), (" li",), False)
    with pytest.raises(TypeError):
        Home("h1", "1", "101", Decimal("1"), "li", False)  # type: ignore[arg-type]
    assert Home("h1", "1", "101", Decimal("1"), (), True).owners == ()
    assert Home("h1", "1", "101", Decimal("1"), ["li"], False).owners == ("li",)  # type: ignore[arg-type]
