"""assisted voting: vote_settings.assisted_voting (off), ballot.assisted (issue 17 item 4)

Revision ID: voting_0010_assisted_voting
Revises: voting_0009_paper_residents
Create Date: 2026-12-03 13:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'voting_0010_assisted_voting'
down_revision = 'voting_0009_paper_residents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN on both databases: a batch rebuild of ``ballot`` on
    # SQLite would drop the table its choices cascade from.
    op.add_column('vote_settings', sa.Column('assisted_voting', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.add_column('ballot', sa.Column('assisted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+), not a batch rebuild: see upgrade()
    op.execute(sa.text("ALTER TABLE ballot DROP COLUMN assisted"))
    op.execute(sa.text("ALTER TABLE vote_settings DROP COLUMN assisted_voting"))
