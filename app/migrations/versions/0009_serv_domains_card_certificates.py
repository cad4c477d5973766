"""SERV domains and card certificates

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

A structure's SERV SSL certificates name only hosts inside the domains its accepted F413/F503 declared
(serv_domain); a card's authentication certificate knows its card (issued_certificate.card_id), so that
opposing or revoking the card revokes it.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'serv_domain',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('serv_domain', schema=None) as batch_op:
        batch_op.create_index('ix_serv_domain_structure_id', ['structure_id'], unique=False)
    with op.batch_alter_table('issued_certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_issued_certificate_card_id', ['card_id'], unique=False)
        batch_op.create_foreign_key('fk_issued_certificate_card_id', 'card', ['card_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('issued_certificate', schema=None) as batch_op:
        batch_op.drop_constraint('fk_issued_certificate_card_id', type_='foreignkey')
        batch_op.drop_index('ix_issued_certificate_card_id')
        batch_op.drop_column('card_id')
    with op.batch_alter_table('serv_domain', schema=None) as batch_op:
        batch_op.drop_index('ix_serv_domain_structure_id')
    op.drop_table('serv_domain')
