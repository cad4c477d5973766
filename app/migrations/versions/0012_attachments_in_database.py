"""Attachments in the database, beside their row

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The bytes lived in one node's instance folder: behind a load balancer the other node answered 500, and a file
could outlive its row or a row its file. They now commit and roll back with their row, and every node reads them.
The files already there are copied in; the folder is left for the operator to remove.
"""
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _folder() -> Path:
    from app.config import Settings

    return Path(os.environ.get("ATTACHMENTS_DIR") or Settings.from_env().instance_path / "attachments")


def upgrade() -> None:
    op.create_table(
        'filing_attachment_content',
        sa.Column('attachment_id', sa.Integer(), sa.ForeignKey('filing_attachment.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('data', sa.LargeBinary(), nullable=False),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, stored_as FROM filing_attachment")).all()
    folder = _folder()
    content = sa.table('filing_attachment_content', sa.column('attachment_id'), sa.column('data'))
    for attachment_id, stored_as in rows:
        path = folder / stored_as
        if path.is_file():
            op.bulk_insert(content, [{"attachment_id": attachment_id, "data": path.read_bytes()}])
        else:
            log.warning("pièce jointe %s : fichier %s introuvable, ligne supprimée", attachment_id, path)
            bind.execute(sa.text("DELETE FROM filing_attachment WHERE id = :id"), {"id": attachment_id})
    with op.batch_alter_table('filing_attachment', schema=None) as batch_op:
        batch_op.drop_column('stored_as')


def downgrade() -> None:
    with op.batch_alter_table('filing_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_as', sa.String(length=80), nullable=True))
    op.drop_table('filing_attachment_content')
