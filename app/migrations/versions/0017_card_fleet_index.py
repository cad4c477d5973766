"""The card fleet's index: a structure's cards by id

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.create_index('ix_card_structure_id_id', ['structure_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.drop_index('ix_card_structure_id_id')
