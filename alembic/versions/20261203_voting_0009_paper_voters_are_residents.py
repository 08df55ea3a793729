"""paper-only voters are managed residents: each gets its account record, ballots follow

Issue 17: a resident without a login is one concept, the managed resident (代办对象, a
``user`` row with no phone and no password, ``managed_at`` set, the resident role at their
area). Each ``paper_voter`` not yet linked to an account gets such a record
(``paper_voter.user_id``), made by the staff member who registered them, and its ballots
and paper entries move from the paper key (``round:<r>:paper:<paper voter>``) to the
record's key (``round:<r>:user:<user>``), so a ballot cast for them at the desk and one
keyed from paper meet the same ``UNIQUE(round_id, voter_key)``. Ballots keep no account:
only their key changes, as an HMAC under the ballot key.

The key is not in the database: like voting_0004 the migration reads it as the app does
(``Settings.from_env()``), only when there are ballots or paper entries to re-key.

The downgrade re-keys those ballots back to their paper keys and clears the link and the
role of records that still have no login (the records themselves stay, without a role).

Revision ID: voting_0009_paper_residents
Revises: voting_0008_min_votes
Create Date: 2026-12-03 13:00:00.000000
"""
import secrets
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = 'voting_0009_paper_residents'
down_revision = 'voting_0008_min_votes'
branch_labels = None
depends_on = 'accounts_0003_acting'

_paper_voter = sa.table('paper_voter', *(sa.column(c) for c in (
    'id', 'area_id', 'name', 'created_at', 'created_by', 'user_id')))
_user = sa.table('user', *(sa.column(c) for c in (
    'id', 'login', 'display_name', 'session_version', 'elder_mode', 'created_at', 'managed_by',
    'managed_at', 'password_hash', 'phone')))
_role = sa.table('role_assignment', *(sa.column(c) for c in (
    'user_id', 'role', 'place_id', 'created_at', 'granted_by')))
_round = sa.table('consultation_round', sa.column('id'), sa.column('kind'))
_ballot = sa.table('ballot', sa.column('round_id'), sa.column('voter_key'))
_entry = sa.table('paper_entry', sa.column('round_id'), sa.column('voter_key'))


def _key(conn) -> bytes | None:
    """The ballot key, when there is anything to re-key."""
    if conn.execute(sa.select(sa.func.count()).select_from(_ballot)).scalar() == 0 and \
            conn.execute(sa.select(sa.func.count()).select_from(_entry)).scalar() == 0:
        return None
    from consult.config import Settings

    return Settings.from_env().ballot_secret


def _voter_key(key: bytes, round_id: int, kind: str, number: int) -> str:
    # consult.voting.rules.voter_key, written out: a migration must not change with the app
    import hashlib
    import hmac

    return hmac.new(key, f"round:{round_id}:{kind}:{number}".encode(), hashlib.sha256).hexdigest()[:40]


def _re_key(conn, key, rounds, pairs) -> None:
    """``pairs``: (old kind, old number, new kind, new number) for each person."""
    if key is None:
        return
    for round_id in rounds:
        for old_kind, old, new_kind, new in pairs:
            old_key, new_key = _voter_key(key, round_id, old_kind, old), _voter_key(key, round_id, new_kind, new)
            for table in (_ballot, _entry):
                conn.execute(table.update().where(table.c.round_id == round_id, table.c.voter_key == old_key)
                             .values(voter_key=new_key))


def upgrade() -> None:
    conn = op.get_bind()
    people = conn.execute(sa.select(_paper_voter).where(_paper_voter.c.user_id.is_(None))
                          .order_by(_paper_voter.c.id)).all()
    if not people:
        return
    now = datetime.now(UTC)
    pairs = []
    for person in people:
        made = person.created_at or now
        user_id = conn.execute(_user.insert().values(
            login=f"managed-{secrets.token_hex(8)}", display_name=person.name, session_version=1,
            elder_mode=False, created_at=made, managed_by=person.created_by, managed_at=made)
            .returning(_user.c.id)).scalar_one()
        conn.execute(_role.insert().values(user_id=user_id, role='resident', place_id=person.area_id,
                                           created_at=made, granted_by=person.created_by))
        conn.execute(_paper_voter.update().where(_paper_voter.c.id == person.id).values(user_id=user_id))
        pairs.append(('paper', person.id, 'user', user_id))
    rounds = conn.execute(sa.select(_round.c.id).where(_round.c.kind == 'vote')).scalars().all()
    _re_key(conn, _key(conn), rounds, pairs)


def downgrade() -> None:
    conn = op.get_bind()
    people = conn.execute(
        sa.select(_paper_voter.c.id, _paper_voter.c.user_id)
        .join(_user, _user.c.id == _paper_voter.c.user_id)
        .where(_user.c.managed_at.is_not(None), _user.c.password_hash.is_(None))).all()
    if not people:
        return
    for person in people:
        conn.execute(_role.delete().where(_role.c.user_id == person.user_id))
        conn.execute(_paper_voter.update().where(_paper_voter.c.id == person.id).values(user_id=None))
    rounds = conn.execute(sa.select(_round.c.id).where(_round.c.kind == 'vote')).scalars().all()
    _re_key(conn, _key(conn), rounds, [('user', p.user_id, 'paper', p.id) for p in people])
