"""A person's e-mail login key

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

A legal representative without a card first comes by an e-mail link (``courriel:<hash>``); once her director's
card is fabricated, her record takes the card's national id and keeps the e-mail key here, so that one person
stays one record whichever way she logs in.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_account', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.create_index('ix_person_email_account', ['email_account'], unique=True)
    op.execute("UPDATE person SET email_account = national_id WHERE national_id LIKE 'courriel:%'")


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_email_account')
        batch_op.drop_column('email_account')
