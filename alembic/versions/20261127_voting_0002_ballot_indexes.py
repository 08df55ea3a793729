"""ballot indexes: by status only the uncounted ballots; no second index by ballot on choices

Each web ballot wrote the (round, status) index and ballot_choice's index by ballot,
which UNIQUE(ballot_id, idea_id) already provides. Plain indexes: dropped and created
in place on SQLite and PostgreSQL alike, no table rebuilt.

Revision ID: voting_0002_indexes
Revises: voting_0001
Create Date: 2026-11-27 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'voting_0002_indexes'
down_revision = 'voting_0001'
branch_labels = None
depends_on = None

_UNCOUNTED = sa.text("status <> 'counted'")


def upgrade() -> None:
    op.drop_index('ix_ballot_round_status', table_name='ballot')
    op.create_index('ix_ballot_round_uncounted', 'ballot', ['round_id', 'status'], unique=False,
                    sqlite_where=_UNCOUNTED, postgresql_where=_UNCOUNTED)
    op.drop_index('ix_ballot_choice_ballot_id', table_name='ballot_choice')


def downgrade() -> None:
    op.create_index('ix_ballot_choice_ballot_id', 'ballot_choice', ['ballot_id'], unique=False)
    op.drop_index('ix_ballot_round_uncounted', table_name='ballot')
    op.create_index('ix_ballot_round_status', 'ballot', ['round_id', 'status'], unique=False)
