"""Structures for integration tests only: F414's test identities practise there

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

Expand only (a column with a default): the code before it keeps working while it runs.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_only', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.drop_column('test_only')
