"""survey secrecy: "has answered" marks keyed by an HMAC under the ballot key; random ids; mixing

``survey_answered`` no longer holds ``user_id`` / ``home_id``: a mark is (survey,
``answer_key``), ``answer_key`` being HMAC-SHA256 of ``survey:<survey>:user|home:<id>``
under the ballot key (``consult.surveys.rules.answer_key``), keyed by both (WITHOUT ROWID
on SQLite). Responses and answers get random 63-bit ids (INTEGER, the rowid, on SQLite;
BIGINT on PostgreSQL). ``survey.answers_mixed`` records that a closed anonymous survey's
rows have been written again in random order (``consult.surveys.secrecy.mix_answers``).

The key is not in the database: the migration reads it as the app does
(``Settings.from_env()``: ``CONSULT_BALLOT_KEY``, else derived from
``CONSULT_SECRET_KEY`` or ``var/secret_key``), so run it with the application's
environment. It is read only when there are marks to convert.

The three tables are rebuilt (read, dropped, created, written back in random order, the
same way on SQLite and PostgreSQL), so no trace of the old ids or order is left in them;
every anonymous survey already closed counts as mixed. Anonymous responses keep no time
(they never had one). The downgrade restores the old columns, finding each mark's
person or home again with the key (a mark no person matches is dropped); ids become
sequential again, in random order for anonymous surveys.

Revision ID: surveys_0003_secrecy
Revises: surveys_0002_version
Create Date: 2026-12-02 18:00:00.000000
"""
import hashlib
import hmac
import random
import secrets
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'surveys_0003_secrecy'
down_revision = 'surveys_0002_version'
branch_labels = None
depends_on = None

_RANDOM_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_RESPONSE = ('survey_id', 'user_id', 'home_id', 'building_group_id', 'channel', 'paper_serial',
             'entered_by', 'created_at')
_ANSWER = ('question_id', 'option_id', 'value', 'text')
_SURVEY = sa.table('survey', sa.column('id', sa.Integer()), sa.column('anonymous', sa.Boolean()),
                   sa.column('closes_at', sqlmodel.sql.sqltypes.UTCDateTime()),
                   sa.column('answers_mixed', sa.Boolean()))


def _key() -> bytes:
    from consult.config import Settings

    return Settings.from_env().ballot_secret


def _answer_key(key: bytes, survey_id: int, kind: str, number: int) -> str:
    # consult.surveys.rules.answer_key, written out: a migration must not change with the app
    return hmac.new(key, f"survey:{survey_id}:{kind}:{number}".encode(), hashlib.sha256).hexdigest()[:40]


def _new_id() -> int:
    return secrets.randbelow(2**63 - 1) + 1


