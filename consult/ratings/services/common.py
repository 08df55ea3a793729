"""What every ratings service shares: reading a row by an id from a form or URL, the
permission check (not signed in, or forbidden), and an upload's message."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from consult import permissions
from consult.db.ids import find
from consult.errors import Forbidden, NotFound, NotSignedIn
from consult.i18n import Msg
from consult.media.images import ImageError
from consult.permissions import Actor
from consult.surveys import rules as survey_rules


def _int(value) -> int | None:
    return survey_rules.whole_number(str(value)) if str(value or "").strip() else None


def _get(db: Session, model, ident):
    item = find(db, model, ident)
    if item is None:
        raise NotFound()
    return item


def _require(actor: Actor, action: str, path: tuple[int, ...]) -> None:
    if not permissions.allowed(action, actor, path):
        if not actor.authenticated:
            raise NotSignedIn()
        raise Forbidden()


def photo_message(error: ImageError) -> Msg:
    """The media module's English template uses ``{name}``; the catalogue uses ``%(name)s``."""
    return Msg(re.sub(r"\{(\w+)\}", r"%(\1)s", error.template), dict(error.params))
