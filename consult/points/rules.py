"""The points club's rules, as functions over plain values (no session, no clock).

Lifecycles: an activity is *upcoming* until it starts, *under_way* until it ends, then
*ended*; or *cancelled*. A redemption day takes pre-orders until it closes (*preorder*
before it opens, *open* on the day, when prizes are also collected), is *over* once it
closes and *released* when what was not collected has gone back to stock and its points
to their members. ``ACTIVITY_ACTIONS`` and ``DAY_ACTIONS`` say which action each state
allows; the services ask them once for every action, pages and API alike.

The ledger: a transfer is legs (account, amount) that sum to zero, none zero, at least
two (``ledger_problem``). Points are whole numbers; a price, a rule or a correction
typed as "1.5", "-3" or "３" is refused with a message (``parse_points``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from consult.i18n import N_, Msg

# -- activities ----------------------------------------------------------------------------

KIND_NAMES = {
    "team": N_("Team activity"),
    "themed": N_("Themed activity"),
    "special": N_("Special activity"),
    "outing": N_("Outing"),
}

ACTIVITY_STATES = ("upcoming", "under_way", "ended", "cancelled")
ACTIVITY_STATE_NAMES = {
    "upcoming": N_("Sign-up open"),
    "under_way": N_("Under way"),
    "ended": N_("Ended"),
    "cancelled": N_("Cancelled"),
}

#: action → the activity states that allow it
ACTIVITY_ACTIONS: dict[str, frozenset[str]] = {
    "sign_up": frozenset({"upcoming"}),
    "cancel_signup": frozenset({"upcoming"}),
    "check_in": frozenset({"under_way"}),
    "record_attendance": frozenset({"under_way", "ended"}),
    "approve_attendance": frozenset({"under_way", "ended"}),
    "edit_activity": frozenset({"upcoming"}),
    "cancel_activity": frozenset({"upcoming", "under_way"}),
}

_ACTIVITY_REFUSALS = {
    "upcoming": N_("This activity has not started yet."),
    "under_way": N_("This activity is already under way: sign-up and changes are closed."),
    "ended": N_("This activity has ended."),
    "cancelled": N_("This activity was cancelled."),
}


def _phase(starts: datetime, ends: datetime, finished: bool, now: datetime, states: tuple[str, ...]) -> str:
    """``states`` are (before, during, after, finished): finished (cancelled, released)
    whatever the time, else where ``now`` falls in [starts, ends)."""
    if finished:
        return states[3]
    if now < starts:
        return states[0]
    return states[1] if now < ends else states[2]


def activity_state(starts_at: datetime, ends_at: datetime, cancelled_at: datetime | None,
                   now: datetime) -> str:
    return _phase(starts_at, ends_at, cancelled_at is not None, now, ACTIVITY_STATES)


def activity_action_allowed(action: str, state: str) -> bool:
    return state in ACTIVITY_ACTIONS[action]


def activity_action_problem(action: str, state: str) -> str | None:
    """None when ``state`` allows ``action``, else why not (a msgid)."""
    return None if activity_action_allowed(action, state) else _ACTIVITY_REFUSALS[state]


# -- redemption days -----------------------------------------------------------------------

DAY_STATES = ("preorder", "open", "over", "released")
DAY_STATE_NAMES = {
    "preorder": N_("Pre-orders open"),
    "open": N_("Redemption day: collect your prize"),
    "over": N_("Over, not yet released"),
    "released": N_("Over"),
}
DAY_ACTIONS: dict[str, frozenset[str]] = {
    "preorder": frozenset({"preorder", "open"}),
    "cancel_order": frozenset({"preorder"}),
    "collect": frozenset({"open"}),
    "release": frozenset({"over"}),
}
_DAY_REFUSALS = {
    "preorder": N_("The redemption day has not begun: prizes are collected on the day."),
    "open": N_("The redemption day has begun: pre-orders can no longer be cancelled."),
    "over": N_("The redemption day is over."),
    "released": N_("The redemption day is over and what was not collected has been released."),
}


def day_state(opens_at: datetime, closes_at: datetime, released_at: datetime | None,
              now: datetime) -> str:
    return _phase(opens_at, closes_at, released_at is not None, now, DAY_STATES)


def period_errors(starts: datetime | None, ends: datetime | None, start_field: str,
                  end_field: str) -> dict[str, Msg]:
    """Messages for a period typed on a form: both times readable, the end after the start."""
    errors: dict[str, Msg] = {}
    for field, value in ((start_field, starts), (end_field, ends)):
        if value is None:
            errors[field] = Msg(N_("Please give the date and time, e.g. 2026-12-05 09:30."))
    if starts is not None and ends is not None and ends <= starts:
        errors[end_field] = Msg(N_("The end must come after the start."))
    return errors


def day_action_allowed(action: str, state: str) -> bool:
    return state in DAY_ACTIONS[action]


def day_action_problem(action: str, state: str) -> str | None:
    if day_action_allowed(action, state):
        return None
    if action == "release" and state in ("preorder", "open"):
        return N_("What was not collected is released only after the redemption day.")
    return _DAY_REFUSALS[state]


# -- points --------------------------------------------------------------------------------

MAX_POINTS = 1_000_000  # no price, rule or correction comes near it


def parse_points(text: object, *, allow_zero: bool = False, signed: bool = False) -> tuple[int | None, Msg | None]:
    """A whole number of points typed by a person: ASCII digits, optionally a leading
    minus when ``signed``; never a fraction, a full-width digit or a negative price."""
    raw = str(text if text is not None else "").strip()
    negative = signed and raw.startswith("-")
    digits = raw[1:] if negative else raw
    if not raw:
        return None, Msg(N_("Please give a whole number of points."))
    if "." in digits or "," in digits or "/" in digits:
        return None, Msg(N_("Points are whole numbers: %(value)s is not."), {"value": raw[:20]})
    if raw.startswith("-") and not signed:
        return None, Msg(N_("Points cannot be negative."))
    if not (digits.isascii() and digits.isdigit()):
        return None, Msg(N_("Please give a whole number of points, in digits 0–9."))
    value = int(digits)
    if value > MAX_POINTS:
        return None, Msg(N_("At most %(max)s points."), {"max": MAX_POINTS})
    value = -value if negative else value
    if value == 0 and not allow_zero:
        return None, Msg(N_("The number of points cannot be zero."))
    return value, None


def points_for(per_attendance: int, per_hour: int, minutes: int) -> int:
    """Points earned by one attendance: the fixed amount plus per whole hour of service."""
    return per_attendance + per_hour * (max(minutes, 0) // 60)


def ledger_problem(legs: Iterable[tuple[int, int]]) -> str | None:
    """Why ``legs`` (account id, amount) are not a valid transfer, or None."""
    legs = list(legs)
    if len(legs) < 2:
        return "a transfer has at least two entries"
    if any(not isinstance(amount, int) or isinstance(amount, bool) for _, amount in legs):
        return "amounts are whole numbers"
    if any(amount == 0 for _, amount in legs):
        return "no entry is zero"
    if sum(amount for _, amount in legs) != 0:
        return "the entries of a transfer sum to zero"
    if len({account for account, _ in legs}) != len(legs):
        return "each account appears once in a transfer"
    return None


def balances(entries: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Each account's balance from its entries (account id, amount)."""
    out: dict[int, int] = {}
    for account, amount in entries:
        out[account] = out.get(account, 0) + amount
    return out


