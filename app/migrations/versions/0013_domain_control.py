"""Domains a structure proves it controls (dns-01, http-01)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'domain_control',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('validated_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('domain_control', schema=None) as batch_op:
        batch_op.create_index('ix_domain_control_structure_id', ['structure_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('domain_control', schema=None) as batch_op:
        batch_op.drop_index('ix_domain_control_structure_id')
    op.drop_table('domain_control')
