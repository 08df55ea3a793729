"""Migration voting_0010 (assisted voting) adds and drops its two columns in place: on
SQLite a rebuild of ``ballot`` would take its choices with it (they cascade from it)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from consult.db.engine import make_engine
from consult.db.migrate import alembic_config, upgrade
from consult.voting import services
from consult.voting.rules import RawBallot
from tests import factories
from tests.voting.conftest import add_vote_round, ids
from tests.voting.test_secrecy_migration import url  # noqa: F401 (fixture)


def test_assisted_columns_come_and_go_keeping_every_ballot(url, settings):  # noqa: F811
    from datetime import timedelta

    from consult import clock
    from consult.communities import services as places

    upgrade(url)
    engine = make_engine(url)
    now = clock.utcnow()
    with Session(engine) as db:
        tree = factories.place_tree(db)
        voter = factories.user(db, settings, name="甲")
        places.grant_role(db, user=voter, role="resident", place=tree["area_a"])
        vote = add_vote_round(db, scope=tree["area_a"], author=voter, opens_at=now - timedelta(days=1),
                              closes_at=now + timedelta(days=1))
        vr = services.load_round(db, vote.round.id, now)
        services.cast(db, places.actor_for(db, voter), voter, vr, RawBallot(choices=ids(vote.ideas, 0)), now)
        db.commit()
    engine.dispose()
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
