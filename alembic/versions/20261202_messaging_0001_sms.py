"""Text messages: the sms_message log (also the outbox) and sms_opt_out (退订), on a branch of their own

Revision ID: messaging_0001
Revises: 0001
Create Date: 2026-12-02 16:55:49.544094
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'messaging_0001'
down_revision = '0001'
branch_labels = ('messaging',)
depends_on = None


def upgrade() -> None:
    op.create_table('sms_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('provider_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('provider_message', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.create_index('ix_sms_message_address_created', ['address', 'created_at'], unique=False)
        batch_op.create_index('ix_sms_message_phone_created', ['phone', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_message_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_message_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_sms_message_status_due', ['status', 'due_at'], unique=False)

    op.create_table('sms_opt_out',
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('phone')
    )


def downgrade() -> None:
    op.drop_table('sms_opt_out')
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_message_status_due')
        batch_op.drop_index(batch_op.f('ix_sms_message_user_id'))
        batch_op.drop_index(batch_op.f('ix_sms_message_place_id'))
        batch_op.drop_index('ix_sms_message_phone_created')
        batch_op.drop_index('ix_sms_message_address_created')

    op.drop_table('sms_message')
