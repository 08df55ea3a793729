"""The published results (pages and downloads), objections and the outcome.
"""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.voting import rules, services
from consult.voting.chart import bar_chart
from consult.voting.routes.common import _round, _staff, again, render
from consult.web.auth import current_actor, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, PB_TYPE, download_file, qr_svg
from consult.web.forms import form_view
from consult.web.responses import redirect_to
from consult.web.templating import translator_for

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


async def results_notice(request: Request):
    """The one-page A4 结果公示 to post up: what was selected, with cost and score, the
    totals and the turnout, until when and how to object, a QR code to the results."""
    vr = _round(request)
    db = get_db(request)
    url = str(request.url_for("vote_results", rid=vr.id))
    turnout = services.turnout(db, None, vr, check=False)
    return render(request, "voting/results_notice.html", {
        "vr": vr, "results": services.results(db, vr, clock.utcnow()), "turnout": turnout,
        "share": rules.turnout_share(turnout.total, turnout.eligible_total),
        "qr": qr_svg(url, 4), "page_url": url})


async def export_pb(request: Request):
    """The file kept at publication, streamed (as the API's): nothing is recounted."""
    vr = _round(request)
    stored = services.export_file(get_db(request), vr, "pb")
    return download_file(stored.path, f"vote-round-{vr.id}.pb", PB_TYPE, stored.sha256)


async def export_csv(request: Request):
    """The stored CSV, already as Excel needs it (BOM, no formulas), streamed."""
    vr = _round(request)
    stored = services.export_file(get_db(request), vr, "csv")
    return download_file(stored.path, f"vote-round-{vr.id}-ballots.csv", CSV_TYPE, stored.sha256)


async def objection_file(request: Request):
    form = await read_form(request)
    vr = _round(request)
    body = str(form.get("body", ""))
    return form_view(
        request, lambda: services.file_objection(get_db(request), current_actor(request),
                                                 require_user(request), vr, body, clock.utcnow()),
        again=again("voting/results.html",
                    lambda **problem: _results_context(request, vr, form={"body": body}, **problem)),
        message=N_("Your objection was sent. The committee will answer it publicly on this page."),
        done=lambda _: redirect_to(request, "vote_results", rid=vr.id))


async def objection_edit(request: Request):
    form = await read_form(request)
    db = get_db(request)
    oid = request.path_params["oid"]
    body = str(form.get("body", ""))

    def shown(**problem) -> dict:  # the objection's round, reloaded
        vr = services.load_round(db, services.objection_round_id(db, oid), clock.utcnow())
        return _results_context(request, vr, form={"body": body}, **problem)

    return form_view(
        request, lambda: services.edit_objection(db, current_actor(request), require_user(request),
                                                 oid, body, clock.utcnow()),
        again=again("voting/results.html", shown, shows=(FieldErrors, Conflict)),
        message=N_("Your objection was changed. The committee will answer it publicly on this page."),
        done=lambda edited: redirect_to(request, "vote_results", rid=edited[1].id))


async def objection_answer(request: Request):
    form = await read_form(request)
    actor = require(request, "use_account")
    db = get_db(request)
    oid = request.path_params["oid"]

    def shown(errors: dict) -> dict:  # the message beside this objection's answer form
        vr = services.load_round(db, services.objection_round_id(db, oid), clock.utcnow())
        return _results_context(request, vr, errors={f"answer-{oid}": errors["answer"]})

    return form_view(
        request, lambda: services.answer_objection(db, actor, oid, str(form.get("answer", "")),
                                                   clock.utcnow()),
        again=again("voting/results.html", shown, shows=(FieldErrors,)),
        message=N_("Your answer is published."),
        done=lambda answered: redirect_to(request, "vote_results", rid=answered[1].id))


async def finalize(request: Request):
    await read_form(request)
    vr = _round(request)
    return form_view(
        request, lambda: services.finalize(get_db(request), require(request, "use_account"), vr,
                                           clock.utcnow()),
        again=again("voting/results.html", lambda **problem: _results_context(request, vr, **problem)),
        message=N_("The outcome is confirmed: the selected ideas are now projects."),
        done=lambda _: redirect_to(request, "vote_results", rid=vr.id))
