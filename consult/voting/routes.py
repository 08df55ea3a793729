"""Voting pages. Thin: parse → service → respond; POSTs that change something answer 303.

The ballot is a three-step flow that works without JavaScript: the ballot page (its
"Update the total" button asks the server for the running total), a confirmation page
(a POST that changes nothing) and the confirm POST, answered with a 303 to the receipt.

Template contexts (tests read ``response.context``; every voting page also gets ``names``):
votes: ``rounds``; ballot: ``vr``, ``ideas``, ``kind``, ``chosen``, ``points``, ``ranks``,
``running``, ``mine``, ``voter``, ``problem``, ``open_problem``, ``sign_in``, ``locked``,
``error``, ``errors``, ``homes``, ``home_id``, ``published``, ``staff``; confirm: ``vr``,
``lines``, ``running``, ``raw``, ``home_id``, ``kind``; receipt: ``vr``, ``mine``, ``code``
(shown once), ``lines``, ``voter``, ``can_change``; receipt_check: ``result``, ``code``,
``errors``; manage: ``vr``, ``form``, ``errors``, ``error``, ``locked``, ``result``,
``recount``, ``turnout``, ``missing_costs``, ``ideas``, ``staff``; paper: ``vr``, ``ideas``,
``titles``, ``kind``, ``voters``, ``rows``, ``disputes``, ``homes``, ``places``, ``form``,
``errors``, ``error``, ``voter_form``, ``voter_errors``, ``chosen``, ``points``, ``ranks``,
``can_resolve``, ``published``; turnout: ``vr``, ``turnout``; results: ``vr``, ``results``,
``chart``, ``turnout``, ``can_object``, ``can_answer``, ``can_finalize``, ``staff``,
``errors``, ``error``, ``form``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock, permissions
from consult.errors import Conflict, FieldErrors, Forbidden, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.voting import rules, services
from consult.voting.chart import bar_chart
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, PB_TYPE, download, excel_csv
from consult.web.responses import flash, redirect_to
from consult.web.templating import render as _render
from consult.web.templating import translator_for

NAMES = {"kind": rules.BALLOT_KIND_NAMES, "rule": rules.RULE_NAMES,
         "eligibility": rules.ELIGIBILITY_NAMES, "status": rules.STATUS_NAMES,
         "channel": rules.CHANNEL_NAMES, "tie": rules.TIE_BREAKING_TEXT}


def render(request: Request, name: str, context: dict, status: int = 200):
    return _render(request, name, {"names": NAMES, **context}, status=status)


def _round(request: Request) -> services.VoteRound:
    return services.load_round(get_db(request), request.path_params["rid"], clock.utcnow())


def _staff(request: Request, vr: services.VoteRound) -> dict[str, bool]:
    """What the committee links and forms on a page may offer this person."""
    actor = current_actor(request)
    path = vr.scope.ids_from_root
    staff = {action: permissions.allowed(action, actor, path)
             for action in ("manage_consultation", "publish_results", "answer_objection")}
    within = actor.holds_anywhere(permissions.STAFF) and services.staff_within(
        get_db(request), actor, vr, "enter_paper_ballot")
    staff["enter_paper_ballot"] = staff["view_turnout"] = within
    return staff


def _staff_actor(request: Request, vr: services.VoteRound, action: str):
    """The actor, if they may do ``action`` for this round or a part of its scope."""
    actor = current_actor(request)
    if not actor.authenticated:
        raise NotSignedIn()
    if not services.staff_within(get_db(request), actor, vr, action):
        raise Forbidden()
    return actor


def _pairs(form) -> list[tuple[str, object]]:
    return list(form.multi_items())


# -- the list of votes --------------------------------------------------------------------


async def votes_page(request: Request):
    return render(request, "voting/votes.html",
                  {"rounds": services.vote_rounds(get_db(request), clock.utcnow())})


# -- the ballot ---------------------------------------------------------------------------


def _ballot_context(request: Request, vr: services.VoteRound, *, raw: rules.RawBallot | None = None,
                    error: Msg | None = None, errors: dict | None = None, home_id=None) -> dict:
    db = get_db(request)
    actor, user = current_actor(request), current_user(request)
    ideas = services.ideas_on_ballot(db, vr)
    voter = mine = problem = None
    homes = []
    sign_in = locked = False
    try:
        voter = services.voter_for(db, actor, user, vr, home_id)
    except NotSignedIn:
        sign_in = True
    except FieldErrors as exc:
        problem = next(iter(exc.errors.values()))
    except (UserError, Forbidden) as exc:  # not eligible: the page says why
        problem = exc.msg
    if user is not None and vr.settings.eligibility == "owners":
        homes = services.voter_homes(db, actor, user.id, vr.scope)
    if voter is not None:
        mine = services.ballot_of(db, vr.id, voter.key)
        if mine is not None and not services.own_web_ballot(mine.ballot, user.id):
            locked = True
            problem = services.other_channel_message(mine.ballot, user.id)
    kind = vr.settings.ballot_kind
    shown = raw if raw is not None else services.raw_of(kind, None if locked else mine)
    costs = {str(i.id): i.cost_fen for i in ideas}
    return {
        "vr": vr, "ideas": ideas, "kind": kind,
        "chosen": set(shown.choices), "points": dict(shown.points),
        "ranks": {pid: n for n, pid in enumerate(shown.ranking, start=1)},
        "running": rules.running_total(kind, shown, costs, vr.budget_fen),
        "mine": None if locked else mine, "voter": voter, "problem": problem,
        "sign_in": sign_in, "locked": locked, "open_problem": services.open_problem(vr),
        "error": error, "errors": errors or {}, "homes": homes,
        "home_id": str(home_id if home_id not in (None, "") else (voter.home_id if voter and voter.home_id else "")),
        "published": services.published_result(db, vr.id) is not None if vr.state == "closed" else False,
        "staff": _staff(request, vr),
    }


async def ballot_page(request: Request):
    vr = _round(request)
    return render(request, "voting/ballot.html", _ballot_context(request, vr))


def _read_ballot(vr: services.VoteRound, form) -> rules.RawBallot:
    return rules.read_form_ballot(vr.settings.ballot_kind, _pairs(form))


def _choice_lines(vr, ideas, choices: list[rules.Choice]) -> list[tuple]:
    """(idea, points, rank) for a confirmation or receipt, in ballot order."""
    by_id = {i.id: i for i in ideas}
    ordered = sorted(choices, key=lambda c: (c.rank or 0, c.idea_id))
    return [(by_id[c.idea_id], c.points, c.rank) for c in ordered if c.idea_id in by_id]


async def ballot_review(request: Request):
    """The ballot form's POST: recompute the total, go back to editing, or show the confirmation."""
    form = await read_form(request)
    vr = _round(request)
    home_id = form.get("home")
    action = form.get("action", "review")
    try:
        raw = _read_ballot(vr, form)
    except rules.BallotFormError as exc:
        return render(request, "voting/ballot.html",
                      _ballot_context(request, vr, error=exc.msg, home_id=home_id), status=422)
    if action in ("total", "edit"):
        return render(request, "voting/ballot.html",
                      _ballot_context(request, vr, raw=raw, home_id=home_id))
    db = get_db(request)
    try:
        services.voter_for(db, current_actor(request), current_user(request), vr, home_id)
        if problem := services.open_problem(vr):
            raise UserError(problem, code="round_not_open")
        ideas = services.ideas_on_ballot(db, vr)
        checked = services.check(db, vr, raw, ideas)
    except UserError as exc:
        return render(request, "voting/ballot.html",
                      _ballot_context(request, vr, raw=raw, error=exc.msg, home_id=home_id),
                      status=exc.status if exc.status != 400 else 409)
    return render(request, "voting/confirm.html", {
        "vr": vr, "lines": _choice_lines(vr, ideas, checked.choices), "running": checked.running,
        "raw": raw, "home_id": home_id or "", "kind": vr.settings.ballot_kind,
    })


