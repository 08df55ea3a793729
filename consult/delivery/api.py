"""Delivery over the JSON API: projects, their accounts, pledges, milestones, acceptance,
ratings, safety checks and the due list. The same services as the pages; amounts are
integer fen in answers and yuan as text ("3500.50") in requests, as typed on a form.
Photos (a signed record, a receipt) are sent as base64 text."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from consult import clock
from consult.delivery import rules
from consult.delivery.services import load, money, projects, register, works
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.db import get_db

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
CREATED = obj({"id": INTEGER})
PROJECT = obj({"id": INTEGER, "title": STRING, "state": {"type": "string", "enum": list(rules.STATES)},
               "category": {"type": "string", "enum": list(rules.CATEGORIES)}, "kind": STRING,
               "place_id": INTEGER, "area_id": NULLABLE_INT, "year": INTEGER, "budget_fen": INTEGER,
               "idea_id": NULLABLE_INT, "round_id": NULLABLE_INT, "delivery_party": STRING,
               "delivery_unit": STRING, "upkeep_party": STRING, "upkeep_unit": STRING,
               "accepted_on": NULLABLE_STRING, "next_check_due": NULLABLE_STRING})
PLEDGE = obj({"id": INTEGER, "pledger": STRING, "pledger_kind": STRING, "kind": STRING, "unit": STRING,
              "quantity": INTEGER, "received": INTEGER, "used": INTEGER, "state": STRING,
              "mine": BOOLEAN})
DETAIL = obj({
    "project": PROJECT,
    "accounts": obj({"planned_fen": INTEGER, "committed_fen": INTEGER, "spent_fen": INTEGER,
                     "lines": {"type": "array", "items": obj({"id": INTEGER, "name": STRING, "required": BOOLEAN,
                                                              "planned_fen": INTEGER, "committed_fen": INTEGER,
                                                              "spent_fen": INTEGER})}}),
    "pledges": {"type": "array", "items": PLEDGE},
    "pledge_totals": {"type": "array", "items": obj({"kind": STRING, "unit": STRING, "pledged": INTEGER,
                                                     "received": INTEGER, "used": INTEGER})},
    "milestones": {"type": "array", "items": obj({"id": INTEGER, "title": STRING, "date": STRING,
                                                  "phase": STRING, "photos": {"type": "array", "items": STRING},
                                                  "documents": {"type": "array", "items": obj({
                                                      "url": STRING, "filename": STRING, "size": INTEGER})}})},
    "ratings": obj({"count": INTEGER, "mean": STRING, "distribution": {"type": "object"},
                    "wave": NULLABLE_INT}),
    "timeline": {"type": "array", "items": obj({"at": STRING, "action": STRING, "by": NULLABLE_STRING,
                                                "note": STRING, "params": {"type": "object"}})},
})


def project_json(p) -> dict:
    return {"id": p.id, "title": p.title, "state": p.state, "category": p.category, "kind": p.kind,
            "place_id": p.place_id, "area_id": p.area_id, "year": p.year, "budget_fen": p.budget_fen,
            "idea_id": p.idea_id, "round_id": p.round_id, "delivery_party": p.delivery_party,
            "delivery_unit": p.delivery_unit, "upkeep_party": p.upkeep_party, "upkeep_unit": p.upkeep_unit,
            "accepted_on": p.accepted_on, "next_check_due": p.next_check_due}


def _s(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    return value if isinstance(value, str) else str(value) if isinstance(value, int) and not isinstance(value, bool) else default


def _photo(data: dict, key: str) -> bytes | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return base64.b64decode(value if isinstance(value, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raise FieldErrors({key: Msg(N_("Please send the photo as base64 text."))}) from None


def _photos(data: dict, key: str, field: str | None = None) -> list[bytes]:
    """A list of base64 photos (``key``); one that is not base64 is refused (on ``field``)."""
    given, field = data.get(key), field or key
    decoded = [_photo({field: p}, field) for p in given] if isinstance(given, list) else []
    return [p for p in decoded if p]


def _media(request: Request):
    return request.app.state.settings.media_dir


async def list_projects(request: Request):
    db = get_db(request)
    overview = projects.overview(db)
    rows = projects.listing(db, area_id=None, state=request.query_params.get("state"))
    return ok({"projects": [project_json(p) for p, _ in rows],
               "by_state": [{"area_id": a, "state": s, "count": c, "budget_fen": b}
                            for (a, s), (c, b) in sorted(overview.by_state.items(), key=str)],
               "by_category": [{"area_id": a, "category": k, "count": c, "budget_fen": b}
                               for (a, k), (c, b) in sorted(overview.by_category.items(), key=str)]})


async def project_detail(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    loaded = load(db, request.path_params["project_id"])
    p = loaded.project
    acc = money.accounts(db, p.id, with_entries=False)
    pledges = money.pledges(db, p.id)
    today = clock.utcnow().date()
    ratings = works.rating_summary(db, p, today)
    documents = works.milestone_documents(db, p.id)

    def name(item):
        shown = money.public_name(item)
        return shown if isinstance(shown, str) else item.pledger_kind

    return ok({
        "project": project_json(p),
        "accounts": {"planned_fen": acc.totals.get("planned", 0), "committed_fen": acc.totals.get("committed", 0),
                     "spent_fen": acc.totals.get("spent", 0),
                     "lines": [{"id": line.id, "name": line.name, "required": line.required,
                                **{f"{k}_fen": acc.by_line.get((line.id, k), 0) for k in rules.ENTRY_KINDS}}
                               for line in acc.lines]},
        "pledges": [{"id": x.id, "pledger": name(x), "pledger_kind": x.pledger_kind, "kind": x.kind,
                     "unit": x.unit, "quantity": x.quantity, "received": x.received, "used": x.used,
                     "state": x.state, "mine": x.user_id is not None and x.user_id == actor.user_id}
                    for x in pledges],
        "pledge_totals": [{k: row[k] for k in ("kind", "unit", "pledged", "received", "used")}
                          for row in money.pledge_totals(pledges)],
        "milestones": [{"id": m.id, "title": m.title, "date": m.happened_on, "phase": m.phase,
                        "photos": [f"/media/{k}.jpg" for k in keys],
                        "documents": [{"url": request.url_for("project_document", document_id=d.id).path,
                                       "filename": d.filename, "size": d.size} for d in documents.get(m.id, [])]}
                       for m, keys in works.milestones(db, p.id)],
        "ratings": {"count": ratings.total, "mean": ratings.mean,
                    "distribution": {str(k): v for k, v in ratings.counts.items()}, "wave": ratings.wave},
        "timeline": [{"at": e.at, "action": e.action, "by": who, "note": e.note, "params": e.params}
                     for e, who in projects.timeline(db, p.id)],
    })


def _input(data: dict) -> projects.ProjectInput:
    return projects.ProjectInput(**{k: _s(data, k, getattr(projects.ProjectInput, k, ""))
                                    for k in projects.ProjectInput.__dataclass_fields__})


async def create(request: Request):
    data = await json_body(request)
    require_user(request)
    year = data.get("year") if isinstance(data.get("year"), int) and not isinstance(data.get("year"), bool) \
        else clock.utcnow().year
    project = projects.create(get_db(request), current_actor(request), place_id=_s(data, "place_id"),
                              year=year, data=_input(data), now=clock.utcnow())
    return ok({"id": project.id}, status=201)


async def edit(request: Request):
    data = await json_body(request)
    project = projects.edit(get_db(request), current_actor(request), request.path_params["project_id"],
                            _input(data), clock.utcnow())
    return ok(project_json(project))


async def move(request: Request):
    data = await json_body(request)
    action = _s(data, "action")
    if action not in rules.MOVES:
        raise FieldErrors({"action": Msg(N_("Please choose start, put_in_use or retire."))})
    project = projects.move(get_db(request), current_actor(request), request.path_params["project_id"],
                            action, clock.utcnow(), note=_s(data, "note"))
    return ok(project_json(project))


async def add_line(request: Request):
    data = await json_body(request)
    line = money.add_line(get_db(request), current_actor(request), request.path_params["project_id"],
                          name=_s(data, "name"), required=data.get("required", True) is not False,
                          now=clock.utcnow())
    return ok({"id": line.id}, status=201)


async def add_entry(request: Request):
    data = await json_body(request)
    entry = money.add_entry(get_db(request), current_actor(request), request.path_params["project_id"],
                            line_id=_s(data, "line_id"), kind=_s(data, "kind"), source=_s(data, "source"),
                            amount=_s(data, "amount"), reason=_s(data, "reason"), now=clock.utcnow())
    return ok({"id": entry.id, "amount_fen": entry.amount_fen}, status=201)


async def meeting(request: Request):
    data = await json_body(request)
    db = get_db(request)
    scan = _photo(data, "record")
    key = works.store_photos(works.processed_photos([scan], "record", 1), _media(request))[0] if scan else None
    project = projects.record_meeting(db, current_actor(request), request.path_params["project_id"],
                                      meeting_on=rules.parse_date(data.get("meeting_on")), record_key=key,
                                      public_appeal=data.get("public_appeal") is True,
                                      appeal_partner=_s(data, "appeal_partner"), now=clock.utcnow())
    return ok(project_json(project))


def pledge_json(x) -> dict:
    return {"id": x.id, "state": x.state, "quantity": x.quantity, "received": x.received, "used": x.used}


async def pledge(request: Request):
    data = await json_body(request)
    item = money.pledge(get_db(request), current_actor(request), current_user(request),
                        request.path_params["project_id"], pledger_kind=_s(data, "pledger_kind", "household"),
                        pledger_name=_s(data, "pledger_name"), kind=_s(data, "kind"), unit=_s(data, "unit"),
                        quantity=_s(data, "quantity"), show_name=data.get("show_name") is True, now=clock.utcnow(),
                        on_behalf=data.get("on_behalf") is True)
    return ok(pledge_json(item), status=201)


async def pledge_step(request: Request):
    data = await json_body(request)
    db = get_db(request)
    actor = current_actor(request)
    pid = request.path_params["pledge_id"]
    step = request.path_params["step"]
    now = clock.utcnow()
    if step == "change":
        item = money.change_pledge(db, actor, pid, quantity=_s(data, "quantity"),
                                   show_name=data.get("show_name") is True, now=now)
    elif step == "withdraw":
        item = money.withdraw_pledge(db, actor, pid, now)
    elif step == "confirm":
        item = money.confirm_pledge(db, actor, pid, now)
    elif step == "receive":
        scan = _photo(data, "receipt_file")
        processed = works.processed_photos([scan], "receipt_file", 1) if scan else []
        key = works.store_photos(processed, _media(request))[0] if processed else None
        item = money.receive_pledge(db, actor, pid, quantity=_s(data, "quantity"), receipt=_s(data, "receipt"),
                                    receipt_key=key, note=_s(data, "note"), now=now)
    elif step in ("use", "return"):
        item = money.use_pledge(db, actor, pid, action=step, quantity=_s(data, "quantity"),
                                note=_s(data, "note"), now=now)
    else:
        raise FieldErrors({"step": Msg(N_("This step does not exist."))})
    return ok(pledge_json(item))


async def confirm_receipt(request: Request):
    await json_body(request)
    entry = money.confirm_receipt(get_db(request), current_actor(request), request.path_params["entry_id"],
                                  clock.utcnow())
    return ok({"id": entry.id, "confirmed_how": entry.confirmed_how, "quantity": entry.quantity})


async def milestone(request: Request):
    data = await json_body(request)
    item = works.add_milestone(get_db(request), current_actor(request), request.path_params["project_id"],
                               title=_s(data, "title"), happened_on=rules.parse_date(data.get("date")),
                               body=_s(data, "body"), phase=_s(data, "phase", "during"),
                               photos=_photos(data, "photos"), media_dir=_media(request), now=clock.utcnow())
    return ok({"id": item.id}, status=201)


async def sign(request: Request):
    data = await json_body(request)
    require_user(request)
    item = works.sign_acceptance(get_db(request), current_actor(request), request.path_params["project_id"],
                                 note=_s(data, "note"), record=_photo(data, "record"), media_dir=_media(request),
                                 now=clock.utcnow())
    return ok({"id": item.id, "capacity": item.capacity}, status=201)


async def rate(request: Request):
    data = await json_body(request)
    item = works.rate(get_db(request), current_actor(request), request.path_params["project_id"],
                      stars=_s(data, "stars"), comment=_s(data, "comment"), channel=_s(data, "channel", "app"),
                      now=clock.utcnow())
    return ok({"id": item.id, "wave": item.wave}, status=201)


async def paper_rating(request: Request):
    data = await json_body(request)
    item = works.enter_paper_rating(get_db(request), current_actor(request), request.path_params["project_id"],
                                    card=_s(data, "card"), stars=_s(data, "stars"), comment=_s(data, "comment"),
                                    now=clock.utcnow())
    return ok({"id": item.id, "wave": item.wave}, status=201)


async def record_check(request: Request):
    data = await json_body(request)
    given = data.get("items") if isinstance(data.get("items"), dict) else {}
    items = {}
    for key, value in given.items():
        value = value if isinstance(value, dict) else {}
        items[str(key)] = register.ItemInput(result=_s(value, "result"), note=_s(value, "note"),
                                             photos=_photos(value, "photos", f"photos_{key}"),
                                             repair_party=_s(value, "repair_party"),
                                             repair_unit=_s(value, "repair_unit"),
                                             repair_due=rules.parse_date(value.get("repair_due")))
    check = register.record_check(get_db(request), current_actor(request), request.path_params["project_id"],
                                  checked_on=rules.parse_date(data.get("checked_on")), items=items,
                                  media_dir=_media(request), now=clock.utcnow())
    return ok({"id": check.id, "failed": check.failed}, status=201)


async def recheck(request: Request):
    data = await json_body(request)
    repair = register.recheck_repair(get_db(request), current_actor(request), request.path_params["repair_id"],
                                     result=_s(data, "result"), note=_s(data, "note"),
                                     photos=_photos(data, "photos"),
                                     media_dir=_media(request), now=clock.utcnow())
    return ok({"id": repair.id, "state": repair.state})


async def due(request: Request):
    require(request, "view_staff_area")
    from consult.delivery.exports import scope_areas

    db = get_db(request)
    found = register.due_list(db, clock.utcnow().date(), area_ids=scope_areas(db, current_actor(request)))
    return ok({"due": [{"project_id": d.project_id, "title": d.title, "area_id": d.area_id, "due_on": d.due_on,
                        "what": d.what, "party": d.party, "overdue": d.overdue} for d in found]})


ITEMS = {"type": "object", "description": "checklist item key → its result",
         "additionalProperties": obj({"result": {"type": "string", "enum": list(rules.RESULTS)}, "note": STRING,
                                      "photos": {"type": "array", "items": STRING,
                                                 "description": "up to 3 photos as base64"},
                                      "repair_party": STRING, "repair_unit": STRING, "repair_due": STRING})}
FIELDS = {k: STRING for k in ("title", "description", "category", "kind", "location", "budget", "delivery_party",
                              "delivery_unit", "upkeep_party", "upkeep_unit", "contact_name", "contact_phone")}
PLEDGE_STEP = obj({"id": INTEGER, "state": STRING, "quantity": INTEGER, "received": INTEGER, "used": INTEGER})
P = "/projects/{project_id:int}"

routes = [
    api_route("/projects", list_projects, name="api_projects", tag="delivery", auth=False,
              summary="Projects, with counts and budgets by area and state, and by area and category",
              response=obj({"projects": {"type": "array", "items": PROJECT}, "by_state": {"type": "array"},
                            "by_category": {"type": "array"}})),
    api_route("/projects", create, method="POST", name="api_project_create", tag="delivery", status=201,
              summary="Create a project decided outside a vote (staff of the place)", response=CREATED,
              body=obj({"place_id": INTEGER, "year": INTEGER, **FIELDS},
                       ["place_id", "title", "category", "delivery_party", "upkeep_party"])),
    api_route(P, project_detail, name="api_project", tag="delivery", auth=False,
              summary="A project: accounts, pledges (names only with consent), milestones, ratings, timeline",
              response=DETAIL),
    api_route(P, edit, method="POST", name="api_project_edit", tag="delivery",
              summary="Change a project's details and responsible parties (while planned or in progress)",
              body=obj(FIELDS), response=PROJECT),
    api_route(P + "/move", move, method="POST", name="api_project_move", tag="delivery",
              summary="start, put_in_use (into the register) or retire (with a note)",
              body=obj({"action": {"type": "string", "enum": list(rules.MOVES)}, "note": STRING}, ["action"]),
              response=PROJECT),
    api_route(P + "/budget-lines", add_line, method="POST", name="api_project_line", tag="delivery", status=201,
              summary="Add a budget line (required or optional)", body=obj({"name": STRING, "required": BOOLEAN},
                                                                       ["name"]), response=CREATED),
    api_route(P + "/budget-entries", add_entry, method="POST", name="api_project_entry", tag="delivery",
              status=201, summary="Add a planned, committed or spent entry (negative to correct); append-only",
              body=obj({"line_id": INTEGER, "kind": {"type": "string", "enum": list(rules.ENTRY_KINDS)},
                        "source": {"type": "string", "enum": list(rules.SOURCES)},
                        "amount": {"type": "string", "description": "yuan, at most two decimals"},
                        "reason": STRING}, ["line_id", "kind", "source", "amount", "reason"]),
              response=obj({"id": INTEGER, "amount_fen": INTEGER})),
    api_route(P + "/meeting", meeting, method="POST", name="api_project_meeting", tag="delivery",
              summary="Record the residents' meeting decision of a 共筹 project (and its 公募 partner)",
              body=obj({"meeting_on": STRING, "record": STRING, "public_appeal": BOOLEAN,
                        "appeal_partner": STRING}, ["meeting_on"]), response=PROJECT),
    api_route(P + "/pledges", pledge, method="POST", name="api_project_pledge", tag="delivery", status=201,
              summary="Pledge (a resident, for their household) or enter a pledge on behalf of a pledger "
                      "(staff, on_behalf)",
              body=obj({"pledger_kind": {"type": "string", "enum": list(rules.PLEDGER_KINDS)},
                        "pledger_name": STRING, "kind": {"type": "string", "enum": list(rules.PLEDGE_KINDS)},
                        "unit": STRING, "quantity": STRING, "show_name": BOOLEAN, "on_behalf": BOOLEAN},
                       ["kind", "quantity"]),
              response=PLEDGE_STEP),
    api_route("/pledges/{pledge_id:int}/{step}", pledge_step, method="POST", name="api_pledge_step",
              tag="delivery", summary="A pledge's step: change or withdraw (the pledger, until received), "
                                      "confirm, receive (with its receipt), use or return (staff)",
              body=obj({"quantity": STRING, "show_name": BOOLEAN,
                        "receipt": {"type": "string", "enum": list(money.RECEIPTS)},
                        "receipt_file": STRING, "note": STRING}), response=PLEDGE_STEP),
    api_route("/receipts/{entry_id:int}/confirm", confirm_receipt, method="POST", name="api_receipt_confirm",
              tag="delivery", summary="Confirm a pledge's receipt: the pledger, or a second staff member "
                                      "(never who recorded it)",
              body=obj({}), response=obj({"id": INTEGER, "confirmed_how": STRING, "quantity": INTEGER})),
    api_route(P + "/milestones", milestone, method="POST", name="api_project_milestone", tag="delivery",
              status=201, summary="Add a milestone (photos as base64, up to 6)",
              body=obj({"title": STRING, "date": STRING, "body": STRING,
                        "phase": {"type": "string", "enum": list(rules.PHASES)},
                        "photos": {"type": "array", "items": STRING}}, ["title", "date"]), response=CREATED),
    api_route(P + "/acceptance", sign, method="POST", name="api_project_sign", tag="delivery", status=201,
              summary="Sign the acceptance: staff (with the record's photo) or a residents' representative",
              body=obj({"note": STRING, "record": STRING}), response=obj({"id": INTEGER, "capacity": STRING})),
    api_route(P + "/ratings", rate, method="POST", name="api_project_rate", tag="delivery", status=201,
              summary="Rate a completed project, 1–5 stars (one per resident and wave: 30, 180 days)",
              body=obj({"stars": INTEGER, "comment": STRING, "channel": STRING}, ["stars"]),
              response=obj({"id": INTEGER, "wave": INTEGER})),
    api_route(P + "/paper-ratings", paper_rating, method="POST", name="api_project_paper_rating", tag="delivery",
              status=201, summary="Enter a paper rating card (staff)",
              body=obj({"card": STRING, "stars": INTEGER, "comment": STRING}, ["card", "stars"]),
              response=obj({"id": INTEGER, "wave": INTEGER})),
    api_route(P + "/checks", record_check, method="POST", name="api_project_check", tag="delivery", status=201,
              summary="Record a safety check; failed items open repairs",
              body=obj({"checked_on": STRING, "items": ITEMS}, ["checked_on", "items"]),
              response=obj({"id": INTEGER, "failed": INTEGER})),
    api_route("/repairs/{repair_id:int}/recheck", recheck, method="POST", name="api_repair_recheck",
              tag="delivery", summary="Re-check a repaired item (another staff member than who recorded the failure): "
                                      "pass closes the repair",
              body=obj({"result": {"type": "string", "enum": ["pass", "fail"]}, "note": STRING,
                        "photos": {"type": "array", "items": STRING}}, ["result"]),
              response=obj({"id": INTEGER, "state": STRING})),
    api_route("/register/due", due, name="api_register_due", tag="delivery",
              summary="Safety checks due within 30 days or overdue, and open repairs, in my areas",
              response=obj({"due": {"type": "array", "items": obj({
                  "project_id": INTEGER, "title": STRING, "area_id": NULLABLE_INT, "due_on": STRING,
                  "what": STRING, "party": STRING, "overdue": BOOLEAN})}})),
]
