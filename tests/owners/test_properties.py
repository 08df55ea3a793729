"""Property tests: the count agrees with a deliberately naive reference on random estates.

The reference shares no code with :mod:`consult.owners.rules`: it names owners by a
sorted tuple (or the string "DEV"), adds areas as Fractions built from the area
text, and compares ratios as Fractions in plain loops.
"""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from consult.owners.register import choices, parse_area, parse_ballots_csv, parse_homes_csv
from consult.owners.rules import DEVELOPER, Home, OwnerKey, tally
from tests.gen_owners import generate_estate

NAMES = ["li", "wang", "zhao", "qian", "sun"]
CHOICES = ["agree", "disagree", "abstain"]
KINDS = ["ordinary", "major", "maintenance_fund_use", "maintenance_fund_raise", "rebuild",
         "committee_election"]
#: Civil Code art. 278 para. 2: items 6-8 need three quarters; written out here, not imported.
THREE_QUARTER_KINDS = {"major", "maintenance_fund_raise", "rebuild", "common_use_change"}

# Each raw home: (area in cents, owner names in listed order, developer-held?).
RawHome = tuple[int, list[str], bool]


def reference_identity(owners: list[str], developer: bool) -> object:
    if developer:
        return "DEV"
    return tuple(sorted(set(owners)))


def reference_count(raw_homes: list[RawHome], votes: dict[object, str], kind: str) -> dict:
    """Art. 278 the slow, obvious way."""
    identities: list[object] = []
    area_of: dict[object, Fraction] = {}
    total_area = Fraction(0)
    for cents, owners, developer in raw_homes:
        who = reference_identity(owners, developer)
        area = Fraction(f"{cents // 100}.{cents % 100:02d}")
        total_area += area
        if who not in identities:
            identities.append(who)
            area_of[who] = Fraction(0)
        area_of[who] += area
    voted_area = agree_area = Fraction(0)
    voted_heads = agree_heads = 0
    for who in identities:
        if who in votes:
            voted_area += area_of[who]
            voted_heads += 1
            if votes[who] == "agree":
                agree_area += area_of[who]
                agree_heads += 1
    area_turnout = voted_area / total_area
    heads_turnout = Fraction(voted_heads, len(identities))
    quorum = area_turnout >= Fraction(2, 3) and heads_turnout >= Fraction(2, 3)
    if voted_heads == 0:
        passed = False
    else:
        area_share = agree_area / voted_area
        heads_share = Fraction(agree_heads, voted_heads)
        if kind not in THREE_QUARTER_KINDS:
            passed = area_share > Fraction(1, 2) and heads_share > Fraction(1, 2)
        else:
            passed = area_share >= Fraction(3, 4) and heads_share >= Fraction(3, 4)
    return {
        "area_total": total_area,
        "owners_total": len(identities),
        "area_voted": voted_area,
        "owners_voted": voted_heads,
        "area_agree": agree_area,
        "owners_agree": agree_heads,
        "quorum_met": quorum,
        "passed": quorum and passed,
    }


def as_key(identity: object) -> OwnerKey:
    return DEVELOPER if identity == "DEV" else frozenset(identity)  # type: ignore[arg-type]


def observed(outcome) -> dict:  # type: ignore[no-untyped-def]
    return {
        "area_total": Fraction(outcome.area_total),
        "owners_total": outcome.owners_total,
        "area_voted": Fraction(outcome.area_voted),
        "owners_voted": outcome.owners_voted,
        "area_agree": Fraction(outcome.area_agree),
        "owners_agree": outcome.owners_agree,
        "quorum_met": outcome.quorum_met,
        "passed": outcome.passed,
    }


# Small areas from a few values make exact 2/3, 1/2 and 3/4 ties common.
area_cents = st.one_of(st.sampled_from([1, 2, 3, 100, 200, 300]), st.integers(1, 50_000))


@st.composite
def raw_home(draw: st.DrawFn) -> RawHome:
    developer = draw(st.sampled_from([False, False, False, True]))
    owners = draw(st.lists(st.sampled_from(NAMES), min_size=0 if developer else 1, max_size=3))
    return draw(area_cents), owners, developer


estates = st.lists(raw_home(), min_size=1, max_size=20)


@st.composite
def estate_and_votes(draw: st.DrawFn) -> tuple[list[RawHome], dict[object, str]]:
    raw_homes = draw(estates)
    identities = sorted({reference_identity(o, d) for _, o, d in raw_homes}, key=repr)
    votes = {}
    for who in identities:
        choice = draw(st.sampled_from([None, *CHOICES]))
        if choice is not None:
            votes[who] = choice
    return raw_homes, votes


