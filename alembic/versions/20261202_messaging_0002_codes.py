"""Verification codes by text message (sms_code, digests only) and user.phone_verified_at

Revision ID: messaging_0002_codes
Revises: messaging_0001
Create Date: 2026-12-02 18:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'messaging_0002_codes'
down_revision = 'messaging_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['sms_message.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sms_code', schema=None) as batch_op:
        batch_op.create_index('ix_sms_code_phone_purpose', ['phone', 'purpose'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('phone_verified_at')
    with op.batch_alter_table('sms_code', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_code_phone_purpose')
    op.drop_table('sms_code')
