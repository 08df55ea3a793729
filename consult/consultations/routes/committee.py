"""The committee's pages: the review queue and bulk decisions, figures, exports and
the printable notices with their QR codes."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.consultations import charts, exports, rules, services
from consult.consultations.models import Consultation
from consult.consultations.routes.common import _path_param, _settings, again, render
from consult.errors import Forbidden, NotSignedIn
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, refusal, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, XLSX_TYPE, download, qr_svg
from consult.web.forms import form_view
from consult.web.responses import redirect_to
from consult.web.templating import translator_for


def _review_context(request: Request, consultation: Consultation, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    if not actor.authenticated:
        raise NotSignedIn()
    if not services.may_review_in(db, actor, consultation):
        raise Forbidden(refusal(request, "review_idea", services.scope_of(db, consultation).ids_from_root))
    state = request.query_params.get("state", "")
    states = (state,) if state in rules.ACTIVE else ("submitted", "revision_requested", "shortlisted")
    context = {
        "consultation": consultation, "state": state,
        "rows": services.review_queue(db, actor, consultation, states),
        "me": actor.user_id,
        "reported": services.reported_comments(db, actor, consultation),
        "errors": {}, "error": None, "form": {},
    }
    context.update(extra)
    return context


async def review_page(request: Request):
    consultation = services.get_consultation(get_db(request), _path_param(request, "cid"))
    return render(request, "consultations/review.html", _review_context(request, consultation))


async def review_bulk(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    values = {"action": str(form.get("action", "")), "note": str(form.get("note", "")),
              "ideas": [str(v) for v in form.getlist("ideas")]}

    def shown_again(**problem) -> dict:
        db.rollback()  # the page shows the queue as it was
        return _review_context(request, consultation, form=values, **problem)

    return form_view(
        request, lambda: services.bulk_review(db, actor, consultation, values["ideas"], values["action"],
                                              note=values["note"], now=clock.utcnow()),
        again=again("consultations/review.html", shown_again),
        message=lambda n: Msg(N_("%(n)s ideas were updated."), {"n": n}),
        done=lambda _: redirect_to(request, "review_queue", cid=consultation.id))


def _export_guard(request: Request) -> tuple[Consultation, object]:
    db = get_db(request)
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    scope = services.scope_of(db, consultation)
    require(request, "export_ideas", scope.ids_from_root)
    return consultation, scope


async def stats_page(request: Request):
    consultation, scope = _export_guard(request)
    db = get_db(request)
    t = translator_for(request)
    figures = services.stats(db, consultation)
    by_state = [(t(rules.STATE_NAMES[s]), n) for s, n in figures.by_state]
    return render(request, "consultations/stats.html", {
        "consultation": consultation, "scope": scope, "stats": figures, "by_state": by_state,
        "charts": {
            "state": charts.bar_chart(by_state, title=t(N_("Ideas by state"))),
            "category": charts.bar_chart(figures.by_category, title=t(N_("Ideas by category"))),
            "area": charts.bar_chart(figures.by_area, title=t(N_("Ideas by residential area"))),
        },
    })


async def export_xlsx(request: Request):
    consultation, _ = _export_guard(request)
    rows = services.export_rows(get_db(request), consultation)
    data = exports.to_xlsx(rows, translator_for(request), title=consultation.title)
    name = translator_for(request)(N_("Ideas"))
    return download(data, f"{consultation.title}-{name}.xlsx", XLSX_TYPE)


async def export_csv(request: Request):
    consultation, _ = _export_guard(request)
    rows = services.export_rows(get_db(request), consultation)
    data = exports.to_csv(rows, translator_for(request))
    name = translator_for(request)(N_("Ideas"))
    return download(data, f"{consultation.title}-{name}.csv", CSV_TYPE)


async def consultation_notice(request: Request):
    consultation, scope = _export_guard(request)
    db = get_db(request)
    url = _settings(request).base_url + str(request.app.url_path_for("consultation", cid=consultation.id))
    return render(request, "consultations/notice.html", {
        "consultation": consultation, "scope": scope, "idea": None, "target_url": url,
        "qr": qr_svg(url),
        "steps": services.pipeline(db, consultation, clock.utcnow()),
        "categories": services.categories_of(db, consultation.id),
    })


async def idea_notice(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    consultation = services.get_consultation(db, idea.consultation_id)
    scope = services.scope_of(db, consultation)
    require(request, "export_ideas", scope.ids_from_root)
    url = _settings(request).base_url + str(request.app.url_path_for("idea", iid=idea.id))
    return render(request, "consultations/notice.html", {
        "consultation": consultation, "scope": scope, "target_url": url, "qr": qr_svg(url),
        "idea": services.idea_detail(db, idea, None, clock.utcnow()), "steps": [],
        "categories": [],
    })
