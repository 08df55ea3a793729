"""Anonymous surveys: who has answered is kept apart from what was answered, and neither
the rows' ids, times nor order tell who answered what.

- **The mark.** One ``survey_answered`` row per person (or home) and survey stops a
  second answer. It holds the survey and ``answer_key``, an HMAC of
  ``survey:<id>:user|home:<id>`` under the ballot key (``consult.secrecy``, never in the
  database; ``rules.answer_key``), nothing else: the app computes a person's mark to
  find it; a copy of the database without the key cannot tell whose a mark is.
- **The response.** An anonymous survey's response has no user, home, building group or
  time; responses and answers have random ids (``consult.db.ids.random_id``), so on
  SQLite the tables are stored in the order of those ids, not of answering.
- **The order.** PostgreSQL stores rows in the order they are written, and each row
  version carries the id of the transaction that wrote it (``xmin``). While an anonymous
  survey is open its rows are in that staging form; once it has closed ``mix_answers``
  writes them again in random order with new ids in one transaction (``mix_due``: the
  daily ``python -m consult finalize-due``, and a close-early at once).
- **Exports** of an anonymous survey's responses are shuffled anew each time
  (``services.raw_responses``); the API returns no response id for them.

What this does not hide is in the README ("Anonymous surveys").
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import secrecy
from consult.db.ids import random_id
from consult.surveys import rules
from consult.surveys.models import Answer, Answered, Response, Survey


def answer_key(survey_id: int, kind: str, number: int) -> str:
    """The "has answered" mark of a person (``user``) or a home, under the ballot key."""
    return rules.answer_key(secrecy.ballot_key(), survey_id, kind, number)


def has_answered(db: Session, survey_id: int, kind: str, number: int) -> bool:
    return db.exec(select(Answered.answer_key).where(
        Answered.survey_id == survey_id, Answered.answer_key == answer_key(survey_id, kind, number))
    ).first() is not None


def answered_among(db: Session, survey_id: int, kind: str, numbers: list[int]) -> set[int]:
    """Which of these people (or homes) have answered the survey (one query)."""
    keys = {answer_key(survey_id, kind, number): number for number in numbers}
    if not keys:
        return set()
    return {keys[key] for key in db.exec(select(Answered.answer_key).where(
        Answered.survey_id == survey_id, Answered.answer_key.in_(list(keys)))).all()}


def answered_surveys(db: Session, user_id: int, survey_ids: list[int]) -> set[int]:
    """The surveys among ``survey_ids`` the person has answered (one query)."""
    keys = [answer_key(survey_id, "user", user_id) for survey_id in survey_ids]
    if not keys:
        return set()
    return set(db.exec(select(Answered.survey_id).where(
        Answered.survey_id.in_(survey_ids), Answered.answer_key.in_(keys))).all())




def mix_answers(db: Session, survey_id: int) -> bool:
    """Write a closed anonymous survey's responses, answers and marks again, in random
    order and with new random ids (once: ``Survey.answers_mixed``).

    PostgreSQL keeps a table's rows in the order they were written, and each row version
    carries the id of the transaction that wrote it, so while the survey is open the
    rows' physical order is the order of answering. Written again in one transaction, the
    rows name neither. (Old row versions stay in the table files until the database
    vacuums them: the README says what that leaves.) Returns whether this call mixed.
    The claim is an UPDATE, so two workers never mix the same survey twice.
    """
    claimed = db.execute(update(Survey).where(
        Survey.id == survey_id, Survey.anonymous.is_(True), Survey.answers_mixed.is_(False))
        .values(answers_mixed=True, version=Survey.version + 1)).rowcount
    if not claimed:
        return False
    db.flush()
    of_survey = select(Response.id).where(Response.survey_id == survey_id)
    responses = [dict(row) for row in db.execute(
        select(Response.__table__).where(Response.survey_id == survey_id)).mappings()]
    answers = [dict(row) for row in db.execute(
        select(Answer.__table__).where(Answer.response_id.in_(of_survey))).mappings()]
    marks = [dict(row) for row in db.execute(
        select(Answered.__table__).where(Answered.survey_id == survey_id)).mappings()]
    db.execute(delete(Answer).where(Answer.response_id.in_(of_survey)))
    db.execute(delete(Response).where(Response.survey_id == survey_id))
    db.execute(delete(Answered).where(Answered.survey_id == survey_id))
    new_ids = {row["id"]: random_id() for row in responses}
    for row in responses:
        row["id"] = new_ids[row["id"]]
    for row in answers:
        row["id"], row["response_id"] = random_id(), new_ids[row["response_id"]]
    shuffle = random.SystemRandom().shuffle
    for rows, model in ((responses, Response), (answers, Answer), (marks, Answered)):
        shuffle(rows)
        if rows:
            db.execute(insert(model), rows)
    db.expire_all()
    return True


def mix_due(db: Session, now: datetime) -> list[int]:
    """Mix every anonymous survey that has closed and is not mixed yet (``finalize-due``,
    daily, and the survey's own close-early); returns their ids."""
    due = db.exec(select(Survey.id).where(Survey.anonymous.is_(True), Survey.answers_mixed.is_(False),
                                          Survey.closes_at <= now).order_by(Survey.id)).all()
    return [survey_id for survey_id in due if mix_answers(db, survey_id)]
