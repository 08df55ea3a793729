"""What happens on site and after: milestones with photos, acceptance (验收) signed by two
people, and residents' ratings of the delivered project."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.communities.models import Place
from consult.db.ids import parse_id
from consult.delivery import rules
from consult.delivery.models import (
    DeliveryDocument,
    DeliveryPhoto,
    Milestone,
    Project,
    ProjectRating,
    SignOff,
)
from consult.delivery.services.common import event, load, require
from consult.delivery.services.projects import follow
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.media import documents as pdfs
from consult.media.images import MAX_UPLOAD_BYTES, ImageError, process_upload, store
from consult.parsing import clean_text
from consult.permissions import Actor

PHOTO_MESSAGES = {
    "too_large": N_("The photo is %(size_mb)s MB; photos can be at most %(max_mb)s MB."),
    "not_an_image": N_("This file could not be opened as a photo. Please choose a JPEG, PNG, WebP or GIF picture."),
    "unsupported_format": N_("Pictures in %(format)s format are not accepted. Please choose a JPEG, PNG, WebP or GIF picture."),
    "too_many_pixels": N_("The picture has too many pixels; at most %(max_megapixels)s million are allowed."),
}


#: the largest photo file accepted (8 MB, as ideas')
MAX_PHOTO_BYTES = MAX_UPLOAD_BYTES

DOCUMENT_MESSAGES = {
    "too_large": N_("The document is %(size_mb)s MB; documents can be at most %(max_mb)s MB."),
    "not_a_pdf": N_("This file is not a PDF document. Please choose a PDF file."),
}

#: the largest PDF accepted (10 MB)
MAX_DOCUMENT_BYTES = pdfs.MAX_PDF_BYTES


def documents_dir(media_dir: Path) -> Path:
    return media_dir / "delivery"


def checked_documents(documents: list[tuple[str, bytes]], field: str = "documents",
                      limit: int = rules.MAX_DOCUMENTS) -> list[tuple[str, str, bytes]]:
    """Every document checked (a PDF, not too large) before anything is stored:
    (key, file name, data)."""
    if len(documents) > limit:
        raise FieldErrors({field: Msg(N_("At most %(max)s documents."), {"max": limit})})
    done = []
    for filename, data in documents:
        try:
            key = pdfs.check_pdf(data, MAX_DOCUMENT_BYTES)
        except pdfs.DocumentError as exc:
            raise FieldErrors({field: Msg(DOCUMENT_MESSAGES[exc.code], dict(exc.params))}) from None
        name = clean_text(Path(filename.replace("\\", "/")).name)[:120] or "document.pdf"
        done.append((key, name if name.lower().endswith(".pdf") else name[:116] + ".pdf", data))
    return done


def processed_photos(photos: list[bytes], field: str = "photos", limit: int = rules.MAX_PHOTOS) -> list:
    """Every photo checked and re-encoded (EXIF stripped) before anything is stored."""
    if len(photos) > limit:
        raise FieldErrors({field: Msg(N_("At most %(max)s photos."), {"max": limit})})
    done = []
    for data in photos:
        try:
            done.append(process_upload(data, max_bytes=MAX_PHOTO_BYTES))
        except ImageError as exc:
            raise FieldErrors({field: Msg(PHOTO_MESSAGES[exc.code], dict(exc.params))}) from None
    return done


def store_photos(processed: list, media_dir: Path) -> list[str]:
    return [store(p, media_dir) for p in processed]


# -- milestones ------------------------------------------------------------------------


def add_milestone(db: Session, actor: Actor, project_id, *, title: str, happened_on: date | None,
                  body: str, phase: str, photos: list[bytes], media_dir: Path,
                  now: datetime, documents: list[tuple[str, bytes]] = ()) -> Milestone:
    """A milestone with up to 6 photos (EXIF stripped) and 3 PDF documents
    (``documents`` are (file name, data) pairs); nothing is stored when one is refused."""
    loaded = load(db, project_id)
    require(actor, loaded, "manage_project", "milestone")
    title, body = clean_text(title), clean_text(body)
    errors = rules.milestone_problems(title, happened_on, body, phase)
    if errors:
        raise FieldErrors(errors)
    processed = processed_photos(photos)
    papers = checked_documents(list(documents))
    item = Milestone(project_id=loaded.project.id, title=title, happened_on=happened_on, body=body,
                     phase=phase, created_by=actor.user_id, created_at=now)
    db.add(item)
    db.flush()
    for position, key in enumerate(store_photos(processed, media_dir)):
        db.add(DeliveryPhoto(project_id=item.project_id, milestone_id=item.id, key=key, position=position))
    for position, (key, name, data) in enumerate(papers):
        pdfs.write_named(documents_dir(media_dir), pdfs.pdf_path(documents_dir(media_dir), key).name, data)
        db.add(DeliveryDocument(project_id=item.project_id, milestone_id=item.id, key=key, filename=name,
                                size=len(data), position=position))
    event(db, loaded.project, actor.user_id, "milestone", now, note=title, milestone=item.id,
          phase=phase, on=happened_on.isoformat(), photos=len(processed), documents=len(papers))
    db.flush()
    return item


def milestones(db: Session, project_id: int) -> list[tuple[Milestone, list[str]]]:
    items = list(db.exec(select(Milestone).where(Milestone.project_id == project_id)
                         .order_by(Milestone.happened_on, Milestone.id)).all())
    photos: dict[int, list[str]] = {}
    for p in db.exec(select(DeliveryPhoto).where(DeliveryPhoto.project_id == project_id,
                                                 DeliveryPhoto.milestone_id.is_not(None))
                     .order_by(DeliveryPhoto.position)).all():
        photos.setdefault(p.milestone_id, []).append(p.key)
    return [(m, photos.get(m.id, [])) for m in items]


def milestone_documents(db: Session, project_id: int) -> dict[int, list[DeliveryDocument]]:
    """Each milestone's PDF documents, in their order."""
    found: dict[int, list[DeliveryDocument]] = {}
    for d in db.exec(select(DeliveryDocument).where(DeliveryDocument.project_id == project_id)
                     .order_by(DeliveryDocument.milestone_id, DeliveryDocument.position)).all():
        found.setdefault(d.milestone_id, []).append(d)
    return found


