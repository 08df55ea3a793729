"""``consult pb tally FILE.pb [--rule RULE]``: recount a pabulib file;
``consult pb import FILE.pb [--place ID] [--title T] [--publish] [--rule RULE]``: load one.

Why: anyone (and our tests) can recount a published or imported election
from the command line with the same code the platform uses.  ``tally`` prints
one JSON object ``{"rule", "selected", "scores"}`` on stdout; a malformed file
or a rule the file cannot support prints a message on stderr and exits with 2.

``import`` creates a consultation (scoped to ``--place``, by default the
sub-district) with one closed vote round, an idea per project (costs ×100 as
fen) and the file's ballots, in the database of ``CONSULT_DATABASE_URL``; with
``--publish`` the result is counted and published at once. It prints
``{"consultation", "round", "ideas", "ballots", "url"}`` (and ``selected``, as
the file's project ids, when published).
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
    load_ = commands.add_parser(
        "import", help="create a consultation with a vote round from a .pb file",
        description="Create a consultation with one closed vote round, its ideas and ballots.")
    load_.add_argument("file", help="the .pb file")
    load_.add_argument("--place", type=int, help="id of the place the consultation is for "
                       "(default: the sub-district)")
    load_.add_argument("--title", help="the consultation's title (default: the file's description)")
    load_.add_argument("--publish", action="store_true", help="count and publish the result at once")
    load_.add_argument("--rule", choices=RULES, help="the round's selection rule (default: the "
                       "file's META rule; needed when that is unknown, greedy-custom or greedy-exclusive)")
    return parser


def main(argv: list[str]) -> int:
    """Run the command in ``argv`` (without the program name); return the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # argparse has printed usage or help
        return int(stop.code or 0)
    if args.command == "import":
        return _import(args)
    try:
        points = [int(x) for x in args.points.split(",")] if args.points else None
        election = load(args.file)
        result = tally_election(election, args.rule, points_per_rank=points, k=args.k)
    except (OSError, ValueError) as error:  # PbFormatError names the line
        print(f"{args.file}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in election.warnings:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


def _import(args) -> int:
    """Load a .pb file into the database as a closed vote round (see the module docstring)."""
    from consult import clock
    from consult.communities import services as communities
    from consult.communities.models import Place
    from consult.config import Settings
    from consult.db import Database, make_engine
    from consult.voting import services

    try:
        election = load(args.file)
    except (OSError, ValueError) as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = Settings.from_env()
    database = Database(make_engine(settings.database_url))
    with database.session(write=True) as db:
        place = db.get(Place, args.place) if args.place is not None else communities.root(db)
        if place is None:
            print("no such place; create the places first (python -m consult demo) or pass "
                  "--place ID", file=sys.stderr)
            return EXIT_BAD_INPUT
        now = clock.utcnow()
        try:
            imported = services.import_election(db, election, place=place, now=now, title=args.title,
                                                rule=args.rule)
        except services.PbImportError as error:
            print(f"{args.file}: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        report = {"consultation": imported.consultation.id, "round": imported.round.id,
                  "ideas": len(imported.idea_ids), "ballots": imported.ballots,
                  "url": f"/rounds/{imported.round.id}/results" if args.publish
                  else f"/rounds/{imported.round.id}/vote"}
        if args.publish:
            vr = services.load_round(db, imported.round.id, now)
            result = services.publish(db, None, vr, now)
            back = services.imported_project_ids(vr)
            report["selected"] = [back[i] for i in result.selected]
        db.commit()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