def build_homes(raw_homes: list[RawHome]) -> list[Home]:
    return [
        Home(f"h{i}", "1", str(i), Decimal(cents).scaleb(-2), tuple(owners), developer)
        for i, (cents, owners, developer) in enumerate(raw_homes)
    ]


@settings(max_examples=300, deadline=None)
@given(estate_and_votes(), st.sampled_from(KINDS))
def test_tally_matches_reference(case: tuple[list[RawHome], dict], kind: str) -> None:
    raw_homes, votes = case
    ballots = {as_key(who): choice for who, choice in votes.items()}
    outcome = tally(build_homes(raw_homes), ballots, kind)
    assert observed(outcome) == reference_count(raw_homes, votes, kind)


def homes_csv(raw_homes: list[RawHome], rng: random.Random) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["home_id", "building", "room", "area_m2", "owners", "developer_held"])
    for i, (cents, owners, developer) in enumerate(raw_homes):
        listed = list(owners)
        rng.shuffle(listed)
        names = ";".join(rng.choice(["", " "]) + name + rng.choice(["", "  "]) for name in listed)
        area = f"{cents // 100}.{cents % 100:02d}".rstrip("0").rstrip(".")
        writer.writerow([f"h{i}", "1", str(i), area, names, int(developer)])
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(estate_and_votes(), st.sampled_from(KINDS), st.integers(0, 2**32))
def test_files_give_the_same_count(case: tuple[list[RawHome], dict], kind: str, seed: int) -> None:
    """Through CSV, with owners reordered and padded and ballots repeated via any home."""
    raw_homes, votes = case
    rng = random.Random(seed)
    homes = parse_homes_csv(homes_csv(raw_homes, rng))
    rows = ["home_id,choice,channel"]
    for i, (_, owners, developer) in enumerate(raw_homes):
        who = reference_identity(owners, developer)
        if who in votes and rng.random() < 0.7:
            rows.append(f"h{i},{votes[who]},{rng.choice(['web', 'paper', 'proxy'])}")
    for who, choice in votes.items():  # make sure each voter's ballot is there at least once
        i = next(i for i, (_, o, d) in enumerate(raw_homes) if reference_identity(o, d) == who)
        rows.append(f"h{i},{choice},web")
    body = rows[1:]
    rng.shuffle(body)
    ballots = parse_ballots_csv("\n".join([rows[0], *body]) + "\n", homes)
    outcome = tally(homes, choices(ballots), kind)
    assert observed(outcome) == reference_count(raw_homes, votes, kind)


@settings(max_examples=100, deadline=None)
@given(estate_and_votes(), st.sampled_from(KINDS), st.data())
def test_more_agreement_never_turns_a_pass_into_a_fail(
    case: tuple[list[RawHome], dict], kind: str, data: st.DataObject
) -> None:
    raw_homes, votes = case
    against = [who for who, choice in votes.items() if choice != "agree"]
    if not against:
        return
    convert = data.draw(st.sampled_from(against))
    homes = build_homes(raw_homes)
    before = tally(homes, {as_key(w): c for w, c in votes.items()}, kind)
    after = tally(homes, {as_key(w): c for w, c in {**votes, convert: "agree"}.items()}, kind)
    assert after.quorum_met == before.quorum_met
    assert after.passed or not before.passed


@given(st.integers(1, 10**11 - 1))
def test_area_text_round_trips_to_cents(cents: int) -> None:
    text = f"{cents // 100}.{cents % 100:02d}"
    assert str(parse_area(text)) == text
    assert Home("h", "1", "1", parse_area(text), ("a",), False).area_cents == cents


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 400), st.integers(0, 10**6))
def test_generated_estates_count_like_the_reference(n_homes: int, seed: int) -> None:
    homes_text, ballots_text = generate_estate(n_homes, seed)
    assert generate_estate(n_homes, seed) == (homes_text, ballots_text)  # deterministic
    rows = list(csv.reader(io.StringIO(homes_text)))[1:]
    raw_homes: list[RawHome] = [
        (
            int(Decimal(area) * 100),
            [n.strip() for n in owners.split(";")] if owners else [],
            dev == "1",
        )
        for _, _, _, area, owners, dev in rows
    ]
    identity_of = {
        row[0]: reference_identity(*raw[1:]) for row, raw in zip(rows, raw_homes, strict=True)
    }
    votes = {identity_of[h]: c for h, c, _ in list(csv.reader(io.StringIO(ballots_text)))[1:]}
    homes = parse_homes_csv(homes_text)
    ballots = choices(parse_ballots_csv(ballots_text, homes))
    for kind in ("ordinary", "major"):
        assert observed(tally(homes, ballots, kind)) == reference_count(raw_homes, votes, kind)
