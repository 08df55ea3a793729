"""Ratings: a completed-project subject linked to a delivered project (its residents' ratings feed a criterion)

Revision ID: surveys_0004_subject_project
Revises: surveys_0003_secrecy
Create Date: 2026-12-03 14:25:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'surveys_0004_subject_project'
down_revision = 'surveys_0003_secrecy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rating_subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_rating_subject_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rating_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_subject_project_id'))
        batch_op.drop_column('project_id')
