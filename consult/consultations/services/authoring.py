"""Writing ideas: drafts with photos, submitting, editing (each edit after submission
an immutable version) and withdrawing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import (
    Category,
    Consultation,
    Idea,
    IdeaPhoto,
    IdeaRound,
    IdeaVersion,
    TimelineEntry,
)
from consult.consultations.services.common import (
    _current,
    _staff_role,
    get_consultation,
    ideas_changed,
    open_round,
    rounds_of,
    scope_of,
)
from consult.consultations.services.ideas import photos_of
from consult.consultations.services.pending import claim, claimable
from consult.db.ids import find
from consult.db.ids import parse_id as _int
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.i18n import N_, Msg
from consult.media.images import ImageError, process_upload, store
from consult.permissions import Actor

#: ImageError codes → translatable messages (the media module's English templates use
#: ``{name}``; the catalogue uses ``%(name)s``).
PHOTO_MESSAGES = {
    "too_large": N_("The photo is %(size_mb)s MB; photos can be at most %(max_mb)s MB."),
    "not_an_image": N_("This file could not be opened as a photo. Please choose a JPEG, PNG, WebP or GIF picture."),
    "unsupported_format": N_("Pictures in %(format)s format are not accepted. Please choose a JPEG, PNG, WebP or GIF picture."),
    "too_many_pixels": N_("The picture has too many pixels; at most %(max_megapixels)s million are allowed."),
}


def photo_message(error: ImageError) -> Msg:
    return Msg(PHOTO_MESSAGES[error.code], dict(error.params))


def _area_of(place: Place) -> int | None:
    ids = place.ids_from_root
    return ids[1] if len(ids) > 1 else None


def _process_photos(photos: list[bytes]) -> list:
    processed = []
    for data in photos:
        try:
            processed.append(process_upload(data))
        except ImageError as exc:
            raise FieldErrors({"photos": photo_message(exc)}) from None
    return processed


def _idea_values(db: Session, consultation: Consultation, *, title, description, category_id,
                 place_id, estimated_cost) -> dict:
    title, description = rules.clean_text(title), rules.clean_text(description)
    category = find(db, Category, category_id)
    category_ok = category is not None and category.consultation_id == consultation.id
    place = find(db, Place, place_id)
    scope = scope_of(db, consultation)
    place_ok = place is not None and place.path.startswith(scope.path) and place.kind != "home"
    cost_fen, cost_problem = rules.parse_money(rules.clean_text(estimated_cost))
    errors = rules.idea_problems(title, description, category_ok, place_ok, cost_problem)
    if errors:
        raise FieldErrors(errors)
    return {"title": title, "description": description, "category": category, "place": place,
            "estimated_cost_fen": cost_fen}


def _kept(db: Session, user_id: int, token: str, remove_kept) -> int:
    """How many photos kept from a refused form (issue 16 item 6) this one attaches."""
    return len(claimable(db, user_id, token, remove_kept))


def _attach_kept(db: Session, idea: Idea, user_id: int, token: str, remove_kept, media_dir: Path,
                 start: int) -> int:
    """The kept photos become the idea's, from ``start``; returns how many."""
    claimed = claim(db, user_id, token, remove_kept, media_dir=media_dir)
    for offset, row in enumerate(claimed):
        db.add(IdeaPhoto(idea_id=idea.id, key=row.key, position=start + offset, width=row.width,
                         height=row.height))
    return len(claimed)


def _store_photos(db: Session, idea: Idea, processed: list, media_dir: Path,
                  start: int) -> None:
    for offset, image in enumerate(processed):
        key = store(image, media_dir)
        db.add(IdeaPhoto(idea_id=idea.id, key=key, position=start + offset, width=image.width,
                         height=image.height))


