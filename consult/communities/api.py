"""Places and verification over the JSON API."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.communities import services
from consult.communities.models import Place
from consult.communities.rules import format_area
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import require, require_user
from consult.web.db import get_db

PLACE = obj({"id": INTEGER, "kind": STRING, "name": STRING, "parent_id": {"type": ["integer", "null"]}})
VERIFICATION = obj({"id": INTEGER, "area_id": INTEGER, "status": STRING,
                    "reason": {"type": ["string", "null"]}, "note": STRING})


def place_json(place: Place) -> dict:
    return {"id": place.id, "kind": place.kind, "name": place.name, "parent_id": place.parent_id}


async def places(request: Request):
    db = get_db(request)
    kind = request.query_params.get("kind")
    query_place = services.root(db)
    if kind:
        items = services.places_of_kind(db, kind)
    else:
        items = [query_place, *services.children(db, query_place)] if query_place else []
    return ok({"places": [place_json(p) for p in items]})


async def place_detail(request: Request):
    db = get_db(request)
    place = services.get_place(db, request.path_params["place_id"])
    data = place_json(place)
    data["children"] = [place_json(p) for p in services.children(db, place)]
    data["counts"] = services.subtree_counts(db, place)
    if place.kind in ("estate", "building_group"):
        data["area_total_m2"] = format_area(services.area_total_hundredths(db, place))
    return ok(data)


def request_json(item) -> dict:
    return {"id": item.id, "area_id": item.area_id, "status": item.status, "reason": item.reason,
            "note": item.note}


async def create_verification(request: Request):
    data = await json_body(request)
    user = require_user(request)
    actor = require(request, "use_account")
    item = services.request_verification(get_db(request), actor, user,
                                         area_id=data.get("area_id"), note=str(data.get("note", "")))
    return ok(request_json(item), status=201)


async def my_verifications(request: Request):
    user = require_user(request)
    return ok({"requests": [request_json(r) for r, _ in services.my_requests(get_db(request), user)]})


async def pending_verifications(request: Request):
    actor = require(request, "view_staff_area")
    rows = services.pending_requests(get_db(request), actor)
    return ok({"requests": [
        {**request_json(r), "user_id": u.id, "display_name": u.display_name, "area_name": a.name,
         "own_request": r.user_id == actor.user_id}
        for r, u, a in rows
    ]})


async def decide_verification(request: Request):
    data = await json_body(request)
    actor = require(request, "view_staff_area")
    item = services.decide_verification(
        get_db(request), actor, request_id=request.path_params["request_id"],
        approve=data.get("approve") is True, reason=str(data.get("reason", "")), now=clock.utcnow())
    return ok(request_json(item))


routes = [
    api_route("/places", places, name="api_places", tag="places", auth=False,
              summary="The sub-district and its residential areas, or every place of one kind",
              params={"kind": {"type": "string", "enum": ["subdistrict", "area", "estate", "building_group"]}},
              response=obj({"places": {"type": "array", "items": PLACE}})),
    api_route("/places/{place_id:int}", place_detail, name="api_place", tag="places", auth=False,
              summary="One place with its children and counts", response=PLACE),
    api_route("/verifications", create_verification, method="POST", name="api_verification_create",
              tag="places", summary="Ask to be verified as a resident of a residential area",
              body=obj({"area_id": INTEGER, "note": STRING}, ["area_id"]), response=VERIFICATION,
              status=201),
    api_route("/verifications", my_verifications, name="api_verifications_mine", tag="places",
              summary="My verification requests",
              response=obj({"requests": {"type": "array", "items": VERIFICATION}})),
    api_route("/verifications/pending", pending_verifications, name="api_verifications_pending",
              tag="places", summary="Pending requests in the places I moderate (own_request: "
              "my own, which another moderator decides)",
              response=obj({"requests": {"type": "array", "items": obj(
                  {**VERIFICATION["properties"], "own_request": BOOLEAN})}})),
    api_route("/verifications/{request_id:int}/decision", decide_verification, method="POST",
              name="api_verification_decide", tag="places",
              summary="Approve or refuse a request (a reason is required to refuse)",
              body=obj({"approve": BOOLEAN, "reason": STRING}, ["approve"]), response=VERIFICATION),
]
