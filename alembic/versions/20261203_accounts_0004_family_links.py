"""Family proxies (亲情账号): family_link

Revision ID: accounts_0004_family_links
Revises: accounts_0003_acting
Create Date: 2026-12-03 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'accounts_0004_family_links'
down_revision = 'accounts_0003_acting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('family_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('asked_by', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('confirmed_via', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proxy_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['confirmed_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ended_by'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('family_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_link_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_link_proxy_id'), ['proxy_id'], unique=False)


def downgrade() -> None:
    op.drop_table('family_link')
