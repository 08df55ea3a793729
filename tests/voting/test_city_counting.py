"""City scale: counting in the database is the count ballot by ballot, the files built at
publication are the exports that used to be built per download, and after publication
the results and the turnout are read from what was kept, not from the ballots.

Run on SQLite and on PostgreSQL (``CONSULT_TEST_DATABASE_URL``): the two count through
different SQL (``services.counting.ballot_lines``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, update

from consult import clock
from consult.consultations.models import IdeaRound
from consult.errors import Conflict
from consult.voting import pabulib, rules, services
from consult.voting.models import Ballot, BallotChoice, VoteExport, VoteResult
from consult.voting.services import exports
from consult.web.downloads import excel_csv
from tests.voting.conftest import close_round, load_voting_demo, set_settings

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb")) + sorted((DATA / "fabricated").glob("*.pb"))


def _sorted_buckets(buckets):
    """The files' one shuffle replaced by the ballots' sorted order (test only), so
    that the stored files can be compared byte for byte with the reference below."""
    lines = []
    for bucket in buckets:
        bucket.seek(0)
        lines.extend(bucket.read().splitlines())
    return iter([sorted(lines)])  # one bucket


@pytest.fixture
def unshuffled(monkeypatch):
    monkeypatch.setattr(exports, "_shuffled", _sorted_buckets)


def reference_exports(db, vr, result) -> tuple[bytes, bytes]:
    """The exports as every download built them before files were kept: every counted
    ballot loaded (``counted_ballots``), a ``PbVote`` each, the ``.pb`` written by
    ``pabulib.dump`` and the CSV through ``excel_csv``; the ballots in the order of
    ``_sorted_buckets`` instead of shuffled."""
    kind = result.parameters["ballot_kind"]

    def ordinal_points(choices):
        return ",".join(str(p) for _, p, _ in sorted(choices, key=lambda c: c[2] or 0)) if kind == "ordinal" else ""

    ballots = sorted(services.counted_ballots(db, vr.id),
                     key=lambda b: f"{rules.canonical_ballot(kind, b)}\t{ordinal_points(b)}")
    meta, projects = exports.head(vr, result, services.ideas_on_ballot(db, vr))
    votes = []
    for n, choices in enumerate(ballots, start=1):
        ordered = sorted(choices, key=lambda c: c[2] or 0) if kind == "ordinal" else sorted(choices)
        ids = tuple(str(i) for i, _, _ in ordered)
        points = tuple(pt for _, pt, _ in ordered) if kind in ("cumulative", "ordinal") else None
        votes.append(pabulib.PbVote(str(n), ids, points))
    meta["num_votes"] = str(len(votes))
    text = pabulib.dump(pabulib.Election(meta, projects, votes))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["voter_id", "ideas", "points"])
    for vote in votes:
        writer.writerow([vote.voter_id, ",".join(vote.vote),
                         ",".join(map(str, vote.points)) if vote.points is not None else ""])
    return text.encode(), excel_csv(out.getvalue())


def assert_counts_as_defined(db, vr) -> rules.Count:
    """``count_round`` (in the database) equals ``rules.count`` of every ballot loaded."""
    ideas = services.ideas_on_ballot(db, vr)
    counted = services.count_round(db, vr)
    defined = rules.count(vr.settings, [(i.id, i.cost_fen) for i in ideas],
                          services.counted_ballots(db, vr.id), vr.budget_fen)
    assert counted == defined
    return counted


def assert_exports_as_before(db, vr, result) -> None:
    pb, table = reference_exports(db, vr, result)
    assert services.export_file(db, vr, "pb").path.read_bytes() == pb
    assert services.export_file(db, vr, "csv").path.read_bytes() == table
    assert services.export_pb(db, vr).encode() == pb


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_pabulib_files_count_and_export_as_before(db, world, path, unshuffled):
    election = pabulib.load(path)
    imported = services.import_election(db, election, place=world.tree["root"], now=world.now)
    vr = services.load_round(db, imported.round.id, world.now)
    counted = assert_counts_as_defined(db, vr)
    result = services.publish(db, None, vr, world.now)
    assert (result.selected, result.ballot_digest) == (counted.selected_ids, counted.digest)
    vr = services.load_round(db, imported.round.id, world.now)
    assert_exports_as_before(db, vr, result)
    assert services.recount(db, vr, result).matches
    for fmt in exports.FORMATS:
        item = db.get(VoteExport, (vr.id, fmt))
        data = (exports.directory() / item.name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (item.size, item.sha256)
        assert item.name.endswith(f".{fmt}")


def test_the_demo_counts_and_exports_as_before(db, settings, unshuffled):
    load_voting_demo(db, settings)
    now = clock.utcnow()
    rounds = services.vote_rounds(db, now)
    for summary in rounds:
        assert_counts_as_defined(db, summary.vr)
    earlier = next(s.vr for s in rounds if s.published)
    result = services.published_result(db, earlier.id)
    # The demo was published with the files built: build them again, in the sorted order.
    db.execute(delete(VoteExport).where(VoteExport.round_id == earlier.id))
    assert_exports_as_before(db, earlier, result)
    assert services.recount(db, earlier, result).matches


KINDS = [
    ("approval", "greedy", {}),
    ("approval_budget", "greedy-no-skip", {}),
    ("approval", "equalshares/add1", {}),
    ("approval", "equalshares/add1-comparison", {}),
    ("choose_one", "top-k", {"k": 2}),
    ("cumulative", "greedy-threshold", {"max_points": 10, "min_score": 5}),
    ("ordinal", "greedy", {"ranking_length": 4, "points_per_rank": [5, 3, 2, 1]}),
]


@pytest.mark.parametrize("kind,rule,extra", KINDS, ids=[f"{k}-{r}" for k, r, _ in KINDS])
def test_every_kind_counts_in_the_database_as_ballot_by_ballot(db, world, kind, rule, extra, unshuffled):
    """Random ballots written straight to the tables (empty ones, ordinal ranks with gaps as
    an import with a repeated project leaves them), counted both ways, on both databases."""
    set_settings(db, world.round.id, ballot_kind=kind, rule=rule, **extra)
    rng = random.Random(f"{kind}{rule}")
    ideas = [i.id for i in world.ideas]
    ballot_rows, choice_rows = [], []
    for n in range(300):
        ballot_id = rng.randrange(1, 1 << 62)
        ballot_rows.append({"id": ballot_id, "round_id": world.round.id, "voter_key": f"import:{n}",
                            "channel": "import", "status": "counted" if n % 50 else "pending"})
        size = 1 if kind == "choose_one" else rng.randrange(0 if n % 7 else 1, len(ideas) + 1)
        if kind == "choose_one" and n % 11 == 0:
            size = 0
        chosen = rng.sample(ideas, size)
        rank = 0
        for idea in chosen:
            rank += rng.choice((1, 1, 2)) if kind == "ordinal" else 0
            points = rng.randrange(1, 4) if kind == "cumulative" else (
                extra.get("points_per_rank", [1] * 4)[min(rank, 4) - 1] if kind == "ordinal" else 1)
            choice_rows.append({"ballot_id": ballot_id, "idea_id": idea, "points": points,
                                "rank": rank if kind == "ordinal" else None})
    db.execute(insert(Ballot), ballot_rows)
    db.execute(insert(BallotChoice), choice_rows)
    close_round(db, world.round)
    vr = world.load()
    counted = assert_counts_as_defined(db, vr)
    assert counted.ballots == sum(1 for r in ballot_rows if r["status"] == "counted")
    pending = [r["id"] for r in ballot_rows if r["status"] != "counted"]  # they would stop publication
    db.execute(delete(BallotChoice).where(BallotChoice.ballot_id.in_(pending)))
    db.execute(delete(Ballot).where(Ballot.id.in_(pending)))
    result = services.publish(db, world.actor("moderator"), vr, world.now)
    assert_exports_as_before(db, world.load(), result)


def test_a_choice_of_an_idea_not_on_the_ballot_cannot_be_counted(db, world):
    other = world.ideas[0].id
    db.execute(insert(Ballot), [{"id": 7, "round_id": world.round.id, "voter_key": "import:1",
                                  "channel": "import", "status": "counted"}])
    db.execute(insert(BallotChoice), [{"ballot_id": 7, "idea_id": other, "points": 1, "rank": None}])
    db.execute(delete(IdeaRound).where(IdeaRound.idea_id == other, IdeaRound.round_id == world.round.id))
    with pytest.raises(Conflict) as caught:
        services.count_round(db, world.load())
    assert caught.value.code == "uncountable"


def test_after_publication_results_and_turnout_are_read_from_what_was_kept(db, world):
    from tests.voting.test_counting import _three_ballots

    _three_ballots(db, world)
    close_round(db, world.round)
    vr = world.load()
    before = services.turnout(db, None, vr, check=False)
    result = services.publish(db, world.actor("moderator"), vr, world.now)
    assert result.turnout["total"] == 3
    # Ballots changed behind the platform's back (it never does this after publication):
    # what publication kept is what the pages show.
    db.execute(update(Ballot).where(Ballot.round_id == world.round.id).values(channel="paper", area_id=None))
    kept = services.turnout(db, None, world.load(), check=False)
    assert (kept.total, kept.by_channel, kept.unknown_area) == (before.total, before.by_channel, before.unknown_area)
    assert [(r.place.id, r.voted, r.eligible) for r in kept.areas] == \
        [(r.place.id, r.voted, r.eligible) for r in before.areas]
    assert [(a.id if a else None, r.place.id, r.voted) for a, r in kept.groups] == \
        [(a.id if a else None, r.place.id, r.voted) for a, r in before.groups]
    found = services.results(db, world.load(), world.now)
    assert {str(row.idea.id): row.score for row in found.rows} == result.scores


def test_a_round_published_before_files_were_kept_gets_them_on_first_download(db, world, client):
    from tests.voting.test_counting import _three_ballots

    _three_ballots(db, world)
    close_round(db, world.round)
    services.publish(db, world.actor("moderator"), world.load(), world.now)
    db.execute(delete(VoteExport).where(VoteExport.round_id == world.round.id))
    db.execute(update(VoteResult).where(VoteResult.round_id == world.round.id).values(turnout=None))
    response = client.get(f"/api/v1/rounds/{world.round.id}/results.pb")
    assert response.status_code == 200
    stored = db.get(VoteExport, (world.round.id, "pb"))
    assert stored is not None and response.headers["x-content-sha256"] == stored.sha256
    assert response.content == (exports.directory() / stored.name).read_bytes()
    again = client.get(f"/api/v1/rounds/{world.round.id}/results.pb")
    assert again.content == response.content  # built once
    table = client.get(f"/api/v1/rounds/{world.round.id}/results.csv")
    assert table.status_code == 200 and table.content.startswith("\ufeffvoter_id,ideas,points\r\n".encode())
    assert services.turnout(db, None, world.load(), check=False).total == 3  # counted, none kept
