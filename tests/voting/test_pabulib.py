"""The .pb reader/writer: real files, round trips, and every malformed-input error."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.voting.pabulib import (
    Election,
    PbFormatError,
    PbProject,
    PbVote,
    dump,
    load,
    parse,
    tally_election,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))


def official(election: Election) -> set[str]:
    return {p.id for p in election.projects if p.fields["selected"] == "1"}


def test_the_data_files_are_there() -> None:
    assert len(FILES) == 11


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_data_file_reproduces_the_official_outcome(path: Path) -> None:
    election = load(path)
    result = tally_election(election)
    assert result.rule == election.meta["rule"]
    assert set(result.selected) == official(election)
    assert len(result.selected) == len(set(result.selected))
    # The files also carry each project's count (`votes`) or points (`score`).
    for project in election.projects:
        assert result.scores[project.id] == int(
            project.fields.get("score") or project.fields["votes"]
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_dump_then_parse_round_trips(path: Path) -> None:
    election = load(path)
    again = parse(dump(election))
    assert again == election
    assert tally_election(again) == tally_election(election)


def test_parse_reads_every_part() -> None:
    election = parse(GOOD)
    assert election.meta["budget"] == "100"
    assert election.budget == 100
    assert election.vote_type == "approval"
    assert [(p.id, p.cost, p.fields) for p in election.projects] == [
        ("1", 60, {"name": "One", "selected": "1"}),
        ("2", 50, {"name": "Two", "selected": "0"}),
        ("3", 40, {"name": "Three", "selected": "1"}),
    ]
    assert election.votes[0] == PbVote("a", ("1", "2"), None, {"age": "30"})
    assert election.votes[2].vote == ("3",)
    assert tally_election(election).as_json() == {
        "rule": "greedy",
        "selected": ["3", "1"],
        "scores": {"1": 2, "2": 1, "3": 2},  # 3 is cheaper
    }


def test_parse_accepts_bom_crlf_blank_lines_and_empty_ballots() -> None:
    text = "\ufeff" + GOOD.replace("\n", "\r\n").replace("VOTES\r\n", "\r\nVOTES\r\n\r\n")
    text = text.replace("num_votes;3", "num_votes;4") + "d;;60\r\n"
    election = parse(text)
    assert election.votes[-1] == PbVote("d", (), None, {"age": "60"})
    assert [p.id for p in election.projects] == ["1", "2", "3"]


def test_points_are_read_with_their_projects() -> None:
    election = parse(POINTS)
    assert election.votes[0].vote == ("1", "2")
    assert election.votes[0].points == (3, 2)
    assert tally_election(election).scores == {"1": 3, "2": 7}


def test_ordinal_points_per_rank_override_the_points_column() -> None:
    text = POINTS.replace("cumulative", "ordinal")
    assert tally_election(parse(text)).scores == {"1": 3, "2": 7}
    assert tally_election(parse(text), points_per_rank=[1, 1]).scores == {"1": 1, "2": 2}
    no_points = (
        text.replace("vote;points", "vote").replace("1,2;3,2", "1,2").replace("b;2;5", "b;2")
    )
    assert tally_election(parse(no_points), points_per_rank=[2, 1]).scores == {"1": 2, "2": 3}
    # Without points the format scores max_length for the first rank, one less each rank
    # after (max_length: from META, else the longest vote).
    assert tally_election(parse(no_points)).scores == {"1": 2, "2": 3}
    three = no_points.replace("rule;greedy", "rule;greedy\nmax_length;3")
    assert tally_election(parse(three)).scores == {"1": 3, "2": 5}


def test_rules_that_the_file_cannot_support() -> None:
    with pytest.raises(ValueError, match="min_score"):
        tally_election(parse(GOOD), "greedy-threshold")
    with pytest.raises(ValueError, match="approval"):
        tally_election(parse(POINTS), "equalshares/add1")
    with pytest.raises(ValueError, match="rule"):
        tally_election(parse(GOOD.replace("rule;greedy\n", "")))
    assert tally_election(parse(GOOD), "top-k", k=1).selected == ["3"]


def test_dump_derives_headers_and_quotes_separators() -> None:
    election = Election(
        meta={"budget": "10", "vote_type": "cumulative", "num_votes": "99"},
        projects=[PbProject("x", 4, {"name": 'Park; "green"\nphase 2'}), PbProject("y", 6)],
        votes=[PbVote("v1", ("x", "y"), (1, 2), {"sex": "F"}), PbVote("v2", (), ())],
    )
    text = dump(election)
    assert "project_id;cost;name\n" in text
    assert "voter_id;vote;points;sex\n" in text
    assert "num_votes;2\n" in text  # written as the actual count
    again = parse(text)
    assert again.projects[0].fields["name"] == 'Park; "green"\nphase 2'
    assert again.projects[1].fields == {"name": ""}
    assert again.votes[0] == PbVote("v1", ("x", "y"), (1, 2), {"sex": "F"})
    assert again.votes[1] == PbVote("v2", (), (), {"sex": ""})


# --------------------------------------------------------------------------- malformed input

GOOD = """META
key;value
description;test
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name;selected
1;60;One;1
2;50;Two;0
3;40;Three;1
VOTES
voter_id;vote;age
a;1,2;30
b;1,3;40
c;3;50
"""

POINTS = """META
key;value
budget;100
vote_type;cumulative
rule;greedy
PROJECTS
project_id;cost
1;60
2;50
VOTES
voter_id;vote;points
a;1,2;3,2
b;2;5
"""


def replace_line(text: str, number: int, new: str | None) -> str:
    lines = text.split("\n")
    if new is None:
        del lines[number - 1]
    else:
        lines[number - 1] = new
    return "\n".join(lines)


def first_lines(text: str, count: int) -> str:
    return "\n".join(text.split("\n")[:count]) + "\n"


BAD = [
    # (case, text, line named, words in the message)
    ("empty file", "", 1, "META"),
    ("no META first", replace_line(GOOD, 1, "PROJECTS"), 1, "start with a META"),
    ("missing PROJECTS", first_lines(GOOD, 8), 9, "missing PROJECTS section"),
    ("missing VOTES", first_lines(GOOD, 13), 14, "missing VOTES section"),
    ("VOTES before PROJECTS", first_lines(GOOD, 8) + "VOTES\n", 9, "unexpected VOTES section"),
    ("section repeated", GOOD + "META\n", 19, "unexpected META section"),
    ("no budget", replace_line(GOOD, 6, None), 2, "no budget"),
    ("budget with an exponent", replace_line(GOOD, 6, "budget;1e5"), 6, "budget"),
    ("budget with a comma", replace_line(GOOD, 6, "budget;100,5"), 6, "budget"),
    ("budget ending in a dot", replace_line(GOOD, 6, "budget;100."), 6, "budget"),
    ("bad vote_type", replace_line(GOOD, 7, "vote_type;ranking"), 7, "vote_type"),
    ("cost with seven decimals", replace_line(GOOD, 11, "1;60.0000001;One;1"), 11, "decimals"),
    ("full-width digits in a cost", replace_line(GOOD, 11, "1;６０;One;1"), 11, "cost of project 1"),
    ("bad num_votes", replace_line(GOOD, 5, "num_votes;three"), 5, "num_votes"),
    ("wrong num_votes", replace_line(GOOD, 5, "num_votes;4"), 5, "num_votes is 4"),
    ("wrong num_projects", replace_line(GOOD, 4, "num_projects;2"), 4, "num_projects"),
    ("META columns", replace_line(GOOD, 3, "description;a;b"), 3, "expected 2 columns"),
    ("repeated META key", replace_line(GOOD, 3, "budget;100"), 6, "appears twice"),
    ("negative cost", replace_line(GOOD, 11, "1;-60;One;1"), 11, "cost"),
    ("project columns", replace_line(GOOD, 12, "2;50;Two"), 12, "expected 4 columns, found 3"),
    ("repeated project", replace_line(GOOD, 12, "1;50;Two;0"), 12, "project_id '1'"),
    (
        "no cost column",
        replace_line(GOOD, 10, "project_id;price;name;selected"),
        10,
        "no cost column",
    ),
    ("no project_id", replace_line(GOOD, 10, "id;cost;name;selected"), 10, "no project_id column"),
    ("repeated column", replace_line(GOOD, 10, "project_id;cost;name;name"), 10, "repeated column"),
    ("PROJECTS then VOTES", first_lines(GOOD, 9) + "VOTES\n", 10, "missing the PROJECTS header"),
    ("unknown project", replace_line(GOOD, 16, "a;1,9;30"), 16, "unknown project '9'"),
    ("vote columns", replace_line(GOOD, 17, "b;1,3"), 17, "expected 3 columns, found 2"),
    ("repeated voter", replace_line(GOOD, 17, "a;1,3;40"), 17, "voter_id 'a'"),
    ("no voter_id column", replace_line(GOOD, 15, "id;vote;age"), 15, "no voter_id column"),
    (
        "cumulative without points",
        replace_line(GOOD, 7, "vote_type;cumulative"),
        15,
        "points column",
    ),
    ("points count", replace_line(POINTS, 12, "a;1,2;3"), 12, "1 points for 2 projects"),
    ("points not numbers", replace_line(POINTS, 13, "b;2;five"), 13, "points"),
    ("negative points", replace_line(POINTS, 12, "a;1,2;3,-2"), 12, "points"),
    ("decimal points", replace_line(POINTS, 12, "a;1,2;2.5,2"), 12, "points"),
    ("field over csv's limit", replace_line(GOOD, 17, "b;1,3;" + "4" * 200_000), 17, "unreadable"),
    ("blank lines still count", replace_line(GOOD, 2, "\nkey;value\n\nbudgetx;1;2"), 5, "columns"),
]


@pytest.mark.parametrize(
    ("text", "line", "words"), [case[1:] for case in BAD], ids=[c[0] for c in BAD]
)
def test_malformed_input_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PbFormatError) as caught:
        parse(text)
    assert caught.value.line == line
    assert words in caught.value.message
    assert str(caught.value).startswith(f"line {line}: ")


def test_the_good_texts_are_good() -> None:
    # Guards the table above: each case fails because of its one change.
    parse(GOOD)
    parse(POINTS)


def test_load_names_the_line_of_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "bad.pb"
    path.write_bytes(GOOD.replace("description;test", "description;caf\xe9").encode("latin-1"))
    with pytest.raises(PbFormatError) as caught:
        load(path)
    assert caught.value.line == 3


# --------------------------------------------------------------------------- speed and round trips


def big_approval_text(voters: int, projects: int, seed: int) -> str:
    rng = random.Random(seed)
    ids = [str(j) for j in range(1, projects + 1)]
    lines = ["META", "key;value", "budget;5000000", "vote_type;approval", "rule;greedy", "PROJECTS"]
    lines.append("project_id;cost;name")
    lines += [f"{pid};{rng.randrange(10, 300) * 1000};Project {pid}" for pid in ids]
    lines += ["VOTES", "voter_id;vote;age"]
    lines += [
        f"{v};{','.join(rng.sample(ids, rng.randint(1, 10)))};{rng.randint(18, 90)}"
        for v in range(voters)
    ]
    return "\n".join(lines) + "\n"


def test_sixty_thousand_ballots_are_read_every_one() -> None:
    """How fast is bench's (``python -m bench.bench_tally``: parse_and_greedy_60000_ballots,
    greedy_vs_pabutools); here, that a large file is read whole and right."""
    text = big_approval_text(60_000, 100, seed=3)
    election = parse(text)
    assert len(election.votes) == 60_000
    assert len({v.voter_id for v in election.votes}) == 60_000
    assert all(1 <= len(v.vote) <= 10 for v in election.votes)


ident = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_/-", min_size=1, max_size=8)
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=12
)


#: Whole amounts, or grosze: real files carry both.
money = st.one_of(st.integers(0, 10**12), st.decimals(0, 10**9, places=2))


@st.composite
def elections(draw: st.DrawFn) -> Election:
    ids = draw(st.lists(ident, min_size=1, max_size=6, unique=True))
    cumulative = draw(st.booleans())
    projects = [
        PbProject(pid, draw(money), {"name": draw(free_text)}) for pid in ids
    ]
    votes = []
    for number, voter in enumerate(draw(st.lists(ident, max_size=8, unique=True))):
        vote = tuple(draw(st.lists(st.sampled_from(ids), unique=True)))
        points = tuple(draw(st.integers(0, 99)) for _ in vote) if cumulative else None
        votes.append(PbVote(voter, vote, points, {"note": draw(free_text), "n": str(number)}))
    meta = {
        "budget": str(draw(money)),
        "vote_type": "cumulative" if cumulative else "approval",
    }
    meta["comment"] = draw(free_text).strip()
    return Election(meta, projects, votes)


@settings(max_examples=150, deadline=None)
@given(elections())
def test_any_election_round_trips(election: Election) -> None:
    again = parse(dump(election))
    assert again.meta == election.meta
    assert again.projects == election.projects
    assert again.votes == election.votes


def test_threshold_is_inclusive_and_selected_2_is_outside_the_rule() -> None:
    """Katowice 2022 Zarzecze: L20/09/IX scores exactly the threshold (50) and was funded;
    L20/05/IX, marked ``selected=2`` (funded outside the vote's rule: its 46 points are
    below the threshold and its cost above what was left), is not the rule's."""
    election = load(DATA / "Poland_Katowice_2022_Zarzecze.pb")
    result = tally_election(election)
    assert result.scores["L20/09/IX"] == 50 == int(election.meta["min_project_score_threshold"])
    assert "L20/09/IX" in result.selected and "L20/05/IX" not in result.selected
    assert next(p for p in election.projects if p.id == "L20/05/IX").fields["selected"] == "2"


@pytest.mark.parametrize("path", [p for p in FILES if all(
    "votes" in q.fields and "score" in q.fields for q in load(p).projects)], ids=lambda p: p.stem)
def test_points_files_votes_column_counts_the_ballots_naming_each_project(path: Path) -> None:
    """Cumulative and ordinal files carry both columns: ``score`` (the points, checked
    above) and ``votes``, the number of ballots that name the project."""
    from consult.voting.tally import approval_scores

    election = load(path)
    counted = approval_scores(election.tally_projects(), (set(v.vote) for v in election.votes))
    assert counted == {p.id: int(p.fields["votes"]) for p in election.projects}
