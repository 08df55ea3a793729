"""Delivery's rules as pure functions over plain values: states and what each allows,
money, pledges, acceptance, ratings, checklists and due dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from consult.i18n import N_, Msg
from consult.parsing import clean_text, parse_money

TITLE_MAX = 80
NOTE_MAX = 500
REASON_MAX = 200
MAX_PHOTOS = 6
#: PDF documents a milestone carries at most
MAX_DOCUMENTS = 3
COMMENT_MAX = 300

#: the field report's four kinds of project
CATEGORIES = {"shishi": N_("实事项目 (practical projects)"), "zizhi": N_("自治项目 (self-governed projects)"),
              "gongchou": N_("共筹项目 (co-funded projects)"), "weixiu": N_("维修与补充 (repairs and additions)")}
#: who is responsible (责任权属) for delivery and for upkeep
PARTIES = {"juweihui": N_("居委会 residents' committee"), "yeweihui": N_("业委会 owners' committee"),
           "wuye": N_("物业 property management"), "jiedao": N_("街道 sub-district"),
           "unit": N_("a named unit")}
SOURCES = {"jiedao": N_("街道 funds"), "zizhijin": N_("自治金 self-governance fund"),
           "maintenance": N_("maintenance fund"), "cofunding": N_("co-funding 共筹")}
ENTRY_KINDS = {"planned": N_("Planned"), "committed": N_("Committed"), "spent": N_("Spent")}

STATES = ("planned", "in_progress", "accepted", "in_use", "retired")
STATE_NAMES = {"planned": N_("Planned"), "in_progress": N_("In progress"),
               "accepted": N_("Accepted (验收)"), "in_use": N_("In use"), "retired": N_("Retired")}

#: every privileged action on a project → the states it is allowed in
PROJECT_ACTIONS: dict[str, frozenset[str]] = {
    "edit": frozenset({"planned", "in_progress"}),
    "start": frozenset({"planned"}),
    "budget": frozenset({"planned", "in_progress", "accepted"}),
    "record_meeting": frozenset({"planned", "in_progress"}),
    "pledge": frozenset({"planned", "in_progress"}),
    "change_pledge": frozenset({"planned", "in_progress"}),
    "confirm_pledge": frozenset({"planned", "in_progress"}),
    "receive_pledge": frozenset({"planned", "in_progress", "accepted"}),
    "use_pledge": frozenset({"planned", "in_progress", "accepted", "in_use"}),
    "milestone": frozenset({"planned", "in_progress", "accepted", "in_use"}),
    "sign_acceptance": frozenset({"in_progress"}),
    "put_in_use": frozenset({"accepted"}),
    "rate": frozenset({"accepted", "in_use"}),
    "check": frozenset({"accepted", "in_use"}),
    "retire": frozenset({"accepted", "in_use"}),
}
#: what an action does to the project's state
MOVES = {"start": "in_progress", "put_in_use": "in_use", "retire": "retired"}
#: what the project's state does to its idea's (consultations' own actions)
IDEA_FOLLOWS = {"in_progress": "start", "accepted": "complete"}

_REFUSED = {
    "planned": N_("This project has not started yet."),
    "in_progress": N_("This project is still being delivered."),
    "accepted": N_("This project has been accepted; it is no longer being delivered."),
    "in_use": N_("This project is in use; its delivery is over."),
    "retired": N_("This project is retired: nothing about it changes any more."),
}
_REFUSED_ACTION = {
    ("check", "retired"): N_("A retired project is no longer checked."),
    ("check", "planned"): N_("Only accepted projects are in the register and checked."),
    ("check", "in_progress"): N_("Only accepted projects are in the register and checked."),
    ("rate", "planned"): N_("Residents rate a project once it is completed."),
    ("rate", "in_progress"): N_("Residents rate a project once it is completed."),
    ("sign_acceptance", "planned"): N_("Start the project before its acceptance."),
    ("pledge", "accepted"): N_("Pledges are taken only while the project is being prepared or delivered."),
    ("pledge", "in_use"): N_("Pledges are taken only while the project is being prepared or delivered."),
}


def action_allowed(action: str, state: str) -> bool:
    """May ``action`` be done to a project in ``state``? (``KeyError`` for an unknown action.)"""
    return state in PROJECT_ACTIONS[action]


def action_problem(action: str, state: str) -> Msg | None:
    if action_allowed(action, state):
        return None
    return Msg(_REFUSED_ACTION.get((action, state), _REFUSED[state]))


def area_of(path: tuple[int, ...]) -> int | None:
    return path[1] if len(path) > 1 else None


# -- projects --------------------------------------------------------------------------


def project_problems(*, title: str, category: str, delivery_party: str, delivery_unit: str,
                     upkeep_party: str, upkeep_unit: str, budget_problem: Msg | None,
                     place_ok: bool, kind: str) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if not title:
        errors["title"] = Msg(N_("Please give the project a title."))
    elif len(title) > TITLE_MAX:
        errors["title"] = Msg(N_("At most %(max)s characters."), {"max": TITLE_MAX})
    if category not in CATEGORIES:
        errors["category"] = Msg(N_("Please choose one of the four categories."))
    if kind not in KINDS:
        errors["kind"] = Msg(N_("Please choose what kind of thing is built."))
    for field, party, unit in (("delivery_party", delivery_party, delivery_unit),
                               ("upkeep_party", upkeep_party, upkeep_unit)):
        if party not in PARTIES:
            errors[field] = Msg(N_("Please choose who is responsible."))
        elif party == "unit" and not unit:
            errors[field] = Msg(N_("Please name the unit that is responsible."))
    if budget_problem:
        errors["budget"] = budget_problem
    if not place_ok:
        errors["place_id"] = Msg(N_("Please choose a place in your area."))
    return errors


# -- money -----------------------------------------------------------------------------


_PLAIN_AMOUNT = re.compile(r"[¥]?[0-9][0-9,]*(\.[0-9]+)?元?", re.ASCII)


def parse_amount(text: object, *, allow_negative: bool = False) -> tuple[int | None, Msg | None]:
    """Yuan as typed → integer fen (at most two decimals); a correction may be negative."""
    text = unicodedata.normalize("NFKC", clean_text(text))
    negative = allow_negative and text.startswith("-")
    text = text[1:] if negative else text
    if text and not _PLAIN_AMOUNT.fullmatch(text):  # no exponents, signs or words
        return None, Msg(N_("Please enter an amount in yuan, such as 12000 or 3500.50."))
    fen, problem = parse_money(text)
    if problem:
        return None, problem
    if fen is None:
        return None, Msg(N_("Please enter an amount in yuan, such as 12000 or 3500.50."))
    if fen == 0:
        return None, Msg(N_("The amount cannot be zero."))
    return (-fen if negative else fen), None


def entry_problems(*, kind: str, source: str, amount_fen: int | None, amount_problem: Msg | None,
                   reason: str, line_ok: bool, totals: dict[str, int], budget_fen: int) -> dict[str, Msg]:
    """A budget entry is refused when its kind's total would turn negative, or the planned
    total or the spent total would go past the project's budget."""
    errors: dict[str, Msg] = {}
    if kind not in ENTRY_KINDS:
        errors["kind"] = Msg(N_("Please choose planned, committed or spent."))
    if source not in SOURCES:
        errors["source"] = Msg(N_("Please choose where the money comes from."))
    if not line_ok:
        errors["line_id"] = Msg(N_("Please choose a budget line of this project."))
    if not reason:
        errors["reason"] = Msg(N_("Please say why: every change of the accounts is shown with its reason."))
    elif len(reason) > REASON_MAX:
        errors["reason"] = Msg(N_("At most %(max)s characters."), {"max": REASON_MAX})
    if amount_problem:
        errors["amount"] = amount_problem
    elif amount_fen is not None and kind in ENTRY_KINDS:
        after = totals.get(kind, 0) + amount_fen
        if after < 0:
            errors["amount"] = Msg(N_("A correction cannot take the total below zero."))
        elif kind in ("planned", "spent") and after > budget_fen:
            errors["amount"] = Msg(N_("This goes past the project's budget of %(budget)s yuan."),
                                   {"budget": yuan(budget_fen)})
    return errors


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, rest = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{rest:02d}"


