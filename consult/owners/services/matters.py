"""Matters put to the owners, counted against a frozen copy of the register, and the
files that go with them: a matter's documents and the scanned proxy forms."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Place
from consult.config import Settings
from consult.db import search
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.media.documents import is_pdf, write_named
from consult.media.images import ImageError, process_upload
from consult.owners import register, rules
from consult.owners.models import OwnerAttachment, OwnerBallot, OwnerMatter, OwnerMatterRegister
from consult.owners.services.common import (
    MAX_DESCRIPTION,
    MAX_FILE_BYTES,
    MAX_TITLE,
    _check,
    get_ballot,
    get_matter,
    state_of,
)
from consult.owners.services.homes import estate_homes
from consult.permissions import Actor


def parse_when(value: datetime | str | None) -> datetime | None:
    """A form's Beijing wall time (``2026-12-01T09:00``) or an ISO time with offset, as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            return None
    try:
        return clock.from_local(moment) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # year 1, or 9999 just before midnight
        return None


def matters_of(db: Session, estate: Place, query: str | None = None) -> list[OwnerMatter]:
    """The estate's matters, newest first; with ``query``, only those whose title has it."""
    conditions = [OwnerMatter.estate_id == estate.id]
    params = {}
    if (found := search.text_query(query)) is not None:
        conditions.append(search.contains(
            db.get_bind().dialect.name, OwnerMatter.__table__, ("title",), found.indexed))
        params = found.params()
    return list(db.exec(select(OwnerMatter).where(*conditions)
                        .order_by(OwnerMatter.opens_at.desc(), OwnerMatter.id.desc()),
                        params=params).all())


def estates_for(db: Session, actor: Actor) -> list[tuple[Place, list[OwnerMatter]]]:
    """Estates where the actor is an owner, owners' rep or staff, with their matters."""
    roles = {"owner", "owners_rep", *permissions.STAFF}
    places = communities.staff_places(actor, db, roles=roles)
    if not places:
        return []
    inside = or_(*(Place.path.startswith(p.path) for p in places))
    estates = list(db.exec(select(Place).where(Place.kind == "estate", inside)
                           .order_by(Place.path).limit(200)).all())
    by_estate: dict[int, list[OwnerMatter]] = {e.id: [] for e in estates}
    if estates:
        for matter in db.exec(select(OwnerMatter).where(OwnerMatter.estate_id.in_(list(by_estate)))
                              .order_by(OwnerMatter.opens_at.desc(), OwnerMatter.id.desc())).all():
            by_estate[matter.estate_id].append(matter)
    return [(e, by_estate[e.id]) for e in estates]


def create_matter(db: Session, actor: Actor, estate: Place, *, title: str, kind: str,
                  description: str, opens_at: datetime | str | None,
                  closes_at: datetime | str | None, paper_double_key: bool,
                  now: datetime, notice_days: int | str | None = None) -> OwnerMatter:
    """Put a matter to the owners; it is counted against a copy of today's register.

    ``notice_days``: how long the result stays posted after the close (公告期), while
    owners may object in writing; empty means :data:`rules.NOTICE_DAYS`."""
    _check("manage_owner_matter", actor, estate)
    errors: dict[str, Msg] = {}
    title, description = title.strip(), description.strip()
    if not title:
        errors["title"] = Msg(N_("Please give the matter a title."))
    elif len(title) > MAX_TITLE:
        errors["title"] = Msg(N_("At most %(max)s characters."), {"max": MAX_TITLE})
    if kind not in {k.value for k in rules.MatterKind}:
        errors["kind"] = Msg(N_("Please choose what kind of matter this is."))
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = Msg(N_("At most %(max)s characters."), {"max": MAX_DESCRIPTION})
    opens, closes = parse_when(opens_at), parse_when(closes_at)
    if opens is None:
        errors["opens_at"] = Msg(N_("Please give a date and time."))
    if closes is None:
        errors["closes_at"] = Msg(N_("Please give a date and time."))
    elif opens is not None and closes <= opens:
        errors["closes_at"] = Msg(N_("Voting must close after it opens."))
    elif closes <= now:
        errors["closes_at"] = Msg(N_("The closing time has already passed."))
    days = _notice_days(notice_days)
    if days is None:
        low, high = rules.NOTICE_DAYS_RANGE
        errors["notice_days"] = Msg(N_("Please give a whole number of days from %(low)s to %(high)s."),
                                    {"low": low, "high": high})
    if errors:
        raise FieldErrors(errors)
    homes = estate_homes(db, estate)
    if not homes:
        raise Conflict(N_("Import the estate's home register before putting a matter to the owners."),
                       code="no_register")
    matter = OwnerMatter(estate_id=estate.id, title=title, kind=kind, description=description,
                         opens_at=opens, closes_at=closes, paper_double_key=paper_double_key,
                         notice_days=days, created_by=actor.user_id, created_at=now)
    db.add(matter)
    db.flush()
    db.add(OwnerMatterRegister(matter_id=matter.id, homes_csv=register.format_homes_csv(homes),
                               taken_at=now))
    audit.record(db, actor_id=actor.user_id, action="create_owner_matter", target_type="owner_matter",
                 target_id=matter.id, place_id=estate.id, title=title, kind=kind)
    db.flush()
    return matter


