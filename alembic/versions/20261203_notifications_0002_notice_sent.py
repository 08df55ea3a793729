"""notice_sent: the marker of a notice told once per person per subject (a vote round opening or closing soon, a survey addressed to them)

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-12-03 08:25:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'notifications_0002'
down_revision = 'notifications_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'kind', 'subject')
    )
    with op.batch_alter_table('notice_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_sent_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('notice_sent')
