"""The staff pages that set up campaigns: creating campaigns and contests, thresholds,
criteria, subjects, staff scores, forums, and publishing.

Every change on a campaign's staff page goes through ``_manage_action``: shown again
with the problem, or back to the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request

from consult import clock, permissions
from consult.errors import FieldErrors, NotFound
from consult.i18n import N_
from consult.parsing import local_input, parse_local_datetime
from consult.ratings import rules, services
from consult.ratings.models import SUBJECT_KINDS
from consult.ratings.routes.common import _again, _page
from consult.surveys import rules as survey_rules
from consult.surveys import services as surveys
from consult.web.auth import current_actor, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import redirect_to


def _staff_index_context(request: Request, **extra) -> dict:
    actor = require(request, "view_staff_area")
    db = get_db(request)
    now = clock.utcnow()
    context = {
        "campaigns": [(c, p, services.state_of(c, now)) for c, p in services.list_campaigns(db, actor)
                      if permissions.allowed("manage_campaign", actor, p.ids_from_root)],
        "contests": [(c, p) for c, p in services.list_contests(db)
                     if permissions.allowed("manage_campaign", actor, p.ids_from_root)],
        "places": surveys.managed_places(db, actor),
        "values": {"year": str(clock.to_local(now).year), "notice_days": "7",
                   "opens_at": local_input(now), "closes_at": ""},
        "errors": {}, "contest_values": {}, "contest_errors": {},
    }
    context.update(extra)
    return context


async def staff_index(request: Request):
    return _page(request, "ratings/staff_index.html", _staff_index_context(request))


async def campaign_create(request: Request):
    data = await read_form(request)
    actor = require(request, "view_staff_area")
    values = {k: str(data.get(k, "")) for k in ("place_id", "title", "year", "description", "notice_days")}
    return form_view(
        request, lambda: services.create_campaign(get_db(request), actor, **values),
        again=_again("ratings/staff_index.html",
                     lambda errors: _staff_index_context(request, values=values, errors=errors),
                     shows=(FieldErrors,)),
        message=N_("The campaign was created. Now set its criteria and subjects."),
        done=lambda campaign: redirect_to(request, "staff_campaign", campaign_id=campaign.id))


async def contest_create(request: Request):
    data = await read_form(request)
    actor = require(request, "view_staff_area")
    values = {k: str(data.get(k, "")) for k in ("place_id", "title", "description", "opens_at",
                                                 "closes_at", "campaign_id")}
    return form_view(
        request, lambda: services.create_contest(
            get_db(request), actor, place_id=values["place_id"], title=values["title"],
            description=values["description"], opens_at=parse_local_datetime(values["opens_at"]),
            closes_at=parse_local_datetime(values["closes_at"]), campaign_id=values["campaign_id"]),
        again=_again("ratings/staff_index.html", lambda errors: _staff_index_context(
            request, contest_values=values, contest_errors=errors), shows=(FieldErrors,)),
        message=N_("The contest was created. Now add its entries."),
        done=lambda contest: redirect_to(request, "staff_contest", contest_id=contest.id))


def _criteria_rows(criteria) -> list[dict]:
    rows = [{"id": str(c.id), "name": c.name, "weight": str(c.weight),
             "source": c.source + (f":{c.survey_measure}" if c.survey_measure else "")
             + (f":{c.contest_id}" if c.contest_id else "")} for c in criteria]
    return rows + [{"id": "", "name": "", "weight": "", "source": "staff"} for _ in range(2)]


def _manage_context(request: Request, campaign_id, **extra) -> dict:
    db = get_db(request)
    campaign = services.get_campaign(db, campaign_id)
    place = services.campaign_place(db, campaign)
    require(request, "manage_campaign", place.ids_from_root)
    criteria = services.criteria_of(db, campaign)
    context = {
        "campaign": campaign, "place": place, "criteria": criteria,
        "state": services.state_of(campaign, clock.utcnow()),
        "board": services.board(db, campaign),
        "criteria_rows": _criteria_rows(criteria),
        "contests": services.contests_for(db, campaign),
        "subject_kinds": SUBJECT_KINDS,
        "subject_places": services.subject_places(db, place),
        "subject_projects": services.project_choices(db, place),
        "surveys": services.surveys_within(db, place),
        "forums": services.forums_of(db, campaign),
        "thresholds": [str(t) for t in campaign.thresholds],
        "errors": {}, "error": None, "subject_values": {}, "forum_values": {"held_at": local_input(clock.utcnow())},
    }
    context.update(extra)
    return context


async def staff_campaign(request: Request):
    return _page(request, "ratings/staff_campaign.html",
                 _manage_context(request, request.path_params["campaign_id"]))


def _manage_action(request: Request, action: Callable, message: str, **retry_extra):
    """A change on the campaign's staff page: shown again with the problem, or back to it."""
    campaign_id = request.path_params["campaign_id"]
    db = get_db(request)
    campaign = services.get_campaign(db, campaign_id)
    return form_view(
        request, lambda: action(db, current_actor(request), campaign),
        again=_again("ratings/staff_campaign.html",
                     lambda **kw: _manage_context(request, campaign_id, **retry_extra, **kw)),
        message=message,
        done=lambda _: redirect_to(request, "staff_campaign", campaign_id=campaign_id))


async def thresholds_save(request: Request):
    data = await read_form(request)
    raw = [str(data.get(f"t{i}", "")) for i in range(1, 6)]

    def action(db, actor, campaign):
        services.set_thresholds(db, actor, campaign, raw)

    return _manage_action(request, action, N_("The thresholds were saved."), thresholds=raw)


