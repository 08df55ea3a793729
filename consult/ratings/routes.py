"""Star-rating pages: campaigns with their ranking, subjects' history, objections, photo
contests and representatives' forums; the staff pages that set them up and feed them."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.routing import Route

from consult import clock, permissions
from consult.communities.standing import resident_standing
from consult.errors import Conflict, FieldErrors, NotFound, UserError
from consult.i18n import N_, Msg
from consult.parsing import local_input, parse_local_datetime
from consult.ratings import rules, services
from consult.ratings.models import SUBJECT_KINDS
from consult.surveys import rules as survey_rules
from consult.surveys import services as surveys
from consult.web.auth import current_actor, current_user, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render


def helpers() -> dict:
    """Display helpers and names the rating templates share."""
    return {
        "percent": survey_rules.percent, "decimals": survey_rules.two_decimals,
        "source_names": rules.SOURCE_NAMES, "measure_names": rules.MEASURE_NAMES,
        "subject_kind_names": rules.SUBJECT_KIND_NAMES, "campaign_state_names": rules.STATE_NAMES,
    }


def _page(request: Request, template: str, context: dict, status: int = 200):
    return render(request, template, {**helpers(), **context}, status=status)


def _again(template: str, build: Callable[..., dict], shows=(UserError,)) -> FormPage:
    """A rating page shown again with the problem (``errors=`` or ``error=`` to ``build``)."""
    return FormPage(template, lambda **problem: {**helpers(), **build(**problem)}, shows)


# -- public -------------------------------------------------------------------------------


async def index(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    now = clock.utcnow()
    return _page(request, "ratings/index.html", {
        "campaigns": [(c, p, services.state_of(c, now)) for c, p in services.list_campaigns(db, actor)],
        "contests": [(c, p, survey_rules.state(c.opens_at, c.closes_at, now))
                     for c, p in services.list_contests(db)],
        "is_staff": actor.holds_anywhere(permissions.STAFF),
        "state_names": survey_rules.STATE_NAMES,
    })


def _campaign_context(request: Request, campaign_id, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    now = clock.utcnow()
    campaign = services.get_campaign(db, campaign_id)
    staff = services.check_visible(db, actor, campaign)
    board = services.board(db, campaign)
    context = {
        "campaign": campaign,
        "place": services.campaign_place(db, campaign),
        "state": services.state_of(campaign, now),
        "board": board,
        "objections": services.objections_of(db, campaign),
        "can_manage": staff,
        "can_answer": permissions.allowed("answer_objection", actor,
                                          services.campaign_place(db, campaign).ids_from_root),
        # nobody answers their own objection: the page says so instead of the form
        "answerer_id": actor.user_id, "own_objection": Msg(services.OWN_OBJECTION),
        "values": {},
        "errors": {},
        "error": None,
        "answer_errors": {},
    }
    context.update(extra)
    return context


async def campaign_page(request: Request):
    return _page(request, "ratings/campaign.html",
                 _campaign_context(request, request.path_params["campaign_id"]))


async def objection_submit(request: Request):
    data = await read_form(request)
    db = get_db(request)
    campaign = services.get_campaign(db, request.path_params["campaign_id"])
    values = {"subject_id": str(data.get("subject_id", "")), "text": str(data.get("text", ""))}
    return form_view(
        request, lambda: services.file_objection(
            db, current_actor(request), campaign, subject_id=values["subject_id"],
            text=values["text"], now=clock.utcnow()),
        again=_again("ratings/campaign.html",
                     lambda **kw: _campaign_context(request, campaign.id, values=values, **kw)),
        message=N_("Your objection was filed. The answer will be published on this page."),
        done=lambda _: redirect_to(request, "campaign", campaign_id=campaign.id))


async def objection_answer(request: Request):
    data = await read_form(request)
    db = get_db(request)
    objection_id = request.path_params["objection_id"]

    def campaign_page(errors: dict | None = None, error=None) -> dict:
        """A field's message is shown at the objection it answers; the campaign's state at the top."""
        campaign_id = services.get_objection(db, objection_id).campaign_id
        if errors is None:
            return _campaign_context(request, campaign_id, error=error)
        return _campaign_context(request, campaign_id, answer_errors={objection_id: errors["answer"]})

    return form_view(
        request, lambda: services.answer_objection(db, current_actor(request), objection_id,
                                                   text=str(data.get("answer", "")), now=clock.utcnow()),
        again=_again("ratings/campaign.html", campaign_page, shows=(FieldErrors, Conflict)),
        message=N_("The answer was published."),
        done=lambda objection: redirect_to(request, "campaign", campaign_id=objection.campaign_id))


async def subject_page(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    subject, campaign = services.get_subject(db, request.path_params["subject_id"])
    staff = services.check_visible(db, actor, campaign)
    board = services.board(db, campaign)
    row = next(r for r in board.rows if r.subject.id == subject.id)
    return _page(request, "ratings/subject.html", {
        "subject": subject, "campaign": campaign, "board": board, "row": row,
        "history": services.history(db, subject), "can_manage": staff,
    })


def _contest_context(request: Request, contest_id, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    now = clock.utcnow()
    contest, place = services.get_contest(db, contest_id)
    state = survey_rules.state(contest.opens_at, contest.closes_at, now)
    staff = permissions.allowed("manage_campaign", actor, place.ids_from_root)
    rows = services.entries(db, contest, actor.user_id)
    may_rate = state == "open" and permissions.allowed(
        "rate_contest_entry", actor, surveys.acting_path(db, actor, "resident", place))
    standing = (resident_standing(db, actor, current_user(request), place.ids_from_root, now)
                if state == "open" and not may_rate else None)
    context = {
        "contest": contest, "place": place, "state": state, "entries": rows, "standing": standing,
        "results": services.ranked(list(rows)) if (state == "closed" or staff) else [],
        "may_rate": may_rate, "can_manage": staff, "errors": {}, "error": None,
        "state_names": survey_rules.STATE_NAMES,
    }
    context.update(extra)
    return context


async def contest_page(request: Request):
    return _page(request, "ratings/contest.html", _contest_context(request, request.path_params["contest_id"]))


async def contest_rate(request: Request):
    data = await read_form(request)
    db = get_db(request)
    contest, _ = services.get_contest(db, request.path_params["contest_id"])
    entry_id = request.path_params["entry_id"]
    return form_view(
        request, lambda: services.rate_entry(db, current_actor(request), contest, entry_id,
                                             str(data.get("stars", "")), clock.utcnow()),
        again=_again("ratings/contest.html", lambda **kw: _contest_context(request, contest.id, **kw)),
        message=N_("Thank you! Your stars were counted."),
        done=lambda _: redirect_to(request, "contest", contest_id=contest.id))


async def forum_page(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    forum, campaign, subject, place = services.readable_forum(db, actor, request.path_params["forum_id"])
    return _page(request, "ratings/forum.html", {
        "forum": forum, "campaign": campaign, "subject": subject,
        "attendees": services.attendees(db, forum),
        "can_enter": permissions.allowed("enter_forum_ratings", actor, place.ids_from_root),
    })


# -- staff: campaigns and contests --------------------------------------------------------


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
    values = {k: str(data.get(k, "")) for k in ("kind", "place_id", "name", "ref", "survey_id")}

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
    await read_form(request)

    def action(db, actor, campaign):
        services.publish(db, actor, campaign, clock.utcnow())

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


# -- staff: forums ------------------------------------------------------------------------


def _forum_context(request: Request, **extra) -> dict:
    db = get_db(request)
    forum, campaign, subject = services.get_forum(db, request.path_params["forum_id"])
    place = services.forum_place(db, campaign, subject)
    require(request, "enter_forum_ratings", place.ids_from_root)
    chosen = services.attendees(db, forum)
    context = {
        "forum": forum, "campaign": campaign, "subject": subject, "place": place,
        "representatives": services.representatives(db, place),
        "chosen": {u.id for u in chosen}, "attendees": chosen,
        "criteria": services.forum_criteria(db, campaign),
        "ratings": {rules.cell_name(u, c): str(v) for (u, c), v in services.forum_ratings(db, forum).items()},
        "values": {"held_at": local_input(forum.held_at), "location": forum.location,
                   "agenda": forum.agenda, "minutes": forum.minutes},
        "errors": {}, "error": None, "cell": rules.cell_name,
        # the forum and its ratings are the same action's inputs: one state decides both
        "locked": services.campaign_refusal(campaign, "manage_forum", clock.utcnow()),
    }
    context.update(extra)
    return context


async def staff_forum(request: Request):
    return _page(request, "ratings/staff_forum.html", _forum_context(request))


async def forum_update(request: Request):
    data = await read_form(request)
    context = _forum_context(request)
    values = {k: str(data.get(k, "")) for k in ("held_at", "location", "agenda", "minutes")}
    chosen = [str(v) for v in data.getlist("attendees")]
    return form_view(
        request, lambda: services.update_forum(
            get_db(request), current_actor(request), context["forum"],
            held_at=parse_local_datetime(values["held_at"]), location=values["location"],
            agenda=values["agenda"], minutes=values["minutes"], attendee_ids=chosen),
        again=_again("ratings/staff_forum.html",
                     lambda **kw: _forum_context(request, values=values, **kw)),
        message=N_("Saved."),
        done=lambda _: redirect_to(request, "staff_forum", forum_id=context["forum"].id))


async def grid_page(request: Request):
    return _page(request, "ratings/staff_grid.html", _forum_context(request))


async def grid_save(request: Request):
    data = await read_form(request)
    context = _forum_context(request)
    raw = {key: str(data.get(key, "")) for key in data.keys() if key.startswith("r")}
    return form_view(
        request, lambda: services.save_grid(get_db(request), current_actor(request),
                                            context["forum"], raw),
        again=_again("ratings/staff_grid.html", lambda **kw: _forum_context(request, ratings=raw, **kw)),
        message=lambda count: Msg(N_("%(count)s ratings were saved."), {"count": count}),
        done=lambda _: redirect_to(request, "staff_forum_grid", forum_id=context["forum"].id))


# -- staff: contests ----------------------------------------------------------------------


def _staff_contest_context(request: Request, **extra) -> dict:
    db = get_db(request)
    contest, place = services.get_contest(db, request.path_params["contest_id"])
    require(request, "manage_campaign", place.ids_from_root)
    campaign = services.get_campaign(db, contest.campaign_id) if contest.campaign_id else None
    context = {
        "contest": contest, "place": place, "entries": services.entries(db, contest, None),
        "groups": surveys.paper_groups(db, place),
        "subjects": services.subjects_of(db, campaign) if campaign else [],
        "values": {}, "errors": {}, "error": None,
        "locked": services.entry_refusal(db, contest, clock.utcnow()),
    }
    context.update(extra)
    return context


async def staff_contest(request: Request):
    return _page(request, "ratings/staff_contest.html", _staff_contest_context(request))


async def entry_add(request: Request):
    data = await read_form(request, max_files=1)
    context = _staff_contest_context(request)
    values = {k: str(data.get(k, "")) for k in ("title", "text", "place_id", "subject_id")}
    upload = data.get("photo")
    photo = await upload.read() if hasattr(upload, "read") and getattr(upload, "filename", None) else None
    return form_view(
        request, lambda: services.add_entry(get_db(request), current_actor(request), context["contest"],
                                            **values, photo=photo or None,
                                            media_dir=request.app.state.settings.media_dir),
        again=_again("ratings/staff_contest.html",
                     lambda **kw: _staff_contest_context(request, values=values, **kw)),
        message=N_("The entry was added."),
        done=lambda _: redirect_to(request, "staff_contest", contest_id=context["contest"].id))


routes = [
    Route("/ratings", index, methods=["GET"], name="ratings"),
    Route("/ratings/campaigns/{campaign_id:int}", campaign_page, methods=["GET"], name="campaign"),
    Route("/ratings/campaigns/{campaign_id:int}/objections", objection_submit, methods=["POST"],
          name="campaign_objection"),
    Route("/ratings/subjects/{subject_id:int}", subject_page, methods=["GET"], name="rating_subject"),
    Route("/ratings/contests/{contest_id:int}", contest_page, methods=["GET"], name="contest"),
    Route("/ratings/contests/{contest_id:int}/entries/{entry_id:int}/rate", contest_rate,
          methods=["POST"], name="contest_rate"),
    Route("/ratings/forums/{forum_id:int}", forum_page, methods=["GET"], name="forum"),
    Route("/staff/ratings", staff_index, methods=["GET"], name="staff_ratings"),
    Route("/staff/ratings", campaign_create, methods=["POST"], name="staff_campaign_create"),
    Route("/staff/ratings/{campaign_id:int}", staff_campaign, methods=["GET"], name="staff_campaign"),
    Route("/staff/ratings/{campaign_id:int}/thresholds", thresholds_save, methods=["POST"],
          name="staff_campaign_thresholds"),
    Route("/staff/ratings/{campaign_id:int}/criteria", criteria_save, methods=["POST"],
          name="staff_campaign_criteria"),
    Route("/staff/ratings/{campaign_id:int}/subjects", subject_add, methods=["POST"],
          name="staff_campaign_subject_add"),
    Route("/staff/ratings/{campaign_id:int}/subjects/{subject_id:int}/remove", subject_remove,
          methods=["POST"], name="staff_campaign_subject_remove"),
    Route("/staff/ratings/{campaign_id:int}/scores/{criterion_id:int}", scores_page, methods=["GET"],
          name="staff_campaign_scores"),
    Route("/staff/ratings/{campaign_id:int}/scores/{criterion_id:int}", scores_save, methods=["POST"],
          name="staff_campaign_scores_save"),
    Route("/staff/ratings/{campaign_id:int}/publish", publish, methods=["POST"],
          name="staff_campaign_publish"),
    Route("/staff/ratings/{campaign_id:int}/forums", forum_create, methods=["POST"],
          name="staff_forum_create"),
    Route("/staff/forums/{forum_id:int}", staff_forum, methods=["GET"], name="staff_forum"),
    Route("/staff/forums/{forum_id:int}", forum_update, methods=["POST"], name="staff_forum_update"),
    Route("/staff/forums/{forum_id:int}/grid", grid_page, methods=["GET"], name="staff_forum_grid"),
    Route("/staff/forums/{forum_id:int}/grid", grid_save, methods=["POST"], name="staff_forum_grid_save"),
    Route("/staff/objections/{objection_id:int}/answer", objection_answer, methods=["POST"],
          name="staff_objection_answer"),
    Route("/staff/contests", contest_create, methods=["POST"], name="staff_contest_create"),
    Route("/staff/contests/{contest_id:int}", staff_contest, methods=["GET"], name="staff_contest"),
    Route("/staff/contests/{contest_id:int}/entries", entry_add, methods=["POST"],
          name="staff_contest_entry_add"),
]
