"""A project's money: budget lines with planned, committed and spent entries per source
(append-only), and 共筹 pledges from households, organisations and units.

Sums are computed from the entries, never stored beside them; a pledge's ``received``
and ``used`` move only by guarded UPDATEs in the same transaction as their entry, so two
staff recording receipts at once never receive more than was pledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.db.ids import find
from consult.delivery import rules
from consult.delivery.models import BudgetEntry, BudgetLine, Pledge, PledgeEntry, Project
from consult.delivery.services.common import Loaded, event, load, require
from consult.delivery.services.projects import money_gate
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.parsing import clean_text
from consult.permissions import Actor

# -- budget ----------------------------------------------------------------------------


def add_line(db: Session, actor: Actor, project_id, *, name: str, required: bool,
             now: datetime) -> BudgetLine:
    loaded = load(db, project_id)
    require(actor, loaded, "manage_project", "budget")
    name = clean_text(name)
    if not name or len(name) > 60:
        raise FieldErrors({"name": Msg(N_("Please name the budget line (at most 60 characters)."))})
    count = db.exec(select(func.count()).select_from(BudgetLine)
                    .where(BudgetLine.project_id == loaded.project.id)).one()
    line = BudgetLine(project_id=loaded.project.id, name=name, required=required, position=count)
    db.add(line)
    db.flush()
    event(db, loaded.project, actor.user_id, "budget", now, line=name,
          required=required, step="line")
    db.flush()
    return line


def kind_totals(db: Session, project_id: int) -> dict[str, int]:
    rows = db.exec(select(BudgetEntry.kind, func.sum(BudgetEntry.amount_fen))
                   .where(BudgetEntry.project_id == project_id).group_by(BudgetEntry.kind)).all()
    return {k: int(v or 0) for k, v in rows}


def add_entry(db: Session, actor: Actor, project_id, *, line_id, kind: str, source: str,
              amount: str, reason: str, now: datetime) -> BudgetEntry:
    """A change of a line's planned, committed or spent money; a correction is a new,
    negative entry. Past the budget, or below zero in all, is refused."""
    loaded = load(db, project_id, lock=True)
    require(actor, loaded, "manage_project", "budget")
    line = find(db, BudgetLine, line_id)
    line_ok = line is not None and line.project_id == loaded.project.id
    fen, problem = rules.parse_amount(amount, allow_negative=True)
    reason = clean_text(reason)
    errors = rules.entry_problems(kind=kind, source=source, amount_fen=fen, amount_problem=problem,
                                  reason=reason, line_ok=line_ok,
                                  totals=kind_totals(db, loaded.project.id),
                                  budget_fen=loaded.project.budget_fen)
    if errors:
        raise FieldErrors(errors)
    if source == "cofunding" and kind != "planned":
        money_gate(loaded.project)
    entry = BudgetEntry(project_id=loaded.project.id, line_id=line.id, kind=kind, source=source,
                        amount_fen=fen, reason=reason, actor_id=actor.user_id, at=now)
    db.add(entry)
    event(db, loaded.project, actor.user_id, "budget", now, note=reason, line=line.name,
          kind=kind, source=source, amount_fen=fen)
    db.flush()
    return entry


@dataclass
class Accounts:
    lines: list[BudgetLine]
    #: (line id, kind) → fen; (source, kind) → fen; kind → fen
    by_line: dict[tuple[int, str], int]
    by_source: dict[tuple[str, str], int]
    totals: dict[str, int]
    entries: list[tuple[BudgetEntry, str | None]]


def accounts(db: Session, project_id: int, with_entries: bool = True) -> Accounts:
    lines = list(db.exec(select(BudgetLine).where(BudgetLine.project_id == project_id)
                         .order_by(BudgetLine.position, BudgetLine.id)).all())
    grouped = db.exec(select(BudgetEntry.line_id, BudgetEntry.source, BudgetEntry.kind,
                             func.sum(BudgetEntry.amount_fen))
                      .where(BudgetEntry.project_id == project_id)
                      .group_by(BudgetEntry.line_id, BudgetEntry.source, BudgetEntry.kind)).all()
    by_line: dict = {}
    by_source: dict = {}
    totals: dict = {}
    for line_id, source, kind, fen in grouped:
        fen = int(fen or 0)
        by_line[(line_id, kind)] = by_line.get((line_id, kind), 0) + fen
        by_source[(source, kind)] = by_source.get((source, kind), 0) + fen
        totals[kind] = totals.get(kind, 0) + fen
    entries = list(db.exec(select(BudgetEntry, User.display_name)
                           .outerjoin(User, User.id == BudgetEntry.actor_id)
                           .where(BudgetEntry.project_id == project_id)
                           .order_by(BudgetEntry.id)).all()) if with_entries else []
    return Accounts(lines, by_line, by_source, totals, entries)


# -- pledges ---------------------------------------------------------------------------


def _pledge_values(*, pledger_kind: str, pledger_name: str, kind: str, unit: str, quantity: str) -> dict:
    name, unit = clean_text(pledger_name), clean_text(unit) or rules.DEFAULT_UNITS.get(kind, "")
    value, problem = rules.parse_quantity(kind, quantity) if kind in rules.PLEDGE_KINDS else (None, None)
    errors = rules.pledge_problems(pledger_kind=pledger_kind, name=name, kind=kind, unit=unit,
                                   quantity_problem=problem)
    if errors:
        raise FieldErrors(errors)
    return {"pledger_kind": pledger_kind, "pledger_name": name, "kind": kind,
            "unit": "元" if kind == "money" else unit, "quantity": value}


def pledge(db: Session, actor: Actor, user: User | None, project_id, *, pledger_kind: str,
           pledger_name: str, kind: str, unit: str, quantity: str, show_name: bool,
           now: datetime, on_behalf: bool = False) -> Pledge:
    """A household pledges in its own account (a verified resident); staff enter, on
    behalf of others, the pledges of organisations and units and households' paper
    pledges (``on_behalf``). Only an own pledge carries the pledger's account, so nobody
    records the receipt of their own pledge (``receive_pledge`` is a decision)."""
    loaded = load(db, project_id)
    if user is None:
        raise NotSignedIn()
    require(actor, loaded, "receive_pledge" if on_behalf else "pledge_to_project", "pledge")
    if not on_behalf:
        pledger_kind, pledger_name = "household", clean_text(pledger_name) or user.display_name
    values = _pledge_values(pledger_kind=pledger_kind, pledger_name=pledger_name, kind=kind,
                            unit=unit, quantity=quantity)
    item = Pledge(project_id=loaded.project.id, user_id=None if on_behalf else user.id,
                  show_name=show_name, created_by=user.id, created_at=now, **values)
    db.add(item)
    db.flush()
    db.add(PledgeEntry(pledge_id=item.id, action="pledge", quantity=item.quantity,
                       receipt="" if on_behalf else "account", actor_id=user.id, at=now))
    event(db, loaded.project, user.id, "pledge", now, step="pledged", pledge=item.id,
          kind=item.kind, quantity=item.quantity, unit=item.unit)
    db.flush()
    return item


def _load_pledge(db: Session, pledge_id) -> tuple[Pledge, Loaded]:
    item = find(db, Pledge, pledge_id)
    if item is None:
        raise NotFound()
    return item, load(db, item.project_id)


def _own_or_staff(actor: Actor, item: Pledge, loaded: Loaded) -> None:
    """The pledger changes or withdraws their own pledge; staff one entered on paper."""
    if item.user_id is not None and item.user_id == actor.user_id:
        require(actor, loaded, "pledge_to_project", "change_pledge")
        return
    if item.user_id is None:
        require(actor, loaded, "receive_pledge", "change_pledge")
        return
    raise Forbidden(N_("Only the pledger can change or withdraw their pledge."))


def change_pledge(db: Session, actor: Actor, pledge_id, *, quantity: str, show_name: bool,
                  now: datetime) -> Pledge:
    item, loaded = _load_pledge(db, pledge_id)
    _own_or_staff(actor, item, loaded)
    if problem := rules.pledge_step_problem("change", item.state):
        raise Conflict(problem, code="pledge_received")
    value, problem = rules.parse_quantity(item.kind, quantity)
    if problem:
        raise FieldErrors({"quantity": problem})
    changed = db.execute(update(Pledge).where(Pledge.id == item.id, Pledge.received == 0,
                                              Pledge.state.in_(rules.PLEDGE_STEPS["change"]))
                         .values(quantity=value, show_name=show_name)).rowcount
    if not changed:  # received a moment ago
        raise Conflict(rules.pledge_step_problem("change", "received"), code="pledge_received")
    db.add(PledgeEntry(pledge_id=item.id, action="change", quantity=value, actor_id=actor.user_id, at=now))
    event(db, loaded.project, actor.user_id, "pledge", now, step="changed", pledge=item.id,
          quantity=value, unit=item.unit)
    db.flush()
    db.refresh(item)
    return item


def withdraw_pledge(db: Session, actor: Actor, pledge_id, now: datetime) -> Pledge:
    item, loaded = _load_pledge(db, pledge_id)
    _own_or_staff(actor, item, loaded)
    if problem := rules.pledge_step_problem("withdraw", item.state):
        raise Conflict(problem, code="pledge_received")
    changed = db.execute(update(Pledge).where(Pledge.id == item.id, Pledge.received == 0,
                                              Pledge.state.in_(rules.PLEDGE_STEPS["withdraw"]))
                         .values(state="withdrawn")).rowcount
    if not changed:
        raise Conflict(rules.pledge_step_problem("withdraw", "received"), code="pledge_received")
    db.add(PledgeEntry(pledge_id=item.id, action="withdraw", actor_id=actor.user_id, at=now))
    event(db, loaded.project, actor.user_id, "pledge", now, step="withdrawn", pledge=item.id)
    db.flush()
    db.refresh(item)
    return item


def _staff_step(actor: Actor, item: Pledge, loaded: Loaded, action: str) -> None:
    require(actor, loaded, "receive_pledge", action)
    if not permissions.may_decide("receive_pledge", actor, loaded.path, item.user_id):
        raise Forbidden(N_("This is your own pledge, so another staff member records its steps."),
                        code="own_request")


def confirm_pledge(db: Session, actor: Actor, pledge_id, now: datetime) -> Pledge:
    item, loaded = _load_pledge(db, pledge_id)
    _staff_step(actor, item, loaded, "confirm_pledge")
    if problem := rules.pledge_step_problem("confirm", item.state):
        raise Conflict(problem)
    item.state = "confirmed"
    db.add(item)
    db.add(PledgeEntry(pledge_id=item.id, action="confirm", actor_id=actor.user_id, at=now))
    event(db, loaded.project, actor.user_id, "pledge", now, step="confirmed", pledge=item.id)
    db.flush()
    return item


RECEIPTS = {"paper": N_("signed paper receipt (scanned)"), "account": N_("confirmed in the pledger's account")}


def receive_pledge(db: Session, actor: Actor, pledge_id, *, quantity: str, receipt: str,
                   receipt_key: str | None, note: str, now: datetime) -> Pledge:
    """Record what arrived (part of the pledge is allowed), with its receipt."""
    item, loaded = _load_pledge(db, pledge_id)
    _staff_step(actor, item, loaded, "receive_pledge")
    if problem := rules.pledge_step_problem("receive", item.state):
        raise Conflict(problem)
    if item.kind == "money":
        money_gate(loaded.project)
    value, problem = rules.parse_quantity(item.kind, quantity)
    errors = {}
    if problem:
        errors["quantity"] = problem
    if receipt not in RECEIPTS:
        errors["receipt"] = Msg(N_("Please say how the receipt is kept: a scanned signed paper, or the pledger's account."))
    elif receipt == "paper" and not receipt_key:
        errors["receipt_file"] = Msg(N_("Please attach the photo of the signed receipt."))
    elif receipt == "account" and item.user_id is None:
        errors["receipt"] = Msg(N_("This pledge has no account; please attach the signed paper receipt."))
    if errors:
        raise FieldErrors(errors)
    if problem := rules.receipt_problem(item.quantity, item.received, value):
        raise FieldErrors({"quantity": problem})
    done = db.execute(update(Pledge).where(Pledge.id == item.id,
                                           Pledge.received + value <= Pledge.quantity,
                                           Pledge.state.in_(rules.PLEDGE_STEPS["receive"]))
                      .values(received=Pledge.received + value, state="received")).rowcount
    if not done:  # another receipt came first
        db.refresh(item)
        raise FieldErrors({"quantity": rules.receipt_problem(item.quantity, item.received, value)
                           or rules.pledge_step_problem("receive", item.state)})
    db.add(PledgeEntry(pledge_id=item.id, action="receive", quantity=value, receipt=receipt,
                       receipt_key=receipt_key, note=clean_text(note)[:200], actor_id=actor.user_id, at=now))
    event(db, loaded.project, actor.user_id, "pledge", now, step="received", pledge=item.id,
          quantity=value, unit=item.unit)
    if item.user_id is not None:
        notifications.notify(db, user_id=item.user_id, kind="pledge_received",
                             params={"title": loaded.project.title}, link=f"/projects/{loaded.project.id}")
    db.flush()
    db.refresh(item)
    return item


def _load_receipt(db: Session, entry_id) -> tuple[PledgeEntry, Pledge, Loaded]:
    entry = find(db, PledgeEntry, entry_id)
    if entry is None or entry.action != "receive":
        raise NotFound()
    item, loaded = _load_pledge(db, entry.pledge_id)
    return entry, item, loaded


def confirm_receipt(db: Session, actor: Actor, entry_id, now: datetime) -> PledgeEntry:
    """Four eyes on what arrived: the pledger confirms the receipt in their account, or a
    second staff member (never who recorded it) confirms it against the signed paper."""
    entry, item, loaded = _load_receipt(db, entry_id)
    if not actor.authenticated:
        raise NotSignedIn()
    if item.user_id is not None and item.user_id == actor.user_id:
        how = "pledger"
    else:
        require(actor, loaded, "confirm_receipt")
        if not permissions.may_decide("confirm_receipt", actor, loaded.path, entry.actor_id):
            raise Forbidden(N_("You recorded this receipt, so the pledger or another staff member confirms it."),
                            code="own_request")
        how = "staff"
    done = db.execute(update(PledgeEntry).where(PledgeEntry.id == entry.id, PledgeEntry.confirmed_by.is_(None))
                      .values(confirmed_by=actor.user_id, confirmed_how=how, confirmed_at=now)).rowcount
    if not done:
        raise Conflict(N_("This receipt has already been confirmed."), code="receipt_confirmed")
    event(db, loaded.project, actor.user_id, "pledge", now, step="receipt_confirmed", pledge=item.id,
          receipt=entry.id, how=how, quantity=entry.quantity, unit=item.unit)
    db.flush()
    db.refresh(entry)
    return entry


def receipts(db: Session, project_id: int) -> dict[int, list[PledgeEntry]]:
    """Each pledge's receipts (what arrived, in order), confirmed or waiting."""
    rows = db.exec(select(PledgeEntry).join(Pledge, Pledge.id == PledgeEntry.pledge_id)
                   .where(Pledge.project_id == project_id, PledgeEntry.action == "receive")
                   .order_by(PledgeEntry.id)).all()
    found: dict[int, list[PledgeEntry]] = {}
    for entry in rows:
        found.setdefault(entry.pledge_id, []).append(entry)
    return found


