"""turnout versions: vote_settings.ballots_version, register_version, raised by triggers (issue 14 item 4)

An open round's turnout is kept per process, keyed by numbers read in the request
(``services.results.turnout``): the round's ``ballots_version`` and, for the eligible
residents and homes, one ``register_version`` row per table they are counted from. The
database raises them, in the writer's transaction, so that every writer is covered
without code of its own: web ballots, paper entry and disputes, imports, the demo,
deletions and cascades, and whatever comes later.

- SQLite: row triggers (SQLite has no others). An UPDATE raises a number only when it
  sets a column turnout (or the register) reads.
- PostgreSQL: statement triggers, so that a COPY of a million ballots raises the round's
  number once, not a million times. The ballot's use transition tables to find the rounds
  touched; PostgreSQL allows one event per trigger with them, and no column list for an
  UPDATE, so any UPDATE of a ballot raises its round's number. The register's need no
  transition table (each table has one number), so one trigger per table, with a column
  list. TRUNCATE raises them too.

The triggers update ``vote_settings``, never ``consultation_round``: a ballot holds a
share lock on its round's row (``services.rounds``), so updating the round would make
two ballots of one round deadlock. Concurrent ballots of one round do queue on the
settings row from their insert to their commit.

On SQLite, never rebuild ``ballot``, ``place``, ``role_assignment``, ``home`` or
``paper_voter`` in a batch (``batch_alter_table`` with a change that needs a copy): the
rebuilt table loses its triggers (and ``ballot`` its choices, which cascade from it).
``tests/voting/test_turnout_cache.py`` checks every trigger is there.

Revision ID: voting_0013_turnout_versions
Revises: voting_0012_publish_jobs
Create Date: 2026-12-04 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'voting_0013_turnout_versions'
down_revision = 'voting_0012_publish_jobs'
branch_labels = None
depends_on = None

#: the ballot's columns turnout reads (SQLite's UPDATE trigger fires only for these)
BALLOT_COLUMNS = ("round_id", "status", "channel", "area_id", "building_group_id", "assisted")
#: the tables the eligible counts read, and the columns that matter to them
REGISTER = {
    "place": ("kind", "parent_id", "path", "position"),
    "role_assignment": ("user_id", "role", "place_id"),
    "home": ("estate_id", "building_group_id"),
    "paper_voter": ("area_id", "user_id"),
}

_BUMP_ROUNDS = "UPDATE vote_settings SET ballots_version = ballots_version + 1 WHERE round_id IN ({rounds})"


def _sqlite_triggers() -> list[str]:
    columns = ", ".join(BALLOT_COLUMNS)
    statements = [
        "CREATE TRIGGER ballot_version_insert AFTER INSERT ON ballot BEGIN "
        + _BUMP_ROUNDS.format(rounds="NEW.round_id") + "; END",
        "CREATE TRIGGER ballot_version_delete AFTER DELETE ON ballot BEGIN "
        + _BUMP_ROUNDS.format(rounds="OLD.round_id") + "; END",
        f"CREATE TRIGGER ballot_version_update AFTER UPDATE OF {columns} ON ballot BEGIN "
        + _BUMP_ROUNDS.format(rounds="OLD.round_id, NEW.round_id") + "; END",
    ]
    for table, watched in REGISTER.items():
        bump = f"UPDATE register_version SET version = version + 1 WHERE name = '{table}'; END"
        statements += [
            f"CREATE TRIGGER register_version_{table}_insert AFTER INSERT ON {table} BEGIN {bump}",
            f"CREATE TRIGGER register_version_{table}_delete AFTER DELETE ON {table} BEGIN {bump}",
            f"CREATE TRIGGER register_version_{table}_update AFTER UPDATE OF {', '.join(watched)} "
            f"ON {table} BEGIN {bump}",
        ]
    return statements


def _sqlite_trigger_names() -> list[str]:
    return [f"ballot_version_{event}" for event in ("insert", "delete", "update")] + [
        f"register_version_{table}_{event}" for table in REGISTER for event in ("insert", "delete", "update")]


_PG_BALLOT_FUNCTION = f"""
CREATE FUNCTION ballot_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_BUMP_ROUNDS.format(rounds="SELECT DISTINCT round_id FROM new_ballots")};
    ELSIF TG_OP = 'DELETE' THEN
        {_BUMP_ROUNDS.format(rounds="SELECT DISTINCT round_id FROM old_ballots")};
    ELSE
        {_BUMP_ROUNDS.format(rounds="SELECT round_id FROM new_ballots UNION SELECT round_id FROM old_ballots")};
    END IF;
    RETURN NULL;
END
$$"""

_PG_BALLOT_TRUNCATED = """
CREATE FUNCTION ballot_version_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE vote_settings SET ballots_version = ballots_version + 1;
    RETURN NULL;
END
$$"""

_PG_REGISTER_FUNCTION = """
CREATE FUNCTION register_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE register_version SET version = version + 1 WHERE name = TG_TABLE_NAME;
    RETURN NULL;
END
$$"""


def _postgresql_triggers() -> list[str]:
    statement = "FOR EACH STATEMENT EXECUTE FUNCTION"
    statements = [
        _PG_BALLOT_FUNCTION, _PG_BALLOT_TRUNCATED, _PG_REGISTER_FUNCTION,
        "CREATE TRIGGER ballot_version_insert AFTER INSERT ON ballot "
        f"REFERENCING NEW TABLE AS new_ballots {statement} ballot_version_bump()",
        "CREATE TRIGGER ballot_version_delete AFTER DELETE ON ballot "
        f"REFERENCING OLD TABLE AS old_ballots {statement} ballot_version_bump()",
        "CREATE TRIGGER ballot_version_update AFTER UPDATE ON ballot "
        f"REFERENCING OLD TABLE AS old_ballots NEW TABLE AS new_ballots {statement} ballot_version_bump()",
        f"CREATE TRIGGER ballot_version_truncate AFTER TRUNCATE ON ballot {statement} ballot_version_bump_all()",
    ]
    for table, watched in REGISTER.items():
        columns = ", ".join(f'"{c}"' for c in watched)
        statements.append(f"CREATE TRIGGER register_version_{table} AFTER INSERT OR DELETE OR "
                          f"UPDATE OF {columns} OR TRUNCATE ON {table} {statement} register_version_bump()")
    return statements


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN on both databases, as voting_0010 and 0011 do.
    op.add_column('vote_settings', sa.Column('ballots_version', sa.Integer(), nullable=False,
                                             server_default='0'))
    register = op.create_table(
        'register_version',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('name'),
    )
    op.bulk_insert(register, [{"name": table, "version": 0} for table in REGISTER])
    statements = _postgresql_triggers() if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "delete", "update", "truncate"):
            op.execute(sa.text(f"DROP TRIGGER ballot_version_{name} ON ballot"))
        for table in REGISTER:
            op.execute(sa.text(f"DROP TRIGGER register_version_{table} ON {table}"))
        for function in ("ballot_version_bump", "ballot_version_bump_all", "register_version_bump"):
            op.execute(sa.text(f"DROP FUNCTION {function}()"))
    else:
        for name in _sqlite_trigger_names():
            op.execute(sa.text(f"DROP TRIGGER {name}"))
    op.drop_table('register_version')
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+), not a batch rebuild; the triggers
    # that read the column are gone by now (SQLite refuses to drop a column one names)
    op.execute(sa.text("ALTER TABLE vote_settings DROP COLUMN ballots_version"))
