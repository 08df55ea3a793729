"""Ideas over the API: lists, similar titles, drafts, edits and photos, submitting,
withdrawing, supports, and review decisions with their queue."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.consultations import rules, services
from consult.consultations.api.common import _idea_out, _str, _visible, idea_json
from consult.db.ids import parse_count
from consult.errors import Forbidden
from consult.web.api import Body, json_body, ok
from consult.web.auth import current_actor, require, require_user
from consult.web.db import get_db


async def list_ideas(request: Request):
    db = get_db(request)
    consultation = services.get_consultation(db, request.path_params["cid"])
    q = request.query_params
    page = services.list_ideas(db, consultation, category_id=q.get("category"),
                               state=q.get("state"), place_id=q.get("place"),
                               sort=q.get("sort", "newest"), page=q.get("page", "1"),
                               query=q.get("q"))
    return ok({"total": page.total, "page": page.page, "pages": page.pages, "ideas": [
        {**idea_json(r.idea, r.category_name, r.place_name, r.photo_key),
         "comment_count": r.comment_count} for r in page.rows]})


async def similar_ideas(request: Request):
    db = get_db(request)
    consultation = services.get_consultation(db, request.path_params["cid"])
    exclude = request.query_params.get("exclude", "")
    found = services.similar_ideas(db, consultation.id, request.query_params.get("title", "")[:200],
                                   exclude=parse_count(exclude))
    return ok({"ideas": [{"id": i.id, "title": i.title, "support_count": i.support_count,
                          "state": i.state} for i in found]})


async def create_idea(request: Request):
    data = await json_body(request)
    db = get_db(request)
    user = require_user(request)
    consultation = services.get_consultation(db, request.path_params["cid"])
    idea = services.create_draft(
        db, current_actor(request), user, consultation, title=_str(data, "title"),
        description=_str(data, "description"), category_id=data.get("category_id"),
        place_id=data.get("place_id"), estimated_cost=_str(data, "estimated_cost"),
        media_dir=request.app.state.settings.media_dir, now=clock.utcnow())
    if data.get("submit") is True:
        services.submit_idea(db, current_actor(request), idea, clock.utcnow())
    return ok(_idea_out(db, idea), status=201)


async def get_idea(request: Request):
    return ok(_idea_out(get_db(request), _visible(request)))


async def update_idea(request: Request):
    data = await json_body(request)
    db = get_db(request)
    require_user(request)
    idea = _visible(request)
    services.update_idea(
        db, current_actor(request), idea, title=_str(data, "title", idea.title),
        description=_str(data, "description", idea.description),
        category_id=data.get("category_id", idea.category_id),
        place_id=data.get("place_id", idea.place_id),
        estimated_cost=_str(data, "estimated_cost", rules.format_yuan(idea.estimated_cost_fen)),
        remove_photos=[p for p in data.get("remove_photos", []) if isinstance(p, int)]
        if isinstance(data.get("remove_photos"), list) else [],
        media_dir=request.app.state.settings.media_dir, now=clock.utcnow())
    return ok(_idea_out(db, idea))


class PhotosBody(Body):
    """Adding photos to an idea: no text fields, the files are ``photos`` (up to three)."""


async def upload_photos(request: Request):
    """Multipart ``photos`` (read and checked by ``api_route``: up to three files, no other
    field); the body limit answers 413 when too large."""
    db = get_db(request)
    require_user(request)
    idea = _visible(request)
    photos = [content for _, content in request.state.api_files["photos"] if content]
    services.update_idea(
        db, current_actor(request), idea, title=idea.title, description=idea.description,
        category_id=idea.category_id, place_id=idea.place_id,
        estimated_cost=rules.format_yuan(idea.estimated_cost_fen), photos=photos,
        media_dir=request.app.state.settings.media_dir, now=clock.utcnow())
    return ok(_idea_out(db, idea), status=201)


async def idea_action(request: Request):
    db = get_db(request)
    actor = require(request, "use_account")
    idea = _visible(request)
    action = request.url.path.rsplit("/", 1)[-1]
    now = clock.utcnow()
    if action == "submit":
        services.submit_idea(db, actor, idea, now)
    elif action == "withdraw":
        services.withdraw_idea(db, actor, idea, now)
    elif request.method == "DELETE":
        services.unsupport_idea(db, actor, idea, now)
    else:
        services.support_idea(db, actor, idea, now)
    return ok(_idea_out(db, idea))


async def review_idea(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = _visible(request)
    services.review_idea(db, actor, idea, _str(data, "action"), note=_str(data, "note"),
                         target_id=data.get("target_id"), now=clock.utcnow())
    return ok(_idea_out(db, idea))


async def bulk_review(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    consultation = services.get_consultation(db, request.path_params["cid"])
    ids = data.get("ideas") if isinstance(data.get("ideas"), list) else []
    n = services.bulk_review(db, actor, consultation, ids, _str(data, "action"),
                             note=_str(data, "note"), now=clock.utcnow())
    return ok({"updated": n})


async def review_queue(request: Request):
    db = get_db(request)
    actor = require(request, "use_account")
    consultation = services.get_consultation(db, request.path_params["cid"])
    if not services.may_review_in(db, actor, consultation):
        raise Forbidden()
    rows = services.review_queue(db, actor, consultation)
    return ok({"ideas": [{**idea_json(r.idea, r.category_name, r.place_name, r.photo_key),
                          "own_request": r.idea.author_id == actor.user_id}  # another moderator decides
                         for r in rows]})
