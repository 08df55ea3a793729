"""Photos kept with an idea form that came back with a mistake (issue 16 item 6).

A browser never keeps a chosen file when a form is shown again, so a resident who
made a mistake would lose the photos she had chosen. Instead the photos that came
with the refused form are cleaned like every photo (``consult.media.images``: EXIF and
GPS gone), stored under ``<media>/pending/`` and listed under a token the form carries
in a hidden field, for her alone: a token is worth nothing to anyone else, every read
asks for both the token and the person. When the form finally succeeds they become the
idea's photos (:func:`claim`); otherwise they are dropped after :data:`KEEP` by
:func:`drop_abandoned_photos` (``python -m consult finalize-due``)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.consultations import rules
from consult.consultations.models import PendingPhoto
from consult.db.ids import parse_id
from consult.media.images import ImageError, process_upload, store

#: how long a photo waits for its form before it counts as abandoned
KEEP = timedelta(days=1)
PENDING_DIR = "pending"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def pending_dir(media_dir: Path) -> Path:
    return media_dir / PENDING_DIR


def _token(value: object) -> str | None:
    text = str(value or "")
    return text if _TOKEN.fullmatch(text) else None


def pending_photos(db: Session, user_id: int | None, token: object) -> list[PendingPhoto]:
    """The photos this person keeps under this token (none for anyone else's token)."""
    token = _token(token)
    if user_id is None or token is None:
        return []
    return list(db.exec(select(PendingPhoto).where(
        PendingPhoto.user_id == user_id, PendingPhoto.token == token).order_by(PendingPhoto.id)).all())


def pending_photo(db: Session, user_id: int | None, photo_id: object) -> PendingPhoto | None:
    """One kept photo, only for the person who sent it."""
    row = db.get(PendingPhoto, pid) if (pid := parse_id(photo_id)) is not None else None
    return row if row is not None and user_id is not None and row.user_id == user_id else None


def _ids(values) -> set[int]:
    return {pid for value in values if (pid := parse_id(value)) is not None}


def keep_photos(db: Session, user_id: int, token: object, photos: list[bytes], remove=(),
                *, media_dir: Path, now: datetime) -> tuple[str, list[PendingPhoto]]:
    """After a refused idea form: drop the kept photos the person ticked to remove, keep
    the ones she sent now (those that are photos at all, up to :data:`rules.MAX_PHOTOS`
    in all), and give the token and the photos now kept. The caller commits: the form's
    own writes were rolled back."""
    token = _token(token) or secrets.token_urlsafe(16)
    kept = pending_photos(db, user_id, token)
    dropped = _ids(remove)
    for row in [row for row in kept if row.id in dropped]:
        db.delete(row)
        kept.remove(row)
    for data in photos:
        if len(kept) >= rules.MAX_PHOTOS:
            break
        try:
            image = process_upload(data)
        except ImageError:
            continue  # the form says why; there is nothing to keep
        key = store(image, pending_dir(media_dir))
        row = PendingPhoto(token=token, user_id=user_id, key=key, width=image.width,
                           height=image.height, created_at=now)
        db.add(row)
        kept.append(row)
    db.flush()
    return token, kept


def claimable(db: Session, user_id: int, token: object, remove=()) -> list[PendingPhoto]:
    """The kept photos a succeeding form would attach: all but those ticked to remove."""
    dropped = _ids(remove)
    return [row for row in pending_photos(db, user_id, token) if row.id not in dropped]


def claim(db: Session, user_id: int, token: object, remove=(), *, media_dir: Path) -> list[PendingPhoto]:
    """The kept photos the succeeding form attaches (not those ticked to remove): their
    files are copied where the idea's photos live and the rows are deleted, in the
    caller's transaction (if it fails, they are still kept). Another person's token
    claims nothing."""
    claimed = claimable(db, user_id, token, remove)
    for row in claimed:
        for name in (f"{row.key}_t.jpg", f"{row.key}.jpg"):  # the thumbnail first, as store() does
            target = media_dir / name
            if not target.exists():
                temporary = media_dir / f".{name}.{secrets.token_hex(4)}"
                shutil.copyfile(pending_dir(media_dir) / name, temporary)
                os.replace(temporary, target)
    for row in pending_photos(db, user_id, token):
        db.delete(row)
    db.flush()
    return claimed


def drop_abandoned_photos(db: Session, media_dir: Path, now: datetime) -> int:
    """Drop the photos kept longer than :data:`KEEP`, and every file under ``pending/``
    older than that which no kept photo names (a claimed photo's, or one whose row was
    never committed). Returns how many kept photos were dropped."""
    old = db.exec(select(PendingPhoto).where(PendingPhoto.created_at < now - KEEP)).all()
    for row in old:
        db.delete(row)
    db.flush()
    named = set(db.exec(select(PendingPhoto.key)).all())
    folder = pending_dir(media_dir)
    cutoff = (now - KEEP).timestamp()
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name[:64] not in named and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
    return len(old)
