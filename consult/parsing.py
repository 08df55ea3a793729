"""What people type into forms, read the same way in every domain: text, money, date-times.

Pure functions on strings, no session. Each domain's rules and services call these
instead of their own variants, so a field means the same on every page and in the API:

* text: as typed, without surrounding whitespace, Windows line ends normalised;
* money: yuan as typed (``1,234.5``, ``￥800``, ``3000元``) to integer fen, exactly,
  never through a float; a problem comes back as a message in the catalogue;
* a search: :func:`search_pattern`, a LIKE pattern finding the words anywhere (what a
  search matches; :mod:`consult.db.search` finds it through an index);
* local date-times: one format, ISO 8601 to the minute (``2026-03-01T09:00``, what a
  ``datetime-local`` field sends; a space may stand for the ``T``, seconds and an offset
  may follow). Without an offset the time is Beijing wall time. Anything else,
  including a date alone or a time before year 1 in UTC, reads as None: the service
  that needs the time says so in the field's own message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from consult import clock
from consult.i18n import N_, Msg

#: one hundred million yuan, in fen: more than any micro-project, less than any overflow
MAX_FEN = 100_000_000 * 100

_NOT_AN_AMOUNT = N_("Please enter an amount in yuan, such as 12000 or 3500.50.")

_LOCAL_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)


def clean_text(value: object) -> str:
    """Form text as typed, without surrounding whitespace and with Windows line ends normalised."""
    return str(value or "").replace("\r\n", "\n").strip()


def as_text(value: object) -> str:
    """A stored value as a form field's text (a setting, a field to compare): None is empty."""
    return "" if value is None else str(value)


def parse_money(text: str) -> tuple[int | None, Msg | None]:
    """Yuan as typed (``1,234.5``, ``￥800``, ``3000元``) → integer fen, exactly; empty → None."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = text.replace(",", "").replace("¥", "").replace("元", "").strip()
    if not text:
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, Msg(_NOT_AN_AMOUNT)
    if not value.is_finite() or value < 0:
        return None, Msg(_NOT_AN_AMOUNT)
    fen = value * 100
    if fen != fen.to_integral_value():
        return None, Msg(N_("Amounts can have at most two decimals (fen)."))
    if fen > MAX_FEN:
        return None, Msg(N_("This amount is too large."))
    return int(fen), None


def format_area(hundredths: int) -> str:
    """Floor area in m² with exactly two decimals, computed without floats."""
    return f"{Decimal(hundredths) / 100:.2f}"


def format_yuan(fen: int | None) -> str:
    """Integer fen as yuan with two decimals, for forms and exports (no floats)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{rest:02d}"


def parse_local_datetime(value: object) -> datetime | None:
    """A date-time field (see the module's one format) → aware UTC, or None when unreadable."""
    text = str(value if value is not None else "").strip()
    if not _LOCAL_DATETIME.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        return moment.astimezone(UTC) if moment.tzinfo is not None else clock.from_local(moment)
    except (ValueError, OverflowError):  # 2026-02-30; year 1 before 08:00 Beijing time
        return None


def local_input(value: datetime | None) -> str:
    """An aware time as a ``datetime-local`` field's value (Beijing wall time, to the minute)."""
    return clock.to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


#: A search is at most this many characters (the rest is ignored).
MAX_QUERY = 100


def search_text(query: object, limit: int = MAX_QUERY) -> str:
    """What a search box's text searches for: runs of spaces as one, at most ``limit``
    characters. Control characters (a NUL above all: PostgreSQL refuses it in text) are
    nobody's search; they read as spaces, so a query finds the same on both databases."""
    printable = "".join(ch if ch.isprintable() else " " for ch in str(query or ""))
    return " ".join(printable.split())[:limit]


def search_pattern(query: object) -> str | None:
    """A LIKE pattern (escape character ``\\``) finding ``query`` anywhere, its wildcards
    taken literally, or None for no search.  Substring matching works for Chinese, which
    has no spaces between words: 充电 finds 电动车充电棚, at any length."""
    text = search_text(query)
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
