"""Command line: ``python -m consult <command>``.

migrate      bring the database schema up to date (Alembic)
demo         load the demo sub-district (safe to run twice)
logins       print the demo logins
createuser   create an account, optionally with a role at a place
finalize-due carry on the ideas of rounds that have closed, confirm vote outcomes whose
             notice period (公示期) has ended, mix the answers of anonymous surveys that
             have closed, and tell each person once of a vote open to them, closing soon,
             or a survey addressed to them, and remind members of an activity they
             signed up for the day before, credit the points clubs' participation
             points, and drop the photos kept with an idea form nobody sent again
             (run it hourly)
publish-jobs run the publications of vote results that were asked for and that no worker
             has finished (a worker stopped while counting); run it every few minutes
send-due     send the text messages deferred past quiet hours (run it after 08:00)
points-check check the points ledger: every transfer sums to zero, every member's
             cached balance equals the sum of their entries (exit 1 if not)
send-digests send each person's one text-message digest of the day (run it every 15 minutes)
serve        run the web server (uvicorn)
pb ...       pabulib open-data files (see ``pb --help``)
owners ...   owners' votes recount from files (see ``owners --help``); ``owners elect``
             recounts an owners' committee election (see ``owners elect --help``)
elect ...    recount a residents' committee election (see ``elect --help``)
"""

from __future__ import annotations

import argparse
import getpass
import sys


def _settings():
    from consult.config import Settings

    return Settings.from_env()


def cmd_migrate(args) -> int:
    from consult.db.migrate import upgrade

    upgrade(_settings().database_url)
    print("database is up to date")
    return 0


def cmd_demo(args) -> int:
    from consult.db import Database, make_engine
    from consult.demo import load

    settings = _settings()
    database = Database(make_engine(settings.database_url))
    with database.session(write=True) as db:
        created = load(db, settings)
        db.commit()
    print("demo loaded" if created else "demo already present; nothing changed")
    return 0


