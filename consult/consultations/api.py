"""Consultations over the JSON API: the same services as the pages, bearer-token auth."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from consult import clock
from consult.consultations import exports, rules, services
from consult.consultations.models import Comment, Consultation, Idea, Round
from consult.db.ids import parse_count, parse_id
from consult.errors import Forbidden, NotFound, UserError
from consult.i18n import N_
from consult.parsing import parse_local_datetime
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require, require_user
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, XLSX_TYPE, download
from consult.web.templating import translator_for

TAG = "consultations"
NULL_INT = {"type": ["integer", "null"]}
NULL_STR = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
ID_LIST = {"type": "array", "items": INTEGER}

CONSULTATION = obj({"id": INTEGER, "title": STRING, "year": INTEGER, "scope_place_id": INTEGER,
                    "scope_name": STRING, "budget_fen": NULL_INT, "description": STRING,
                    "categories": {"type": "array", "items": obj({"id": INTEGER, "name": STRING})}})
ROUND = obj({"id": INTEGER, "position": INTEGER, "kind": {"type": "string", "enum": list(rules.ROUND_KINDS)},
             "title": STRING, "opens_at": DATETIME, "closes_at": DATETIME,
             "state": {"type": "string", "enum": ["upcoming", "open", "closed"]},
             "settings": {"type": "object"}, "carried_at": {"type": ["string", "null"]}})
IDEA = obj({"id": INTEGER, "consultation_id": INTEGER, "title": STRING, "description": STRING,
            "category_id": INTEGER, "category": STRING, "place_id": INTEGER, "place": STRING,
            "estimated_cost_fen": NULL_INT, "state": {"type": "string", "enum": list(rules.IDEA_STATES)},
            "state_note": NULL_STR, "merged_into_id": NULL_INT, "support_count": INTEGER,
            "version": INTEGER, "current_round_id": NULL_INT, "photo_url": NULL_STR,
            "thumbnail_url": NULL_STR})
IDEA_BODY = obj({"title": STRING, "description": STRING, "category_id": INTEGER,
                 "place_id": INTEGER, "estimated_cost": {"type": ["string", "null"],
                                                         "description": "yuan, e.g. \"3500.50\""}},
                ["title", "description", "category_id", "place_id"])
COMMENT = obj({"id": INTEGER, "parent_id": NULL_INT, "author": STRING, "body": NULL_STR,
               "is_expert": BOOLEAN, "hidden": BOOLEAN, "hidden_reason": NULL_STR,
               "created_at": DATETIME})
VERSION = obj({"number": INTEGER, "title": STRING, "description": STRING, "category": STRING,
               "place": STRING, "estimated_cost_fen": NULL_INT, "photo_keys": {"type": "array", "items": STRING},
               "created_at": DATETIME, "author_is_moderator": BOOLEAN})
TIMELINE = obj({"at": DATETIME, "actor_role": STRING, "action": STRING, "text": STRING,
                "note": NULL_STR, "round_id": NULL_INT})
DIFF = obj({"field": STRING, "changed": BOOLEAN, "old": STRING, "new": STRING,
            "segments": {"type": "array", "items": obj({"op": {"type": "string", "enum": ["equal", "insert", "delete"]},
                                                         "text": STRING})}})
ROUND_BODY = obj({"kind": {"type": "string", "enum": list(rules.ROUND_KINDS)}, "title": STRING,
                  "opens_at": DATETIME, "closes_at": DATETIME, "ideas_per_resident": INTEGER,
                  "supports_needed": INTEGER}, ["kind", "opens_at", "closes_at"])
CONSULTATION_BODY = obj({"scope_place_id": INTEGER, "title": STRING, "year": INTEGER,
                         "description": STRING, "budget": STRING,
                         "categories": {"type": "array", "items": STRING}},
                        ["title", "year"])


def _str(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    return "" if value is None else str(value)


def consultation_json(db, consultation: Consultation) -> dict:
    scope = services.scope_of(db, consultation)
    return {
        "id": consultation.id, "title": consultation.title, "year": consultation.year,
        "scope_place_id": consultation.scope_place_id, "scope_name": scope.name,
        "budget_fen": consultation.budget_fen, "description": consultation.description,
        "categories": [{"id": c.id, "name": c.name}
                       for c in services.categories_of(db, consultation.id)],
    }


def round_json(item: Round, now) -> dict:
    return {"id": item.id, "position": item.position, "kind": item.kind, "title": item.title,
            "opens_at": item.opens_at, "closes_at": item.closes_at,
            "state": services.round_state(item, now), "settings": item.settings,
            "carried_at": item.carried_at}


def idea_json(idea: Idea, category: str, place: str, photo_key: str | None) -> dict:
    return {
        "id": idea.id, "consultation_id": idea.consultation_id, "title": idea.title,
        "description": idea.description, "category_id": idea.category_id, "category": category,
        "place_id": idea.place_id, "place": place, "estimated_cost_fen": idea.estimated_cost_fen,
        "state": idea.state, "state_note": idea.state_note, "merged_into_id": idea.merged_into_id,
        "support_count": idea.support_count, "version": idea.version,
        "current_round_id": idea.current_round_id,
        "photo_url": f"/media/{photo_key}.jpg" if photo_key else None,
        "thumbnail_url": f"/media/{photo_key}_t.jpg" if photo_key else None,
    }


def _idea_out(db, idea: Idea) -> dict:
    detail = services.idea_detail(db, idea, None, clock.utcnow())
    data = idea_json(idea, detail.category.name, detail.place.name,
                     detail.photos[0].key if detail.photos else None)
    data["photos"] = [{"url": f"/media/{p.key}.jpg", "thumbnail_url": f"/media/{p.key}_t.jpg",
                       "width": p.width, "height": p.height} for p in detail.photos]
    data["merged_from"] = [{"id": i.id, "title": i.title, "author": name}
                           for i, name in detail.merged_from]
    data["author"] = detail.author.display_name
    return data


# -- consultations and rounds -------------------------------------------------------------


async def list_consultations(request: Request):
    db = get_db(request)
    summaries = services.consultations_overview(db, current_actor(request), clock.utcnow())
    return ok({"consultations": [
        {**consultation_json(db, s.consultation), "idea_count": s.idea_count,
         "current_round_id": s.current.id if s.current else None}
        for s in summaries]})


async def create_consultation(request: Request):
    data = await json_body(request)
    actor = require(request, "use_account")
    categories = data.get("categories")
    consultation = services.create_consultation(
        get_db(request), actor, scope_place_id=data.get("scope_place_id"),
        title=_str(data, "title"), year=_str(data, "year"), description=_str(data, "description"),
        budget=_str(data, "budget"),
        categories="\n".join(str(c) for c in categories) if isinstance(categories, list)
        else "\n".join(rules.DEFAULT_CATEGORIES))
    return ok(consultation_json(get_db(request), consultation), status=201)


async def get_consultation(request: Request):
    db = get_db(request)
    consultation = services.get_consultation(db, request.path_params["cid"])
    now = clock.utcnow()
    steps = services.pipeline(db, consultation, now)
    data = consultation_json(db, consultation)
    data["rounds"] = [{**round_json(s.round, now), "ideas": s.carried, "counts": s.counts,
                       "changes": [{"kind": c.kind, "reason": c.reason, "at": c.at,
                                    "old_closes_at": c.old_closes_at, "new_closes_at": c.new_closes_at}
                                   for c in s.changes]}
                      for s in steps]
    return ok(data)


async def update_consultation(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    consultation = services.get_consultation(db, request.path_params["cid"])
    current = consultation_json(db, consultation)
    categories = data.get("categories")
    services.update_consultation(
        db, actor, consultation, title=_str(data, "title", current["title"]),
        year=_str(data, "year", str(current["year"])),
        description=_str(data, "description", current["description"]),
        budget=_str(data, "budget", rules.format_yuan(current["budget_fen"])),
        categories="\n".join(str(c) for c in categories) if isinstance(categories, list)
        else "\n".join(c["name"] for c in current["categories"]))
    return ok(consultation_json(db, consultation))


async def add_round(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    consultation = services.get_consultation(db, request.path_params["cid"])
    item = services.add_round(
        db, actor, consultation, kind=_str(data, "kind"), title=_str(data, "title"),
        opens_at=parse_local_datetime(_str(data, "opens_at")),
        closes_at=parse_local_datetime(_str(data, "closes_at")),
        ideas_per_resident=_str(data, "ideas_per_resident", "3"),
        supports_needed=_str(data, "supports_needed", "0"))
    return ok(round_json(item, clock.utcnow()), status=201)


async def get_round(request: Request):
    db = get_db(request)
    item = services.get_round(db, request.path_params["rid"])
    data = round_json(item, clock.utcnow())
    data["ideas"] = [{"id": i.id, "title": i.title, "estimated_cost_fen": i.estimated_cost_fen,
                      "thumbnail_url": i.thumbnail_url, "category": i.category_name,
                      "place": i.place_name, "support_count": i.support_count, "state": i.state}
                     for i in services.ideas_in_round(db, item)]
    return ok(data)


async def round_action(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    item = services.get_round(db, request.path_params["rid"])
    now = clock.utcnow()
    action = request.url.path.rsplit("/", 1)[-1]
    carried = None
    if action == "close":
        carried = services.close_round(db, actor, item, reason=_str(data, "reason"), now=now,
                                       open_next=data.get("open_next", True) is not False)
    elif action == "extend":
        services.extend_round(db, actor, item, reason=_str(data, "reason"), now=now,
                              closes_at=parse_local_datetime(_str(data, "closes_at")))
    else:
        carried = services.carry_forward(db, actor, item, now)
    return ok({**round_json(item, now), "carried": carried})


# -- ideas --------------------------------------------------------------------------------


async def list_ideas(request: Request):
    db = get_db(request)
    consultation = services.get_consultation(db, request.path_params["cid"])
    q = request.query_params
    page = services.list_ideas(db, consultation, category_id=q.get("category"),
                               state=q.get("state"), place_id=q.get("place"),
                               sort=q.get("sort", "newest"), page=q.get("page", "1"))
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


def _visible(request: Request) -> Idea:
    return services.visible_idea(get_db(request), current_actor(request), request.path_params["iid"])


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


async def upload_photos(request: Request):
    """Multipart ``photos`` (up to three files); the body limit answers 413 when too large."""
    db = get_db(request)
    require_user(request)
    idea = _visible(request)
    try:
        form = await request.form(max_files=rules.MAX_PHOTOS, max_fields=10)
    except Exception:
        raise UserError(N_("The form could not be read. Please try again."), code="bad_form") from None
    photos = []
    for item in form.getlist("photos"):
        if hasattr(item, "read"):
            content = await item.read()
            if content:
                photos.append(content)
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


# -- comments -----------------------------------------------------------------------------


def comment_json(comment: Comment, author: str) -> dict:
    hidden = comment.hidden_at is not None
    return {"id": comment.id, "parent_id": comment.parent_id, "author": author,
            "body": None if hidden else comment.body, "is_expert": comment.is_expert,
            "hidden": hidden, "hidden_reason": comment.hidden_reason,
            "created_at": comment.created_at}


async def list_comments(request: Request):
    db = get_db(request)
    idea = _visible(request)
    detail = services.idea_detail(db, idea, None, clock.utcnow())
    items = []
    for view in detail.comments:
        items.append(comment_json(view.comment, view.author_name))
        items.extend(comment_json(r.comment, r.author_name) for r in view.replies)
    return ok({"comments": items})


async def add_comment(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = _visible(request)
    comment = services.add_comment(db, actor, idea, body=_str(data, "body"),
                                   parent_id=data.get("parent_id"), now=clock.utcnow())
    return ok(comment_json(comment, require_user(request).display_name), status=201)


async def comment_action(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = require(request, "use_account")
    action = request.url.path.rsplit("/", 1)[-1]
    comment_id = request.path_params["comment_id"]
    if action == "report":
        comment = services.report_comment(db, actor, comment_id, reason=_str(data, "reason"),
                                          now=clock.utcnow())
    elif action == "unhide":
        comment = services.unhide_comment(db, actor, comment_id, now=clock.utcnow())
    else:
        comment = services.hide_comment(db, actor, comment_id, reason=_str(data, "reason"),
                                        now=clock.utcnow())
    return ok({"id": comment.id, "hidden": comment.hidden_at is not None})


# -- history ------------------------------------------------------------------------------


async def list_versions(request: Request):
    db = get_db(request)
    idea = _visible(request)
    return ok({"versions": [
        {"number": v.number, "title": v.title, "description": v.description,
         "category": v.category_name, "place": v.place_name,
         "estimated_cost_fen": v.estimated_cost_fen, "photo_keys": v.photo_keys,
         "created_at": v.created_at, "author_is_moderator": v.author_is_moderator}
        for v in services.versions(db, idea.id)]})


async def diff(request: Request):
    db = get_db(request)
    idea = _visible(request)
    q = request.query_params
    old, new = parse_id(q.get("from", "")), parse_id(q.get("to", ""))
    if old is None or new is None:
        raise NotFound()
    return ok({"from": old, "to": new, "fields": [
        {"field": d.field, "changed": d.changed, "old": d.old, "new": d.new,
         "segments": [{"op": s.op, "text": s.text} for s in d.segments]}
        for d in services.diff_versions(db, idea, old, new)]})


async def timeline(request: Request):
    db = get_db(request)
    idea = _visible(request)
    t = translator_for(request)
    return ok({"timeline": [
        {"at": e.at, "actor_role": e.actor_role, "action": e.action, "round_id": e.round_id,
         "text": rules.timeline_text(e.action, e.details, t), "note": e.note}
        for e in services.timeline(db, idea.id)]})


async def my_ideas(request: Request):
    user = require_user(request)
    return ok({"ideas": [
        {**idea_json(row.idea, row.category_name, row.place_name, row.photo_key),
         "consultation_title": consultation.title}
        for row, consultation in services.my_ideas(get_db(request), user)]})


# -- committee figures and exports --------------------------------------------------------


def _exportable(request: Request) -> Consultation:
    db = get_db(request)
    consultation = services.get_consultation(db, request.path_params["cid"])
    require(request, "export_ideas", services.scope_of(db, consultation).ids_from_root)
    return consultation


async def stats(request: Request):
    consultation = _exportable(request)
    figures = services.stats(get_db(request), consultation)
    return ok({"total": figures.total,
               "by_state": [{"state": s, "count": n} for s, n in figures.by_state],
               "by_category": [{"category": c, "count": n} for c, n in figures.by_category],
               "by_area": [{"area": a, "count": n} for a, n in figures.by_area]})


async def export(request: Request) -> Response:
    consultation = _exportable(request)
    rows = services.export_rows(get_db(request), consultation)
    t = translator_for(request)
    if request.url.path.endswith(".xlsx"):
        return download(exports.to_xlsx(rows, t, title=consultation.title),
                                f"ideas-{consultation.id}.xlsx", XLSX_TYPE)
    return download(exports.to_csv(rows, t), f"ideas-{consultation.id}.csv",
                            CSV_TYPE)


_IDEA_OUT = obj({**IDEA["properties"], "author": STRING,
                 "photos": {"type": "array", "items": obj({"url": STRING, "thumbnail_url": STRING,
                                                           "width": INTEGER, "height": INTEGER})},
                 "merged_from": {"type": "array", "items": obj({"id": INTEGER, "title": STRING,
                                                                 "author": STRING})}})
_REASON = obj({"reason": STRING})
_FILE = {"type": "string", "format": "binary"}

routes = [
    api_route("/consultations", list_consultations, name="api_consultations", tag=TAG, auth=False,
              summary="Every consultation, those of my places first",
              response=obj({"consultations": {"type": "array", "items": CONSULTATION}})),
    api_route("/consultations", create_consultation, method="POST", name="api_consultation_create",
              tag=TAG, summary="Create a consultation for a residential area or the sub-district",
              body=CONSULTATION_BODY, response=CONSULTATION, status=201),
    api_route("/consultations/{cid:int}", get_consultation, name="api_consultation", tag=TAG,
              auth=False, summary="A consultation with its rounds and their counts",
              response=obj({**CONSULTATION["properties"], "rounds": {"type": "array", "items": ROUND}})),
    api_route("/consultations/{cid:int}", update_consultation, method="POST",
              name="api_consultation_update", tag=TAG,
              summary="Change a consultation (fields left out keep their value)",
              body=obj(CONSULTATION_BODY["properties"]), response=CONSULTATION),
    api_route("/consultations/{cid:int}/rounds", add_round, method="POST", name="api_round_add",
              tag=TAG, summary="Add a round at the end (times in ISO 8601; without a zone, Beijing time)",
              body=ROUND_BODY, response=ROUND, status=201),
    api_route("/rounds/{rid:int}", get_round, name="api_round", tag=TAG, auth=False,
              summary="A round, its state and the ideas it carries (id, title, cost in fen, thumbnail)",
              response=obj({**ROUND["properties"], "ideas": {"type": "array", "items": obj(
                  {"id": INTEGER, "title": STRING, "estimated_cost_fen": NULL_INT,
                   "thumbnail_url": NULL_STR})}})),
    api_route("/rounds/{rid:int}/close", round_action, method="POST", name="api_round_close",
              tag=TAG, summary="Close an open round now, with a public reason, and carry its ideas on",
              body=obj({"reason": STRING, "open_next": BOOLEAN}, ["reason"]), response=ROUND),
    api_route("/rounds/{rid:int}/extend", round_action, method="POST", name="api_round_extend",
              tag=TAG, summary="Extend a round, with a public reason",
              body=obj({"reason": STRING, "closes_at": DATETIME}, ["reason", "closes_at"]),
              response=ROUND),
    api_route("/rounds/{rid:int}/carry", round_action, method="POST", name="api_round_carry",
              tag=TAG, summary="Carry a closed round's ideas into the next round",
              body=obj({}), response=ROUND),
    api_route("/consultations/{cid:int}/ideas", list_ideas, name="api_ideas", tag=TAG, auth=False,
              summary="Ideas of a consultation, 20 a page, with filters and sorting",
              params={"category": INTEGER, "state": {"type": "string", "enum": list(rules.IDEA_STATES)},
                      "place": INTEGER, "sort": {"type": "string", "enum": list(rules.SORTS)},
                      "page": INTEGER},
              response=obj({"total": INTEGER, "page": INTEGER, "pages": INTEGER,
                            "ideas": {"type": "array", "items": IDEA}})),
    api_route("/consultations/{cid:int}/ideas/similar", similar_ideas, name="api_ideas_similar",
              tag=TAG, auth=False, summary="Ideas whose titles resemble a title being typed",
              params={"title": STRING, "exclude": INTEGER},
              response=obj({"ideas": {"type": "array", "items": obj({"id": INTEGER, "title": STRING})}})),
    api_route("/consultations/{cid:int}/ideas", create_idea, method="POST", name="api_idea_create",
              tag=TAG, summary="Create an idea as a draft (or submit it at once with \"submit\": true)",
              body=obj({**IDEA_BODY["properties"], "submit": BOOLEAN}, IDEA_BODY["required"]),
              response=_IDEA_OUT, status=201),
    api_route("/ideas/{iid:int}", get_idea, name="api_idea", tag=TAG, auth=False,
              summary="One idea with its photos", response=_IDEA_OUT),
    api_route("/ideas/{iid:int}", update_idea, method="POST", name="api_idea_update", tag=TAG,
              summary="Edit an idea; after submission each edit is a new version",
              body=obj({**IDEA_BODY["properties"], "remove_photos": ID_LIST}), response=_IDEA_OUT),
    api_route("/ideas/{iid:int}/photos", upload_photos, method="POST", name="api_idea_photos",
              tag=TAG, summary="Add photos (multipart/form-data field \"photos\", up to 3, each ≤ 8 MB)",
              body=obj({"photos": {"type": "array", "items": _FILE}}), response=_IDEA_OUT, status=201),
    api_route("/ideas/{iid:int}/submit", idea_action, method="POST", name="api_idea_submit",
              tag=TAG, summary="Submit a draft while a collection round is open", response=_IDEA_OUT),
    api_route("/ideas/{iid:int}/withdraw", idea_action, method="POST", name="api_idea_withdraw",
              tag=TAG, summary="Withdraw my idea", response=_IDEA_OUT),
    api_route("/ideas/{iid:int}/support", idea_action, method="POST", name="api_idea_support",
              tag=TAG, summary="Support an idea (once per person; twice is still once)",
              response=_IDEA_OUT),
    api_route("/ideas/{iid:int}/support", idea_action, method="DELETE", name="api_idea_unsupport",
              tag=TAG, summary="Withdraw my support", response=_IDEA_OUT),
    api_route("/ideas/{iid:int}/review", review_idea, method="POST", name="api_idea_review", tag=TAG,
              summary="Shortlist, request a revision, merge, reject or restore (a public note or reason)",
              body=obj({"action": {"type": "string", "enum": list(rules.REVIEW_ACTIONS)},
                        "note": STRING, "target_id": INTEGER}, ["action"]), response=_IDEA_OUT),
    api_route("/consultations/{cid:int}/review", review_queue, name="api_review_queue", tag=TAG,
              summary="Ideas waiting for a decision in the places I review (own_request: my "
              "own idea, which another moderator reviews)",
              response=obj({"ideas": {"type": "array", "items": obj(
                  {**IDEA["properties"], "own_request": BOOLEAN})}})),
    api_route("/consultations/{cid:int}/review", bulk_review, method="POST", name="api_review_bulk",
              tag=TAG, summary="The same decision for several ideas: all of them or none",
              body=obj({"ideas": ID_LIST, "action": {"type": "string", "enum": ["shortlist", "request_revision", "reject"]},
                        "note": STRING}, ["ideas", "action"]), response=obj({"updated": INTEGER})),
    api_route("/ideas/{iid:int}/comments", list_comments, name="api_comments", tag=TAG, auth=False,
              summary="Comments and replies, oldest first",
              response=obj({"comments": {"type": "array", "items": COMMENT}})),
    api_route("/ideas/{iid:int}/comments", add_comment, method="POST", name="api_comment_add",
              tag=TAG, summary="Comment, or reply to a comment (one level)",
              body=obj({"body": STRING, "parent_id": INTEGER}, ["body"]), response=COMMENT, status=201),
    api_route("/comments/{comment_id:int}/report", comment_action, method="POST",
              name="api_comment_report", tag=TAG, summary="Report a comment to the moderators",
              body=_REASON, response=obj({"id": INTEGER, "hidden": BOOLEAN})),
    api_route("/comments/{comment_id:int}/hide", comment_action, method="POST",
              name="api_comment_hide", tag=TAG, summary="Hide a comment with a reason (moderators)",
              body=obj({"reason": STRING}, ["reason"]), response=obj({"id": INTEGER, "hidden": BOOLEAN})),
    api_route("/comments/{comment_id:int}/unhide", comment_action, method="POST",
              name="api_comment_unhide", tag=TAG,
              summary="Show a hidden comment again (moderators); the audit log keeps the hiding",
              response=obj({"id": INTEGER, "hidden": BOOLEAN})),
    api_route("/ideas/{iid:int}/versions", list_versions, name="api_versions", tag=TAG, auth=False,
              summary="Every version of an idea", response=obj({"versions": {"type": "array", "items": VERSION}})),
    api_route("/ideas/{iid:int}/diff", diff, name="api_diff", tag=TAG, auth=False,
              summary="What changed between two versions (character-level for Chinese)",
              params={"from": INTEGER, "to": INTEGER},
              response=obj({"from": INTEGER, "to": INTEGER, "fields": {"type": "array", "items": DIFF}})),
    api_route("/ideas/{iid:int}/timeline", timeline, name="api_timeline", tag=TAG, auth=False,
              summary="The idea's public timeline: who (by role), when, what and why",
              response=obj({"timeline": {"type": "array", "items": TIMELINE}})),
    api_route("/me/ideas", my_ideas, name="api_my_ideas", tag=TAG, summary="My ideas and their states",
              response=obj({"ideas": {"type": "array", "items": IDEA}})),
    api_route("/consultations/{cid:int}/stats", stats, name="api_consultation_stats", tag=TAG,
              summary="Counts by state, category and residential area",
              response=obj({"total": INTEGER, "by_state": {"type": "array"},
                            "by_category": {"type": "array"}, "by_area": {"type": "array"}})),
    api_route("/consultations/{cid:int}/export.csv", export, name="api_export_csv", tag=TAG,
              summary="Every idea with every field, as CSV (UTF-8 with BOM)", response=_FILE),
    api_route("/consultations/{cid:int}/export.xlsx", export, name="api_export_xlsx", tag=TAG,
              summary="Every idea with every field, as an Excel workbook", response=_FILE),
]