def _notice_days(value: int | str | None) -> int | None:
    """The notice period asked for, in days; None when it is not a whole number in range."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return rules.NOTICE_DAYS
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            return None
        value = int(text)
    if not isinstance(value, int):
        return None
    low, high = rules.NOTICE_DAYS_RANGE
    return value if low <= value <= high else None


def notice_ends(matter: OwnerMatter):
    """When the result stops being posted: the notice period's end."""
    return rules.notice_ends(matter.closes_at, matter.notice_days)


def attachments_of(db: Session, matter: OwnerMatter) -> list[OwnerAttachment]:
    return list(db.exec(select(OwnerAttachment).where(OwnerAttachment.matter_id == matter.id)
                        .order_by(OwnerAttachment.id)).all())


def _files_dir(settings: Settings) -> Path:
    return settings.media_dir / "owners"


def _store_upload(settings: Settings, data: bytes) -> tuple[str, str]:
    """Keep a PDF as it is, or a picture re-encoded without metadata; return (name, type).

    Files are named by their content's SHA-256, so the name never comes from the user.
    """
    if not data:
        raise FieldErrors({"file": Msg(N_("Please choose a file."))})
    if len(data) > MAX_FILE_BYTES:
        raise FieldErrors({"file": Msg(N_("The file is too large; at most %(max)s MB."),
                                       {"max": MAX_FILE_BYTES // (1024 * 1024)})})
    if is_pdf(data):
        body, content_type, suffix = data, "application/pdf", ".pdf"
    else:
        try:
            body = process_upload(data, max_bytes=MAX_FILE_BYTES).data
        except ImageError:
            raise FieldErrors({"file": Msg(N_("Please choose a PDF file or a photo (JPEG, PNG)."))}) from None
        content_type, suffix = "image/jpeg", ".jpg"
    name = hashlib.sha256(body).hexdigest() + suffix
    write_named(_files_dir(settings), name, body)
    return name, content_type


def stored_file(settings: Settings, name: str) -> Path:
    path = _files_dir(settings) / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise NotFound()
    return path


def add_attachment(db: Session, actor: Actor, settings: Settings, matter_id: int, *,
                   filename: str, data: bytes, now: datetime) -> OwnerAttachment:
    matter, estate = get_matter(db, matter_id)
    _check("manage_owner_matter", actor, estate)
    if not rules.documents_may_change(state_of(matter, now)):
        raise Conflict(N_("Voting has closed; documents can no longer be added."), code="closed")
    name, content_type = _store_upload(settings, data)
    shown = Path(filename or "").name.strip()[:MAX_TITLE] or name
    attachment = OwnerAttachment(matter_id=matter.id, filename=shown, stored_name=name,
                                 content_type=content_type, size_bytes=len(data),
                                 uploaded_by=actor.user_id, uploaded_at=now)
    db.add(attachment)
    db.flush()
    return attachment


def get_attachment(db: Session, settings: Settings, attachment_id: int) -> tuple[OwnerAttachment, Path]:
    """A matter's document; public like the notice it belongs to."""
    attachment = db.get(OwnerAttachment, attachment_id)
    if attachment is None:
        raise NotFound()
    return attachment, stored_file(settings, attachment.stored_name)


def proxy_scan(db: Session, actor: Actor, settings: Settings, ballot_id: int) -> tuple[OwnerBallot, Path]:
    """The scanned proxy form: personal data, for staff only."""
    ballot, matter, estate = get_ballot(db, ballot_id)
    _check("enter_owner_paper_ballot", actor, estate)
    if not ballot.proxy_scan:
        raise NotFound()
    return ballot, stored_file(settings, ballot.proxy_scan)