def _parse_criteria(data) -> tuple[list[services.CriterionRow], list[dict], list[int]]:
    """The criteria form: rows ``c<i>_*``; empty rows are blank new rows or removals.

    Returns the rows to save, what to show again, and each saved row's form index.
    """
    rows, shown, indexes = [], [], []
    count = survey_rules.whole_number(str(data.get("rows", ""))) or 0
    for i in range(min(max(count, 0), 40)):
        ident, name = str(data.get(f"c{i}_id", "")), str(data.get(f"c{i}_name", ""))
        weight, source = str(data.get(f"c{i}_weight", "")), str(data.get(f"c{i}_source", ""))
        shown.append({"id": ident, "name": name, "weight": weight, "source": source})
        if not name.strip() and not weight.strip():
            continue
        kind, _, rest = source.partition(":")
        draft = rules.CriterionDraft(
            name=name, weight=survey_rules.whole_number(weight), source=kind,
            survey_measure=rest if kind == "survey" else None,
            contest_id=survey_rules.whole_number(rest) if kind == "contest" and rest else None)
        rows.append(services.CriterionRow(survey_rules.whole_number(ident) if ident else None, draft))
        indexes.append(i)
    return rows, shown, indexes


def _to_form_keys(errors: dict, indexes: list[int]) -> dict:
    """``c<j>_field`` (j-th saved row) → ``c<i>_field`` (i-th row of the form)."""
    out = {}
    for key, msg in errors.items():
        match = re.fullmatch(r"c([0-9]+)_(\w+)", key)
        out[f"c{indexes[int(match[1])]}_{match[2]}" if match else key] = msg
    return out


async def criteria_save(request: Request):
    data = await read_form(request)
    rows, shown, indexes = _parse_criteria(data)

    def action(db, actor, campaign):
        try:
            services.set_criteria(db, actor, campaign, rows)
        except FieldErrors as exc:
            raise FieldErrors(_to_form_keys(exc.errors, indexes)) from None

    return _manage_action(request, action, N_("The criteria were saved."), criteria_rows=shown)


async def subject_add(request: Request):
    data = await read_form(request)
    values = {k: str(data.get(k, "")) for k in ("kind", "place_id", "name", "ref", "survey_id", "project_id")}

    def action(db, actor, campaign):
        services.add_subject(db, actor, campaign, **values)

    return _manage_action(request, action, N_("The subject was added."), subject_values=values)


async def subject_remove(request: Request):
    await read_form(request)
    subject_id = request.path_params["subject_id"]

    def action(db, actor, campaign):
        services.remove_subject(db, actor, campaign, subject_id)

    return _manage_action(request, action, N_("The subject was removed."))


async def publish(request: Request):
    data = await read_form(request)
    confirm = str(data.get("confirm_missing", "")) == "1"

    def action(db, actor, campaign):
        services.publish(db, actor, campaign, clock.utcnow(), confirm_missing=confirm)

    return _manage_action(request, action, N_("Published. The notice period has started."))


async def forum_create(request: Request):
    data = await read_form(request)
    values = {k: str(data.get(k, "")) for k in ("subject_id", "held_at", "location", "agenda")}
    db = get_db(request)
    campaign_id = request.path_params["campaign_id"]
    campaign = services.get_campaign(db, campaign_id)
    return form_view(
        request, lambda: services.create_forum(
            db, current_actor(request), campaign, subject_id=values["subject_id"],
            held_at=parse_local_datetime(values["held_at"]), location=values["location"],
            agenda=values["agenda"]),
        again=_again("ratings/staff_campaign.html",
                     lambda **kw: _manage_context(request, campaign_id, forum_values=values, **kw)),
        message=N_("The forum was created. Now choose the attendees."),
        done=lambda forum: redirect_to(request, "staff_forum", forum_id=forum.id))


def _scores_context(request: Request, **extra) -> dict:
    db = get_db(request)
    campaign = services.get_campaign(db, request.path_params["campaign_id"])
    require(request, "manage_campaign", services.campaign_place(db, campaign).ids_from_root)
    criterion = next((c for c in services.criteria_of(db, campaign)
                      if c.id == request.path_params["criterion_id"] and c.source == "staff"), None)
    if criterion is None:
        raise NotFound()
    existing = services.staff_scores(db, criterion)
    subjects = services.subjects_of(db, campaign)
    context = {
        "campaign": campaign, "criterion": criterion, "subjects": subjects,
        "values": {s.id: (str(existing[s.id].score) if s.id in existing else "",
                          existing[s.id].evidence if s.id in existing else "") for s in subjects},
        "errors": {}, "error": None,
        "locked": services.campaign_refusal(campaign, "enter_staff_scores", clock.utcnow()),
    }
    context.update(extra)
    return context


async def scores_page(request: Request):
    return _page(request, "ratings/staff_scores.html", _scores_context(request))


async def scores_save(request: Request):
    data = await read_form(request)
    context = _scores_context(request)
    raw = {s.id: (str(data.get(f"s{s.id}", "")), str(data.get(f"e{s.id}", ""))) for s in context["subjects"]}
    return form_view(
        request, lambda: services.save_staff_scores(get_db(request), current_actor(request),
                                                    context["campaign"], context["criterion"], raw,
                                                    now=clock.utcnow()),
        again=_again("ratings/staff_scores.html",
                     lambda **kw: _scores_context(request, values=raw, **kw)),
        message=N_("The scores were saved."),
        done=lambda _: redirect_to(request, "staff_campaign", campaign_id=context["campaign"].id))
