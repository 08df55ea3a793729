"""What the consultation endpoints share: the JSON schemas of the OpenAPI document and
the functions that turn consultations, rounds and ideas into JSON."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.consultations import rules, services
from consult.consultations.models import Consultation, Idea, Round
from consult.web.api import BOOLEAN, INTEGER, STRING, obj
from consult.web.auth import current_actor
from consult.web.db import get_db

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


def _visible(request: Request) -> Idea:
    return services.visible_idea(get_db(request), current_actor(request), request.path_params["iid"])