def _answered_columns(new: bool) -> tuple[list, dict]:
    if new:
        return [
            sa.Column('survey_id', sa.Integer(), nullable=False),
            sa.Column('answer_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
            sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('survey_id', 'answer_key'),
        ], {"sqlite_with_rowid": False}
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('home_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['home_id'], ['home.id'], ),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('survey_id', 'home_id'),
        sa.UniqueConstraint('survey_id', 'user_id'),
    ], {}


def _response_columns(new: bool) -> list:
    return [
        sa.Column('id', _RANDOM_ID if new else sa.Integer(), nullable=False, autoincrement=not new),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('home_id', sa.Integer(), nullable=True),
        sa.Column('building_group_id', sa.Integer(), nullable=True),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('paper_serial', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('entered_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['building_group_id'], ['place.id'], ),
        sa.ForeignKeyConstraint(['entered_by'], ['user.id'], ),
        sa.ForeignKeyConstraint(['home_id'], ['home.id'], ),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('survey_id', 'paper_serial'),
    ]


def _answer_columns(new: bool) -> list:
    return [
        sa.Column('id', _RANDOM_ID if new else sa.Integer(), nullable=False, autoincrement=not new),
        sa.Column('response_id', _RANDOM_ID if new else sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('option_id', sa.Integer(), nullable=True),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(['option_id'], ['survey_option.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['survey_response.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    ]


def _table(name: str, columns: list) -> sa.Table:
    return sa.Table(name, sa.MetaData(), *[c for c in columns if isinstance(c, sa.Column)])


def _read(bind, new: bool):
    answered = _table('survey_answered', _answered_columns(new)[0])
    response = _table('survey_response', _response_columns(new))
    answer = _table('survey_answer', _answer_columns(new))
    return ([dict(r) for r in bind.execute(sa.select(answered)).mappings()],
            [dict(r) for r in bind.execute(sa.select(response)).mappings()],
            [dict(r) for r in bind.execute(sa.select(answer)).mappings()])


def _rebuild(bind, new: bool, marks: list[dict], responses: list[dict], answers: list[dict]) -> None:
    """Drop the three tables and create them in the ``new`` (or old) form with these rows."""
    op.drop_index('ix_survey_answer_response_id', table_name='survey_answer')
    op.drop_index('ix_survey_answer_question_value', table_name='survey_answer')
    op.drop_index('ix_survey_answer_question_option', table_name='survey_answer')
    op.drop_table('survey_answer')
    op.drop_index('ix_survey_response_survey_channel', table_name='survey_response')
    op.drop_table('survey_response')
    op.drop_table('survey_answered')
    columns, options = _answered_columns(new)
    answered = op.create_table('survey_answered', *columns, **options)
    response = op.create_table('survey_response', *_response_columns(new))
    op.create_index('ix_survey_response_survey_channel', 'survey_response', ['survey_id', 'channel'],
                    unique=False)
    answer = op.create_table('survey_answer', *_answer_columns(new))
    op.create_index('ix_survey_answer_question_option', 'survey_answer', ['question_id', 'option_id'],
                    unique=False)
    op.create_index('ix_survey_answer_question_value', 'survey_answer', ['question_id', 'value'],
                    unique=False)
    op.create_index('ix_survey_answer_response_id', 'survey_answer', ['response_id'], unique=False)
    for table, rows in ((answered, marks), (response, responses), (answer, answers)):
        if rows:
            bind.execute(table.insert(), rows)
    if not new and bind.dialect.name == "postgresql":
        for name, rows in (('survey_answered', marks), ('survey_response', responses),
                           ('survey_answer', answers)):
            if rows:
                bind.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT max(id) FROM {name}))"))


def _anonymous(bind) -> set[int]:
    return {r[0] for r in bind.execute(sa.select(_SURVEY.c.id).where(_SURVEY.c.anonymous.is_(True)))}


def upgrade() -> None:
    bind = op.get_bind()
    marks, responses, answers = _read(bind, new=False)
    key = _key() if marks else b""
    shuffle = random.SystemRandom().shuffle
    new_marks = list({(m['survey_id'], _answer_key(key, m['survey_id'], "home", m['home_id'])
                       if m['home_id'] is not None else _answer_key(key, m['survey_id'], "user", m['user_id']))
                      for m in marks if m['home_id'] is not None or m['user_id'] is not None})
    new_marks = [{"survey_id": survey_id, "answer_key": answer_key} for survey_id, answer_key in new_marks]
    anonymous = _anonymous(bind)
    new_ids = {r['id']: _new_id() for r in responses}
    new_responses = []
    for r in responses:
        row = {name: r[name] for name in _RESPONSE}
        row['id'] = new_ids[r['id']]
        if r['survey_id'] in anonymous:  # never stored for anonymous surveys; make sure
            row.update(user_id=None, home_id=None, building_group_id=None, created_at=None)
        new_responses.append(row)
    new_answers = [{"id": _new_id(), "response_id": new_ids[a['response_id']],
                    **{name: a[name] for name in _ANSWER}} for a in answers]
    for rows in (new_marks, new_responses, new_answers):
        shuffle(rows)  # PostgreSQL keeps rows in the order written
    # ALTER TABLE … ADD COLUMN, not a batch copy (see the downgrade)
    op.add_column('survey', sa.Column('answers_mixed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _rebuild(bind, True, new_marks, new_responses, new_answers)
    bind.execute(_SURVEY.update().where(_SURVEY.c.anonymous.is_(True),
                                        _SURVEY.c.closes_at <= datetime.now(UTC))
                 .values(answers_mixed=True))


def downgrade() -> None:
    bind = op.get_bind()
    marks, responses, answers = _read(bind, new=True)
    key = _key() if marks else b""
    surveys = {m['survey_id'] for m in marks}
    numbers = {
        "user": [r[0] for r in bind.execute(sa.text('SELECT id FROM "user"'))],
        "home": [r[0] for r in bind.execute(sa.text("SELECT id FROM home"))],
    }
    known = {(s, _answer_key(key, s, kind, n)): (kind, n)
             for s in surveys for kind, ids in numbers.items() for n in ids}
    old_marks = []
    for m in sorted(marks, key=lambda m: (m['survey_id'], m['answer_key'])):
        kind, number = known.get((m['survey_id'], m['answer_key']), (None, None))
        if kind is not None:
            old_marks.append({"id": len(old_marks) + 1, "survey_id": m['survey_id'],
                              "user_id": number if kind == "user" else None,
                              "home_id": number if kind == "home" else None})
    anonymous = _anonymous(bind)
    order = {r['id']: (r['survey_id'], random.random() if r['survey_id'] in anonymous else 0,
                       r['created_at'] or datetime.min.replace(tzinfo=UTC), r['id']) for r in responses}
    old_ids = {rid: n for n, rid in enumerate(sorted(order, key=order.get), start=1)}
    old_responses = sorted(({**{name: r[name] for name in _RESPONSE}, "id": old_ids[r['id']]}
                            for r in responses), key=lambda r: r['id'])
    old_answers = [{"id": n, "response_id": old_ids[a['response_id']], **{name: a[name] for name in _ANSWER}}
                   for n, a in enumerate(sorted(answers, key=lambda a: (old_ids[a['response_id']],
                                                                           a['question_id'], a['id'])),
                                         start=1)]
    # ALTER TABLE … DROP COLUMN, not a batch copy: on SQLite the copy drops ``survey`` and
    # with it, by ON DELETE CASCADE, every survey's questions, responses and marks
    op.drop_column('survey', 'answers_mixed')
    _rebuild(bind, False, old_marks, old_responses, old_answers)
