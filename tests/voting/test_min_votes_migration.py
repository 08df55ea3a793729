"""Migration voting_0008: a vote round counted with the defaults (no settings row) keeps
counting without a minimum of votes; only rounds made after it get the new default 1."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import delete
from sqlmodel import Session, select

from consult.db.engine import make_engine
from consult.db.migrate import alembic_config, upgrade
from consult.voting.models import VoteSettings
from tests import factories
from tests.voting.conftest import add_vote_round
from tests.voting.test_secrecy_migration import url  # noqa: F401 (the database of its own)

BEFORE = "voting_0007_city_scale"


def test_rounds_without_saved_settings_keep_no_minimum(url, settings):  # noqa: F811
    upgrade(url)
    engine = make_engine(url)
    at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    with Session(engine) as db:
        tree = factories.place_tree(db)
        author = factories.user(db, settings, name="甲")
        old = add_vote_round(db, scope=tree["area_a"], author=author, opens_at=at, closes_at=at)
        saved = add_vote_round(db, scope=tree["area_a"], author=author, opens_at=at, closes_at=at,
                               settings={"ballot_kind": "approval", "rule": "greedy", "min_score": 3})
        # a round of before the option, counted with the defaults: it has no settings row
        db.execute(delete(VoteSettings).where(VoteSettings.round_id == old.round.id))
        db.commit()
        old_id, saved_id = old.round.id, saved.round.id
    engine.dispose()

    command.downgrade(alembic_config(url), BEFORE)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        kept = {s.round_id: s for s in db.exec(select(VoteSettings)).all()}
        assert kept[old_id].min_score is None          # counted as it always was
        assert kept[old_id].rule == "greedy" and kept[old_id].ballot_kind == "approval_budget"
        assert kept[old_id].points_per_rank == [] and kept[old_id].source == {}
        assert kept[old_id].double_key is False and kept[old_id].notice_days == 7
        assert kept[saved_id].min_score == 3           # a saved choice is untouched
        assert VoteSettings(round_id=0).min_score == 1  # and new rounds get the minimum
    engine.dispose()