# -- pledges ---------------------------------------------------------------------------

PLEDGER_KINDS = {"household": N_("a household"), "organisation": N_("a social organisation"),
                 "unit": N_("a local unit (辖区单位)")}
PLEDGE_KINDS = {"money": N_("money"), "goods": N_("goods"), "labour": N_("labour (hours)"),
                "venue": N_("loan of a venue"), "equipment": N_("loan of equipment")}
DEFAULT_UNITS = {"money": "元", "labour": "小时", "goods": "件", "venue": "次", "equipment": "件"}
PLEDGE_STATES = ("pledged", "confirmed", "received", "used", "returned", "withdrawn")
PLEDGE_STATE_NAMES = {"pledged": N_("Pledged"), "confirmed": N_("Confirmed"),
                      "received": N_("Received"), "used": N_("Used"), "returned": N_("Returned"),
                      "withdrawn": N_("Withdrawn")}
#: pledge action → the pledge states it starts from
PLEDGE_STEPS = {
    "change": frozenset({"pledged", "confirmed"}),
    "withdraw": frozenset({"pledged", "confirmed"}),
    "confirm": frozenset({"pledged"}),
    "receive": frozenset({"pledged", "confirmed", "received"}),
    "use": frozenset({"received", "used"}),
    "return": frozenset({"received"}),
}
UNIT_MAX = 16
MAX_QUANTITY = 1_000_000


