"""How a person is told (issue 17 item 5): pure rules, no database.

Every notification kind belongs to a *topic*; a person chooses per topic whether they
are told in the app, by text message, or both. Text messages come as one digest a day
at most (codes and the password-reset alert excepted: they go at once, from their own
domain), so a busy week is one message a day, not a flood.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from consult.clock import from_local, to_local
from consult.i18n import N_

CHANNELS = ("app", "sms", "both")
CHANNEL_NAMES = {"app": N_("In the app"), "sms": N_("By text message"),
                 "both": N_("Both")}

#: topic → (label, what it covers, who sees the choice: everyone or staff)
TOPICS = {
    "account": (N_("My account"), N_("Verification results, password resets, family links."), "all"),
    "ideas": (N_("My ideas"), N_("Decisions on ideas you submitted, answers to your objections."), "all"),
    "votes": (N_("Votes"), N_("A vote opening or closing soon, results published, owners' matters."), "all"),
    "surveys": (N_("Surveys"), N_("Surveys and forms addressed to you."), "all"),
    "work": (N_("Work waiting for me"), N_("Requests waiting for a staff decision."), "staff"),
}

#: where a kind belongs, by its first word (kinds are ``topicword_what``)
_PREFIXES = (
    ("verification_waiting", "work"),
    ("verification_", "account"), ("password_reset", "account"), ("family_", "account"),
    ("idea_", "ideas"), ("objection_", "ideas"),
    ("vote_", "votes"), ("owner_", "votes"), ("project_rating", "votes"),
    ("survey_", "surveys"),
)

#: when a person has not chosen: their account and votes reach their phone too (the
#: people this is for rarely open the app); the rest stays in the app; staff hear of
#: waiting work in the day's digest (their queue pages show it in the app)
DEFAULTS = {"account": "both", "ideas": "app", "votes": "both", "surveys": "app", "work": "sms"}

#: kinds whose text message goes at once, from their own domain (not in the digest)
SENT_AT_ONCE = ("password_reset", "project_rating")

#: what a digest names of each topic, in the message's own language (Chinese)
SHORT = {"account": "账户", "ideas": "想法", "votes": "投票", "surveys": "问卷", "work": "待办"}
MAX_SUMMARY = 35


def topic_of(kind: str) -> str:
    for prefix, topic in _PREFIXES:
        if kind.startswith(prefix):
            return topic
    return "account"


def channel_for(topic: str, chosen: str | None) -> str:
    return chosen if chosen in CHANNELS else DEFAULTS.get(topic, "app")


def wants_app(channel: str, *, can_text: bool) -> bool:
    """In the app: when chosen, and always when no text message can reach the person (no
    number, or they replied TD), so nothing is lost."""
    return channel in ("app", "both") or not can_text


def wants_sms(channel: str, kind: str, *, can_text: bool) -> bool:
    return can_text and channel in ("sms", "both") and not kind.startswith(SENT_AT_ONCE)


def summary(topics: list[str]) -> str:
    """``投票2条、想法1条``: the digest's summary, topics in the order of ``TOPICS``."""
    counts = {topic: topics.count(topic) for topic in TOPICS if topic in topics}
    text = "、".join(f"{SHORT[topic]}{n}条" for topic, n in counts.items())
    return text[:MAX_SUMMARY]


def day_start(now: datetime) -> datetime:
    """Midnight, Beijing time, of ``now``'s day (UTC): the digest's day."""
    local = to_local(now)
    return from_local(local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None))


def next_day(now: datetime) -> datetime:
    return day_start(now) + timedelta(days=1)
