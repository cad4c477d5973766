"""Two-way exchanges and the instructor's tools: who instructs a file, until when a correction is awaited, what
each side has read, and which message an attachment came with

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

Expand only (nullable columns): the code before it never reads them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_filing_assignee_id', 'person', ['assignee_id'], ['id'])
        batch_op.create_index('ix_filing_assignee_id', ['assignee_id'])
        batch_op.add_column(sa.Column('correction_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('correction_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('filer_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agency_seen_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('filing_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_filing_attachment_event_id', 'filing_event', ['event_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('filing_attachment', schema=None) as batch_op:
        batch_op.drop_constraint('fk_filing_attachment_event_id', type_='foreignkey')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.drop_column('agency_seen_at')
        batch_op.drop_column('filer_seen_at')
        batch_op.drop_column('correction_reminded_at')
        batch_op.drop_column('correction_due')
        batch_op.drop_index('ix_filing_assignee_id')
        batch_op.drop_constraint('fk_filing_assignee_id', type_='foreignkey')
        batch_op.drop_column('assignee_id')
