"""Survey tables: surveys, their questions and options, responses and their answers.

One answer per person (or per home) is the primary key of ``survey_answered``, written
in the same transaction as the response. That row is the "has answered" mark and carries
no response, account, home or time: only the survey and an HMAC of (survey, person)
under the ballot key, which is not in the database (``consult.secrecy``;
``rules.answer_key``). With the key the app finds whether a person has answered; a copy
of the database without it tells who answered nobody.

For an anonymous survey that mark is the only trace of who answered: the response
carries no user, home, building group or time, and responses and answers have random
ids (``consult.db.ids.random_id``), so neither their ids nor, on SQLite, their order
tells the order of answering. On PostgreSQL rows are stored in the order written: when an
anonymous survey closes its responses, answers and marks are written again in random
order (``services.mix_answers``). See the README's "Anonymous surveys".

Results pages are cached per process, keyed by ``Survey.version``: code that adds
responses, or changes a survey or its questions, other than through
``consult.surveys.services`` must call ``services.results_changed(db, survey_id)`` in
the same transaction, or results pages may show the old figures.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow
from consult.db.ids import RANDOM_ID, random_id

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
    #: an anonymous survey's rows have been written again in random order since it closed
    #: (``services.mix_answers``); named surveys never need it
    answers_mixed: bool = Field(default=False)


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
    only for named surveys. The id is random (``random_id``; also for Core inserts).
    """

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "paper_serial"),
        # counts by channel (every results page) read the index alone
        Index("ix_survey_response_survey_channel", "survey_id", "channel"),
    )

    id: int = Field(default_factory=random_id, sa_column=Column(
        RANDOM_ID, primary_key=True, autoincrement=False, default=random_id))
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    home_id: int | None = Field(default=None, foreign_key="home.id")
    building_group_id: int | None = Field(default=None, foreign_key="place.id")
    channel: str = Field(default="web", max_length=8)
    paper_serial: str | None = Field(default=None, max_length=40)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime | None = None


class Answered(SQLModel, table=True):
    """Who has answered (a person, or a home for owners' surveys): stops a second answer.

    Keyed by (survey, ``answer_key``), the HMAC of ``survey:<id>:user|home:<id>`` under the
    ballot key (``rules.answer_key``), with nothing else: no id of its own (on SQLite a
    WITHOUT ROWID table, stored in the order of the keys), no time, no response.
    """

    __tablename__ = "survey_answered"
    __table_args__ = ({"sqlite_with_rowid": False},)

    survey_id: int = Field(foreign_key="survey.id", primary_key=True, ondelete="CASCADE")
    answer_key: str = Field(max_length=40, primary_key=True)


class Answer(SQLModel, table=True):
    """One answer of a response: an option, a whole number (stars, level, number) or text.

    A multiple-choice answer is one row per chosen option. Ids are random, like responses'.
    """

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("ix_survey_answer_question_value", "question_id", "value"),
        Index("ix_survey_answer_question_option", "question_id", "option_id"),
    )

    id: int = Field(default_factory=random_id, sa_column=Column(
        RANDOM_ID, primary_key=True, autoincrement=False, default=random_id))
    response_id: int = Field(sa_column=Column(
        RANDOM_ID, ForeignKey("survey_response.id", ondelete="CASCADE"), nullable=False, index=True))
    question_id: int = Field(foreign_key="survey_question.id", ondelete="CASCADE")
    option_id: int | None = Field(default=None, foreign_key="survey_option.id", ondelete="CASCADE")
    value: int | None = None
    text: str | None = Field(default=None, max_length=2000)
