"""WeChat identities linked to accounts: wechat_link

Revision ID: accounts_0005_wechat
Revises: accounts_0004_family_links
Create Date: 2026-12-03 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'accounts_0005_wechat'
down_revision = 'accounts_0004_family_links'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wechat_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('app', 'openid'),
    sa.UniqueConstraint('app', 'user_id')
    )
    with op.batch_alter_table('wechat_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wechat_link_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('wechat_link')
