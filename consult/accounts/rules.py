"""Pure rules for accounts: what a valid phone, name and password are; login throttling."""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from consult.i18n import N_, Msg

_PHONE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-()]")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
#: how long a browser stays signed in (the cookie's life, checked with its signature)
SESSION_DAYS = 14
#: an API token lives this long after it was issued or last renewed by its use
TOKEN_DAYS = 30
MAX_LABEL = 60


def token_needs_renewal(expires_at: datetime, now: datetime) -> bool:
    """Renew a token in use once it has less than ``TOKEN_DAYS - 1`` days left: at most
    one write a day, however often it is used."""
    return expires_at - now < timedelta(days=TOKEN_DAYS - 1)


def clean_label(label: str) -> str:
    """What a person calls a token (\u201cmy phone\u201d), on one line and short."""
    return " ".join(str(label or "").split())[:MAX_LABEL]


def normalize_phone(raw: str) -> str | None:
    """A mainland mobile number in its 11-digit form, or None when it is not one.

    Accepts spaces, dashes and a leading +86 / 86 / 0086, as people type them. The text
    is NFKC-normalised first (full-width ``１３８…`` is the same number as ``138…``), then
    only ASCII digits count: Arabic-Indic or other digits are not a number here, so no
    look-alike of a registered number can open a second account.
    """
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _PHONE.fullmatch(digits) else None


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The passwords refused as too common, lower-cased: the project's own list and the
    20,000 of Django's (see COMMON_PASSWORDS.md beside this file for source and licence)."""
    here = Path(__file__).parent
    own = (here / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    with gzip.open(here / "common_passwords_20k.txt.gz", "rt", encoding="utf-8") as fh:
        shipped = fh.read().splitlines()
    return frozenset(line.strip().lower() for line in (*own, *shipped)
                     if line.strip() and not line.startswith("#"))


#: what may be added around a phone number and still leave it the phone number
_PHONE_PREFIXES = ("+86", "0086", "86")
_AROUND_PHONE = 4


def built_on_phone(password: str, phone: str | None) -> bool:
    """Is ``password`` the person's own number or a near variant of it: the number,
    reversed, its last 8 digits (either way), with +86 or up to four characters
    before or after, or around a common password?"""
    if not phone:
        return False
    text = unicodedata.normalize("NFKC", password).lower()
    for piece in (phone, phone[::-1], phone[-8:], phone[-8:][::-1]):
        if piece not in text:
            continue
        rest = text.replace(piece, "", 1)
        for prefix in _PHONE_PREFIXES:
            rest = rest.removeprefix(prefix)
        if len(rest) <= _AROUND_PHONE or rest in common_passwords():
            return True
    return False


def password_problem(password: str, *, login: str = "", phone: str | None = None) -> Msg | None:
    """Why ``password`` is not acceptable, or None. ``phone`` (or ``login`` when it is a
    mobile number) is the person's own number, refused with its near variants."""
    if len(password) < MIN_PASSWORD:
        return Msg(N_("The password must have at least %(min)s characters."), {"min": MIN_PASSWORD})
    if len(password) > MAX_PASSWORD:
        return Msg(N_("The password must have at most %(max)s characters."), {"max": MAX_PASSWORD})
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2 or lowered == login.lower():
        return Msg(N_("This password is too common. Please choose another one."))
    if built_on_phone(password, phone or normalize_phone(login)):
        return Msg(N_("The password must not be your mobile number or a variant of it. "
                      "Please choose another one."))
    return None


#: marks that reorder text as it is shown (embeddings, overrides, isolates, the marks):
#: in a name they make it read differently from what is stored
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")
#: letters and symbols that print as nothing (Hangul fillers, braille blank, Mongolian
#: vowel separator), on top of the invisible categories
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_INVISIBLE_CATEGORIES = frozenset(("Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"))
MAX_NAME = 40


def _invisible(ch: str) -> bool:
    return ch in _BLANK_CHARACTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def clean_person_name(name: str) -> str:
    """A person's name as stored: NFC, without surrounding blanks."""
    return unicodedata.normalize("NFC", str(name or "")).strip()


def person_name_problem(name: str, max_length: int = MAX_NAME) -> Msg | None:
    """Why ``name`` is not a name to show for a person, or None: every field naming a
    person (registration, staff-made accounts, paper voters) uses this."""
    name = clean_person_name(name)
    if not name or all(_invisible(ch) for ch in name):
        return Msg(N_("Please enter a name with visible letters."))
    if any(ch in _BIDI_CONTROLS for ch in name):
        return Msg(N_("The name holds invisible marks that change the direction of the text. "
                      "Please type the name again instead of pasting it."))
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name):
        return Msg(N_("The name must be on one line, without control characters. "
                      "Please type it again."))
    if len(name) > max_length:
        return Msg(N_("The name must have at most %(max)s characters."), {"max": max_length})
    return None


def display_name_problem(name: str) -> Msg | None:
    return person_name_problem(name)


@dataclass(frozen=True)
class Device:
    """A browser that signed in before: its random id and the accounts it signed in to
    (from its signed cookie)."""

    id: str
    accounts: frozenset[int]


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    window_start: datetime
    locked_until: datetime | None


def is_locked(state: ThrottleState | None, now: datetime) -> bool:
    return bool(state and state.locked_until and state.locked_until > now)


def time_left(state: ThrottleState | None, now: datetime) -> timedelta | None:
    """How long until the next attempt is let through, or None when it is now."""
    return state.locked_until - now if is_locked(state, now) else None


def after_failure(
    state: ThrottleState | None, now: datetime, *, limit: int, window: timedelta
) -> ThrottleState:
    """Count one more failure; lock once ``limit`` failures fall within ``window``.

    For one account from one address (or one known device): only whoever types there
    can lock it."""
    if state is None or now - state.window_start > window:
        state = ThrottleState(0, now, None)
    failures = state.failures + 1
    locked_until = now + window if failures >= limit else None
    return ThrottleState(failures, state.window_start, locked_until)


#: the first wait once a slowed-down counter reaches its limit; it doubles each failure
FIRST_DELAY = timedelta(minutes=1)


def after_failure_slowing(
    state: ThrottleState | None, now: datetime, *, limit: int, cap: timedelta,
    forget: timedelta,
) -> ThrottleState:
    """Count one more failure; from the ``limit``-th on, the next attempt must wait
    ``FIRST_DELAY`` doubled for each failure past it, at most ``cap`` (an exponential
    delay, never a lock that lasts). The count starts over ``forget`` after the first
    failure once no wait is running.

    For one account from everywhere, and one address for every account: an attacker
    slows these down, but a person on a device they signed in on before is not held
    back by them (see ``consult.accounts.services.authenticate``)."""
    if state is None or (now - state.window_start > forget and not is_locked(state, now)):
        state = ThrottleState(0, now, None)
    failures = state.failures + 1
    locked_until = None
    if failures >= limit:
        delay = min(cap, FIRST_DELAY * 2 ** min(failures - limit, 20))
        locked_until = now + delay
    return ThrottleState(failures, state.window_start, locked_until)


def minutes_left(left: timedelta) -> int:
    """A wait as the page says it: whole minutes, rounded up, at least one."""
    return max(1, -(-int(left.total_seconds()) // 60))
