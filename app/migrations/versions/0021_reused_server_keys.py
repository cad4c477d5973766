"""A server's renewal may keep its key: one certificate per key no longer enforced by a unique constraint

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

Relaxing only: the code before it checked the key before inserting and still does. The rule (the same key for a
renewal of the same names by the same structure, never a compromised key) is the issuing code's. On PostgreSQL
the lookup index is built CONCURRENTLY. The downgrade fails if a key was reused meanwhile (the constraint cannot
come back over two rows).
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

INDEX = 'ix_issued_certificate_spki_sha256'
# the constraint of 0003 has no name of its own: PostgreSQL named it so, SQLite's batch mode names it by convention
PG_CONSTRAINT = 'issued_certificate_spki_sha256_key'
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_CONSTRAINT, 'issued_certificate', type_='unique')
        with op.get_context().autocommit_block():
            op.create_index(INDEX, 'issued_certificate', ['spki_sha256'], postgresql_concurrently=True,
                            if_not_exists=True)
        return
    with op.batch_alter_table('issued_certificate', naming_convention=CONVENTION) as batch_op:
        batch_op.drop_constraint('uq_issued_certificate_spki_sha256', type_='unique')
        batch_op.create_index(INDEX, ['spki_sha256'])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name='issued_certificate')
        op.create_unique_constraint(PG_CONSTRAINT, 'issued_certificate', ['spki_sha256'])
        return
    with op.batch_alter_table('issued_certificate', naming_convention=CONVENTION) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_unique_constraint('uq_issued_certificate_spki_sha256', ['spki_sha256'])
