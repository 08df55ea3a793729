"""The list of votes, the ballot, the receipt and the receipt check (pages).

The ballot is a three-step flow that works without JavaScript: the ballot page (its
"Update the total" button asks the server for the running total), a confirmation page
(a POST that changes nothing) and the confirm POST, answered with a 303 to the receipt.
"""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.communities.standing import resident_standing
from consult.db.ids import parse_id
from consult.errors import FieldErrors, Forbidden, NotFound, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.voting import rules, services
from consult.voting.receipt_picture import receipt_png
from consult.voting.routes.common import _read_ballot, _round, _staff, again, read_ballot, render
from consult.web.auth import current_actor, current_user, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import download
from consult.web.forms import form_view
from consult.web.responses import redirect_to

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
    voter = mine = problem = standing = None
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
    if (sign_in or problem is not None) and vr.settings.eligibility == "residents":
        # what to do next: sign in, be verified, wait for the check, or who may vote
        standing = resident_standing(db, actor, user, vr.scope.ids_from_root, clock.utcnow())
        standing = None if standing.may_act else standing
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
    groups = services.ballot_groups(db, ideas, voter.area_id if voter else None)
    return {
        "vr": vr, "ideas": ideas, "kind": kind, "groups": groups if len(groups) > 1 else [],
        # a folded group holding a choice opens again (the ballot grouped by area)
        "chosen_ids": {parse_id(p) for p in [*shown.choices, *(p for p, v in shown.points if v), *shown.ranking]},
        "chosen": set(shown.choices), "points": dict(shown.points),
        "ranks": {pid: n for n, pid in enumerate(shown.ranking, start=1)},
        "running": rules.running_total(kind, shown, costs, vr.budget_fen),
        "mine": None if locked else mine, "voter": voter, "problem": problem, "standing": standing,
        "sign_in": sign_in, "locked": locked, "open_problem": services.open_problem(vr),
        "error": error, "errors": errors or {}, "homes": homes,
        "home_id": str(home_id if home_id not in (None, "") else (voter.home_id if voter and voter.home_id else "")),
        "published": services.published_result(db, vr.id) is not None if vr.state == "closed" else False,
        "staff": _staff(request, vr),
    }


async def ballot_page(request: Request):
    vr = _round(request)
    return render(request, "voting/ballot.html", _ballot_context(request, vr))


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
    """The confirmed ballot. The round is read locked, and the clock after it
    (``load_ballot_round``); a refusal reloads it in full to show the ballot page again."""
    form = await read_form(request)
    db = get_db(request)
    vr = services.load_ballot_round(db, request.path_params["rid"])
    home_id = form.get("home")
    raw = None  # shown again as filled in, once it could be read

    def cast() -> services.Cast:
        nonlocal raw
        raw = read_ballot(vr, form)
        return services.cast(db, current_actor(request), require_user(request), vr, raw, vr.at,
                             home_id)

    def shown(error: Msg | None = None, errors: dict | None = None) -> dict:
        if errors:  # the field's message beside it, and the form's above
            error = Msg(FieldErrors.default_message)
        return _ballot_context(request, _round(request), raw=raw, error=error, errors=errors,
                               home_id=home_id)

    def receipt(done: services.Cast):
        request.session["receipt"] = [vr.id, done.receipt]
        query = {"home": home_id} if home_id else None
        return redirect_to(request, "vote_receipt", query=query, rid=vr.id)

    return form_view(request, cast, again=again("voting/ballot.html", shown), message=_cast_message,
                     done=receipt)


def _cast_message(done: services.Cast) -> str:
    if done.repeated:  # a double click, a form sent again: the same receipt
        return N_("You had already voted with these choices: your vote is unchanged, and so is its receipt code.")
    if done.changed:
        return N_("Your vote has been changed. Its new receipt code replaces the earlier one, which no longer checks.")
    return N_("Thank you: your vote has been recorded.")


async def receipt_page(request: Request):
    vr = _round(request)
    db = get_db(request)
    user = require_user(request)
    voter = services.voter_for(db, current_actor(request), user, vr, request.query_params.get("home"))
    mine = services.ballot_of(db, vr.id, voter.key)
    code = services.own_receipt(vr.id, mine)
    stored = request.session.pop("receipt", None)
    if code is None and isinstance(stored, list) and len(stored) == 2 and stored[0] == vr.id and mine is not None:
        code = rules.normalize_receipt(stored[1])  # a paper voter's code, shown this once
    ideas = services.ideas_on_ballot(db, vr) if mine else []
    return render(request, "voting/receipt.html", {
        "vr": vr, "mine": mine, "voter": voter, "code": rules.format_receipt(code) if code else None,
        "groups": [code[i:i + 4] for i in range(0, len(code), 4)] if code else [],
        "digits": rules.receipt_digits(code) if code else "",
        "lines": _choice_lines(vr, ideas, mine.choices) if mine else [],
        "can_change": vr.state == "open" and mine is not None and mine.ballot.channel == "web",
    })


async def receipt_picture(request: Request):
    """The voter's own receipt as a PNG picture, to save on the phone (issue 16 item 5)."""
    vr = _round(request)
    db = get_db(request)
    user = require_user(request)
    voter = services.voter_for(db, current_actor(request), user, vr, request.query_params.get("home"))
    code = services.own_receipt(vr.id, services.ballot_of(db, vr.id, voter.key))
    if code is None:
        raise NotFound()
    picture = receipt_png(rules.format_receipt(code), rules.receipt_digits(code), vr.id,
                          str(request.app.url_path_for("receipt_check_page")))
    return download(picture, f"receipt-{vr.id}.png", "image/png")


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
