"""Residents' committee elections: nominations with their nominators, households and
residents' groups on the register

Revision ID: elections_0003
Revises: elections_0002
Create Date: 2026-12-03 08:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'elections_0003'
down_revision = 'elections_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('resident_election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nominations_voters', sa.Integer(), nullable=False,
                                      server_default='10'))
        batch_op.add_column(sa.Column('nominations_households', sa.Integer(), nullable=False,
                                      server_default='5'))
    with op.batch_alter_table('resident_election', schema=None) as batch_op:
        batch_op.alter_column('nominations_voters', server_default=None)
        batch_op.alter_column('nominations_households', server_default=None)
    with op.batch_alter_table('resident_voter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('residents_group', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=True))
    with op.batch_alter_table('resident_candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nominated_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.create_table('resident_nominator',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['resident_candidate.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['resident_voter.id'], ),
    sa.PrimaryKeyConstraint('candidate_id', 'voter_id')
    )


def downgrade() -> None:
    op.drop_table('resident_nominator')
    with op.batch_alter_table('resident_candidate', schema=None) as batch_op:
        batch_op.drop_column('nominated_by')
    with op.batch_alter_table('resident_voter', schema=None) as batch_op:
        batch_op.drop_column('residents_group')
        batch_op.drop_column('household')
    with op.batch_alter_table('resident_election', schema=None) as batch_op:
        batch_op.drop_column('nominations_households')
        batch_op.drop_column('nominations_voters')
