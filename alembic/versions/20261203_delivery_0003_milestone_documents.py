"""Delivery: a milestone's PDF documents

Revision ID: delivery_0003
Revises: delivery_0002
Create Date: 2026-12-03 14:15:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'delivery_0003'
down_revision = 'delivery_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['delivery_milestone.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_document_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_document_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_document_project_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_document_milestone_id'))
    op.drop_table('delivery_document')
