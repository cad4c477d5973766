"""The card fleet's index: a structure's cards by id

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

On PostgreSQL the index is built CONCURRENTLY, outside the migration's transaction: the card table stays writable
while it builds (a plain CREATE INDEX locks out writes for the whole build on a big fleet).
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

INDEX, TABLE, COLUMNS = 'ix_card_structure_id_id', 'card', ['structure_id', 'id']


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(INDEX, TABLE, COLUMNS, postgresql_concurrently=True, if_not_exists=True)
        return
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(INDEX, COLUMNS, unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True, if_exists=True)
        return
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(INDEX)
