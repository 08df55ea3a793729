"""A vote's tables as downloads (CSV, or Excel with ``.xlsx``): the ideas by score once the
result is published (for anyone), the turnout by area and the list of who may be entered
on paper, marked voted or not (for the round's staff). Chinese headers, sheet and file
names in a Chinese reader's language; money in yuan as exact decimals, never floats."""

from __future__ import annotations

from decimal import Decimal

from starlette.requests import Request

from consult import clock
from consult.i18n import N_, Msg
from consult.voting import rules, services
from consult.voting.routes.common import _round, _staff_actor
from consult.web.db import get_db
from consult.web.downloads import table_download
from consult.web.templating import translator_for


def _fmt(request: Request) -> str:
    return "csv" if request.query_params.get("format") == "csv" else "xlsx"


def _yuan(fen: int | None) -> Decimal | str:
    return "" if fen is None else Decimal(fen) / 100


def _sheet(t, rows, sheet: str, vr, request):
    """The table as ``<round>-<sheet>.xlsx`` (one sheet named for what it holds) or .csv."""
    name = t(Msg(sheet))
    return table_download(rows, f"{vr.title}-{name}", _fmt(request), sheet=name)


async def export_ranking(request: Request):
    vr = _round(request)
    found = services.results(get_db(request), vr, clock.utcnow())
    t = translator_for(request)
    yes, no = t(Msg(N_("yes"))), t(Msg(N_("no")))
    rows = [[t(Msg(h)) for h in (N_("Ranking place"), N_("Idea voted on"), N_("Score"),
                                 N_("Cost (yuan)"), N_("Selected in the vote"))]]
    rows += [[n, row.idea.title, row.score, _yuan(row.idea.cost_fen), yes if row.selected else no]
             for n, row in enumerate(found.rows, start=1)]
    return _sheet(t, rows, N_("Ranking by score"), vr, request)


async def export_turnout(request: Request):
    vr = _round(request)
    actor = _staff_actor(request, vr, "view_turnout")
    found = services.turnout(get_db(request), actor, vr)
    t = translator_for(request)
    rows = [[t(Msg(h)) for h in (N_("Residential area"), N_("Ballots cast"), N_("Could vote"),
                                 N_("Turnout"))]]
    rows += [[r.place.name, r.voted, "" if r.eligible is None else r.eligible, r.share]
             for r in found.areas]
    if found.unknown_area:
        rows.append([t(Msg(N_("Area not known"))), found.unknown_area, "", ""])
    return _sheet(t, rows, N_("Turnout of the vote"), vr, request)


async def export_voters(request: Request):
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    listed = services.voter_list(get_db(request), actor, vr, request.query_params.get("q", ""),
                                 limit=100_000)
    t = translator_for(request)
    owners = vr.settings.eligibility == "owners"
    rows = [[t(Msg(h)) for h in ((N_("Home"), N_("Estate")) if owners else
                                 (N_("Resident's name"), N_("Last four characters of the identity card"),
                                  N_("Residential area"))) + (N_("Voted"),)]]
    for row in listed:
        voted = (t(Msg(N_("Voted (%(channel)s)"), {"channel": t(Msg(rules.CHANNEL_NAMES[row.channel]))}))
                 if row.channel else t(Msg(N_("Not voted"))))
        rows.append([row.home.code, row.place.name, voted] if owners
                    else [row.person.name, row.person.id_last4, row.place.name, voted])
    return _sheet(t, rows, N_("Voters on paper"), vr, request)