def document_file(db: Session, document_id, media_dir: Path) -> tuple[DeliveryDocument, Path]:
    """A document and its stored file (NotFound when either is missing)."""
    item = db.get(DeliveryDocument, parse_id(document_id) or 0)
    if item is None:
        raise NotFound()
    path = pdfs.pdf_path(documents_dir(media_dir), item.key)
    if not path.is_file():
        raise NotFound()
    return item, path


def idea_panel(db: Session, idea_id: int, today: date):
    """The idea's page shows the project carrying it out: its state and milestones
    (registered in ``consultations.IDEA_PANELS``)."""
    from consult.consultations import IdeaPanel
    from consult.delivery.models import Project

    project = db.exec(select(Project).where(Project.idea_id == idea_id)).first()
    if project is None:
        return None
    return IdeaPanel("delivery/_idea_panel.html", {
        "project": project, "state_name": rules.STATE_NAMES[project.state], "phases": rules.PHASES,
        "milestones": milestones(db, project.id),
        "ratings": rating_summary(db, project, today) if project.accepted_on else None})


# -- acceptance ------------------------------------------------------------------------


def signoffs(db: Session, project_id: int) -> list[tuple[SignOff, str]]:
    return list(db.exec(select(SignOff, User.display_name).join(User, User.id == SignOff.user_id)
                        .where(SignOff.project_id == project_id).order_by(SignOff.id)).all())


def sign_acceptance(db: Session, actor: Actor, project_id, *, note: str, record: bytes | None,
                    media_dir: Path, now: datetime) -> SignOff:
    """Staff sign as staff; a verified resident (or owners' representative) as the
    residents' representative. The second, different person's signature accepts it."""
    loaded = load(db, project_id, lock=True)
    if not actor.authenticated:
        raise NotSignedIn()
    require(actor, loaded, "sign_acceptance", "sign_acceptance")
    if not permissions.may_decide("sign_acceptance", actor, loaded.path, loaded.project.proposer_id):
        raise Forbidden(N_("You proposed this project, so two other people sign its acceptance."),
                        code="own_request")
    capacity = "staff" if actor.holds(permissions.STAFF, loaded.path) else "residents"
    signed = {s.capacity: s.user_id for s, _ in signoffs(db, loaded.project.id)}
    if problem := rules.signoff_problem(capacity, signed, actor.user_id):
        raise Conflict(problem, code="acceptance")
    note = clean_text(note)
    if len(note) > rules.NOTE_MAX:
        raise FieldErrors({"note": Msg(N_("At most %(max)s characters."), {"max": rules.NOTE_MAX})})
    key = store_photos(processed_photos([record], "record", 1), media_dir)[0] if record else None
    if capacity == "staff" and key is None:
        raise FieldErrors({"record": Msg(N_("Please attach the photo of the signed acceptance record."))})
    item = SignOff(project_id=loaded.project.id, capacity=capacity, user_id=actor.user_id, note=note,
                   record_key=key, at=now)
    try:
        with db.begin_nested():
            db.add(item)
            db.flush()
    except IntegrityError:  # the same part signed a moment ago
        raise Conflict(N_("This part of the acceptance has already been signed."), code="acceptance") from None
    event(db, loaded.project, actor.user_id, "signoff", now, note=note, capacity=capacity)
    if len(signed) + 1 == len(rules.CAPACITIES):
        project = loaded.project
        project.state, project.accepted_on = "accepted", now.date()
        project.next_check_due = rules.next_due(project.accepted_on, project.check_interval_days)
        event(db, project, actor.user_id, "accepted", now)
        follow(db, actor.user_id, project, now)
    db.flush()
    return item


