"""consultations: photos kept with an idea form that came back with a mistake

Revision ID: consultations_0002
Revises: consultations_0001
Create Date: 2026-12-04 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'consultations_0002'
down_revision = 'consultations_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idea_pending_photo',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('idea_pending_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idea_pending_photo_token'), ['token'], unique=False)
        batch_op.create_index(batch_op.f('ix_idea_pending_photo_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idea_pending_photo_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('idea_pending_photo')
