"""results keep their turnout; exports built once at publication (vote_export)

Revision ID: voting_0007_city_scale
Revises: voting_0006_rule_names
Create Date: 2026-12-03 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'voting_0007_city_scale'
down_revision = 'voting_0006_rule_names'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vote_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('turnout', sa.JSON(), nullable=True))
    op.create_table('vote_export',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['consultation_round.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'format')
    )


def downgrade() -> None:
    op.drop_table('vote_export')
    with op.batch_alter_table('vote_result', schema=None) as batch_op:
        batch_op.drop_column('turnout')
