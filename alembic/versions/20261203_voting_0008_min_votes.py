"""vote rounds saved before the minimum-votes option keep counting without one

New rounds select only ideas with at least one vote (``VoteSettings.min_score`` defaults
to 1). A round whose settings were never saved was counted with the model's defaults,
which had no minimum; so that the counting terms of a round already open, closed or
published do not change under it (a recount must match), every vote round without a
settings row gets one now with the defaults it was counted with: no minimum.

Revision ID: voting_0008_min_votes
Revises: voting_0007_city_scale
Create Date: 2026-12-03 14:00:00.000000
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'voting_0008_min_votes'
down_revision = 'voting_0007_city_scale'
branch_labels = None
depends_on = None


def upgrade() -> None:
    rounds = sa.table("consultation_round", sa.column("id", sa.Integer), sa.column("kind", sa.String))
    settings = sa.table(
        "vote_settings", sa.column("round_id", sa.Integer), sa.column("ballot_kind", sa.String),
        sa.column("min_choices", sa.Integer), sa.column("points_per_rank", sa.JSON),
        sa.column("rule", sa.String), sa.column("min_score", sa.Integer),
        sa.column("eligibility", sa.String), sa.column("double_key", sa.Boolean),
        sa.column("notice_days", sa.Integer), sa.column("source", sa.JSON),
        sa.column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    now = sa.literal(datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime())
    missing = (sa.select(rounds.c.id, sa.literal("approval_budget"), sa.literal(0),
                         sa.literal([], type_=sa.JSON), sa.literal("greedy"), sa.null(), sa.literal("residents"),
                         sa.false(), sa.literal(7), sa.literal({}, type_=sa.JSON), now)
               .where(rounds.c.kind == "vote",
                      rounds.c.id.not_in(sa.select(settings.c.round_id))))
    op.execute(settings.insert().from_select(
        ["round_id", "ballot_kind", "min_choices", "points_per_rank", "rule", "min_score",
         "eligibility", "double_key", "notice_days", "source", "updated_at"], missing))


def downgrade() -> None:
    pass  # the rows hold the defaults the rounds were counted with; they may stay
