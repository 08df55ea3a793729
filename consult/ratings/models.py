"""Star-rating tables: campaigns, subjects, criteria and their sources, objections,
representatives' forums, and public photo contests.

A subject's published result (total and star level) is frozen on the subject when
the campaign is published, so later answers to a survey cannot change a notice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow

SUBJECT_KINDS = ("owners_committee", "building_group", "project")
SOURCES = ("staff", "forum", "survey", "contest", "project")
SURVEY_MEASURES = ("rate", "mean")


class Campaign(SQLModel, table=True):
    """A year's star rating of a kind of subject, with published thresholds for 1–5 stars."""

    __tablename__ = "rating_campaign"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    year: int
    place_id: int = Field(foreign_key="place.id", index=True)
    description: str = Field(default="", max_length=2000)
    threshold_1: int = Field(default=60)
    threshold_2: int = Field(default=70)
    threshold_3: int = Field(default=80)
    threshold_4: int = Field(default=90)
    threshold_5: int = Field(default=95)
    notice_days: int = Field(default=7)
    published_at: datetime | None = None
    notice_ends_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def thresholds(self) -> list[int]:
        return [self.threshold_1, self.threshold_2, self.threshold_3, self.threshold_4,
                self.threshold_5]


class Subject(SQLModel, table=True):
    """What is rated: an owners' committee (its estate), a building group or a project.

    ``place_id`` (or ``ref`` for a project) identifies the same subject across years.
    ``result_total`` is an exact fraction written as ``"num/den"``.
    """

    __tablename__ = "rating_subject"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="rating_campaign.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=24)
    place_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    ref: str = Field(default="", max_length=60)
    name: str = Field(max_length=120)
    survey_id: int | None = Field(default=None, foreign_key="survey.id")
    # the delivered project whose residents' ratings feed a ``project`` criterion (no
    # foreign key: ratings' tables know nothing of the delivery domain's)
    project_id: int | None = Field(default=None, index=True)
    result_total: str | None = Field(default=None, max_length=64)
    result_stars: int | None = None
    result_scores: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Contest(SQLModel, table=True):
    """A public vote: verified residents give each entry 1–5 stars once."""

    __tablename__ = "rating_contest"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="rating_campaign.id")
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    place_id: int = Field(foreign_key="place.id", index=True)
    opens_at: datetime
    closes_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Criterion(SQLModel, table=True):
    """A weighted criterion (weights of a campaign sum to 100) and where its score comes from."""

    __tablename__ = "rating_criterion"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="rating_campaign.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    name: str = Field(max_length=120)
    weight: int
    source: str = Field(max_length=16)
    survey_measure: str | None = Field(default=None, max_length=8)
    contest_id: int | None = Field(default=None, foreign_key="rating_contest.id")


class StaffScore(SQLModel, table=True):
    """A score 0–100 entered by staff, with the evidence it rests on (e.g. a ledger check)."""

    __tablename__ = "rating_staff_score"
    __table_args__ = (UniqueConstraint("criterion_id", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    criterion_id: int = Field(foreign_key="rating_criterion.id", ondelete="CASCADE")
    subject_id: int = Field(foreign_key="rating_subject.id", index=True, ondelete="CASCADE")
    score: int
    evidence: str = Field(default="", max_length=500)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    entered_at: datetime = Field(default_factory=utcnow)


class Objection(SQLModel, table=True):
    """A resident's objection during the notice period, answered publicly by staff."""

    __tablename__ = "rating_objection"
    __table_args__ = (UniqueConstraint("subject_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="rating_campaign.id", index=True, ondelete="CASCADE")
    subject_id: int = Field(foreign_key="rating_subject.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id")
    text: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    answer: str | None = Field(default=None, max_length=1000)
    answered_at: datetime | None = None
    answered_by: int | None = Field(default=None, foreign_key="user.id")


class Forum(SQLModel, table=True):
    """An owners'-representative forum 业主代表座谈会 about one subject of a campaign."""

    __tablename__ = "rating_forum"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="rating_campaign.id", index=True, ondelete="CASCADE")
    subject_id: int = Field(foreign_key="rating_subject.id", index=True, ondelete="CASCADE")
    held_at: datetime
    location: str = Field(max_length=120)
    agenda: str = Field(default="", max_length=2000)
    minutes: str = Field(default="", max_length=5000)
    created_by: int | None = Field(default=None, foreign_key="user.id")


class ForumAttendee(SQLModel, table=True):
    __tablename__ = "rating_forum_attendee"
    __table_args__ = (UniqueConstraint("forum_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    forum_id: int = Field(foreign_key="rating_forum.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id")


class ForumRating(SQLModel, table=True):
    """A representative's rating 1–5 of one criterion, given on paper in the room."""

    __tablename__ = "rating_forum_rating"
    __table_args__ = (UniqueConstraint("forum_id", "user_id", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    forum_id: int = Field(foreign_key="rating_forum.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id")
    criterion_id: int = Field(foreign_key="rating_criterion.id", ondelete="CASCADE")
    score: int


class ContestEntry(SQLModel, table=True):
    """An entry (e.g. a building group) with a photo and a short text."""

    __tablename__ = "rating_contest_entry"

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="rating_contest.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    title: str = Field(max_length=120)
    text: str = Field(default="", max_length=500)
    place_id: int | None = Field(default=None, foreign_key="place.id")
    subject_id: int | None = Field(default=None, foreign_key="rating_subject.id")
    photo_key: str | None = Field(default=None, max_length=64)


class ContestRating(SQLModel, table=True):
    """One resident's stars for one entry: the UNIQUE constraint makes it once."""

    __tablename__ = "rating_contest_rating"
    __table_args__ = (UniqueConstraint("entry_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="rating_contest_entry.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id")
    stars: int
    created_at: datetime = Field(default_factory=utcnow)
