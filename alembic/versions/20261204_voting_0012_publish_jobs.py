"""publishing a result as a job: vote_publish_job (issue 14 item 1)

Revision ID: voting_0012_publish_jobs
Revises: voting_0011_counted_line
Create Date: 2026-12-04 15:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'voting_0012_publish_jobs'
down_revision = 'voting_0011_counted_line'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'vote_publish_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('ballots', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('error_params', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['round_id'], ['consultation_round.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id'),
    )


def downgrade() -> None:
    op.drop_table('vote_publish_job')