def parse_quantity(kind: str, text: object) -> tuple[int | None, Msg | None]:
    """Money in yuan → fen; anything else a whole number of its unit."""
    if kind == "money":
        return parse_amount(text)
    text = clean_text(text)
    if not text.isascii() or not text.isdigit():
        return None, Msg(N_("Please enter a whole number."))
    value = int(text)
    if not 0 < value <= MAX_QUANTITY:
        return None, Msg(N_("Please enter a number between 1 and %(max)s."), {"max": MAX_QUANTITY})
    return value, None


def pledge_problems(*, pledger_kind: str, name: str, kind: str, unit: str,
                    quantity_problem: Msg | None) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if pledger_kind not in PLEDGER_KINDS:
        errors["pledger_kind"] = Msg(N_("Please say who pledges: a household, an organisation or a unit."))
    if not name:
        errors["pledger_name"] = Msg(N_("Please give the pledger's name."))
    elif len(name) > TITLE_MAX:
        errors["pledger_name"] = Msg(N_("At most %(max)s characters."), {"max": TITLE_MAX})
    if kind not in PLEDGE_KINDS:
        errors["kind"] = Msg(N_("Please choose what is pledged."))
    if len(unit) > UNIT_MAX:
        errors["unit"] = Msg(N_("At most %(max)s characters."), {"max": UNIT_MAX})
    if quantity_problem:
        errors["quantity"] = quantity_problem
    return errors


def pledge_step_problem(step: str, state: str) -> Msg | None:
    if state in PLEDGE_STEPS[step]:
        return None
    if step in ("change", "withdraw") and state in ("received", "used", "returned"):
        return Msg(N_("This pledge has been received, so it can no longer be changed or withdrawn."))
    if state == "withdrawn":
        return Msg(N_("This pledge was withdrawn."))
    return Msg(N_("This step does not fit the pledge's state (%(state)s)."), {"state": state})


def receipt_problem(pledged: int, received: int, amount: int) -> Msg | None:
    if amount <= 0:
        return Msg(N_("Please enter how much was received."))
    if received + amount > pledged:
        return Msg(N_("That is more than was pledged: %(left)s still to receive."), {"left": pledged - received})
    return None


def money_gate_problem(category: str, meeting_on: date | None, public_appeal: bool,
                       appeal_partner: str) -> Msg | None:
    """Before a 共筹 project takes money: the residents' meeting decision is recorded, and
    a public appeal beyond the area names its 公募 partner organisation."""
    if category != "gongchou":
        return None
    if meeting_on is None:
        return Msg(N_("Record the residents' meeting decision (date and record) before this co-funded project takes money."))
    if public_appeal and not appeal_partner:
        return Msg(N_("A public appeal beyond the residential area needs a partner organisation qualified for public fundraising (公募)."))
    return None


# -- acceptance ------------------------------------------------------------------------

CAPACITIES = {"staff": N_("staff"), "residents": N_("residents' representative")}


def signoff_problem(capacity: str, signed: dict[str, int], user_id: int) -> Msg | None:
    """``signed``: capacity → who signed already. Two different people, one per capacity."""
    if capacity not in CAPACITIES:
        return Msg(N_("Please sign as staff or as residents' representative."))
    if capacity in signed:
        return Msg(N_("This part of the acceptance has already been signed."))
    if user_id in signed.values():
        return Msg(N_("Acceptance needs two different people: you have already signed it."))
    return None


# -- ratings ---------------------------------------------------------------------------

WAVES = (30, 180)


def rating_wave(accepted_on: date | None, today: date) -> int | None:
    """Ratings are asked for 30 days after completion (until day 180), then at 180 days."""
    if accepted_on is None:
        return None
    days = (today - accepted_on).days
    if days >= 180:
        return 180
    if days >= 30:
        return 30
    return None


#: residents are invited to rate during the first days of each wave, not years later
INVITE_DAYS = 30


def invitation_wave(accepted_on: date | None, today: date) -> int | None:
    """The wave (30 or 180 days) whose invitation goes out today: within ``INVITE_DAYS``
    of the wave's opening, so a project accepted long ago is not asked again."""
    wave = rating_wave(accepted_on, today)
    if wave is None or (today - accepted_on).days >= wave + INVITE_DAYS:
        return None
    return wave


def rating_problems(stars: object, comment: str) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    text = clean_text(stars)
    if text not in {"1", "2", "3", "4", "5"}:
        errors["stars"] = Msg(N_("Please choose one to five stars."))
    if len(comment) > COMMENT_MAX:
        errors["comment"] = Msg(N_("At most %(max)s characters."), {"max": COMMENT_MAX})
    return errors