def receipt_project_id(db: Session, entry_id) -> int:
    return _load_receipt(db, entry_id)[2].project.id


def use_pledge(db: Session, actor: Actor, pledge_id, *, action: str, quantity: str, note: str,
               now: datetime) -> Pledge:
    """``use`` some of what was received, or ``return`` it (a loan given back)."""
    if action not in ("use", "return"):
        raise FieldErrors({"action": Msg(N_("Please choose used or returned."))})
    item, loaded = _load_pledge(db, pledge_id)
    require(actor, loaded, "receive_pledge", "use_pledge")
    if problem := rules.pledge_step_problem(action, item.state):
        raise Conflict(problem)
    if action == "return":
        item.state, item.returned = "returned", True
        db.add(item)
        value = item.received - item.used
    else:
        value, problem = rules.parse_quantity(item.kind, quantity)
        if problem:
            raise FieldErrors({"quantity": problem})
        done = db.execute(update(Pledge).where(Pledge.id == item.id, Pledge.used + value <= Pledge.received)
                          .values(used=Pledge.used + value, state="used")).rowcount
        if not done:
            raise FieldErrors({"quantity": Msg(N_("That is more than was received and not yet used."))})
    db.add(PledgeEntry(pledge_id=item.id, action=action, quantity=value, note=clean_text(note)[:200],
                       actor_id=actor.user_id, at=now))
    event(db, loaded.project, actor.user_id, "pledge", now, step=action, pledge=item.id,
          quantity=value, unit=item.unit)
    db.flush()
    db.refresh(item)
    return item


