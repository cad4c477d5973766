"""ACME External Account Binding credentials (their HMAC keys live in the HSM only)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'eab_credential',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('key_label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('structure_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('eab_credential', schema=None) as batch_op:
        batch_op.create_index('ix_eab_credential_key_id', ['key_id'], unique=True)
        batch_op.create_index('ix_eab_credential_person_id', ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('eab_credential', schema=None) as batch_op:
        batch_op.drop_index('ix_eab_credential_person_id')
        batch_op.drop_index('ix_eab_credential_key_id')
    op.drop_table('eab_credential')
