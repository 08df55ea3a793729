"""Star ratings over the JSON API: campaigns and their ranking, objections, contests and
votes, forums and their ratings grid. The same services as the pages."""

from __future__ import annotations

from fractions import Fraction

from starlette.requests import Request

from consult import clock, permissions
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.ratings import api_staff, rules, services
from consult.surveys import rules as survey_rules
from consult.surveys.api import FIGURE, NULLABLE_INT
from consult.web.api import INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require_user
from consult.web.db import get_db


def _figure(value: Fraction | None) -> dict:
    return {"exact": rules.fraction_text(value) if value is not None else None,
            "shown": survey_rules.two_decimals(value)}


def campaign_json(campaign, place, now) -> dict:
    return {"id": campaign.id, "title": campaign.title, "year": campaign.year, "place_id": place.id,
            "place_name": place.name, "state": services.state_of(campaign, now),
            "thresholds": campaign.thresholds, "notice_ends_at": campaign.notice_ends_at}


async def list_campaigns(request: Request):
    now = clock.utcnow()
    rows = services.list_campaigns(get_db(request), current_actor(request))
    return ok({"campaigns": [campaign_json(c, p, now) for c, p in rows]})


async def campaign_detail(request: Request):
    db = get_db(request)
    campaign = services.get_campaign(db, request.path_params["campaign_id"])
    services.check_visible(db, current_actor(request), campaign)
    board = services.board(db, campaign)
    return ok({
        **campaign_json(campaign, services.campaign_place(db, campaign), clock.utcnow()),
        "published": board.frozen,
        "criteria": [{"id": c.id, "name": c.name, "weight": c.weight, "source": c.source,
                      "survey_measure": c.survey_measure, "contest_id": c.contest_id} for c in board.criteria],
        "ranking": [{"rank": r.rank, "subject_id": r.subject.id, "name": r.subject.name, "kind": r.subject.kind,
                     "total": _figure(r.total), "stars": r.stars,
                     "scores": {str(k): _figure(v) for k, v in r.scores.items()}} for r in board.rows],
        "objections": [{"id": o.id, "subject_id": s.id, "text": o.text, "answer": o.answer,
                        "created_at": o.created_at} for o, s in services.objections_of(db, campaign)],
    })


async def subject_history(request: Request):
    db = get_db(request)
    subject, campaign = services.get_subject(db, request.path_params["subject_id"])
    services.check_visible(db, current_actor(request), campaign)
    return ok({"subject_id": subject.id, "name": subject.name, "history": [
        {"year": h.campaign.year, "campaign_id": h.campaign.id, "subject_id": h.subject.id,
         "total": _figure(rules.parse_fraction(h.subject.result_total)), "stars": h.subject.result_stars}
        for h in services.history(db, subject)]})


