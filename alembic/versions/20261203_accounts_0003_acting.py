"""Managed residents (user.managed_by, managed_at) and acting for a person (代办): acting_session, acting_log

Revision ID: accounts_0003_acting
Revises: accounts_0002_password_reset
Create Date: 2026-12-03 07:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'accounts_0003_acting'
down_revision = 'accounts_0002_password_reset'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('managed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('managed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_user_managed_by_user', 'user', ['managed_by'], ['id'],
                                    ondelete='SET NULL')
    op.create_table('acting_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ended_how', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.ForeignKeyConstraint(['helper_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest')
    )
    with op.batch_alter_table('acting_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acting_session_helper_id'), ['helper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acting_session_person_id'), ['person_id'], unique=False)
    op.create_table('acting_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['acting_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['helper_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('acting_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acting_log_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acting_log_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_table('acting_log')
    op.drop_table('acting_session')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('fk_user_managed_by_user', type_='foreignkey')
        batch_op.drop_column('managed_at')
        batch_op.drop_column('managed_by')
