"""verification_request.return_to: the page a person asked to be verified from

Revision ID: communities_0001
Revises: 0001
Create Date: 2026-12-03 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'communities_0001'
down_revision = '0001'
branch_labels = ('communities',)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_to', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.drop_column('return_to')
