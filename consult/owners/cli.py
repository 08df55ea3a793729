"""Command line: count an owners' vote from a register and a ballot list.

    tally --homes homes.csv|homes.xlsx --ballots ballots.csv --matter ordinary|major|...

Prints one JSON object on stdout.  The register's columns may be named in English or
Chinese and may include the owners' identifiers (``owner_ids``, 业主证件号); a register
without them is counted by name, with a warning on stderr.  Bad input prints every problem on stderr,
naming the file and line, prints nothing on stdout and exits with status 2, so a
script can never mistake a refused count for a result.  Only light modules are
imported; openpyxl is loaded only when an .xlsx register is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .register import InputError, choices, decode_text, parse_ballots_csv, read_homes_file
from .rules import MatterKind, Outcome, TallyError, tally

EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consult owners", description="Owners' vote count.")
    commands = parser.add_subparsers(dest="command", required=True)
    count = commands.add_parser("tally", help="count one matter (Civil Code art. 278)")
    count.add_argument("--homes", required=True, type=Path, help="register, .csv or .xlsx")
    count.add_argument("--ballots", required=True, type=Path, help="ballots, .csv")
    count.add_argument(
        "--matter",
        required=True,
        choices=[kind.value for kind in MatterKind],
        help="ordinary, major, or a named major/ordinary kind",
    )
    return parser


def _fail(source: object, problems: list[str]) -> int:
    for problem in problems:
        print(f"{source}: {problem}", file=sys.stderr)
    return EXIT_INVALID


def outcome_json(outcome: Outcome) -> dict[str, object]:
    """The printed figures: areas as two-decimal strings (exact), counts as integers."""
    return {
        "matter": outcome.kind.value,
        "area_total": str(outcome.area_total),
        "owners_total": outcome.owners_total,
        "area_voted": str(outcome.area_voted),
        "owners_voted": outcome.owners_voted,
        "area_agree": str(outcome.area_agree),
        "owners_agree": outcome.owners_agree,
        "quorum_met": outcome.quorum_met,
        "passed": outcome.passed,
    }


def main(argv: list[str]) -> int:
    """Entry point; returns the exit status instead of exiting, for callers and tests."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage or help
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    try:
        read = read_homes_file(args.homes)
    except InputError as exc:
        return _fail(args.homes, [e.message for e in exc.errors])
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(args.homes, [f"cannot be read ({exc})"])
    homes = read.homes
    for warning in read.warnings:
        print(f"{args.homes}: warning: {warning.message}", file=sys.stderr)
    try:
        ballots = parse_ballots_csv(decode_text(args.ballots.read_bytes()), homes)
    except InputError as exc:
        return _fail(args.ballots, [e.message for e in exc.errors])
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(args.ballots, [f"cannot be read ({exc})"])
    try:
        outcome = tally(homes, choices(ballots), args.matter)
    except TallyError as exc:
        return _fail("tally", [str(exc)])
    print(json.dumps(outcome_json(outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