# -- ratings ---------------------------------------------------------------------------


@dataclass
class RatingSummary:
    counts: dict[int, int]
    total: int
    mean: str
    wave: int | None
    comments: list[tuple[int, str]]


def rating_summary(db: Session, project, today: date) -> RatingSummary:
    rows = db.exec(select(ProjectRating.stars, func.count()).where(ProjectRating.project_id == project.id)
                   .group_by(ProjectRating.stars)).all()
    counts = {n: 0 for n in range(1, 6)}
    for stars, n in rows:
        counts[stars] = int(n)
    comments = list(db.exec(select(ProjectRating.stars, ProjectRating.comment)
                            .where(ProjectRating.project_id == project.id, ProjectRating.comment != "")
                            .order_by(ProjectRating.id.desc()).limit(20)).all())
    return RatingSummary(counts, sum(counts.values()), rules.mean_text(counts),
                         rules.rating_wave(project.accepted_on, today), comments)


def my_rating(db: Session, user_id: int | None, project, today: date) -> ProjectRating | None:
    wave = rules.rating_wave(project.accepted_on, today)
    if user_id is None or wave is None:
        return None
    return db.exec(select(ProjectRating).where(ProjectRating.project_id == project.id,
                                               ProjectRating.wave == wave,
                                               ProjectRating.user_id == user_id)).first()


def _rating_values(project, stars, comment, today: date) -> tuple[int, int, str]:
    wave = rules.rating_wave(project.accepted_on, today)
    if wave is None:
        raise Conflict(N_("Ratings open 30 days after the project's acceptance, so residents have used it first."),
                       code="rating_not_open")
    comment = clean_text(comment)
    if errors := rules.rating_problems(stars, comment):
        raise FieldErrors(errors)
    return wave, int(clean_text(stars)), comment


def rate(db: Session, actor: Actor, project_id, *, stars, comment: str, channel: str,
         now: datetime) -> ProjectRating:
    """One rating per resident and wave (30 days, 180 days), in the app or from an SMS link."""
    loaded = load(db, project_id)
    if not actor.authenticated:
        raise NotSignedIn()
    require(actor, loaded, "rate_project", "rate")
    wave, value, comment = _rating_values(loaded.project, stars, comment, now.date())
    item = ProjectRating(project_id=loaded.project.id, wave=wave, user_id=actor.user_id,
                         channel="sms" if channel == "sms" else "app", stars=value, comment=comment, at=now)
    return _save_rating(db, item, N_("You have already rated this project; thank you."))


def enter_paper_rating(db: Session, actor: Actor, project_id, *, card: str, stars, comment: str,
                       now: datetime) -> ProjectRating:
    loaded = load(db, project_id)
    require(actor, loaded, "enter_paper_rating", "rate")
    card = clean_text(card)
    if not card or len(card) > 20:
        raise FieldErrors({"card": Msg(N_("Please enter the card's number (at most 20 characters)."))})
    wave, value, comment = _rating_values(loaded.project, stars, comment, now.date())
    item = ProjectRating(project_id=loaded.project.id, wave=wave, card=card, channel="paper",
                         stars=value, comment=comment, entered_by=actor.user_id, at=now)
    return _save_rating(db, item, N_("A card with this number has already been entered."))


def _save_rating(db: Session, item: ProjectRating, duplicate: str) -> ProjectRating:
    try:
        with db.begin_nested():
            db.add(item)
            db.flush()
    except IntegrityError:
        raise Conflict(duplicate, code="already_rated") from None
    return item


# -- feeding a star campaign (registered in ``ratings.PROJECT_SOURCES``) ------------------


def rateable_projects(db: Session, place) -> list[tuple[int, str]]:
    """Accepted (or in use) projects inside ``place``, for a campaign's subject form."""
    return [(pid, f"{title}（{year}）") for pid, title, year in db.exec(
        select(Project.id, Project.title, Project.year).join(Place, Place.id == Project.place_id)
        .where(Place.path.startswith(place.path), Project.state.in_(("accepted", "in_use")))
        .order_by(Project.year.desc(), Project.title)).all()]


def mean_stars(db: Session, project_ids: set[int]) -> dict[int, tuple[Fraction, int]]:
    """Each rated project's mean stars (exact) and number of ratings, both waves together."""
    return {pid: (Fraction(int(total), int(n)), int(n)) for pid, total, n in db.exec(
        select(ProjectRating.project_id, func.sum(ProjectRating.stars), func.count())
        .where(ProjectRating.project_id.in_(project_ids)).group_by(ProjectRating.project_id)).all()}
