"""ACME Renewal Information (RFC 9773): renewal windows the agency may move, orders that replace a certificate

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

Expand only (nullable columns and a column with a default): the code before it never reads them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issued_certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renewal_window_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('renewal_window_end', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('renewal_explanation', sa.String(length=300), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('acme_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_acme_order_replaces_id', 'issued_certificate', ['replaces_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('acme_order', schema=None) as batch_op:
        batch_op.drop_constraint('fk_acme_order_replaces_id', type_='foreignkey')
        batch_op.drop_column('replaces_id')
    with op.batch_alter_table('issued_certificate', schema=None) as batch_op:
        batch_op.drop_column('renewal_explanation')
        batch_op.drop_column('renewal_window_end')
        batch_op.drop_column('renewal_window_start')
