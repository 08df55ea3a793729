"""owners: each matter's notice period (公告期), the days its result stays posted after the close

Revision ID: owners_0004
Revises: owners_0003
Create Date: 2026-12-04 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'owners_0004'
down_revision = 'owners_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('owner_matter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), server_default='7', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('owner_matter', schema=None) as batch_op:
        batch_op.drop_column('notice_days')
