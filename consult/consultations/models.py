"""Consultation tables: consultations, their rounds, ideas and what happens to them.

For the voting domain (and any other that builds on consultations):

- ``Consultation`` (title, year, ``scope_place_id`` → a residential area or the
  sub-district, ``budget_fen`` integer or None) has ordered ``Round`` rows
  (``position``, ``kind`` in collect/review/revise/vote/decide, ``opens_at`` and
  ``closes_at`` in aware UTC, ``settings`` JSON). A round's state is never stored:
  ``consult.consultations.rules.round_state(round.opens_at, round.closes_at, now)``.
- ``Idea`` rows carry ``estimated_cost_fen`` (integer fen or None), ``state`` (see
  ``rules.IDEA_STATES``) and ``current_round_id``; ``IdeaRound`` records every round
  that carried an idea. A vote round carries the shortlisted ideas once the round
  before it is closed and carried forward (``services.carry_forward``).
- Services to use (all in ``consult.consultations.services``):
  ``get_round(db, round_id)``, ``rounds_of(db, consultation_id)``,
  ``ideas_in_round(db, round)`` → ``list[RoundIdea]`` (id, title,
  estimated_cost_fen, photo_key of the first photo, thumbnail_url, place_name,
  category_name), ``record_outcome(db, actor, round, selected_ids, now)`` to mark
  carried ideas selected / not selected with timeline entries.
- Photos are stored by ``consult.media.images.store``; ``IdeaPhoto.key`` names
  ``<key>.jpg`` and ``<key>_t.jpg`` served at ``/media/<key>.jpg`` and ``/media/<key>_t.jpg``.

- Idea lists are cached per process, keyed by ``Consultation.ideas_version``: code
  that changes ideas, their photos, supports or comments other than through these
  services must call ``services.ideas_changed(db, consultation_id)`` in the same
  transaction, or lists may show the old state.

Money is integer fen everywhere; one support per person per idea is a UNIQUE constraint.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class Consultation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    year: int
    scope_place_id: int = Field(foreign_key="place.id", index=True)
    budget_fen: int | None = None
    description: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    #: raised by every service that changes what an idea list of this consultation shows
    #: (``services.ideas_changed``): the cached list pages are keyed by it
    ideas_version: int = Field(default=0)


class Category(SQLModel, table=True):
    """A category of ideas within one consultation (实事项目, 自治项目, ...)."""

    __tablename__ = "consultation_category"
    __table_args__ = (UniqueConstraint("consultation_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=40)
    position: int = Field(default=0)


class Round(SQLModel, table=True):
    """One step of a consultation; its state follows from its times (see ``rules.round_state``)."""

    __tablename__ = "consultation_round"
    __table_args__ = (UniqueConstraint("consultation_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    position: int
    kind: str = Field(max_length=16)
    title: str = Field(default="", max_length=80)
    opens_at: datetime
    closes_at: datetime
    settings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    closed_early_at: datetime | None = None
    extended: bool = Field(default=False)
    #: when the ideas this round ended with were carried into the next round
    carried_at: datetime | None = None


class RoundChange(SQLModel, table=True):
    """A round closed early or extended: the old and new closing time and why."""

    __tablename__ = "round_change"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="consultation_round.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # close_early | extend | moved (with an extended earlier round) | confirmed (ends a decide round)
    old_closes_at: datetime
    new_closes_at: datetime
    reason: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow)
    by: int | None = Field(default=None, foreign_key="user.id")


class Idea(SQLModel, table=True):
    """A resident's proposal. ``version`` is the number of its latest ``IdeaVersion`` (0 for a draft)."""

    __table_args__ = (
        Index("ix_idea_consultation_state", "consultation_id", "state"),
        Index("ix_idea_consultation_supports", "consultation_id", "support_count"),
        # the list's default order, newest first
        Index("ix_idea_consultation_submitted", "consultation_id", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=60)
    description: str = Field(max_length=2000)
    category_id: int = Field(foreign_key="consultation_category.id", index=True)
    place_id: int = Field(foreign_key="place.id", index=True)
    #: the residential area the place lies in (None when the place is the sub-district)
    area_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    estimated_cost_fen: int | None = None
    state: str = Field(default="draft", max_length=24)
    #: the public reason or note of the latest review decision
    state_note: str | None = Field(default=None, max_length=500)
    merged_into_id: int | None = Field(default=None, foreign_key="idea.id", index=True)
    current_round_id: int | None = Field(default=None, foreign_key="consultation_round.id",
                                         index=True)
    support_count: int = Field(default=0)
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class IdeaRound(SQLModel, table=True):
    """Which rounds carried which ideas."""

    __tablename__ = "idea_round"
    __table_args__ = (UniqueConstraint("idea_id", "round_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    round_id: int = Field(foreign_key="consultation_round.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)


class IdeaVersion(SQLModel, table=True):
    """An immutable snapshot of an idea, made on submission and on every later edit."""

    __tablename__ = "idea_version"
    __table_args__ = (UniqueConstraint("idea_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(max_length=60)
    description: str = Field(max_length=2000)
    category_name: str = Field(max_length=40)
    place_name: str = Field(max_length=80)
    estimated_cost_fen: int | None = None
    photo_keys: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    round_id: int | None = Field(default=None, foreign_key="consultation_round.id")
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    author_is_moderator: bool = Field(default=False)


class IdeaPhoto(SQLModel, table=True):
    __tablename__ = "idea_photo"
    __table_args__ = (UniqueConstraint("idea_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    position: int
    width: int
    height: int


class PendingPhoto(SQLModel, table=True):
    """A photo sent with an idea form that came back with a mistake (issue 16 item 6):
    kept, cleaned like every photo, for the person who sent it under the form's token
    (a hidden field), until the form succeeds and it becomes an :class:`IdeaPhoto`.
    Abandoned ones are dropped by ``services.drop_abandoned_photos`` (``finalize-due``).
    Its files are under ``<media>/pending/``, shown only to its owner."""

    __tablename__ = "idea_pending_photo"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, index=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Support(SQLModel, table=True):
    """One support (附议) per person per idea: the database enforces it."""

    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Comment(SQLModel, table=True):
    """A comment, or a reply to one (one level only). Hidden comments keep their text for the audit."""

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="user.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    body: str = Field(max_length=1000)
    is_expert: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    hidden_at: datetime | None = None
    hidden_reason: str | None = Field(default=None, max_length=200)
    hidden_by: int | None = Field(default=None, foreign_key="user.id")


class CommentReport(SQLModel, table=True):
    __tablename__ = "comment_report"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class TimelineEntry(SQLModel, table=True):
    """One public step in an idea's life: who (by role), when, what and why."""

    __tablename__ = "idea_timeline"

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor_role: str = Field(max_length=16)  # author | moderator | expert | admin | system
    #: the round the idea was in when this happened (the pipeline counts come from here)
    round_id: int | None = Field(default=None, foreign_key="consultation_round.id", index=True)
    action: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=500)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
