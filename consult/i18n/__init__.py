"""Languages: 简体中文 by default, English available.

Source strings are English. Chinese lives in Babel ``.po`` catalogues under
``consult/i18n/zh_Hans/`` — one file per domain, so domains don't fight over one
file — read with Babel at start-up (no compile step, nothing generated to commit).

Messages raised deep in a service are not translated there: they are ``Msg``
values (an English template plus parameters) translated at the edge, in the
reader's language. Mark such templates with ``N_`` so extraction finds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE_DIR = Path(__file__).parent
LOCALES = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"
HTML_LANG = {"zh_Hans": "zh-Hans", "en": "en"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


@dataclass(frozen=True)
class Msg:
    """A message to show a person: an English template and its parameters."""

    text: str
    params: dict = field(default_factory=dict)

    def translate(self, translator: Translator) -> str:
        return translator.gettext(self.text, **self.params)


class Translator:
    def __init__(self, locale: str, messages: dict[str, str]):
        self.locale = locale
        self._messages = messages

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.locale]

    def gettext(self, message: str, **params) -> str:
        text = self._messages.get(message) or message
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params) -> str:
        key = singular if n == 1 else plural
        text = self._messages.get(singular if self.locale != "en" else key) or key
        params.setdefault("num", n)
        return text % params

    def __call__(self, message: str | Msg, **params) -> str:
        if isinstance(message, Msg):
            return message.translate(self)
        return self.gettext(message, **params)


def catalogue_files(locale: str) -> list[Path]:
    return sorted((CATALOGUE_DIR / locale).glob("*.po"))


@lru_cache
def translator(locale: str) -> Translator:
    messages: dict[str, str] = {}
    if locale != "en":
        for path in catalogue_files(locale):
            with path.open("rb") as fh:
                catalog = read_po(fh, locale="zh_Hans_CN")
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    value = message.string
                    if isinstance(value, tuple):
                        value = value[0]
                    messages[key] = value
    return Translator(locale, messages)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie wins; otherwise the first supported language the browser asks for."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE
