"""ballot secrecy: ballots without accounts, keyed by an HMAC under the ballot key; random ids; days

A ballot no longer carries ``user_id``: its ``voter_key`` becomes HMAC-SHA256 of
``round:<round>:user|home|paper:<id>`` under the ballot key (``consult.voting.secrecy``),
and a home's web ballot keeps the HMAC of the owner who cast it in ``cast_by``. Ballot
ids become random 63-bit numbers (INTEGER, the rowid, on SQLite; BIGINT on PostgreSQL),
``ballot_choice`` is keyed by (ballot, idea) (WITHOUT ROWID on SQLite), and the times of
ballots are kept to the day (its start in Beijing time). Paper entries' voter keys are
re-keyed the same way.

The key is not in the database: the migration reads it as the app does
(``Settings.from_env()``: ``CONSULT_BALLOT_KEY``, else derived from
``CONSULT_SECRET_KEY`` or ``var/secret_key``), so run it with the application's
environment. It is read only when there are ballots to convert.

Both tables are rebuilt (read, dropped, created, written back in random order), the
same way on SQLite and PostgreSQL, so that no trace of the old order or ids is left in
them. The downgrade restores the old columns, finding each ballot's voter again with
the key.

Revision ID: voting_0004_ballot_secrecy
Revises: voting_0003_paper_voter_account
Create Date: 2026-12-01 23:30:00.000000
"""
import random
import secrets
from datetime import UTC, timedelta, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'voting_0004_ballot_secrecy'
down_revision = 'voting_0003_paper_voter_account'
branch_labels = None
depends_on = None

_UNCOUNTED = sa.text("status <> 'counted'")
_BEIJING = timezone(timedelta(hours=8))
_BALLOT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COMMON = ('round_id', 'voter_key', 'channel', 'status', 'area_id', 'building_group_id', 'serial',
           'receipt_prefix', 'receipt_hash', 'created_at', 'updated_at', 'entered_by')


def _key() -> bytes:
    from consult.config import Settings

    return Settings.from_env().ballot_secret


def _voter_key(key: bytes, round_id: int, kind: str, number: int) -> str:
    # consult.voting.rules.voter_key, written out: a migration must not change with the app
    import hashlib
    import hmac

    return hmac.new(key, f"round:{round_id}:{kind}:{number}".encode(), hashlib.sha256).hexdigest()[:40]


def _day(when):
    if when is None:
        return when
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(_BEIJING).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _ballot_columns(new: bool) -> list:
    columns = [
        sa.Column('id', _BALLOT_ID if new else sa.Integer(), nullable=False, autoincrement=not new),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('voter_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('cast_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True) if new
        else sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('building_group_id', sa.Integer(), nullable=True),
        sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('receipt_prefix', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column('receipt_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('entered_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['area_id'], ['place.id'], ),
        sa.ForeignKeyConstraint(['building_group_id'], ['place.id'], ),
        sa.ForeignKeyConstraint(['entered_by'], ['user.id'], ),
        sa.ForeignKeyConstraint(['round_id'], ['consultation_round.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('receipt_hash'),
        sa.UniqueConstraint('round_id', 'serial'),
        sa.UniqueConstraint('round_id', 'voter_key'),
    ]
    if not new:
        columns.append(sa.ForeignKeyConstraint(['user_id'], ['user.id'], ))
    return columns


def _choice_columns(new: bool) -> tuple[list, dict]:
    if new:
        return [
            sa.Column('ballot_id', _BALLOT_ID, nullable=False, autoincrement=False),
            sa.Column('idea_id', sa.Integer(), nullable=False, autoincrement=False),
            sa.Column('points', sa.Integer(), nullable=False),
            sa.Column('rank', sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], ondelete='CASCADE'),
            sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], ),
            sa.PrimaryKeyConstraint('ballot_id', 'idea_id'),
        ], {"sqlite_with_rowid": False}
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ballot_id', sa.Integer(), nullable=False),
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ballot_id', 'idea_id'),
    ], {}


_ENTRY = sa.table('paper_entry', sa.column('id', sa.Integer()), sa.column('round_id', sa.Integer()),
                  sa.column('voter_key', sa.String()))


def _read(bind, new: bool):
    ballot = sa.Table('ballot', sa.MetaData(), *[c for c in _ballot_columns(new) if isinstance(c, sa.Column)])
    choice = sa.Table('ballot_choice', sa.MetaData(),
                      *[c for c in _choice_columns(new)[0] if isinstance(c, sa.Column)])
    ballots = [dict(row) for row in bind.execute(sa.select(ballot)).mappings()]
    choices = [dict(row) for row in bind.execute(sa.select(choice)).mappings()]
    entries = [dict(row) for row in bind.execute(sa.select(_ENTRY)).mappings()]
    return ballots, choices, entries


def _rebuild(bind, new: bool, ballots: list[dict], choices: list[dict]) -> None:
    """Drop both tables and create them in the ``new`` (or old) form with these rows."""
    op.drop_index('ix_ballot_choice_idea_id', table_name='ballot_choice')
    op.drop_index('ix_ballot_round_uncounted', table_name='ballot')
    if new:  # the old table's index by account goes with its column
        op.drop_index('ix_ballot_user_id', table_name='ballot')
    op.drop_table('ballot_choice')
    op.drop_table('ballot')
    ballot = op.create_table('ballot', *_ballot_columns(new))
    op.create_index('ix_ballot_round_uncounted', 'ballot', ['round_id', 'status'], unique=False,
                    sqlite_where=_UNCOUNTED, postgresql_where=_UNCOUNTED)
    if not new:
        op.create_index('ix_ballot_user_id', 'ballot', ['user_id'], unique=False)
    columns, options = _choice_columns(new)
    choice = op.create_table('ballot_choice', *columns, **options)
    op.create_index('ix_ballot_choice_idea_id', 'ballot_choice', ['idea_id'], unique=False)
    if ballots:
        bind.execute(ballot.insert(), ballots)
    if choices:
        bind.execute(choice.insert(), choices)
    if not new and ballots and bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('ballot', 'id'), "
                             "(SELECT max(id) FROM ballot))"))


def upgrade() -> None:
    bind = op.get_bind()
    ballots, choices, entries = _read(bind, new=False)
    key = _key() if ballots or entries else b""

    def rekey(round_id: int, old: str) -> str:
        kind, _, number = old.partition(":")
        if kind in ("user", "home", "paper") and number.isdigit():
            return _voter_key(key, round_id, kind, int(number))
        return old  # import:<n>, no person behind it

    new_ids: dict[int, int] = {}
    rows = []
    for b in ballots:
        new_id = new_ids[b['id']] = secrets.randbelow(2**63 - 1) + 1
        home = b['voter_key'].startswith("home:")
        row = {name: b[name] for name in _COMMON}
        row.update(id=new_id, voter_key=rekey(b['round_id'], b['voter_key']),
                   created_at=_day(b['created_at']), updated_at=_day(b['updated_at']),
                   cast_by=_voter_key(key, b['round_id'], "user", b['user_id'])
                   if home and b['channel'] == "web" and b['user_id'] is not None else None)
        rows.append(row)
    random.SystemRandom().shuffle(rows)  # PostgreSQL keeps rows in the order written
    new_choices = sorted(({"ballot_id": new_ids[c['ballot_id']], "idea_id": c['idea_id'],
                           "points": c['points'], "rank": c['rank']} for c in choices),
                         key=lambda c: (c['ballot_id'], c['idea_id']))
    _rebuild(bind, True, rows, new_choices)
    for entry in entries:
        voter_key = rekey(entry['round_id'], entry['voter_key'])
        if voter_key != entry['voter_key']:
            bind.execute(_ENTRY.update().where(_ENTRY.c.id == entry['id']).values(voter_key=voter_key))


def downgrade() -> None:
    bind = op.get_bind()
    ballots, choices, entries = _read(bind, new=True)
    key = _key() if ballots or entries else b""
    rounds = {b['round_id'] for b in ballots} | {e['round_id'] for e in entries}
    numbers = {
        "user": [r[0] for r in bind.execute(sa.text('SELECT id FROM "user"'))],
        "home": [r[0] for r in bind.execute(sa.text("SELECT id FROM home"))],
        "paper": [r[0] for r in bind.execute(sa.text("SELECT id FROM paper_voter"))],
    }
    known = {(r, _voter_key(key, r, kind, n)): (kind, n)
             for r in rounds for kind, ids in numbers.items() for n in ids}

    def unkey(round_id: int, voter_key: str) -> tuple[str, int | None]:
        kind, number = known.get((round_id, voter_key), (None, None))
        return (f"{kind}:{number}", number) if kind else (voter_key, None)

    old_ids: dict[int, int] = {}
    rows = []
    for n, b in enumerate(sorted(ballots, key=lambda b: (b['round_id'], b['id'])), start=1):
        old_ids[b['id']] = n
        voter_key, number = unkey(b['round_id'], b['voter_key'])
        caster = unkey(b['round_id'], b['cast_by'])[1] if b['cast_by'] else None
        user_id = caster if caster is not None else (number if voter_key.startswith("user:") else None)
        row = {name: b[name] for name in _COMMON}
        row.update(id=n, voter_key=voter_key, user_id=user_id)
        rows.append(row)
    old_choices = [{"id": n, "ballot_id": old_ids[c['ballot_id']], "idea_id": c['idea_id'],
                    "points": c['points'], "rank": c['rank']}
                   for n, c in enumerate(sorted(choices, key=lambda c: (old_ids[c['ballot_id']], c['idea_id'])),
                                         start=1)]
    _rebuild(bind, False, rows, old_choices)
    for entry in entries:
        voter_key = unkey(entry['round_id'], entry['voter_key'])[0]
        if voter_key != entry['voter_key']:
            bind.execute(_ENTRY.update().where(_ENTRY.c.id == entry['id']).values(voter_key=voter_key))
