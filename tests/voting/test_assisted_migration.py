"""Migration voting_0010 (assisted voting) adds and drops its two columns in place: on
SQLite a rebuild of ``ballot`` would take its choices with it (they cascade from it)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from consult import clock
from consult.db.engine import make_engine
from consult.db.migrate import alembic_config, upgrade
from tests.voting.conftest import one_ballot_cast
from tests.voting.test_secrecy_migration import url  # noqa: F401 (fixture)


def test_assisted_columns_come_and_go_keeping_every_ballot(url, settings):  # noqa: F811
    upgrade(url)
    one_ballot_cast(url, settings, clock.utcnow())
    command.downgrade(alembic_config(url), "voting_0009_paper_residents")
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("ballot", "ballot_choice")]
        columns = {c["name"] for c in sa.inspect(conn).get_columns("ballot")}
    engine.dispose()
    assert counts == [1, 1] and "assisted" not in columns
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ballot WHERE NOT assisted")).scalar() == 1
    engine.dispose()
