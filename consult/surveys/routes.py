"""Survey pages: the list, answering on a phone, results and exports; staff building and paper entry."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.routing import Route

from consult import clock, permissions
from consult.communities.standing import resident_standing
from consult.db.ids import is_digits
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg, Translator
from consult.parsing import MAX_QUERY, local_input, parse_local_datetime
from consult.surveys import exports, rules, services
from consult.surveys.models import AUDIENCES, QUESTION_KINDS
from consult.web.auth import current_actor, current_user, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, XLSX_TYPE, download
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render, render_fragment, render_public, translator_for

# -- form parsing -----------------------------------------------------------------------


def optional_int(value) -> int | None:
    return rules.whole_number(str(value)) if str(value or "").strip() else None


def answers_from(form) -> dict[str, list[str]]:
    return {key: [str(v) for v in form.getlist(key)] for key in form.keys()
            if key.startswith("q") and is_digits(key[1:])}


def format_helpers() -> dict:
    """Number formatting the result templates use (exact values, rounded for display)."""
    return {"percent": rules.percent, "decimals": rules.two_decimals, "bar": rules.bar_width,
            "short": rules.short_label}


# -- residents --------------------------------------------------------------------------


async def survey_list(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    now = clock.utcnow()
    query = request.query_params.get("q", "").strip()[:MAX_QUERY]
    rows = services.list_surveys(db, query=query)
    answered = services.answered_ids(db, actor.user_id, [s.id for s, _ in rows])
    items = [{"survey": s, "place": p, "state": rules.state(s.opens_at, s.closes_at, now),
              "answered": s.id in answered} for s, p in rows]
    return render(request, "surveys/list.html", {
        "open": [i for i in items if i["state"] == "open"],
        "upcoming": [i for i in items if i["state"] == "upcoming"],
        "closed": [i for i in items if i["state"] == "closed"],
        "is_staff": actor.holds_anywhere(permissions.STAFF), "q": query,
    })


def _answer_context(request: Request, form: services.SurveyForm, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    now = clock.utcnow()
    eligibility = services.eligibility(db, actor, form, now)
    standing = None
    if (form.survey.audience == "residents" and eligibility.state == "open"
            and not eligibility.may_answer and not eligibility.already):
        # what to do next: sign in, be verified, wait for the check, or who may answer
        standing = resident_standing(db, actor, current_user(request), form.place.ids_from_root, now)
    context = {
        "form": form,
        "eligibility": eligibility,
        "standing": standing,
        "values": {},
        "errors": {},
        "error": None,
        "preview": False,
        "kind_names": rules.KIND_NAMES,
        "levels": rules.SATISFACTION_LEVELS,
        "state_names": rules.STATE_NAMES,
        "audience_names": rules.AUDIENCE_NAMES,
        "can_manage": permissions.allowed("manage_survey", actor, form.place.ids_from_root),
    }
    context.update(extra)
    return context


async def survey_page(request: Request):
    form = services.load_form(get_db(request), request.path_params["survey_id"])
    return render(request, "surveys/answer.html", _answer_context(request, form))


async def survey_answer(request: Request):
    data = await read_form(request)
    db = get_db(request)
    form = services.load_form(db, request.path_params["survey_id"])
    raw = answers_from(data)
    return form_view(
        request, lambda: services.submit(db, current_actor(request), form, raw, now=clock.utcnow(),
                                         home_id=str(data.get("home_id", ""))),
        again=FormPage("surveys/answer.html",
                       lambda **problem: _answer_context(request, form, values=raw, **problem),
                       shows=(FieldErrors, Conflict)),
        message=N_("Thank you! Your answers were saved."),
        done=lambda _: redirect_to(request, "survey", survey_id=form.survey.id))


# -- results ----------------------------------------------------------------------------


def _results(request: Request):
    """The form, figures and staff flag of a results page or export.

    Per request: the survey with its place (one query) and the permission check; the
    questions and the answers' figures are kept per version of the survey (see
    ``services._entry``), the audience for ``Settings.public_cache_seconds``.
    """
    db = get_db(request)
    form = services.results_form(db, request.path_params["survey_id"])
    now = clock.utcnow()
    staff = services.check_results_visible(current_actor(request), form, now)
    figures = request.app.state.public_cache.get_or_compute(
        services.place_figures_key(form.survey, form.place),
        lambda: services.place_figures(db, form.survey, form.place))
    return form, services.results(db, form, now, figures), staff, figures


def questions_html(result: services.Results, t: Translator) -> Markup:
    """The per-question charts and tables, rendered once per version of the survey and
    language, and kept with the figures they show (``result.memo``); the page around
    them (figures, audience) is rendered each time."""
    html = result.memo.get(t.locale)
    if html is None:
        html = result.memo[t.locale] = render_fragment(
            "surveys/_results_questions.html", t, result=result, **format_helpers())
    return html


def _as_shown(row) -> tuple:
    """Every column of ``row`` as read now: what a kept page showed of it."""
    return tuple(getattr(row, column.key) for column in row.__table__.columns)


async def results_page(request: Request):
    """A survey's results. For visitors not signed in (who see them only once the survey
    has closed) the whole page is kept: with the survey's kept figures (per version) and
    its kept audience, for as long as both are the ones kept and the survey and its
    place read as they did (``render_public``)."""
    form, result, staff, figures = _results(request)
    return render_public(request, "surveys/results.html", {
        "form": form, "result": result, "is_staff": staff, "levels": rules.SATISFACTION_LEVELS,
        "state_names": rules.STATE_NAMES, "audience_names": rules.AUDIENCE_NAMES,
        "questions_html": questions_html(result, translator_for(request)),
        **format_helpers(),
    }, made_from=(result.memo, figures),
        key=(_as_shown(form.survey), _as_shown(form.place), result.state, staff))


def _require_export(request: Request, form) -> None:
    require(request, "manage_survey", form.place.ids_from_root)


async def results_xlsx(request: Request):
    form, result, *_ = _results(request)
    _require_export(request, form)
    body = exports.xlsx(result, services.raw_responses(get_db(request), form), form,
                        translator_for(request))
    name = translator_for(request)(N_("Survey results"))
    return download(body, f"{form.survey.title}-{name}.xlsx", XLSX_TYPE)


async def results_csv(request: Request):
    form, result, *_ = _results(request)
    _require_export(request, form)
    body = exports.csv_bytes(result, translator_for(request))
    name = translator_for(request)(N_("Survey results"))
    return download(body, f"{form.survey.title}-{name}.csv", CSV_TYPE)


# -- staff: building --------------------------------------------------------------------


def _settings_from(data) -> dict:
    return {
        "title": str(data.get("title", "")),
        "description": str(data.get("description", "")),
        "audience": str(data.get("audience", "")),
        "anonymous": data.get("anonymous") == "1",
        "opens_at": parse_local_datetime(data.get("opens_at")),
        "closes_at": parse_local_datetime(data.get("closes_at")),
    }


def _staff_list_context(request: Request, **extra) -> dict:
    actor = require(request, "view_staff_area")
    context = {
        "surveys": services.staff_surveys(get_db(request), actor),
        "places": services.managed_places(get_db(request), actor),
        "audiences": AUDIENCES,
        "audience_names": rules.AUDIENCE_NAMES,
        "state_names": rules.STATE_NAMES,
        "now": clock.utcnow(),
        "state_of": rules.state,
        "values": {"opens_at": local_input(clock.utcnow()), "closes_at": "", "audience": "residents"},
        "errors": {},
    }
    context.update(extra)
    return context


async def staff_list(request: Request):
    return render(request, "surveys/staff_list.html", _staff_list_context(request))


async def staff_create(request: Request):
    data = await read_form(request)
    actor = require(request, "view_staff_area")
    values = _settings_from(data)
    shown = {**{k: str(data.get(k, "")) for k in ("title", "description", "audience", "place_id",
                                                  "opens_at", "closes_at")},
             "anonymous": values["anonymous"]}
    return form_view(
        request, lambda: services.create_survey(get_db(request), actor,
                                                place_id=data.get("place_id"), **values),
        again=FormPage("surveys/staff_list.html",
                       lambda errors: _staff_list_context(request, values=shown, errors=errors),
                       shows=(FieldErrors,)),
        message=N_("The survey was created. Now add its questions."),
        done=lambda survey: redirect_to(request, "staff_survey", survey_id=survey.id))


def _edit_context(request: Request, form: services.SurveyForm, **extra) -> dict:
    db = get_db(request)
    s = form.survey
    now = clock.utcnow()
    context = {
        "form": form,
        "actions": services.allowed_actions(s, now),
        "responses": services.response_count(db, s.id),
        "settings_values": {"title": s.title, "description": s.description, "audience": s.audience,
                            "anonymous": s.anonymous, "opens_at": local_input(s.opens_at),
                            "closes_at": local_input(s.closes_at)},
        "settings_errors": {},
        "question_values": {"kind": "satisfaction", "required": True},
        "question_errors": {},
        "kinds": QUESTION_KINDS,
        "kind_names": rules.KIND_NAMES,
        "audiences": AUDIENCES,
        "audience_names": rules.AUDIENCE_NAMES,
        "state": rules.state(s.opens_at, s.closes_at, now),
        "state_names": rules.STATE_NAMES,
        "error": None,
    }
    context.update(extra)
    return context


def _edit_page(request: Request, form: services.SurveyForm, part: str = "",
               shown: dict | None = None) -> FormPage:
    """The survey's edit page shown again: field messages at its ``part`` form
    ("settings" or "question") with the values as typed; a conflict as one message
    above the survey as saved."""

    def context(errors: dict | None = None, error=None) -> dict:
        if errors is None:
            return _edit_context(request, form, error=error)
        return _edit_context(request, form, **{f"{part}_values": shown, f"{part}_errors": errors})

    return FormPage("surveys/staff_edit.html", context,
                    shows=(FieldErrors, Conflict) if part else (Conflict,))


def _to_edit(request: Request, form: services.SurveyForm):
    return lambda _: redirect_to(request, "staff_survey", survey_id=form.survey.id)


def _staff_form(request: Request) -> services.SurveyForm:
    form = services.load_form(get_db(request), request.path_params["survey_id"])
    require(request, "manage_survey", form.place.ids_from_root)
    return form


async def staff_edit(request: Request):
    form = _staff_form(request)
    return render(request, "surveys/staff_edit.html", _edit_context(request, form))


async def staff_update(request: Request):
    data = await read_form(request)
    form = _staff_form(request)
    values = _settings_from(data)
    shown = {**{k: str(data.get(k, "")) for k in ("title", "description", "audience",
                                                 "opens_at", "closes_at")},
             "anonymous": values["anonymous"]}
    return form_view(
        request, lambda: services.update_survey(get_db(request), current_actor(request),
                                                form.survey, **values, now=clock.utcnow()),
        again=_edit_page(request, form, "settings", shown), message=N_("Saved."),
        done=_to_edit(request, form))


async def question_add(request: Request):
    data = await read_form(request)
    form = _staff_form(request)
    draft = rules.QuestionDraft(
        kind=str(data.get("kind", "")), text=str(data.get("text", "")), hint=str(data.get("hint", "")),
        required=data.get("required") == "1",
        options=tuple(str(data.get("options", "")).splitlines()),
        max_choices=optional_int(data.get("max_choices")),
        min_value=optional_int(data.get("min_value")),
        max_value=optional_int(data.get("max_value")),
        max_length=optional_int(data.get("max_length")),
    )
    shown = {**{k: str(data.get(k, "")) for k in ("kind", "text", "hint", "options", "max_choices",
                                                  "min_value", "max_value", "max_length")},
             "required": draft.required}
    return form_view(
        request, lambda: services.add_question(get_db(request), current_actor(request),
                                               form.survey, draft, now=clock.utcnow()),
        again=_edit_page(request, form, "question", shown), message=N_("The question was added."),
        done=_to_edit(request, form))


async def question_move(request: Request):
    data = await read_form(request)
    form = _staff_form(request)
    return form_view(
        request, lambda: services.move_question(
            get_db(request), current_actor(request), form.survey,
            request.path_params["question_id"], up=data.get("direction") == "up", now=clock.utcnow()),
        again=_edit_page(request, form), done=_to_edit(request, form))


async def question_delete(request: Request):
    await read_form(request)
    form = _staff_form(request)
    return form_view(
        request, lambda: services.delete_question(get_db(request), current_actor(request),
                                                  form.survey, request.path_params["question_id"],
                                                  now=clock.utcnow()),
        again=_edit_page(request, form), message=N_("The question was removed."),
        done=_to_edit(request, form))


async def preview(request: Request):
    form = _staff_form(request)
    return render(request, "surveys/answer.html", _answer_context(request, form, preview=True))


# -- staff: paper forms -----------------------------------------------------------------


def _paper_context(request: Request, form: services.SurveyForm, **extra) -> dict:
    db = get_db(request)
    context = {
        "form": form,
        "groups": [] if form.survey.anonymous else services.paper_groups(db, form.place),
        "responses": services.response_count(db, form.survey.id),
        "values": {},
        "errors": {},
        "error": None,
        "paper": {"serial": "", "building_group_id": "", "home_code": ""},
        "levels": rules.SATISFACTION_LEVELS,
        "state": rules.state(form.survey.opens_at, form.survey.closes_at, clock.utcnow()),
    }
    context.update(extra)
    return context


def _paper_form(request: Request) -> services.SurveyForm:
    form = services.load_form(get_db(request), request.path_params["survey_id"])
    require(request, "enter_paper_survey", form.place.ids_from_root)
    return form


async def paper_page(request: Request):
    form = _paper_form(request)
    return render(request, "surveys/paper.html", _paper_context(request, form))


async def paper_submit(request: Request):
    data = await read_form(request)
    form = _paper_form(request)
    raw = answers_from(data)
    paper = {k: str(data.get(k, "")) for k in ("serial", "building_group_id", "home_code")}
    return form_view(
        request, lambda: services.enter_paper(
            get_db(request), current_actor(request), form, raw, serial=paper["serial"],
            now=clock.utcnow(), building_group_id=paper["building_group_id"],
            home_code=paper["home_code"]),
        again=FormPage("surveys/paper.html", lambda **problem: _paper_context(
            request, form, values=raw, paper=paper, **problem)),
        message=Msg(N_("Paper form %(serial)s was entered."), {"serial": paper["serial"].strip()}),
        done=lambda _: redirect_to(request, "staff_survey_paper", survey_id=form.survey.id))


routes = [
    Route("/surveys", survey_list, methods=["GET"], name="surveys"),
    Route("/surveys/{survey_id:int}", survey_page, methods=["GET"], name="survey"),
    Route("/surveys/{survey_id:int}", survey_answer, methods=["POST"], name="survey_answer"),
    Route("/surveys/{survey_id:int}/results", results_page, methods=["GET"], name="survey_results"),
    Route("/surveys/{survey_id:int}/results.xlsx", results_xlsx, methods=["GET"],
          name="survey_results_xlsx"),
    Route("/surveys/{survey_id:int}/results.csv", results_csv, methods=["GET"],
          name="survey_results_csv"),
    Route("/staff/surveys", staff_list, methods=["GET"], name="staff_surveys"),
    Route("/staff/surveys", staff_create, methods=["POST"], name="staff_survey_create"),
    Route("/staff/surveys/{survey_id:int}", staff_edit, methods=["GET"], name="staff_survey"),
    Route("/staff/surveys/{survey_id:int}", staff_update, methods=["POST"], name="staff_survey_update"),
    Route("/staff/surveys/{survey_id:int}/questions", question_add, methods=["POST"],
          name="staff_question_add"),
    Route("/staff/surveys/{survey_id:int}/questions/{question_id:int}/move", question_move,
          methods=["POST"], name="staff_question_move"),
    Route("/staff/surveys/{survey_id:int}/questions/{question_id:int}/delete", question_delete,
          methods=["POST"], name="staff_question_delete"),
    Route("/staff/surveys/{survey_id:int}/preview", preview, methods=["GET"], name="staff_survey_preview"),
    Route("/staff/surveys/{survey_id:int}/paper", paper_page, methods=["GET"], name="staff_survey_paper"),
    Route("/staff/surveys/{survey_id:int}/paper", paper_submit, methods=["POST"],
          name="staff_survey_paper_submit"),
]