def distribution(stars: list[int]) -> dict[int, int]:
    counts = {n: 0 for n in range(1, 6)}
    for s in stars:
        counts[s] += 1
    return counts


def mean_text(counts: dict[int, int]) -> str:
    """The mean of the stars to two decimals, exactly rounded (no floats)."""
    total = sum(counts.values())
    if not total:
        return "–"
    hundredths, rest = divmod(sum(n * c for n, c in counts.items()) * 100, total)
    if rest * 2 >= total:
        hundredths += 1
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# -- the register and its checks -------------------------------------------------------

KINDS = {"lighting": N_("lighting"), "seating": N_("seating"), "planting": N_("planting"),
         "charging": N_("charging shed"), "other": N_("other")}
RESULTS = {"pass": N_("pass"), "fail": N_("fail"), "na": N_("not applicable")}
_COMMON = (("signage", N_("Signs and notices are in place and legible")),
           ("structure", N_("Structure firm: no cracks, loose parts or rust")))
CHECKLISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "lighting": (("electrical", N_("Wiring, switches and lamps work; no exposed wires")),
                 ("earthing", N_("Poles and boxes are earthed; covers closed")), *_COMMON),
    "seating": (("edges", N_("No sharp edges or splinters; surfaces sound")), *_COMMON),
    "planting": (("paths", N_("Paths clear; no trip hazards")),
                 ("trees", N_("Trees and branches safe; nothing about to fall")), *_COMMON),
    "charging": (("electrical", N_("Chargers, cables and breakers work; no exposed wires")),
                 ("fire", N_("Fire extinguisher present and in date; no clutter")),
                 ("earthing", N_("Earthing and leakage protection tested")), *_COMMON),
    "other": _COMMON,
}
DEFAULT_INTERVAL_DAYS = 365


def next_due(checked_on: date, interval_days: int) -> date:
    return checked_on + timedelta(days=interval_days)


def due_state(next_check_due: date | None, today: date, soon_days: int = 30) -> str | None:
    """'overdue', 'due' (within ``soon_days``) or None."""
    if next_check_due is None:
        return None
    if next_check_due < today:
        return "overdue"
    if next_check_due <= today + timedelta(days=soon_days):
        return "due"
    return None


def check_problems(kind: str, results: dict[str, str]) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    for key, _label in CHECKLISTS[kind]:
        if results.get(key) not in RESULTS:
            errors[f"item_{key}"] = Msg(N_("Please mark this item pass, fail or not applicable."))
    return errors


def repair_problems(party: str, unit: str, due_on: date | None, checked_on: date) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if party not in PARTIES:
        errors["party"] = Msg(N_("Please choose who repairs it."))
    elif party == "unit" and not unit:
        errors["party"] = Msg(N_("Please name the unit that is responsible."))
    if due_on is None:
        errors["due_on"] = Msg(N_("Please give the date the repair is due, as 2026-12-31."))
    elif due_on < checked_on:
        errors["due_on"] = Msg(N_("The repair cannot be due before the check."))
    return errors


def parse_date(value: object) -> date | None:
    text = clean_text(value)
    try:
        return date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        return None


def milestone_problems(title: str, happened_on: date | None, body: str, phase: str) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if not title:
        errors["title"] = Msg(N_("Please give the milestone a title."))
    elif len(title) > TITLE_MAX:
        errors["title"] = Msg(N_("At most %(max)s characters."), {"max": TITLE_MAX})
    if happened_on is None:
        errors["happened_on"] = Msg(N_("Please give the date, as 2026-12-31."))
    if len(body) > 2000:
        errors["body"] = Msg(N_("At most %(max)s characters."), {"max": 2000})
    if phase not in PHASES:
        errors["phase"] = Msg(N_("Please choose before, during or after."))
    return errors


PHASES = {"before": N_("before"), "during": N_("during"), "after": N_("after")}

EVENTS = {
    "created": N_("Became a project"), "edited": N_("Details changed"),
    "in_progress": N_("Delivery started"), "accepted": N_("Accepted (验收)"),
    "in_use": N_("In use, in the register"), "retired": N_("Retired"),
    "budget": N_("Accounts changed"), "meeting": N_("Residents' meeting decision recorded"),
    "pledge": N_("Pledge"), "milestone": N_("Milestone"), "signoff": N_("Acceptance signed"),
    "check": N_("Safety check"), "repair_opened": N_("Repair opened"),
    "repair_closed": N_("Repair re-checked and closed"),
}

#: every checklist item's label, by its key
ITEM_LABELS = {key: label for checklist in CHECKLISTS.values() for key, label in checklist}