async def ballot_cast(request: Request):
    """The confirmed ballot. Hot: the round is loaded as plain values (``load_ballot_round``);
    a refusal reloads it in full to show the ballot page again."""
    form = await read_form(request)
    now = clock.utcnow()
    vr = services.load_ballot_round(get_db(request), request.path_params["rid"], now)
    home_id = form.get("home")
    try:
        raw = _read_ballot(vr, form)
        done = services.cast(get_db(request), current_actor(request), require_user(request), vr,
                             raw, now, home_id)
    except rules.BallotFormError as exc:
        vr = _round(request)
        return render(request, "voting/ballot.html",
                      _ballot_context(request, vr, error=exc.msg, home_id=home_id), status=422)
    except UserError as exc:
        vr = _round(request)
        raw = _read_ballot(vr, form)
        return render(request, "voting/ballot.html",
                      _ballot_context(request, vr, raw=raw, error=exc.msg, home_id=home_id),
                      status=exc.status)
    request.session["receipt"] = [vr.id, done.receipt]
    flash(request, Msg(N_("Your vote has been changed.") if done.changed else N_("Thank you: your vote has been recorded.")))
    query = {"home": home_id} if home_id else None
    return redirect_to(request, "vote_receipt", query=query, rid=vr.id)


async def receipt_page(request: Request):
    vr = _round(request)
    db = get_db(request)
    user = require_user(request)
    voter = services.voter_for(db, current_actor(request), user, vr, request.query_params.get("home"))
    mine = services.ballot_of(db, vr.id, voter.key)
    code = None
    stored = request.session.pop("receipt", None)
    if isinstance(stored, list) and len(stored) == 2 and stored[0] == vr.id and mine is not None:
        code = rules.format_receipt(stored[1])
    ideas = services.ideas_on_ballot(db, vr) if mine else []
    return render(request, "voting/receipt.html", {
        "vr": vr, "mine": mine, "code": code, "voter": voter,
        "lines": _choice_lines(vr, ideas, mine.choices) if mine else [],
        "can_change": vr.state == "open" and mine is not None and mine.ballot.channel == "web",
    })