# -- sign-up -------------------------------------------------------------------------------


def signup_status(confirmed: int, capacity: int | None) -> str:
    """A new sign-up is confirmed while there is room, else on the waiting list."""
    return "confirmed" if capacity is None or confirmed < capacity else "waiting"


def promoted(waiting_ids: list[int], confirmed: int, capacity: int | None) -> list[int]:
    """The waiting sign-ups (oldest first) that now have a place."""
    room = len(waiting_ids) if capacity is None else max(capacity - confirmed, 0)
    return waiting_ids[:room]


# -- redemption ----------------------------------------------------------------------------


def order_problem(*, balance: int, price: int, quantity: int, stock: int) -> Msg | None:
    """Why a pre-order cannot be made now, as far as plain numbers tell (the database
    checks again, atomically, when it moves the balance and the stock)."""
    if quantity < 1:
        return Msg(N_("Please order at least one."))
    if quantity > stock:
        return Msg(N_("Only %(stock)s left in stock."), {"stock": stock})
    if price * quantity > balance:
        return Msg(N_("This needs %(needed)s points; your balance is %(balance)s."),
                   {"needed": price * quantity, "balance": balance})
    return None


# -- codes ---------------------------------------------------------------------------------

#: no 0/O, 1/I/L: read aloud at a desk, typed from a printed card by an elderly hand
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_digits(length: int = 6) -> str:
    """The code shown at a venue: digits, easy to type on any phone."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def normalize_code(text: object) -> str:
    """A typed card or venue code: spaces and dashes dropped, upper case."""
    return str(text or "").strip().upper().replace(" ", "").replace("-", "")[:12]


def minutes_between(starts_at: datetime, ends_at: datetime) -> int:
    return max(int((ends_at - starts_at).total_seconds() // 60), 0)
