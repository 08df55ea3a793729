"""What a text message says and whether it may go now: pure functions, no database.

The services count and look up; these rules decide. Every decision takes ``now``
(aware UTC), so quiet hours and rate windows are tested at any hour without a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from consult.clock import to_local
from consult.i18n import N_

#: What a logged message can be. ``queued``: written, not yet handed to the backend;
#: ``sent``: the backend accepted it (the outbox stores it); ``failed``: the backend
#: refused or did not answer (``provider_code`` says why); ``deferred``: waits for the
#: end of quiet hours (``due_at``); ``suppressed``: not sent, on purpose (``reason``).
STATUSES = ("queued", "sent", "failed", "deferred", "suppressed")

#: A verification code is wanted now, by a person who asked for it: it ignores quiet
#: hours and 退订, but is rate-limited hardest. Everything else is a notice.
KINDS = ("code", "notice")

#: Quiet hours, Beijing time: no notices from 21:00 until 08:00.
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)

#: A notice deferred past quiet hours that still could not go this long after it was due
#: (``send-due`` not run, the provider down) is dropped: it would arrive out of context.
STALE_AFTER = timedelta(hours=24)

#: What the provider's template may carry in one variable (Aliyun's documented ceiling).
MAX_PARAM = 35

#: Replies that mean "stop sending me messages" (回复TD退订; carriers also pass on T, N, 退订).
UNSUBSCRIBE_REPLIES = frozenset({"TD", "T", "N", "R", "退订", "取消", "STOP", "UNSUBSCRIBE"})

#: The line a notice ends with, as the carriers require of messages people did not ask for.
UNSUBSCRIBE_HINT = "回复TD退订"

_MAINLAND = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_ANY_MOBILE = re.compile(r"(?<![0-9])(?:\+?86)?(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])", re.ASCII)


@dataclass(frozen=True)
class Template:
    """A message's Chinese text and the variables it takes, in the provider's order.

    ``text`` uses ``{name}`` placeholders. The same text is registered with the provider
    (Aliyun writes the variables ``${name}``, Tencent numbers them ``{1}``, ``{2}``… in
    the order of ``params``); the outbox and the log show it as rendered here.
    ``secret`` names the variables never kept in the log (the code itself).
    """

    name: str
    kind: str
    text: str
    params: tuple[str, ...]
    secret: tuple[str, ...] = ()
    label: str = ""


#: Every message the platform sends, by name. A domain that needs a new one adds it here
#: (and its id to ``CONSULT_SMS_TEMPLATE_IDS``, once the provider has approved the text).
TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("verification_code", "code",
             "您的验证码为{code}，{minutes}分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。",
             ("code", "minutes"), secret=("code",), label=N_("Verification code")),
    Template("password_reset", "notice",
             "您在社区征询的密码已于{time}重置，所有登录均已退出。如非本人操作，请尽快联系居委会。",
             ("time",), label=N_("Password reset")),
    Template("digest", "notice",
             "您有{count}条新消息：{summary}。请登录社区征询查看。",
             ("count", "summary"), label=N_("Digest")),
    Template("vote_opened", "notice",
             "投票已开始：{title}，截止{closes}。请登录社区征询参与，或到居委会填写纸质选票。",
             ("title", "closes"), label=N_("Vote opened")),
    Template("project_rating", "notice",
             "{title}已完工，请为它打分（1至5星）：{link} 也可到居委会填写评价卡。",
             ("title", "link"), label=N_("Rate a completed project")),
)}


def template(name: str, kind: str) -> Template:
    """The template ``name``, which must be of ``kind``: the caller says it sends a code
    (exempt from quiet hours and 退订) and a mismatch is a programming error."""
    found = TEMPLATES.get(name)
    if found is None:
        raise KeyError(f"no SMS template {name!r}")
    if found.kind != kind:
        raise ValueError(f"SMS template {name!r} is a {found.kind}, not a {kind}")
    return found


def check_params(tpl: Template, params: dict) -> dict[str, str]:
    """The template's variables as strings, each at most ``MAX_PARAM`` characters.
    Missing or unknown names are a programming error (ValueError)."""
    given, wanted = set(params), set(tpl.params)
    if given != wanted:
        raise ValueError(f"SMS template {tpl.name!r} takes {sorted(wanted)}, got {sorted(given)}")
    values = {}
    for name in tpl.params:
        value = " ".join(str(params[name]).split())
        values[name] = value if len(value) <= MAX_PARAM else value[:MAX_PARAM - 1] + "…"
    return values


def render(tpl: Template, params: dict[str, str], sign_name: str) -> str:
    """The text as the phone shows it: 【签名】, the template, and for a notice the 退订 line."""
    text = f"【{sign_name}】" + tpl.text.format(**params)
    return f"{text}{UNSUBSCRIBE_HINT}" if tpl.kind == "notice" else text


def redacted(tpl: Template, params: dict[str, str]) -> dict[str, str]:
    """The variables as the log keeps them: a secret one (the code) as ``******``."""
    return {name: ("******" if name in tpl.secret else value) for name, value in params.items()}


def normalize(phone: str) -> str | None:
    """A mainland mobile number (11 digits), or None. The accounts' own normaliser, so a
    number is the same string here as on the person's account."""
    from consult.accounts.rules import normalize_phone

    return normalize_phone(phone)