async def receipt_check_page(request: Request):
    return render(request, "voting/receipt_check.html", {"result": None, "code": "", "errors": {}})


async def receipt_check(request: Request):
    form = await read_form(request)
    code = str(form.get("code", ""))[:64]
    try:
        result = services.check_receipt(get_db(request), code)
    except FieldErrors as exc:
        return render(request, "voting/receipt_check.html",
                      {"result": None, "code": code, "errors": exc.errors}, status=422)
    return render(request, "voting/receipt_check.html", {"result": result, "code": code, "errors": {}})


# -- committee: settings, publication -----------------------------------------------------


def _settings_form(settings) -> dict:
    return {
        "ballot_kind": settings.ballot_kind, "min_choices": str(settings.min_choices or 0),
        "max_choices": _text(settings.max_choices), "max_points": _text(settings.max_points),
        "max_points_per_idea": _text(settings.max_points_per_idea),
        "ranking_length": _text(settings.ranking_length),
        "points_per_rank": ",".join(str(p) for p in settings.points_per_rank or []),
        "rule": settings.rule, "min_score": _text(settings.min_score), "k": _text(settings.k),
        "budget": "" if settings.budget_fen is None else f"{settings.budget_fen // 100}.{settings.budget_fen % 100:02d}",
        "eligibility": settings.eligibility, "double_key": "1" if settings.double_key else "",
        "notice_days": str(settings.notice_days),
    }


def _text(value) -> str:
    return "" if value is None else str(value)


