"""``consult pb tally FILE.pb [--rule RULE]``: recount a pabulib file.

Why: anyone (and our tests) can recount a published or imported election
from the command line with the same code the platform uses.  Prints one JSON
object ``{"rule", "selected", "scores"}`` on stdout; a malformed file or a
rule the file cannot support prints a message on stderr and exits with 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from consult.voting.pabulib import load, tally_election
from consult.voting.tally import RULES, TIE_BREAKING

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consult pb", description="pabulib .pb files")
    commands = parser.add_subparsers(dest="command", required=True)
    tally = commands.add_parser(
        "tally",
        help="count the votes of a .pb file",
        description=f"Count the votes of a .pb file. Ties: {TIE_BREAKING}.",
    )
    tally.add_argument("file", help="the .pb file")
    tally.add_argument(
        "--rule", choices=RULES, help="selection rule (default: the file's META rule)"
    )
    tally.add_argument("--k", type=int, help="how many projects top-k selects")
    tally.add_argument(
        "--points",
        help="points per rank for ordinal votes, comma separated (default: the file's points column)",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run the command in ``argv`` (without the program name); return the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # argparse has printed usage or help
        return int(stop.code or 0)
    try:
        points = [int(x) for x in args.points.split(",")] if args.points else None
        result = tally_election(load(args.file), args.rule, points_per_rank=points, k=args.k)
    except (OSError, ValueError) as error:  # PbFormatError names the line
        print(f"{args.file}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
