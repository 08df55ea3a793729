"""Command line: recount an election from files.

    owners elect --homes homes.csv|.xlsx --ballots ballots.csv --seats N [--rank headcount|area]
    elect --voters voters.csv --ballots ballots.csv --seats N [--further-round [--threshold 1/3]]

Each prints one JSON object on stdout. Bad input prints every problem on stderr, naming
the file and line (or home), prints nothing on stdout and exits with status 2, so a
script never mistakes a refused count for a result. The platform's result pages count
through the same functions (:func:`committee_result`, :func:`residents_result`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Hashable, Iterable, Sequence
from fractions import Fraction
from pathlib import Path

from consult import owners

from . import files, rules

EXIT_INVALID = 2


def committee_result(homes: Sequence, rows: Iterable[files.Row], seats: int,
                     rank: str = rules.Rank.HEADCOUNT,
                     candidates: Iterable[str] = ()) -> rules.CommitteeOutcome:
    """Count ``ballots.csv`` rows against a register (``owners.Home`` values)."""
    by_owner = owners.holdings(homes)
    ballots = files.parse_committee_ballots(rows, owners.owner_of_home(homes), seats)
    return rules.count_committee({key: h.area_cents for key, h in by_owner.items()},
                                 {key: b.candidates for key, b in ballots.items()},
                                 seats, rank, candidates)


def committee_json(outcome: rules.CommitteeOutcome) -> dict[str, object]:
    """The printed figures: areas as two-decimal strings (exact), counts as integers."""
    area = owners.cents_to_area
    return {
        "area_total": str(area(outcome.area_total_cents)),
        "owners_total": outcome.owners_total,
        "area_voted": str(area(outcome.area_voted_cents)),
        "owners_voted": outcome.owners_voted,
        "quorum_met": outcome.quorum_met,
        "candidates": [{"id": c.id, "area_agree": str(area(c.area_agree_cents)),
                        "owners_agree": c.owners_agree, "passed": c.passed}
                       for c in outcome.candidates],
        "elected": list(outcome.elected),
        "tied": list(outcome.tied),
        "unfilled": outcome.unfilled,
    }


def residents_result(voters: Sequence[str], ballots: dict[Hashable, Sequence[str]], seats: int,
                     *, further_round: bool = False,
                     threshold: Fraction = rules.FURTHER_ROUND_THRESHOLD,
                     candidates: Iterable[str] = ()) -> rules.ResidentsOutcome:
    return rules.count_residents(len(voters), ballots.values(), seats,
                                 further_round=further_round, threshold=threshold,
                                 candidates=candidates)


def residents_json(outcome: rules.ResidentsOutcome) -> dict[str, object]:
    return {
        "registered": outcome.registered,
        "voted": outcome.voted,
        "valid": outcome.valid,
        "candidates": [{"id": c.id, "votes": c.votes, "passed": c.passed}
                       for c in outcome.candidates],
        "elected": list(outcome.elected),
        "tied": list(outcome.tied),
        "unfilled": outcome.unfilled,
    }


def _seats(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not rules.MIN_SEATS <= int(text) <= rules.MAX_SEATS:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from {rules.MIN_SEATS} to {rules.MAX_SEATS}")
    return int(text)


def _fraction(text: str) -> Fraction:
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError("must be a fraction such as 1/3") from None
    if not 0 < value <= 1 or "." in text or "e" in text.lower():
        raise argparse.ArgumentTypeError("must be a fraction above 0 and at most 1, such as 1/3")
    return value


def _fail(source: object, problems: Iterable[str]) -> int:
    for problem in problems:
        print(f"{source}: {problem}", file=sys.stderr)
    return EXIT_INVALID


def _parse(parser: argparse.ArgumentParser, argv: list[str]):
    try:
        return parser.parse_args(argv), None
    except SystemExit as exc:  # argparse has already printed usage or help
        return None, exc.code if isinstance(exc.code, int) else EXIT_INVALID


def _rows(path: Path):
    return list(files.csv_rows(owners.decode_text(path.read_bytes())))


class _Refused(Exception):
    """A file was refused; ``status`` is the exit status, the problems are printed."""

    def __init__(self, status: int):
        self.status = status


def _read(path: Path, parse):
    """``parse(path)``, or print the file's problems and refuse."""
    try:
        return parse(path)
    except files.BallotFileError as exc:
        raise _Refused(_fail(path, exc.problems)) from None
    except owners.InputError as exc:
        raise _Refused(_fail(path, [e.message for e in exc.errors])) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _Refused(_fail(path, [f"cannot be read ({exc})"])) from None
    except rules.CountError as exc:
        raise _Refused(_fail("elect", [str(exc)])) from None


def owners_main(argv: list[str]) -> int:
    """``owners elect``: returns the exit status instead of exiting."""
    parser = argparse.ArgumentParser(prog="consult owners elect",
                                     description="Recount an owners' committee election.")
    parser.add_argument("--homes", required=True, type=Path, help="register, .csv or .xlsx")
    parser.add_argument("--ballots", required=True, type=Path,
                        help="ballots.csv: home_id,candidates,channel")
    parser.add_argument("--seats", required=True, type=_seats)
    parser.add_argument("--rank", choices=[r.value for r in rules.Rank], default="headcount",
                        help="the stated order when more pass than seats (default headcount)")
    args, status = _parse(parser, argv)
    if args is None:
        return status
    try:
        homes = _read(args.homes, owners.load_homes)
        outcome = _read(args.ballots, lambda path: committee_result(
            homes, _rows(path), args.seats, args.rank))
    except _Refused as refused:
        return refused.status
    print(json.dumps(committee_json(outcome), ensure_ascii=False))
    return 0


def residents_main(argv: list[str]) -> int:
    """``elect``: returns the exit status instead of exiting."""
    parser = argparse.ArgumentParser(prog="consult elect",
                                     description="Recount a residents' committee election.")
    parser.add_argument("--voters", required=True, type=Path, help="voters.csv: voter_id")
    parser.add_argument("--ballots", required=True, type=Path, help="ballots.csv: voter_id,candidates")
    parser.add_argument("--seats", required=True, type=_seats)
    parser.add_argument("--further-round", action="store_true",
                        help="a further round (另行选举) for unfilled seats: the threshold and the most votes")
    parser.add_argument("--threshold", type=_fraction, default=rules.FURTHER_ROUND_THRESHOLD,
                        help="share of ballots cast a candidate needs in a further round (default 1/3)")
    args, status = _parse(parser, argv)
    if args is None:
        return status
    try:
        voters = _read(args.voters, lambda path: files.parse_voters(_rows(path)))
        outcome = _read(args.ballots, lambda path: residents_result(
            voters, files.parse_resident_ballots(_rows(path), voters, args.seats), args.seats,
            further_round=args.further_round, threshold=args.threshold))
    except _Refused as refused:
        return refused.status
    print(json.dumps(residents_json(outcome), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(residents_main(sys.argv[1:]))
