"""Owners' votes over the JSON API: the same services as the pages.

Areas are strings with exactly two decimals and ratios are exact fractions
(``"2/3"``) next to a rounded percentage, so no client ever needs a float.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

from consult import clock
from consult.db.ids import parse_count
from consult.i18n import N_, Msg
from consult.web.api import BOOLEAN, INTEGER, STRING, Body, api_route, json_body, obj, ok
from consult.web.auth import current_actor, current_user, require_user
from consult.web.db import get_db
from consult.web.errors import api_error
from consult.web.templating import translator_for

from . import labels, rules, services
from .cli import outcome_json
from .models import OwnerBallot, OwnerMatter

NULLABLE_STRING = {"type": ["string", "null"]}
AREA = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "m², two decimals"}
RATIO = obj({"fraction": STRING, "percent": STRING})
MATTER = obj({"id": INTEGER, "estate_id": INTEGER, "title": STRING, "kind": STRING,
              "major": BOOLEAN, "description": STRING, "opens_at": STRING, "closes_at": STRING,
              "state": {"type": "string", "enum": [s.value for s in rules.MatterState]},
              "paper_double_key": BOOLEAN, "notice_days": INTEGER, "notice_ends_at": STRING})
BALLOT = obj({"id": INTEGER, "matter_id": INTEGER, "home_id": STRING, "owner": STRING,
              "choice": NULLABLE_STRING, "channel": STRING, "status": STRING, "active": BOOLEAN,
              "paper_serial": NULLABLE_STRING, "proxy_holder": NULLABLE_STRING,
              "cast_at": STRING, "void_reason": NULLABLE_STRING})
VOICE = obj({"owner": STRING, "names": {"type": "array", "items": STRING},
             "homes": {"type": "array", "items": STRING}, "area": AREA,
             "ballot": {"oneOf": [BALLOT, {"type": "null"}]}})
TURNOUT = obj({"area_total": AREA, "owners_total": INTEGER, "area_voted": AREA,
               "owners_voted": INTEGER, "area_turnout": RATIO, "owners_turnout": RATIO,
               "quorum_met": BOOLEAN, "uncounted": INTEGER})
RESULT = obj({"matter": STRING, "area_total": AREA, "owners_total": INTEGER, "area_voted": AREA,
              "owners_voted": INTEGER, "area_agree": AREA, "owners_agree": INTEGER,
              "area_disagree": AREA, "owners_disagree": INTEGER, "area_abstain": AREA,
              "owners_abstain": INTEGER, "area_agree_ratio": RATIO, "owners_agree_ratio": RATIO,
              "quorum_met": BOOLEAN, "passed": BOOLEAN, "notice_days": INTEGER, "notice_ends_at": STRING,
              "voided": obj({"count": INTEGER, "reasons": {"type": "array", "items": STRING}})})
HOME = obj({"id": INTEGER, "home_id": STRING, "building": STRING, "room": STRING, "area": AREA,
            "developer_held": BOOLEAN,
            "owners": {"type": "array", "items": obj({"id": INTEGER, "name": STRING,
                                                      "identifier": {"type": ["string", "null"]},
                                                      "linked": BOOLEAN})}})
REGISTER = obj({"estate_id": INTEGER, "area_total": {"oneOf": [AREA, {"type": "null"}]},
                "owners_total": {"type": ["integer", "null"]},
                "homes_total": {"type": ["integer", "null"]}, "page": INTEGER,
                "pages": INTEGER, "homes": {"type": "array", "items": HOME}})


def _ratio(value) -> dict:
    return {"fraction": f"{value.numerator}/{value.denominator}", "percent": labels.percent(value)}


def matter_json(matter: OwnerMatter, now) -> dict:
    return {"id": matter.id, "estate_id": matter.estate_id, "title": matter.title,
            "kind": matter.kind, "major": rules.is_major(matter.kind),
            "description": matter.description, "opens_at": matter.opens_at,
            "closes_at": matter.closes_at, "state": services.state_of(matter, now).value,
            "paper_double_key": matter.paper_double_key, "notice_days": matter.notice_days,
            "notice_ends_at": services.notice_ends(matter)}


def ballot_json(ballot: OwnerBallot, *, with_choice: bool = True) -> dict:
    """A ballot; ``with_choice`` only for its own voter (staff never learn how an owner
    voted while voting is open: their answers carry ``choice: null``)."""
    return {"id": ballot.id, "matter_id": ballot.matter_id, "home_id": ballot.home_code,
            "owner": ballot.owner_key, "choice": ballot.choice if with_choice else None,
            "channel": ballot.channel,
            "status": ballot.status, "active": ballot.active is True,
            "paper_serial": ballot.paper_serial, "proxy_holder": ballot.proxy_holder,
            "cast_at": ballot.cast_at, "void_reason": ballot.void_reason}


async def register_get(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    number = parse_count(request.query_params.get("page", "1")) or 1
    page = services.register_page(db, current_actor(request), estate, number)
    totals = page.totals
    return ok({
        "estate_id": estate.id,
        "area_total": str(totals.area_total) if totals else None,
        "owners_total": totals.owners_total if totals else None,
        "homes_total": totals.homes_total if totals else None,
        "page": page.page, "pages": page.pages,
        "homes": [{"id": h.id, "home_id": h.code, "building": h.building, "room": h.room,
                   "area": str(rules.cents_to_area(h.area_hundredths)),
                   "developer_held": h.developer_held,
                   "owners": [{"id": o.id, "name": o.name, "identifier": o.identifier,
                               "linked": u is not None}
                              for o, u in page.owners[h.id]]} for h in page.homes],
    })


async def register_import(request: Request):
    data = await json_body(request)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    text = data.get("csv")
    if not isinstance(text, str):
        return api_error(request, 422, "invalid", Msg(N_("Please choose a file.")))
    try:
        summary = services.import_register(db, current_actor(request), estate,
                                           filename=str(data.get("filename") or "homes.csv"),
                                           data=text.encode("utf-8"), now=clock.utcnow())
    except services.RegisterRejected as exc:
        fields: dict = {}
        for line, message in zip(exc.lines, exc.messages, strict=True):
            base = f"line_{line}" if line else "file"
            key, number = base, 1
            while key in fields:  # several problems on one line: line_3, line_3_2, ...
                number += 1
                key = f"{base}_{number}"
            fields[key] = message
        return api_error(request, 422, exc.code, exc.msg, fields)
    return ok({"created": summary.created, "updated": summary.updated,
               "removed": summary.removed, "area_total": str(summary.totals.area_total),
               "owners_total": summary.totals.owners_total,
               "homes_total": summary.totals.homes_total,
               "warnings": [translator_for(request)(w) for w in summary.warnings]})


async def matters_list(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    now = clock.utcnow()
    return ok({"matters": [matter_json(m, now) for m in services.matters_of(
        db, estate, request.query_params.get("q"))]})


async def matter_create(request: Request):
    data = await json_body(request)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    now = clock.utcnow()
    matter = services.create_matter(
        db, current_actor(request), estate, title=str(data.get("title", "")),
        kind=str(data.get("kind", "")), description=str(data.get("description", "")),
        opens_at=str(data.get("opens_at", "")), closes_at=str(data.get("closes_at", "")),
        paper_double_key=data.get("paper_double_key") is True, now=now,
        notice_days=data.get("notice_days"))
    return ok(matter_json(matter, now), status=201)


async def matter_get(request: Request):
    db = get_db(request)
    matter, _ = services.get_matter(db, request.path_params["matter_id"])
    body = matter_json(matter, clock.utcnow())
    body["attachments"] = [{"id": a.id, "filename": a.filename, "content_type": a.content_type}
                           for a in services.attachments_of(db, matter)]
    body["voices"] = [
        {"owner": v.digest, "names": list(v.names), "homes": [h.home_id for h in v.homes],
         "area": str(rules.cents_to_area(v.area_cents)),
         "ballot": ballot_json(v.ballot) if v.ballot else None}
        for v in services.voices(db, current_user(request), matter)
    ]
    return ok(body)


async def ballot_cast(request: Request):
    data = await json_body(request)
    user = require_user(request)
    ballot = services.cast_web_ballot(get_db(request), current_actor(request), user,
                                      request.path_params["matter_id"],
                                      owner=str(data.get("owner") or ""),
                                      choice=str(data.get("choice", "")), now=clock.utcnow())
    return ok(ballot_json(ballot), status=201)


async def paper_enter(request: Request):
    data = await json_body(request)
    require_user(request)
    entry = services.enter_paper_ballot(get_db(request), current_actor(request),
                                        request.path_params["matter_id"],
                                        serial=str(data.get("serial", "")),
                                        home=str(data.get("home_id", "")),
                                        choice=str(data.get("choice", "")), now=clock.utcnow())
    # not the choice: a second keyer must not learn what the first one keyed
    return ok({"outcome": entry.outcome, "ballot": ballot_json(entry.ballot, with_choice=False)},
              status=201)


class ProxyBody(Body):
    """The text fields of a proxy ballot (委托书); the signed form itself is the file ``file``."""

    home_id: str
    choice: Literal["agree", "disagree", "abstain"]
    holder: str


async def proxy_enter(request: Request):
    data = request.state.api_body
    filename, scan = request.state.api_files.get("file", ("", b""))
    require_user(request)
    ballot = services.enter_proxy_ballot(get_db(request), current_actor(request), request.app.state.settings,
                                         request.path_params["matter_id"], home=data["home_id"],
                                         choice=data["choice"], holder=data["holder"],
                                         filename=filename, scan=scan, now=clock.utcnow())
    return ok(ballot_json(ballot, with_choice=False), status=201)


async def ballot_void(request: Request):
    data = await json_body(request)
    require_user(request)
    ballot = services.void_ballot(get_db(request), current_actor(request),
                                  request.path_params["ballot_id"],
                                  reason=str(data.get("reason", "")), now=clock.utcnow())
    return ok(ballot_json(ballot, with_choice=False))


LINK = obj({"id": INTEGER, "estate_id": INTEGER, "name": STRING, "home_id": STRING,
            "status": {"type": "string", "enum": ["pending", "linked", "refused", "cancelled"]},
            "method": NULLABLE_STRING, "code": NULLABLE_STRING})


def link_json(link, *, with_code: bool = False) -> dict:
    """A link request; its code only for the account holder (never to staff)."""
    return {"id": link.id, "estate_id": link.estate_id, "name": link.name,
            "home_id": link.home_code, "status": link.status, "method": link.method,
            "code": link.code if with_code and link.requested_by != link.user_id else None}


async def link_request(request: Request):
    data = await json_body(request)
    require_user(request)
    link = services.request_link(get_db(request), current_actor(request),
                                 request.path_params["owner_id"],
                                 phone=str(data.get("phone", "")), now=clock.utcnow())
    return ok(link_json(link), status=201)


async def links_mine(request: Request):
    user = require_user(request)
    return ok({"links": [link_json(link, with_code=True)
                         for link, _ in services.my_link_requests(get_db(request), user)]})


def _link_action(method: rules.LinkMethod | None):
    async def endpoint(request: Request):
        data = await json_body(request)
        require_user(request)
        db, actor, now = get_db(request), current_actor(request), clock.utcnow()
        link_id = request.path_params["link_id"]
        if method is None:
            link = services.refuse_link(db, actor, link_id, now=now)
        else:
            link = services.confirm_link(db, actor, link_id, method=method,
                                         code=str(data.get("code", "")), now=now)
        return ok(link_json(link))
    return endpoint


async def turnout_get(request: Request):
    _, _, turnout = services.turnout(get_db(request), current_actor(request),
                                     request.path_params["matter_id"])
    return ok({"area_total": str(turnout.area_total), "owners_total": turnout.owners_total,
               "area_voted": str(turnout.area_voted), "owners_voted": turnout.owners_voted,
               "area_turnout": _ratio(turnout.area_turnout),
               "owners_turnout": _ratio(turnout.owners_turnout),
               "quorum_met": turnout.quorum_met, "uncounted": turnout.uncounted})


async def result_get(request: Request):
    db = get_db(request)
    matter, _, outcome = services.result(db, request.path_params["matter_id"], clock.utcnow())
    body = outcome_json(outcome)
    reasons = services.voided_reasons(db, matter)
    body["voided"] = {"count": len(reasons), "reasons": reasons}
    body.update({"notice_days": matter.notice_days, "notice_ends_at": services.notice_ends(matter)})
    body.update({"area_disagree": str(outcome.area_disagree),
                 "owners_disagree": outcome.owners_disagree,
                 "area_abstain": str(outcome.area_abstain),
                 "owners_abstain": outcome.owners_abstain,
                 "area_agree_ratio": _ratio(outcome.area_agree_ratio),
                 "owners_agree_ratio": _ratio(outcome.owners_agree_ratio)})
    return ok(body)


routes = [
    api_route("/estates/{estate_id:int}/owners/register", register_get,
              name="api_owners_register", tag="owners",
              summary="An estate's home register: totals under Civil Code art. 278 and one page of homes",
              params={"page": INTEGER}, response=REGISTER),
    api_route("/estates/{estate_id:int}/owners/register", register_import, method="POST",
              name="api_owners_register_import", tag="owners",
              summary="Replace the register from homes.csv text; all or nothing, every bad line reported",
              body=obj({"csv": STRING, "filename": STRING}, ["csv"]),
              response=obj({"created": INTEGER, "updated": INTEGER, "removed": INTEGER,
                            "area_total": AREA, "owners_total": INTEGER, "homes_total": INTEGER,
                            "warnings": {"type": "array", "items": STRING}})),
    api_route("/estates/{estate_id:int}/owners/matters", matters_list, name="api_owners_matters",
              tag="owners", auth=False, summary="The matters put to an estate's owners",
              response=obj({"matters": {"type": "array", "items": MATTER}})),
    api_route("/estates/{estate_id:int}/owners/matters", matter_create, method="POST",
              name="api_owners_matter_create", tag="owners",
              summary="Put a matter to the owners (times ISO 8601; without offset they are Beijing time)",
              body=obj({"title": STRING, "kind": {"type": "string", "enum": [k.value for k in rules.MatterKind]},
                        "description": STRING, "opens_at": STRING, "closes_at": STRING,
                        "paper_double_key": BOOLEAN,
                        "notice_days": {"type": "integer", "minimum": rules.NOTICE_DAYS_RANGE[0],
                                        "maximum": rules.NOTICE_DAYS_RANGE[1],
                                        "description": "days the result stays posted after the close "
                                                       f"(公告期); {rules.NOTICE_DAYS} when left out"}},
                       ["title", "kind", "opens_at", "closes_at"]),
              response=MATTER, status=201),
    api_route("/owners/matters/{matter_id:int}", matter_get, name="api_owners_matter",
              tag="owners", auth=False,
              summary="A matter, its documents and, for a signed-in owner, the owners they vote for",
              response=obj({**MATTER["properties"], "attachments": {"type": "array"},
                            "voices": {"type": "array", "items": VOICE}})),
    api_route("/owners/matters/{matter_id:int}/ballots", ballot_cast, method="POST",
              name="api_owners_ballot_cast", tag="owners",
              summary="Cast my ballot online (final once cast); owner is a voice's id when I vote for several",
              body=obj({"owner": STRING, "choice": {"type": "string", "enum": ["agree", "disagree", "abstain"]}},
                       ["choice"]), response=BALLOT, status=201),
    api_route("/owners/matters/{matter_id:int}/paper-ballots", paper_enter, method="POST",
              name="api_owners_paper_enter", tag="owners",
              summary="Staff: key a paper ballot; the same serial keyed by a second person double-checks it",
              body=obj({"serial": STRING, "home_id": STRING,
                        "choice": {"type": "string", "enum": ["agree", "disagree", "abstain"]}},
                       ["serial", "home_id", "choice"]),
              response=obj({"outcome": {"type": "string", "enum": ["entered", "confirmed", "mismatch"]},
                            "ballot": BALLOT}), status=201),
    api_route("/owners/matters/{matter_id:int}/proxy-ballots", proxy_enter, method="POST",
              name="api_owners_proxy_enter", tag="owners",
              summary="Staff: enter a ballot by written proxy (multipart/form-data: the holder, the "
                      "choice and the signed 委托书 as file)",
              form=ProxyBody, files={"file": "the scan or photo of the signed proxy form (委托书)"},
              response=BALLOT, status=201),
    api_route("/owners/ballots/{ballot_id:int}/void", ballot_void, method="POST",
              name="api_owners_ballot_void", tag="owners",
              summary="Staff: void a ballot before the close, with a reason; the owner may vote again",
              body=obj({"reason": STRING}, ["reason"]), response=BALLOT),
    api_route("/owners/owner-records/{owner_id:int}/link", link_request, method="POST",
              name="api_owners_link_request", tag="owners",
              summary="Staff: ask to link an owner of record to the account with this mobile number; someone else confirms it",
              body=obj({"phone": STRING}, ["phone"]), response=LINK, status=201),
    api_route("/owners/links", links_mine, name="api_owners_links", tag="owners",
              summary="The link requests waiting for my answer, with the code to read out",
              response=obj({"links": {"type": "array", "items": LINK}})),
    api_route("/owners/links/{link_id:int}/confirm", _link_action(rules.LinkMethod.OWNER),
              method="POST", name="api_owners_link_confirm", tag="owners",
              summary="Account holder: confirm a link to my account (not one I asked for myself)",
              response=LINK),
    api_route("/owners/links/{link_id:int}/code", _link_action(rules.LinkMethod.CODE),
              method="POST", name="api_owners_link_code", tag="owners",
              summary="Staff: confirm a link with the code the owner reads from their page",
              body=obj({"code": STRING}, ["code"]), response=LINK),
    api_route("/owners/links/{link_id:int}/approve", _link_action(rules.LinkMethod.SECOND_STAFF),
              method="POST", name="api_owners_link_approve", tag="owners",
              summary="Second staff member: approve a link someone else asked for (not while a matter is open)",
              response=LINK),
    api_route("/owners/links/{link_id:int}/refuse", _link_action(None), method="POST",
              name="api_owners_link_refuse", tag="owners",
              summary="Account holder: refuse a link; staff: withdraw it", response=LINK),
    api_route("/owners/matters/{matter_id:int}/turnout", turnout_get, name="api_owners_turnout",
              tag="owners", summary="Live turnout by area and by owners (not how they voted)",
              response=TURNOUT),
    api_route("/owners/matters/{matter_id:int}/result", result_get, name="api_owners_result",
              tag="owners", auth=False,
              summary="The full count once voting has closed (the recount command's figures and more)",
              response=RESULT),
]
