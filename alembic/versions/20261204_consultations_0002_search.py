"""ideas searched through an index: SQLite FTS5 trigram table, PostgreSQL pg_trgm GIN indexes

The idea list's search (title and description, substring matching that works for
Chinese) read every idea with LIKE. From three characters on, an index now finds the
rows (see consult/db/search.py): on SQLite an external-content FTS5 table with the
trigram tokenizer, kept in step by triggers and filled here from the ideas already
there; on PostgreSQL a GIN index with gin_trgm_ops on each column.

Revision ID: consultations_0002_search
Revises: consultations_0002
Create Date: 2026-12-04 15:00:00.000000
"""
from alembic import op

from consult.db import search


revision = 'consultations_0002_search'
down_revision = 'consultations_0002'
branch_labels = None
depends_on = None

SEARCHED = ('idea', ('title', 'description'))


def upgrade() -> None:
    search.add_index(op, *SEARCHED)


def downgrade() -> None:
    search.drop_index(op, *SEARCHED)
