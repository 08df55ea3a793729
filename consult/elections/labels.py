"""What people read about elections: names of states, ranking rules, channels and
ballot statuses, and exact percentages."""

from __future__ import annotations

from fractions import Fraction

from consult.i18n import N_

STATE_NAMES = {
    "scheduled": N_("Not open yet"),
    "open": N_("Voting open"),
    "closed": N_("Voting closed"),
}
RANK_NAMES = {
    "headcount": N_("Headcount first, then area (Shanghai practice)"),
    "area": N_("Area first, then headcount"),
}
MODE_NAMES = {
    "voters": N_("All registered voters of the area"),
    "households": N_("One representative per household"),
    "groups": N_("Two or three representatives of each residents' group"),
}
CHANNEL_NAMES = {"web": N_("Online"), "paper": N_("Paper ballot"), "proxy": N_("By proxy")}
STATUS_NAMES = {
    "awaiting_second": N_("Waiting for the second keying"),
    "mismatch": N_("The two keyings differ"),
    "final": N_("Counted"),
    "confirmed": N_("Keyed twice, counted"),
}


def percent(ratio: Fraction, places: int = 2) -> str:
    """``ratio`` as a percentage rounded half up to ``places`` decimals, without floats;
    for reading only (every decision compares the exact fractions)."""
    scale = 10**places
    whole = int(ratio * 100 * scale + Fraction(1, 2))
    units, decimals = divmod(whole, scale)
    return f"{units}.{decimals:0{places}d}%"


def names() -> dict:
    """The label tables every elections page reads."""
    return {"states": STATE_NAMES, "ranks": RANK_NAMES, "modes": MODE_NAMES, "channels": CHANNEL_NAMES,
            "statuses": STATUS_NAMES, "pct": percent}
