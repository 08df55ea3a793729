"""owners: link requests between owners of record and accounts, confirmed by someone else

Revision ID: owners_0002
Revises: owners_0001
Create Date: 2026-12-01 23:59:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'owners_0002'
down_revision = 'owners_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('owner_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('home_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('code_attempts', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['estate_id'], ['place.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('owner_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_link_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_link_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('owner_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_link_user_id'))
        batch_op.drop_index(batch_op.f('ix_owner_link_estate_id'))
    op.drop_table('owner_link')
