"""paper_voter.user_id: a paper-only resident linked to the account they opened later

Revision ID: voting_0003_paper_voter_account
Revises: voting_0002_indexes
Create Date: 2026-11-27 11:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'voting_0003_paper_voter_account'
down_revision = 'voting_0002_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('paper_voter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_paper_voter_user_id_user', 'user', ['user_id'], ['id'])
        batch_op.create_index('uq_paper_voter_user_id', ['user_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('paper_voter', schema=None) as batch_op:
        batch_op.drop_index('uq_paper_voter_user_id')
        batch_op.drop_constraint('fk_paper_voter_user_id_user', type_='foreignkey')
        batch_op.drop_column('user_id')