async def file_objection(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    campaign = services.get_campaign(db, request.path_params["campaign_id"])
    objection = services.file_objection(db, current_actor(request), campaign, subject_id=data.get("subject_id"),
                                        text=str(data.get("text", "")), now=clock.utcnow())
    return ok({"id": objection.id}, status=201)


async def contest_detail(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    contest, place = services.get_contest(db, request.path_params["contest_id"])
    now = clock.utcnow()
    state = survey_rules.state(contest.opens_at, contest.closes_at, now)
    rows = services.entries(db, contest, actor.user_id)
    show = state == "closed" or permissions.allowed("manage_campaign", actor, place.ids_from_root)
    return ok({
        "id": contest.id, "title": contest.title, "place_id": place.id, "state": state,
        "opens_at": contest.opens_at, "closes_at": contest.closes_at,
        "entries": [{"id": r.entry.id, "title": r.entry.title, "text": r.entry.text,
                     "place_id": r.entry.place_id, "photo": r.entry.photo_key, "mine": r.mine,
                     "count": r.count if show else None, "mean": _figure(r.mean) if show else None}
                    for r in rows],
    })


async def rate_entry(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    contest, _ = services.get_contest(db, request.path_params["contest_id"])
    rating = services.rate_entry(db, current_actor(request), contest, request.path_params["entry_id"],
                                 str(data.get("stars", "")), clock.utcnow())
    return ok({"entry_id": rating.entry_id, "stars": rating.stars}, status=201)


async def forum_detail(request: Request):
    db = get_db(request)
    forum, campaign, subject, _ = services.readable_forum(db, current_actor(request), request.path_params["forum_id"])
    return ok({
        "id": forum.id, "campaign_id": campaign.id, "subject_id": subject.id, "subject": subject.name,
        "held_at": forum.held_at, "location": forum.location, "agenda": forum.agenda, "minutes": forum.minutes,
        "attendees": [{"user_id": u.id, "name": u.display_name} for u in services.attendees(db, forum)],
        "criteria": [{"id": c.id, "name": c.name} for c in services.forum_criteria(db, campaign)],
        "ratings": [{"user_id": u, "criterion_id": c, "score": v}
                    for (u, c), v in sorted(services.forum_ratings(db, forum).items())],
    })


async def save_forum_ratings(request: Request):
    data = await json_body(request)
    require_user(request)
    items = data.get("ratings")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise FieldErrors({"ratings": Msg(N_("Please send the ratings as a list."))})
    raw = {rules.cell_name(survey_rules.whole_number(str(i.get("user_id"))) or 0,
                           survey_rules.whole_number(str(i.get("criterion_id"))) or 0):
           "" if i.get("score") is None else str(i.get("score")) for i in items}
    forum, _, _, _ = services.readable_forum(get_db(request), current_actor(request), request.path_params["forum_id"])
    count = services.save_grid(get_db(request), current_actor(request), forum, raw)
    return ok({"saved": count})


CAMPAIGN = obj({"id": INTEGER, "title": STRING, "year": INTEGER, "state": STRING,
                "thresholds": {"type": "array", "items": INTEGER}})

routes = [
    api_route("/campaigns", list_campaigns, name="api_campaigns", tag="ratings", auth=False,
              summary="Star-rating campaigns (published ones; drafts for their staff)",
              response=obj({"campaigns": {"type": "array", "items": CAMPAIGN}})),
    api_route("/campaigns/{campaign_id:int}", campaign_detail, name="api_campaign", tag="ratings", auth=False,
              summary="A campaign: criteria, thresholds, ranking with exact totals and star levels, objections",
              response=obj({"ranking": {"type": "array", "items": obj({
                  "rank": INTEGER, "subject_id": INTEGER, "name": STRING, "total": FIGURE, "stars": INTEGER})}})),
    api_route("/campaigns/{campaign_id:int}/objections", file_objection, method="POST",
              name="api_campaign_objection", tag="ratings", status=201,
              summary="File an objection during the notice period (verified residents of the subject's place)",
              body=obj({"subject_id": INTEGER, "text": STRING}, ["subject_id", "text"]),
              response=obj({"id": INTEGER})),
    api_route("/rating-subjects/{subject_id:int}/history", subject_history, name="api_subject_history",
              tag="ratings", auth=False, summary="A subject's published star levels across years",
              response=obj({"history": {"type": "array", "items": obj({
                  "year": INTEGER, "stars": NULLABLE_INT, "total": FIGURE})}})),
    api_route("/contests/{contest_id:int}", contest_detail, name="api_contest", tag="ratings", auth=False,
              summary="A photo contest with its entries (counts and means once closed, or for staff)",
              response=obj({"entries": {"type": "array", "items": obj({
                  "id": INTEGER, "title": STRING, "mine": NULLABLE_INT, "count": NULLABLE_INT, "mean": FIGURE})}})),
    api_route("/contests/{contest_id:int}/entries/{entry_id:int}/ratings", rate_entry, method="POST",
              name="api_contest_rate", tag="ratings", status=201,
              summary="Give an entry 1–5 stars, once (verified residents)",
              body=obj({"stars": INTEGER}, ["stars"]), response=obj({"entry_id": INTEGER, "stars": INTEGER})),
    api_route("/forums/{forum_id:int}", forum_detail, name="api_forum", tag="ratings",
              summary="An owners'-representative forum: attendees, agenda, minutes, ratings",
              response=obj({"attendees": {"type": "array", "items": obj({"user_id": INTEGER, "name": STRING})},
                            "ratings": {"type": "array", "items": obj({
                                "user_id": INTEGER, "criterion_id": INTEGER, "score": INTEGER})}})),
    api_route("/forums/{forum_id:int}/ratings", save_forum_ratings, method="PUT", name="api_forum_ratings",
              tag="ratings", summary="Replace the forum's ratings grid at once (staff); scores 1–5",
              body=obj({"ratings": {"type": "array", "items": obj({
                  "user_id": INTEGER, "criterion_id": INTEGER, "score": NULLABLE_INT})}}, ["ratings"]),
              response=obj({"saved": INTEGER})),
] + api_staff.routes