def create_draft(db: Session, actor: Actor, user: User, consultation: Consultation, *,
                 title: str, description: str, category_id, place_id, estimated_cost: str = "",
                 photos: list[bytes] = (), media_dir: Path, now: datetime, photo_token: str = "",
                 remove_kept=()) -> Idea:
    """A new idea starts as the author's private draft; submitting it makes it public.

    ``photo_token``: the photos kept from the form's refused tries, attached first (but
    those in ``remove_kept``), then the ones sent now."""
    values = _idea_values(db, consultation, title=title, description=description,
                          category_id=category_id, place_id=place_id, estimated_cost=estimated_cost)
    place = values["place"]
    if not permissions.allowed("submit_idea", actor, place.ids_from_root):
        raise Forbidden(N_("Only verified residents of this area can submit ideas here."))
    if open_round(rounds_of(db, consultation.id), now, "collect") is None:
        raise Conflict(N_("Ideas can only be submitted while a collection round is open."))
    kept = _kept(db, user.id, photo_token, remove_kept)
    if kept + len(photos) > rules.MAX_PHOTOS:
        raise FieldErrors({"photos": Msg(N_("At most %(max)s photos."), {"max": rules.MAX_PHOTOS})})
    processed = _process_photos(list(photos))
    idea = Idea(consultation_id=consultation.id, author_id=user.id, title=values["title"],
                description=values["description"], category_id=values["category"].id,
                place_id=place.id, area_id=_area_of(place),
                estimated_cost_fen=values["estimated_cost_fen"], state="draft",
                created_at=now, updated_at=now)
    db.add(idea)
    db.flush()
    start = _attach_kept(db, idea, user.id, photo_token, remove_kept, media_dir, 0)
    _store_photos(db, idea, processed, media_dir, start)
    db.flush()
    return idea


def _snapshot(db: Session, idea: Idea, *, by: Actor, by_moderator: bool, now: datetime) -> IdeaVersion:
    category = db.get(Category, idea.category_id)
    place = db.get(Place, idea.place_id)
    idea.version += 1
    version = IdeaVersion(
        idea_id=idea.id, number=idea.version, title=idea.title, description=idea.description,
        category_name=category.name, place_name=place.name,
        estimated_cost_fen=idea.estimated_cost_fen,
        photo_keys=[p.key for p in photos_of(db, idea.id)], round_id=idea.current_round_id,
        created_at=now, created_by=by.user_id, author_is_moderator=by_moderator)
    db.add(version)
    db.add(idea)
    return version


def submit_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    if idea.author_id != actor.user_id:
        raise Forbidden()
    place = db.get(Place, idea.place_id)
    if not permissions.allowed("submit_idea", actor, place.ids_from_root):
        raise Forbidden(N_("Only verified residents of this area can submit ideas here."))
    if problem := rules.transition_problem(idea.state, "submit"):
        raise Conflict(problem)
    collect = open_round(rounds_of(db, idea.consultation_id), now, "collect")
    submitted = db.exec(select(func.count()).select_from(Idea).where(
        Idea.consultation_id == idea.consultation_id, Idea.author_id == idea.author_id,
        Idea.state.notin_(("draft", "withdrawn")))).one()
    limit = int((collect.settings if collect else {}).get("ideas_per_resident") or 0)
    if problem := rules.submit_problem(collect is not None, submitted, limit):
        raise Conflict(problem)
    ideas_changed(db, idea.consultation_id)
    idea.state = "submitted"
    idea.submitted_at = idea.updated_at = now
    idea.current_round_id = collect.id
    db.add(IdeaRound(idea_id=idea.id, round_id=collect.id, at=now))
    db.flush()
    _snapshot(db, idea, by=actor, by_moderator=False, now=now)
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role="author",
                         action="submitted", round_id=collect.id))
    db.flush()
    return idea