def _manage_context(request: Request, vr: services.VoteRound, **extra) -> dict:
    db = get_db(request)
    staff = _staff(request, vr)
    if not (staff["manage_consultation"] or staff["publish_results"]):
        raise Forbidden()
    result = services.published_result(db, vr.id)
    ideas = services.ideas_on_ballot(db, vr)
    context = {
        "vr": vr, "form": _settings_form(vr.settings), "errors": {}, "error": None,
        "locked": vr.state != "upcoming", "result": result, "staff": staff,
        "recount": None, "turnout": services.turnout(db, None, vr, check=False),
        "missing_costs": sum(1 for i in ideas if i.cost_fen is None), "ideas": len(ideas),
        "kinds": rules.BALLOT_KINDS, "rules_": rules.SELECTION_RULES,
    }
    if result is not None:
        try:
            context["recount"] = services.recount(db, vr, result)
        except UserError:
            context["recount"] = None
    context.update(extra)
    return context


async def manage_page(request: Request):
    vr = _round(request)
    return render(request, "voting/manage.html", _manage_context(request, vr))


async def settings_save(request: Request):
    form = await read_form(request)
    vr = _round(request)
    values = {k: str(form.get(k, "")) for k in (
        "ballot_kind", "min_choices", "max_choices", "max_points", "max_points_per_idea",
        "ranking_length", "points_per_rank", "rule", "min_score", "k", "budget", "eligibility",
        "double_key", "notice_days")}
    try:
        services.save_settings(get_db(request), require(request, "use_account"), vr, values,
                               clock.utcnow())
    except FieldErrors as exc:
        return render(request, "voting/manage.html",
                      _manage_context(request, vr, form=values, errors=exc.errors), status=422)
    except UserError as exc:
        return render(request, "voting/manage.html",
                      _manage_context(request, vr, form=values, error=exc.msg), status=exc.status)
    flash(request, Msg(N_("The vote settings were saved.")))
    return redirect_to(request, "vote_manage", rid=vr.id)


async def publish(request: Request):
    await read_form(request)
    vr = _round(request)
    try:
        services.publish(get_db(request), require(request, "use_account"), vr, clock.utcnow())
    except UserError as exc:
        return render(request, "voting/manage.html", _manage_context(request, vr, error=exc.msg),
                      status=exc.status)
    flash(request, Msg(N_("The results are published. The notice period has started.")))
    return redirect_to(request, "vote_results", rid=vr.id)


async def turnout_page(request: Request):
    vr = _round(request)
    actor = _staff_actor(request, vr, "view_turnout")
    return render(request, "voting/turnout.html",
                  {"vr": vr, "turnout": services.turnout(get_db(request), actor, vr)})


# -- paper ballots ------------------------------------------------------------------------


