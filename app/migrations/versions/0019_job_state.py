"""The periodic jobs' shared state (one job engine, issue 28)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

Expand only (a new table): the code before it never reads it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_state',
        sa.Column('name', sa.String(length=40), primary_key=True),
        sa.Column('slot', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('done_slot', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('owner', sa.String(length=120), nullable=False, server_default=''),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=False, server_default=''),
        sa.Column('last_duration', sa.Float(), nullable=False, server_default='0'),
        sa.Column('last_summary', sa.String(length=300), nullable=False, server_default=''),
        sa.Column('runs', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
    )


def downgrade() -> None:
    op.drop_table('job_state')