def cmd_logins(args) -> int:
    from consult.demo import DEMO_PASSWORD, demo_logins

    print(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for login, name, role in demo_logins():
        print(f"  {login:<14} {name:<10} {role}")
    print("\nOpen http://127.0.0.1:8000 in a browser.\n")
    return 0


def cmd_createuser(args) -> int:
    from consult.accounts import rules
    from consult.accounts import services as accounts
    from consult.communities import services as communities
    from consult.communities.models import ROLES
    from consult.db import Database, make_engine
    from consult.errors import UserError
    from consult.i18n import translator

    t = translator("en")
    settings = _settings()
    if args.role and args.role not in ROLES:
        print(f"unknown role {args.role!r}; choose one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    if args.role and args.place is None:
        print("--role needs --place (a place id)", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    if problem := rules.password_problem(password, login=args.login):
        print(t(problem), file=sys.stderr)
        return 2
    phone = rules.normalize_phone(args.login)
    database = Database(make_engine(settings.database_url))
    with database.session(write=True) as db:
        if accounts.find_by_login(db, args.login):
            print(f"{args.login} already exists", file=sys.stderr)
            return 2
        place = None
        if args.role:
            from consult.communities.models import Place

            place = db.get(Place, args.place)
            if place is None:
                print(f"no place with id {args.place}", file=sys.stderr)
                return 2
        try:
            user = accounts.create_user(db, settings, login=phone or args.login, phone=phone,
                                        display_name=args.name or args.login, password=password)
            if place is not None:
                communities.grant_role(db, user=user, role=args.role, place=place)
        except UserError as exc:
            print(t(exc.msg), file=sys.stderr)
            return 2
        db.commit()
    print(f"created {args.login}" + (f" as {args.role} of place {args.place}" if args.role else ""))
    return 0


def cmd_finalize_due(args) -> int:
    """For an hourly timer: the ideas a collect, review or revise round ended with go into
    the next round (those below a collect round's support threshold stay behind, marked);
    after the notice period the selected ideas become projects,
    unless an objection still waits for its answer (then the round is listed and waits);
    anonymous surveys that have closed get their rows mixed (``surveys.secrecy``); and
    each person is told once of a vote open to them, closing soon, or a survey addressed to them,
    and the day before an activity of the points club, of the activity they signed up for."""
    from consult import clock
    from consult.consultations import carry_due, drop_abandoned_photos
    from consult.db import Database, make_engine
    from consult.delivery import projects_from_outcome  # noqa: F401  loading it: an outcome makes projects
    from consult.i18n import translator
    from consult.participation import credit_due
    from consult.points import remind_due
    from consult.surveys.secrecy import mix_due
    from consult.surveys.services import tell_audiences
    from consult.voting import finalize_due, tell_voters

    t = translator("en")
    database = Database(make_engine(_settings().database_url))
    with database.session(write=True) as db:
        now = clock.utcnow()
        carried = carry_due(db, now)
        outcomes = finalize_due(db, now)
        mixed = mix_due(db, now)
        told = tell_voters(db, now)
        told["survey_addressed"] = tell_audiences(db, now)
        told["points_activity_reminder"] = remind_due(db, now)
        credited = credit_due(db, now)
        dropped = drop_abandoned_photos(db, _settings().media_dir, now)
        db.commit()
    for step in carried:
        print(f"round {step.round.id} ({step.round.kind}): closed, {step.carried} ideas carried into the next round")
    for survey_id in mixed:
        print(f"survey {survey_id}: closed, its anonymous answers are mixed")
    if dropped:
        print(f"{dropped} photos kept with an idea form nobody sent again were dropped")
    for outcome in outcomes:
        if outcome.problem is None:
            print(f"round {outcome.round_id} ({outcome.title}): confirmed, {outcome.selected} selected")
        else:
            print(f"round {outcome.round_id} ({outcome.title}): waits: {t(outcome.problem)}")
    if not outcomes:
        print("no outcome is due")
    print(f"told {told['vote_opened']} of a vote open to them, {told['vote_closing_soon']} of one closing soon, "
          f"{told['survey_addressed']} of a questionnaire addressed to them, "
          f"{told['points_activity_reminder']} of an activity they signed up for")
    print(f"{credited} participation points entries posted")
    return 0


def cmd_publish_jobs(args) -> int:
    """For a timer every few minutes: a publication asked for on a page is run after that
    page's answer, by the worker that answered; if that worker stopped first (a restart, a
    crash), the job waits here. Each is run once, whoever gets to it first."""
    from consult import clock
    from consult.db import Database, make_engine
    from consult.voting import pending_jobs, run_publish_job

    database = Database(make_engine(_settings().database_url))
    with database.session() as db:
        waiting = pending_jobs(db, clock.utcnow())
    for job_id in waiting:
        state = run_publish_job(database, job_id)
        print(f"publication job {job_id}: {state or 'taken by another worker'}")
    if not waiting:
        print("no publication waits")
    return 0


def cmd_checks_due(args) -> int:
    """For a daily timer: the register's safety checks due within 30 days or overdue and
    its open repairs, printed one a line, and a notification per area to its moderators;
    then residents are asked to rate the projects completed 30 or 180 days ago (once each)."""
    from consult import clock, messaging
    from consult.db import Database, make_engine
    from consult.delivery import checks_due, invite_raters

    settings = _settings()
    messaging.configure(settings)
    database = Database(make_engine(settings.database_url))
    with database.session(write=True) as db:
        found, sent = checks_due(db, clock.utcnow(), soon_days=args.days)
        invited = invite_raters(db, clock.utcnow(), settings.base_url)
        db.commit()
    for i in invited:
        print(f"project {i.project_id}: residents asked to rate it at {i.wave} days: {i.told} told, {i.texted} texted")
    for d in found:
        state = "overdue" if d.overdue else "due"
        print(f"project {d.project_id} ({d.title}, {d.place_name}): {d.what} {state} {d.due_on.isoformat()}, "
              f"responsible: {d.party}")
    print(f"{len(found)} due or overdue, {sent} notifications" if found else "nothing is due")
    return 0


def cmd_send_due(args) -> int:
    """For a timer after 08:00 Beijing time: the notices held back overnight go now (the
    next message sent takes a few along too). Prints counts, never a number."""
    from consult import messaging

    return _text_messages(messaging.send_due, "no message is due")


def cmd_send_digests(args) -> int:
    """For a timer every quarter of an hour: each person with notifications waiting to be
    told by text message gets their day's one digest (none in quiet hours)."""
    from consult.notifications import services as notifications

    return _text_messages(notifications.send_digests, "no digest is due")


def _text_messages(job, nothing: str) -> int:
    from collections import Counter

    from consult import clock, messaging
    from consult.db import Database, make_engine

    settings = _settings()
    try:
        messaging.configure(settings)
    except ValueError as exc:  # a provider chosen without its keys
        print(exc, file=sys.stderr)
        return 2
    database = Database(make_engine(settings.database_url))
    with database.session(write=True) as db:
        done = job(db, clock.utcnow())
        db.commit()
    counts = Counter(message.status for message in done)
    print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or nothing)
    return 0


def cmd_points_check(args) -> int:
    """The points ledger against itself; prints each problem, exits 1 when there is one."""
    from consult import points
    from consult.db import Database, make_engine

    database = Database(make_engine(_settings().database_url))
    with database.session() as db:
        problems = points.check_ledger(db)
    for problem in problems:
        print(f"{problem.what} {problem.id}: {problem.detail}")
    print("the points ledger is whole" if not problems else f"{len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


def cmd_serve(args) -> int:
    import uvicorn

    uvicorn.run("app:app", host=args.host, port=args.port, workers=args.workers,
                proxy_headers=False, log_level="info")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "pb":
        from consult.voting import pb_main

        return pb_main(argv[1:])
    if argv[:2] == ["owners", "elect"]:
        from consult.elections import owners_cli_main

        return owners_cli_main(argv[2:])
    if argv and argv[0] == "elect":
        from consult.elections import residents_cli_main

        return residents_cli_main(argv[1:])
    if argv and argv[0] == "owners":
        from consult.owners import cli_main as owners_main

        return owners_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m consult", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate").set_defaults(func=cmd_migrate)
    sub.add_parser("demo").set_defaults(func=cmd_demo)
    sub.add_parser("logins").set_defaults(func=cmd_logins)
    create = sub.add_parser("createuser", help="password is read from a prompt or stdin")
    create.add_argument("login", help="a mainland mobile number or a staff username")
    create.add_argument("--name", help="display name")
    create.add_argument("--role", help="resident, owner, moderator, expert, owners_rep or admin")
    create.add_argument("--place", type=int, help="id of the place where the role applies")
    create.set_defaults(func=cmd_createuser)
    sub.add_parser("finalize-due", help="confirm vote outcomes whose notice period has ended; mix closed anonymous surveys"
                   ).set_defaults(func=cmd_finalize_due)
    due = sub.add_parser("checks-due", help="list safety checks and repairs due or overdue; notify each area's moderators")
    due.add_argument("--days", type=int, default=30, help="how far ahead a check counts as due (default 30)")
    due.set_defaults(func=cmd_checks_due)
    sub.add_parser("publish-jobs", help="run the publications of vote results that no worker has finished"
                   ).set_defaults(func=cmd_publish_jobs)
    sub.add_parser("send-due", help="send the text messages deferred past quiet hours"
                   ).set_defaults(func=cmd_send_due)
    sub.add_parser("points-check", help="check the points ledger (sums to zero, cached balances)"
                   ).set_defaults(func=cmd_points_check)
    sub.add_parser("send-digests", help="send each person's daily text-message digest of notifications"
                   ).set_defaults(func=cmd_send_digests)
    serve = sub.add_parser("serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("pb", help="pabulib files: tally FILE.pb [--rule RULE], import FILE.pb")
    sub.add_parser("owners", help="owners' votes: tally --homes H --ballots B --matter KIND; "
                   "elect --homes H --ballots B --seats N [--rank headcount|area]")
    sub.add_parser("elect", help="residents' committee election: --voters V --ballots B --seats N "
                   "[--further-round]")
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
