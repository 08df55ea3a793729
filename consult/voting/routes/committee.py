"""The committee's pages of a vote round: its settings, publishing its result, turnout.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request

from consult import clock
from consult.errors import FieldErrors, Forbidden, NotFound, UserError
from consult.i18n import N_, Msg
from consult.parsing import as_text
from consult.voting import rules, services
from consult.voting.routes.common import _round, _staff, _staff_actor, again, render
from consult.web.auth import refusal, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import redirect_to

# -- committee: settings, publication -----------------------------------------------------


def _settings_form(settings) -> dict:
    return {
        "ballot_kind": settings.ballot_kind, "min_choices": str(settings.min_choices or 0),
        "max_choices": as_text(settings.max_choices), "max_points": as_text(settings.max_points),
        "max_points_per_idea": as_text(settings.max_points_per_idea),
        "ranking_length": as_text(settings.ranking_length),
        "points_per_rank": ",".join(str(p) for p in settings.points_per_rank or []),
        "rule": settings.rule, "min_score": as_text(settings.min_score), "k": as_text(settings.k),
        "budget": "" if settings.budget_fen is None else f"{settings.budget_fen // 100}.{settings.budget_fen % 100:02d}",
        "eligibility": settings.eligibility, "double_key": "1" if settings.double_key else "",
        "notice_days": str(settings.notice_days),
        "assisted_voting": "1" if settings.assisted_voting else "",
    }


def _manage_context(request: Request, vr: services.VoteRound, **extra) -> dict:
    db = get_db(request)
    staff = _staff(request, vr)
    if not (staff["manage_consultation"] or staff["publish_results"]):
        raise Forbidden(refusal(request, "manage_consultation", vr.scope.ids_from_root))
    result = services.published_result(db, vr.id)
    ideas = services.ideas_on_ballot(db, vr)
    context = {
        "vr": vr, "form": _settings_form(vr.settings), "errors": {}, "error": None,
        "locked": vr.state != "upcoming", "result": result, "staff": staff,
        "recount": None, "turnout": services.turnout(db, None, vr, check=False),
        "missing_costs": sum(1 for i in ideas if i.cost_fen is None), "ideas": len(ideas),
        "kinds": rules.BALLOT_KINDS, "rules_": rules.SELECTION_RULES, "job": None,
    }
    if result is None and (job := services.job_of(db, vr.id)) is not None:
        context["job"] = services.job_view(job, clock.utcnow())
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
        "double_key", "notice_days", "assisted_voting") if k in form or k != "min_score"}  # left out: the default
    return form_view(
        request, lambda: services.save_settings(get_db(request), require(request, "use_account"),
                                                vr, values, clock.utcnow()),
        again=again("voting/manage.html",
                    lambda **problem: _manage_context(
                        request, vr, form={"min_score": as_text(vr.settings.min_score), **values}, **problem)),
        message=N_("The vote settings were saved."),
        done=lambda _: redirect_to(request, "vote_manage", rid=vr.id))


def _publish_confirmed(form) -> None:
    """Publishing cannot be undone: the committee ticks that they read what becomes public."""
    if form.get("confirm") != "1":
        raise FieldErrors({"confirm": Msg(N_(
            "Please tick the box to confirm that the results may be made public."))})


async def publish(request: Request):
    """Ask for the result to be published: checked now, counted after the answer
    (``services.jobs``), on a page that follows the count."""
    form = await read_form(request)
    if services.active_job(get_db(request), request.path_params["rid"], clock.utcnow()) is not None:
        # counting already (a second click, an old page): its page, without waiting for
        # the round's lock, which the count holds
        return redirect_to(request, "vote_publish_job", rid=request.path_params["rid"])
    services.lock_round(get_db(request), request.path_params["rid"])  # then the clock
    vr = _round(request)
    actor = require(request, "use_account")

    def act():
        _publish_confirmed(form)
        return services.request_publish(get_db(request), actor, vr, clock.utcnow())

    def done(job):
        response = redirect_to(request, "vote_publish_job", rid=vr.id)
        # run after the answer, in the thread pool: the request's commit (the job queued) first
        response.background = BackgroundTask(services.run_publish_job, request.app.state.database, job.id)
        return response

    return form_view(
        request, act,
        again=again("voting/manage.html", lambda **problem: _manage_context(request, vr, **problem)),
        message=N_("Counting has started. This page shows how it goes and tells you when the results are published."),
        done=done)


async def publish_job_page(request: Request):
    """How the publication asked for goes: while counting, the page's script follows it
    (``follow``: seconds; without script its refresh link does); when done it links the
    results; when it failed it says why and offers to try again."""
    vr = _round(request)
    staff = _staff(request, vr)
    if not (staff["manage_consultation"] or staff["publish_results"]):
        raise Forbidden(refusal(request, "publish_results", vr.scope.ids_from_root))
    job = services.job_of(get_db(request), vr.id)
    if job is None:
        raise NotFound()
    view = services.job_view(job, clock.utcnow())
    return render(request, "voting/publish_job.html", {"vr": vr, "job": view, "staff": staff,
                                                        "follow": 3 if view.working else None})


async def turnout_page(request: Request):
    vr = _round(request)
    actor = _staff_actor(request, vr, "view_turnout")
    return render(request, "voting/turnout.html",
                  {"vr": vr, "turnout": services.turnout(get_db(request), actor, vr)})
