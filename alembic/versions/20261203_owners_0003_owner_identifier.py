"""owners: an owner identifier on each owner of record, telling same-named owners apart

Revision ID: owners_0003
Revises: owners_0002
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'owners_0003'
down_revision = 'owners_0002'
branch_labels = None
depends_on = None


TABLES = ('home_owner', 'owner_link')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=80),
                                          nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('identifier')
