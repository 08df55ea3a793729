"""An idea's history over the API (versions, their differences, the public timeline)
and an author's own ideas."""

from __future__ import annotations

from starlette.requests import Request

from consult.consultations import rules, services
from consult.consultations.api.common import _visible, idea_json
from consult.db.ids import parse_id
from consult.errors import NotFound
from consult.web.api import ok
from consult.web.auth import require_user
from consult.web.db import get_db
from consult.web.templating import translator_for


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
