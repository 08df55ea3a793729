"""Consultations and their rounds over the API, and the committee's figures and exports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from consult import clock
from consult.consultations import exports, rules, services
from consult.consultations.api.common import _str, consultation_json, round_json
from consult.consultations.models import Consultation
from consult.parsing import parse_local_datetime
from consult.web.api import json_body, ok
from consult.web.auth import current_actor, require
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, XLSX_TYPE, download
from consult.web.templating import translator_for


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
    item = services.get_round(db, request.path_params["rid"], lock=True)
    now = clock.utcnow()  # once the round is locked
    action = request.url.path.rsplit("/", 1)[-1]
    carried = None
    if action == "close":
        carried = services.close_round(db, actor, item, reason=_str(data, "reason"), now=now,
                                       open_next=data.get("open_next", True) is not False)
    elif action == "extend":
        services.extend_round(db, actor, item, reason=_str(data, "reason"), now=now,
                              closes_at=parse_local_datetime(_str(data, "closes_at")),
                              move_later=data.get("move_later", False) is True)
    else:
        carried = services.carry_forward(db, actor, item, now)
    return ok({**round_json(item, now), "carried": carried})


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
