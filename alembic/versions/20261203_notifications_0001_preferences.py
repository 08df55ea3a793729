"""How people are told: message_preference (app, SMS or both per topic) and digest_item (one SMS digest a day), on a branch of their own

Revision ID: notifications_0001
Revises: 0001
Create Date: 2026-12-03 08:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'notifications_0001'
down_revision = '0001'
branch_labels = ('notifications',)
depends_on = 'messaging_0001'


def upgrade() -> None:
    op.create_table('message_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic')
    )
    op.create_table('digest_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['sms_message.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('digest_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_item_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_item_sent_at'), ['sent_at'], unique=False)


def downgrade() -> None:
    op.drop_table('digest_item')
    op.drop_table('message_preference')
