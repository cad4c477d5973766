"""After the decision: a patient's file and the forms that follow it (parent), its next follow-up due, the
product's protocol (PUT-SP) and CPC validity, and the statistics' monthly counts

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08

Expand only (nullable columns, a new table): the code before it never reads them. The counts of the files that
exist already are made by ``flask stats rebuild`` (run by this migration).
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_filing_parent_id', 'filing', ['parent_id'], ['id'])
        batch_op.create_index('ix_filing_parent_id', ['parent_id'])
        batch_op.add_column(sa.Column('follow_up_due', sa.Date(), nullable=True))
        batch_op.create_index('ix_filing_follow_up_due', ['follow_up_due'])
        batch_op.add_column(sa.Column('follow_up_reminded_for', sa.Date(), nullable=True))
    with op.batch_alter_table('referentialmedicine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('cpc_until', sa.Date(), nullable=True))
    op.create_table(
        'case_stat',
        sa.Column('form', sa.String(length=8), nullable=False),
        sa.Column('product', sa.String(length=20), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('measure', sa.String(length=24), nullable=False),
        sa.Column('bucket', sa.String(length=24), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('form', 'product', 'month', 'measure', 'bucket'),
    )
    from app.operations.statistics import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table('case_stat')
    with op.batch_alter_table('referentialmedicine', schema=None) as batch_op:
        batch_op.drop_column('cpc_until')
        batch_op.drop_column('protocol')
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.drop_column('follow_up_reminded_for')
        batch_op.drop_index('ix_filing_follow_up_due')
        batch_op.drop_column('follow_up_due')
        batch_op.drop_index('ix_filing_parent_id')
        batch_op.drop_constraint('fk_filing_parent_id', type_='foreignkey')
        batch_op.drop_column('parent_id')
