"""rule names up to 40 characters (``equalshares/add1-comparison`` has 27)

Revision ID: voting_0006_rule_names
Revises: voting_0005_objections
Create Date: 2026-12-02 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'voting_0006_rule_names'
down_revision = 'voting_0005_objections'
branch_labels = None
depends_on = None

_TABLES = ("vote_settings", "vote_result")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("rule", existing_type=sa.String(length=20),
                               type_=sa.String(length=40), existing_nullable=False)


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("rule", existing_type=sa.String(length=40),
                               type_=sa.String(length=20), existing_nullable=False)
