"""token key labels on issued certificates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Certificates whose private key the portal holds in its token (the seal, the delegated OCSP
responders) name that key, so a renewed responder can get a new key beside the old one.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issued_certificate') as batch:
        batch.add_column(sa.Column('key_label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('issued_certificate') as batch:
        batch.drop_column('key_label')