def _paper_context(request: Request, vr: services.VoteRound, **extra) -> dict:
    db = get_db(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    ideas = services.ideas_on_ballot(db, vr)
    context = {
        "vr": vr, "ideas": ideas, "titles": {i.id: i.title for i in ideas},
        "kind": vr.settings.ballot_kind,
        "voters": services.paper_voters(db, actor, vr) if vr.settings.eligibility == "residents" else [],
        "rows": services.paper_rows(db, actor, vr), "disputes": services.disputes(db, actor, vr),
        "homes": services.homes_in_scope(db, vr, actor) if vr.settings.eligibility == "owners" else [],
        "places": services.areas_in_scope(db, vr), "form": {}, "errors": {}, "error": None,
        "voter_form": {}, "voter_errors": {}, "link_form": {}, "link_errors": {},
        "chosen": set(), "points": {}, "ranks": {},
        "can_resolve": services.staff_within(db, actor, vr, "publish_results"), "me": actor.user_id,
        "published": services.published_result(db, vr.id) is not None,
    }
    context.update(extra)
    return context


async def paper_page(request: Request):
    vr = _round(request)
    return render(request, "voting/paper.html", _paper_context(request, vr))


PAPER_FIELDS = ("serial", "phone", "paper_voter_id", "home_id")


async def paper_enter(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    values = {k: str(form.get(k, "")) for k in PAPER_FIELDS}
    db = get_db(request)
    raw = rules.RawBallot()
    try:
        raw = _read_ballot(vr, form)
        voter = services.paper_voter_of(db, actor, vr, phone=values["phone"],
                                        paper_voter_id=values["paper_voter_id"],
                                        home_id=values["home_id"])
        done = services.enter_paper(db, actor, vr, serial=values["serial"], voter=voter, raw=raw,
                                    now=clock.utcnow())
    except rules.BallotFormError as exc:
        return render(request, "voting/paper.html",
                      _paper_context(request, vr, form=values, error=exc.msg), status=422)
    except FieldErrors as exc:
        return render(request, "voting/paper.html", _paper_context(
            request, vr, form=values, errors=exc.errors, **_kept(raw)), status=422)
    except UserError as exc:
        return render(request, "voting/paper.html", _paper_context(
            request, vr, form=values, error=exc.msg, **_kept(raw)), status=exc.status)
    messages = {
        "counted": N_("Paper ballot %(serial)s is entered and counted. Receipt code for the voter: %(code)s"),
        "pending": N_("Paper ballot %(serial)s is entered. It counts once another staff member enters it again. Receipt code for the voter: %(code)s"),
        "disputed": N_("Paper ballot %(serial)s: the second entry differs from the first. A moderator must check the paper."),
    }
    if done.status == "counted" and done.receipt is None:
        messages["counted"] = N_("Paper ballot %(serial)s: both entries match; it is counted.")
    flash(request, Msg(messages[done.status], {"serial": done.ballot.serial,
                                               "code": rules.format_receipt(done.receipt or "")}))
    return redirect_to(request, "paper_ballots", rid=vr.id)


def _kept(raw: rules.RawBallot) -> dict:
    return {"chosen": set(raw.choices), "points": dict(raw.points),
            "ranks": {pid: n for n, pid in enumerate(raw.ranking, start=1)}}


async def paper_voter_add(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    values = {k: str(form.get(k, "")) for k in ("area_id", "building_group_id", "name", "id_last4", "note")}
    try:
        person = services.register_paper_voter(get_db(request), actor, vr, now=clock.utcnow(), **values)
    except FieldErrors as exc:
        return render(request, "voting/paper.html", _paper_context(
            request, vr, voter_form=values, voter_errors=exc.errors), status=422)
    flash(request, Msg(N_("%(name)s is registered as a paper-only voter."), {"name": person.name}))
    return redirect_to(request, "paper_ballots", rid=vr.id)


async def paper_voter_link(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    values = {k: str(form.get(k, "")) for k in ("link_voter", "link_phone")}
    try:
        done = services.link_paper_voter(get_db(request), actor, vr, paper_voter_id=values["link_voter"],
                                         phone=values["link_phone"], now=clock.utcnow())
    except FieldErrors as exc:
        return render(request, "voting/paper.html", _paper_context(
            request, vr, link_form=values, link_errors=exc.errors), status=422)
    flash(request, Msg(N_("%(name)s now votes as the account %(phone)s, on paper or online, once per round."),
                       {"name": done.person.name, "phone": done.user.login}))
    if done.removed:
        flash(request, Msg(N_("%(n)s rounds not yet published had a ballot from this person on each channel: the first one stands, the later one was removed."),
                           {"n": done.removed}))
    if done.published_both:
        flash(request, Msg(N_("%(n)s published rounds had a ballot from this person on each channel; their results stand as published."),
                           {"n": done.published_both}))
    return redirect_to(request, "paper_ballots", rid=vr.id)


async def paper_resolve(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    try:
        ballot = services.resolve_dispute(get_db(request), actor, vr, serial=str(form.get("serial", "")),
                                          keep=str(form.get("keep", "")), now=clock.utcnow())
    except Forbidden as exc:
        if exc.code != "own_request":
            raise
        return render(request, "voting/paper.html", _paper_context(request, vr, error=exc.msg),
                      status=exc.status)
    except UserError as exc:
        return render(request, "voting/paper.html", _paper_context(request, vr, error=exc.msg),
                      status=exc.status)
    flash(request, Msg(N_("Paper ballot %(serial)s is decided and counted."), {"serial": ballot.serial}))
    return redirect_to(request, "paper_ballots", rid=vr.id)


# -- results, objections, the outcome -----------------------------------------------------


def _results_context(request: Request, vr: services.VoteRound, **extra) -> dict:
    db = get_db(request)
    now = clock.utcnow()
    found = services.results(db, vr, now)
    actor, t = current_actor(request), translator_for(request)
    staff = _staff(request, vr)
    chart = bar_chart(
        [(row.idea.title, row.score, row.selected) for row in found.rows],
        title=t(Msg(N_("Scores of the ideas in %(round)s"), {"round": vr.title})),
        description=t(Msg(N_("%(n)s ideas; the selected ones are dark green and marked ✓. The table below gives the same figures."),
                          {"n": len(found.rows)})))
    can_object = (found.notice_open and actor.authenticated
                  and services.resident_place(db, actor, vr.scope, "file_objection") is not None)
    unanswered = sum(1 for o in found.objections if o.answered_at is None)
    mine = next((o for o in found.objections if o.answered_at is None
                 and o.user_id == actor.user_id), None) if can_object else None
    context = {
        "vr": vr, "results": found, "chart": chart, "turnout": services.turnout(db, None, vr, check=False),
        "can_object": can_object, "can_answer": staff["answer_objection"], "mine": mine,
        "me": actor.user_id,
        "max_objection": rules.MAX_OBJECTION,
        "can_finalize": staff["publish_results"] and rules.finalize_problem(
            found.result.notice_until, found.result.finalized_at, unanswered, now) is None,
        "staff": staff, "errors": {}, "error": None, "form": {},
    }
    context.update(extra)
    return context


async def results_page(request: Request):
    vr = _round(request)
    return render(request, "voting/results.html", _results_context(request, vr))


async def export_pb(request: Request):
    vr = _round(request)
    return download(services.export_pb(get_db(request), vr), f"vote-round-{vr.id}.pb", PB_TYPE)


async def export_csv(request: Request):
    vr = _round(request)
    return download(excel_csv(services.export_csv(get_db(request), vr)),
                    f"vote-round-{vr.id}-ballots.csv", CSV_TYPE)


async def objection_file(request: Request):
    form = await read_form(request)
    vr = _round(request)
    body = str(form.get("body", ""))
    try:
        services.file_objection(get_db(request), current_actor(request), require_user(request), vr,
                                body, clock.utcnow())
    except FieldErrors as exc:
        return render(request, "voting/results.html",
                      _results_context(request, vr, errors=exc.errors, form={"body": body}), status=422)
    except UserError as exc:
        return render(request, "voting/results.html",
                      _results_context(request, vr, error=exc.msg, form={"body": body}), status=exc.status)
    flash(request, Msg(N_("Your objection was sent. The committee will answer it publicly on this page.")))
    return redirect_to(request, "vote_results", rid=vr.id)


async def objection_edit(request: Request):
    form = await read_form(request)
    db = get_db(request)
    body = str(form.get("body", ""))
    try:
        _, vr = services.edit_objection(db, current_actor(request), require_user(request),
                                        request.path_params["oid"], body, clock.utcnow())
    except (FieldErrors, Conflict) as exc:
        vr = services.load_round(db, services.objection_round_id(db, request.path_params["oid"]),
                                 clock.utcnow())
        errors = exc.errors if isinstance(exc, FieldErrors) else {}
        return render(request, "voting/results.html", _results_context(
            request, vr, errors=errors, error=None if errors else exc.msg, form={"body": body}),
            status=exc.status)
    flash(request, Msg(N_("Your objection was changed. The committee will answer it publicly on this page.")))
    return redirect_to(request, "vote_results", rid=vr.id)


async def objection_answer(request: Request):
    form = await read_form(request)
    actor = require(request, "use_account")
    db = get_db(request)
    try:
        objection, vr = services.answer_objection(db, actor, request.path_params["oid"],
                                                  str(form.get("answer", "")), clock.utcnow())
    except FieldErrors as exc:
        from consult.voting.models import Objection

        objection = db.get(Objection, request.path_params["oid"])
        vr = services.load_round(db, objection.round_id, clock.utcnow())
        return render(request, "voting/results.html", _results_context(
            request, vr, errors={f"answer-{objection.id}": exc.errors["answer"]}), status=422)
    flash(request, Msg(N_("Your answer is published.")))
    return redirect_to(request, "vote_results", rid=vr.id)


async def finalize(request: Request):
    await read_form(request)
    vr = _round(request)
    try:
        services.finalize(get_db(request), require(request, "use_account"), vr, clock.utcnow())
    except UserError as exc:
        return render(request, "voting/results.html", _results_context(request, vr, error=exc.msg),
                      status=exc.status)
    flash(request, Msg(N_("The outcome is confirmed: the selected ideas are now projects.")))
    return redirect_to(request, "vote_results", rid=vr.id)


routes = [
    Route("/votes", votes_page, methods=["GET"], name="votes"),
    Route("/rounds/{rid:int}/vote", ballot_page, methods=["GET"], name="vote_ballot"),
    Route("/rounds/{rid:int}/vote", ballot_review, methods=["POST"], name="vote_review"),
    Route("/rounds/{rid:int}/vote/confirm", ballot_cast, methods=["POST"], name="vote_cast"),
    Route("/rounds/{rid:int}/receipt", receipt_page, methods=["GET"], name="vote_receipt"),
    Route("/receipts", receipt_check_page, methods=["GET"], name="receipt_check_page"),
    Route("/receipts", receipt_check, methods=["POST"], name="receipt_check"),
    Route("/rounds/{rid:int}/vote/manage", manage_page, methods=["GET"], name="vote_manage"),
    Route("/rounds/{rid:int}/vote/settings", settings_save, methods=["POST"], name="vote_settings_save"),
    Route("/rounds/{rid:int}/publish", publish, methods=["POST"], name="vote_publish"),
    Route("/rounds/{rid:int}/turnout", turnout_page, methods=["GET"], name="vote_turnout"),
    Route("/rounds/{rid:int}/paper", paper_page, methods=["GET"], name="paper_ballots"),
    Route("/rounds/{rid:int}/paper", paper_enter, methods=["POST"], name="paper_enter"),
    Route("/rounds/{rid:int}/paper/voters", paper_voter_add, methods=["POST"], name="paper_voter_add"),
    Route("/rounds/{rid:int}/paper/voters/link", paper_voter_link, methods=["POST"], name="paper_voter_link"),
    Route("/rounds/{rid:int}/paper/resolve", paper_resolve, methods=["POST"], name="paper_resolve"),
    Route("/rounds/{rid:int}/results", results_page, methods=["GET"], name="vote_results"),
    Route("/rounds/{rid:int}/results.pb", export_pb, methods=["GET"], name="vote_export_pb"),
    Route("/rounds/{rid:int}/results.csv", export_csv, methods=["GET"], name="vote_export_csv"),
    Route("/rounds/{rid:int}/objections", objection_file, methods=["POST"], name="objection_file"),
    Route("/objections/{oid:int}/answer", objection_answer, methods=["POST"], name="objection_answer"),
    Route("/objections/{oid:int}/edit", objection_edit, methods=["POST"], name="objection_edit"),
    Route("/rounds/{rid:int}/finalize", finalize, methods=["POST"], name="vote_finalize"),
]
