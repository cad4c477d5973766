"""Outbox: the Message-ID chosen before the first send, and when a send began

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

A message whose send began but whose outcome was not recorded (the database went after the SMTP server said yes)
goes again with the same Message-ID: mail servers and clients treat the two as one message.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('send_started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('send_started_at')
        batch_op.drop_column('message_id')
