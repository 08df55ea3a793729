"""Projects, pledges, spending and checks as CSV (UTF-8 with BOM, for Excel on Windows)
and Excel, for the staff of the areas they serve. Amounts are yuan with two decimals,
written from integer fen (never a float); text typed by people never becomes a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.communities import services as places
from consult.communities.models import Place
from consult.delivery import rules
from consult.delivery.models import BudgetEntry, BudgetLine, CheckItem, Pledge, Project, SafetyCheck
from consult.i18n import N_, Msg, Translator
from consult.parsing import format_yuan
from consult.permissions import Actor
from consult.web.downloads import excel_csv, safe_cell


def scope_areas(db: Session, actor: Actor) -> list[int] | None:
    """The areas whose projects the actor's staff roles cover (None: all of them)."""
    mine = places.staff_places(actor, db)
    if any(len(p.ids_from_root) == 1 for p in mine):
        return None
    return sorted({rules.area_of(p.ids_from_root) or p.id for p in mine})


def _scoped(query, areas: list[int] | None):
    return query if areas is None else query.where(Project.area_id.in_(areas))


def project_rows(db: Session, areas) -> list[list]:
    rows = db.exec(_scoped(select(Project, Place.name).join(Place, Place.id == Project.place_id), areas)
                   .order_by(Project.id)).all()
    return [[p.id, p.year, p.title, Msg(rules.CATEGORIES[p.category]), place, p.location,
             Msg(rules.STATE_NAMES[p.state]), format_yuan(p.budget_fen), Msg(rules.PARTIES[p.delivery_party]),
             p.delivery_unit, Msg(rules.PARTIES[p.upkeep_party]), p.upkeep_unit, p.contact_name,
             p.accepted_on or "", p.next_check_due or ""] for p, place in rows]


def pledge_rows(db: Session, areas) -> list[list]:
    rows = db.exec(_scoped(select(Pledge, Project.title).join(Project, Project.id == Pledge.project_id), areas)
                   .order_by(Pledge.id)).all()
    return [[p.id, p.project_id, title, Msg(rules.PLEDGER_KINDS[p.pledger_kind]), p.pledger_name,
             Msg(rules.PLEDGE_KINDS[p.kind]), p.unit, *_amounts(p), Msg(rules.PLEDGE_STATE_NAMES[p.state]),
             p.created_at] for p, title in rows]


def _amounts(p: Pledge) -> list:
    if p.kind == "money":
        return [format_yuan(p.quantity), format_yuan(p.received), format_yuan(p.used)]
    return [p.quantity, p.received, p.used]


def spending_rows(db: Session, areas) -> list[list]:
    rows = db.exec(_scoped(select(BudgetEntry, BudgetLine.name, Project.title, User.display_name)
                           .join(BudgetLine, BudgetLine.id == BudgetEntry.line_id)
                           .join(Project, Project.id == BudgetEntry.project_id)
                           .outerjoin(User, User.id == BudgetEntry.actor_id), areas)
                   .order_by(BudgetEntry.id)).all()
    return [[e.id, e.project_id, title, line, Msg(rules.ENTRY_KINDS[e.kind]), Msg(rules.SOURCES[e.source]),
             format_yuan(e.amount_fen), e.reason, who or "", e.at] for e, line, title, who in rows]


def check_rows(db: Session, areas) -> list[list]:
    rows = db.exec(_scoped(select(CheckItem, SafetyCheck, Project.title, User.display_name)
                           .join(SafetyCheck, SafetyCheck.id == CheckItem.check_id)
                           .join(Project, Project.id == SafetyCheck.project_id)
                           .outerjoin(User, User.id == SafetyCheck.checker_id), areas)
                   .order_by(SafetyCheck.id, CheckItem.id)).all()
    labels = {k: label for checklist in rules.CHECKLISTS.values() for k, label in checklist}
    return [[c.id, c.project_id, title, c.checked_on, Msg(labels.get(i.item, i.item)), Msg(rules.RESULTS[i.result]),
             i.note, who or ""] for i, c, title, who in rows]


TABLES = {"projects": project_rows, "pledges": pledge_rows, "spending": spending_rows, "checks": check_rows}
#: each table's name, for its sheet and its file (in the reader's language: 项目.xlsx)
NAMES = {"projects": N_("Projects"), "pledges": N_("Pledges"), "spending": N_("Spending"), "checks": N_("Checks")}
HEADERS = {
    "projects": (N_("No."), N_("Year"), N_("Title"), N_("Category"), N_("Place"), N_("Location"), N_("State"),
                 N_("Budget (yuan)"), N_("Delivered by"), N_("Unit"), N_("Kept up by"), N_("Unit"),
                 N_("Contact"), N_("Accepted on"), N_("Next check due")),
    "pledges": (N_("No."), N_("Project no."), N_("Project"), N_("Pledger"), N_("Name"), N_("What"), N_("Unit"),
                N_("Pledged"), N_("Received"), N_("Used"), N_("State"), N_("Pledged at")),
    "spending": (N_("No."), N_("Project no."), N_("Project"), N_("Budget line"), N_("Kind"), N_("Source"),
                 N_("Amount (yuan)"), N_("Reason"), N_("By"), N_("When")),
    "checks": (N_("Check no."), N_("Project no."), N_("Project"), N_("Checked on"), N_("Item"), N_("Result"),
               N_("Note"), N_("Checked by")),
}


def _cell(value, t: Translator):
    if isinstance(value, Msg):
        return t(value)
    if isinstance(value, str):
        return safe_cell(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _table(what: str, rows: list[list], t: Translator) -> list[list]:
    return [[t(h) for h in HEADERS[what]], *[[_cell(v, t) for v in row] for row in rows]]


def csv_bytes(what: str, rows: list[list], t: Translator) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(_table(what, rows, t))
    return excel_csv(out.getvalue())


def xlsx(what: str, rows: list[list], t: Translator) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = t(NAMES[what])
    for row in _table(what, rows, t):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
