"""Server-side browser sessions (user_session); API tokens expire, carry a label and their last use

Revision ID: accounts_0001_sessions_tokens
Revises: 0001
Create Date: 2026-12-01 23:59:00.000000
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'accounts_0001_sessions_tokens'
down_revision = '0001'
branch_labels = ('accounts',)
depends_on = None


def upgrade() -> None:
    op.create_table('user_session',
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=60),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # tokens issued before expiry existed get the full 30 days from now
    expires = datetime.now(UTC) + timedelta(days=30)
    op.get_bind().execute(sa.text("UPDATE apitoken SET expires_at = :e").bindparams(
        sa.bindparam("e", type_=sqlmodel.sql.sqltypes.UTCDateTime())), {"e": expires})
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(),
                              nullable=False)
        batch_op.alter_column('label', existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
                              server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('label')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