def pledges(db: Session, project_id: int) -> list[Pledge]:
    return list(db.exec(select(Pledge).where(Pledge.project_id == project_id).order_by(Pledge.id)).all())


def my_pledges(db: Session, user_id: int | None, project_id: int) -> list[Pledge]:
    if user_id is None:
        return []
    return [p for p in pledges(db, project_id) if p.user_id == user_id]


def pledge_totals(items: list[Pledge]) -> list[dict]:
    """Pledged, received and used per kind and unit (withdrawn pledges left out)."""
    table: dict[tuple[str, str], dict] = {}
    for p in items:
        if p.state == "withdrawn":
            continue
        row = table.setdefault((p.kind, p.unit), {"kind": p.kind, "unit": p.unit, "pledged": 0,
                                                   "received": 0, "used": 0, "count": 0})
        row["pledged"] += p.quantity
        row["received"] += p.received
        row["used"] += p.used
        row["count"] += 1
    return [table[k] for k in sorted(table)]


def public_name(p: Pledge) -> Msg | str:
    """The donor's name only with their consent."""
    return p.pledger_name if p.show_name else Msg(rules.PLEDGER_KINDS[p.pledger_kind])


def project_of(db: Session, pledge_id) -> Project:
    return _load_pledge(db, pledge_id)[1].project