def mask(phone: str | None) -> str:
    """``138****5678``: what a log line, the staff page or an error may show of a number."""
    if not phone:
        return ""
    if _MAINLAND.fullmatch(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def scrub(text: str | None, limit: int = 200) -> str:
    """Provider text safe to keep or log: every mobile number in it masked, bounded."""
    if not text:
        return ""
    return _ANY_MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", str(text))[:limit]


def is_unsubscribe(reply: str) -> bool:
    """Does a person's reply to a message ask to stop them (TD, 退订…)?"""
    word = "".join(str(reply or "").split()).strip("。.!！").upper()
    return word in UNSUBSCRIBE_REPLIES


# -- quiet hours -------------------------------------------------------------------------


def in_quiet_hours(now: datetime) -> bool:
    """Is it between 21:00 and 08:00 in Beijing?"""
    local = to_local(now).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def quiet_hours_end(now: datetime) -> datetime:
    """The next 08:00 Beijing time at or after ``now`` (UTC), when deferred notices go."""
    local = to_local(now)
    end = local.replace(hour=QUIET_UNTIL.hour, minute=QUIET_UNTIL.minute, second=0, microsecond=0)
    if local.time() >= QUIET_UNTIL:
        end += timedelta(days=1)
    return end.astimezone(UTC)


def stale(due_at: datetime, now: datetime) -> bool:
    return now - due_at > STALE_AFTER


# -- rate limits -------------------------------------------------------------------------

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """How many messages may go, per window. Codes: per number and per requesting address;
    notices: per number per day (a flood guard; digests keep people well under it)."""

    codes_per_minute: int = 1
    codes_per_hour: int = 5
    codes_per_day: int = 10
    codes_per_address_hour: int = 20
    codes_per_address_day: int = 50
    notices_per_day: int = 5

    def windows(self, kind: str, *, per_address: bool = False) -> tuple[tuple[timedelta, int], ...]:
        if kind == "code" and per_address:
            return ((HOUR, self.codes_per_address_hour), (DAY, self.codes_per_address_day))
        if kind == "code":
            return ((MINUTE, self.codes_per_minute), (HOUR, self.codes_per_hour),
                    (DAY, self.codes_per_day))
        return () if per_address else ((DAY, self.notices_per_day),)


def over_limit(windows, recent: list[datetime], now: datetime) -> timedelta | None:
    """The first window whose limit ``recent`` (the times of messages already counted)
    has reached, or None when one more may go."""
    for span, limit in windows:
        if sum(1 for at in recent if now - at < span) >= limit:
            return span
    return None


#: Why a message was not sent, as the staff page names it.
REASONS = {
    "unsubscribed": N_("The number has unsubscribed (退订)."),
    "rate_number": N_("Too many messages to this number; try again later."),
    "rate_address": N_("Too many code requests from this address; try again later."),
    "expired": N_("Still waiting a day after quiet hours ended; dropped."),
    "not_configured": N_("No provider template id is configured for this message."),
    "unavailable": N_("The SMS provider did not answer."),
}

#: The statuses, as the staff page names them.
STATUS_LABELS = {
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "deferred": N_("Deferred (quiet hours)"),
    "suppressed": N_("Not sent"),
}


# -- verification codes ------------------------------------------------------------------

CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_TRIES = 5

CODE_MISSING = N_("This code has expired or was already used. Please ask for a new one.")
CODE_TOO_MANY = N_("Too many wrong codes. Please ask for a new one.")
CODE_WRONG = N_("The code is not right. Please check the text message (%(left)s tries left).")


def code_problem(*, found: bool, expires_at: datetime | None, attempts: int, now: datetime):
    """Why a code can no longer be tried (a message), or None while it can."""
    if not found or expires_at is None or now >= expires_at:
        return CODE_MISSING
    if attempts >= CODE_TRIES:
        return CODE_TOO_MANY
    return None


def clean_code(raw: str) -> str:
    """What the person typed, as the six digits it should be (full-width digits and spaces
    allowed, as phones' keyboards give them); anything else stays as typed, and is wrong."""
    import unicodedata

    text = "".join(unicodedata.normalize("NFKC", str(raw or "")).split())
    return text if text.isascii() else ""
