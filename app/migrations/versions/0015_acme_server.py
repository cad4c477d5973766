"""ACME server: accounts bound to EAB credentials, orders, authorizations, shared nonces

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('acme_nonce',
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('value')
    )
    with op.batch_alter_table('acme_nonce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acme_nonce_expires_at'), ['expires_at'], unique=False)

    op.create_table('acme_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thumbprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('jwk', sa.JSON(), nullable=False),
    sa.Column('eab_credential_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('contact', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['eab_credential_id'], ['eab_credential.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('eab_credential_id')
    )
    with op.batch_alter_table('acme_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acme_account_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acme_account_thumbprint'), ['thumbprint'], unique=True)

    op.create_table('acme_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['acme_account.id'], ),
    sa.ForeignKeyConstraint(['certificate_id'], ['issued_certificate.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('acme_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acme_order_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acme_order_structure_id'), ['structure_id'], unique=False)

    op.create_table('acme_authorization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['acme_order.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('acme_authorization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acme_authorization_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('acme_authorization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acme_authorization_order_id'))

    op.drop_table('acme_authorization')
    with op.batch_alter_table('acme_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acme_order_structure_id'))
        batch_op.drop_index(batch_op.f('ix_acme_order_account_id'))

    op.drop_table('acme_order')
    with op.batch_alter_table('acme_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acme_account_thumbprint'))
        batch_op.drop_index(batch_op.f('ix_acme_account_person_id'))

    op.drop_table('acme_account')
    with op.batch_alter_table('acme_nonce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acme_nonce_expires_at'))

    op.drop_table('acme_nonce')