def update_idea(db: Session, actor: Actor, idea: Idea, *, title: str, description: str,
                category_id, place_id, estimated_cost: str = "", photos: list[bytes] = (),
                remove_photos: list[int] = (), media_dir: Path, now: datetime, photo_token: str = "",
                remove_kept=()) -> Idea:
    """Edit an idea. After submission every edit is a new immutable version; an edit in
    answer to a revision request sends the idea back for review. ``photo_token`` and
    ``remove_kept`` as for :func:`create_draft`: photos kept from refused tries."""
    consultation = get_consultation(db, idea.consultation_id)
    is_author = idea.author_id == actor.user_id
    old_place = db.get(Place, idea.place_id)
    by_moderator = not is_author
    if by_moderator and not permissions.allowed("review_idea", actor, old_place.ids_from_root):
        raise Forbidden()
    kind, state = _current(db, idea, now)
    if problem := rules.edit_problem(idea.state, kind, state, by_moderator):
        raise Conflict(problem)
    values = _idea_values(db, consultation, title=title, description=description,
                          category_id=category_id, place_id=place_id, estimated_cost=estimated_cost)
    place = values["place"]
    if is_author and not permissions.allowed("submit_idea", actor, place.ids_from_root):
        raise FieldErrors({"place_id": Msg(N_("Please choose a place within this consultation's area."))})
    if by_moderator and not permissions.allowed("review_idea", actor, place.ids_from_root):
        raise FieldErrors({"place_id": Msg(N_(
            "You can only move an idea to a place you moderate. Ask a moderator of the other "
            "place or of the sub-district to move it."))})
    existing = photos_of(db, idea.id)
    remove = {int(p) for p in remove_photos if _int(p) is not None}
    kept = [p for p in existing if p.id not in remove]
    waiting = _kept(db, actor.user_id, photo_token, remove_kept)
    if len(kept) + waiting + len(photos) > rules.MAX_PHOTOS:
        raise FieldErrors({"photos": Msg(N_("At most %(max)s photos."), {"max": rules.MAX_PHOTOS})})
    processed = _process_photos(list(photos))
    changed = (bool(waiting) or values["title"] != idea.title or values["description"] != idea.description
               or values["category"].id != idea.category_id or place.id != idea.place_id
               or values["estimated_cost_fen"] != idea.estimated_cost_fen
               or bool(processed) or len(kept) != len(existing))
    if not changed:
        return idea
    ideas_changed(db, idea.consultation_id)
    idea.title, idea.description = values["title"], values["description"]
    idea.category_id, idea.place_id, idea.area_id = values["category"].id, place.id, _area_of(place)
    idea.estimated_cost_fen = values["estimated_cost_fen"]
    idea.updated_at = now
    for photo in existing:
        db.delete(photo)
    db.flush()
    for position, photo in enumerate(kept):
        db.add(IdeaPhoto(idea_id=idea.id, key=photo.key, position=position, width=photo.width,
                         height=photo.height))
    start = len(kept) + _attach_kept(db, idea, actor.user_id, photo_token, remove_kept, media_dir, len(kept))
    _store_photos(db, idea, processed, media_dir, start)
    db.flush()
    if idea.state == "draft":
        db.add(idea)
        return idea
    revising = is_author and idea.state == "revision_requested"
    if revising:
        idea.state, idea.state_note = "submitted", None
    version = _snapshot(db, idea, by=actor, by_moderator=by_moderator, now=now)
    role = _staff_role(actor, place.ids_from_root) if by_moderator else "author"
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role=role,
                         action="revised" if revising else "edited", round_id=idea.current_round_id,
                         details={"version": version.number}))
    if by_moderator:
        audit.record(db, actor_id=actor.user_id, action="edit_idea", target_type="idea",
                     target_id=idea.id, place_id=place.id, version=version.number)
    db.flush()
    return idea


def withdraw_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    if idea.author_id != actor.user_id:
        raise Forbidden()
    kind, _ = _current(db, idea, now)
    if problem := rules.withdraw_problem(idea.state, kind):
        raise Conflict(problem)
    was_draft = idea.state == "draft"
    ideas_changed(db, idea.consultation_id)
    idea.state, idea.updated_at = "withdrawn", now
    db.add(idea)
    if not was_draft:
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role="author",
                             action="withdrawn", round_id=idea.current_round_id))
    db.flush()
    return idea
