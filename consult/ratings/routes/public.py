"""The public rating pages: campaigns with their ranking and objections, a subject's
history, photo contests and their stars, and a forum's record.
"""

from __future__ import annotations

from starlette.requests import Request

from consult import clock, permissions
from consult.communities.standing import resident_standing
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.ratings import services
from consult.ratings.routes.common import _again, _page
from consult.surveys import rules as survey_rules
from consult.surveys import services as surveys
from consult.web.auth import current_actor, current_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import redirect_to


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
