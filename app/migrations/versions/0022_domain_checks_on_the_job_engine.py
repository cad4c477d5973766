"""« Mes domaines » checked on the job engine: when a check was asked

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

Expand only (a nullable column): the code before it never reads it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('domain_control', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checking_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('domain_control', schema=None) as batch_op:
        batch_op.drop_column('checking_since')
