"""Survey tables: surveys, their questions and options, responses and their answers.

One answer per person (or per home) is the UNIQUE constraint on ``survey_answered``,
written in the same transaction as the response. For an anonymous survey that row
is the only trace of who answered: the response itself carries no user, home,
building group or time, and the "answered" row carries no response id.

Results pages are cached per process, keyed by ``Survey.version``: code that adds
responses, or changes a survey or its questions, other than through
``consult.surveys.services`` must call ``services.results_changed(db, survey_id)`` in
the same transaction, or results pages may show the old figures.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow

AUDIENCES = ("residents", "owners", "owners_reps")
QUESTION_KINDS = ("single", "multiple", "satisfaction", "stars", "number", "text")
CHANNELS = ("web", "paper")


class Survey(SQLModel, table=True):
    """A questionnaire for one audience at one place, open between two instants."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    place_id: int = Field(foreign_key="place.id", index=True)
    audience: str = Field(max_length=16)
    anonymous: bool = Field(default=False)
    opens_at: datetime
    closes_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    #: raised by every service that changes what the results show (a response, a paper
    #: form, the settings or the questions: ``services.results_changed``); the cached
    #: figures of the results page are keyed by it
    version: int = Field(default=0)


class Question(SQLModel, table=True):
    """One question; which of the optional limits apply depends on ``kind``."""

    __tablename__ = "survey_question"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    kind: str = Field(max_length=16)
    text: str = Field(max_length=300)
    hint: str = Field(default="", max_length=300)
    required: bool = Field(default=True)
    max_choices: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None


class Option(SQLModel, table=True):
    """A choice of a single- or multiple-choice question."""

    __tablename__ = "survey_option"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="survey_question.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    label: str = Field(max_length=120)


class Response(SQLModel, table=True):
    """One filled-in form, from the web or from paper (``channel``).

    ``user_id``, ``home_id``, ``building_group_id`` and ``created_at`` are set
    only for named surveys.
    """

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "paper_serial"),
        # counts by channel (every results page) read the index alone
        Index("ix_survey_response_survey_channel", "survey_id", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    home_id: int | None = Field(default=None, foreign_key="home.id")
    building_group_id: int | None = Field(default=None, foreign_key="place.id")
    channel: str = Field(default="web", max_length=8)
    paper_serial: str | None = Field(default=None, max_length=40)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime | None = None


class Answered(SQLModel, table=True):
    """Who has answered (a person, or a home for owners' surveys): stops a second answer."""

    __tablename__ = "survey_answered"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        UniqueConstraint("survey_id", "home_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    home_id: int | None = Field(default=None, foreign_key="home.id")


class Answer(SQLModel, table=True):
    """One answer of a response: an option, a whole number (stars, level, number) or text.

    A multiple-choice answer is one row per chosen option.
    """

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("ix_survey_answer_question_value", "question_id", "value"),
        Index("ix_survey_answer_question_option", "question_id", "option_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_response.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="survey_question.id", ondelete="CASCADE")
    option_id: int | None = Field(default=None, foreign_key="survey_option.id", ondelete="CASCADE")
    value: int | None = None
    text: str | None = Field(default=None, max_length=2000)
