"""Attachments in the database, beside their row

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The bytes lived in one node's instance folder: behind a load balancer the other node answered 500, and a file
could outlive its row or a row its file. They now commit and roll back with their row, and every node reads them.
The files already there are copied in, a hundred at a time. On several nodes each held its own files: a row whose
file is not on the node that migrates is not deleted but listed in ``filing_attachment_pending`` with its file
name, and ``flask db import-attachments`` on each other node copies its files in. The folder is left for the
operator to remove. The downgrade writes every file back (``<id>.bin`` in this node's folder): it loses nothing.
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


BATCH = 100


def upgrade() -> None:
    op.create_table(
        'filing_attachment_content',
        sa.Column('attachment_id', sa.Integer(), sa.ForeignKey('filing_attachment.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('data', sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        'filing_attachment_pending',
        sa.Column('attachment_id', sa.Integer(), sa.ForeignKey('filing_attachment.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('stored_as', sa.String(length=80), nullable=False),
    )
    bind = op.get_bind()
    folder = _folder()
    content = sa.table('filing_attachment_content', sa.column('attachment_id'), sa.column('data'))
    pending = sa.table('filing_attachment_pending', sa.column('attachment_id'), sa.column('stored_as'))
    after = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, stored_as FROM filing_attachment WHERE id > :after ORDER BY id "
                                    "LIMIT :n"), {"after": after, "n": BATCH}).all()
        if not rows:
            break
        here = [(i, folder / name) for i, name in rows if name and (folder / name).is_file()]
        elsewhere = [{"attachment_id": i, "stored_as": name or ""} for i, name in rows
                     if not (name and (folder / name).is_file())]
        if here:
            op.bulk_insert(content, [{"attachment_id": i, "data": path.read_bytes()} for i, path in here])
        if elsewhere:
            log.warning("pièces jointes absentes de %s (sur un autre nœud ?) : %d, à reprendre par "
                        "« flask db import-attachments »", folder, len(elsewhere))
            op.bulk_insert(pending, elsewhere)
        after = rows[-1][0]
    with op.batch_alter_table('filing_attachment', schema=None) as batch_op:
        batch_op.drop_column('stored_as')


def downgrade() -> None:
    with op.batch_alter_table('filing_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_as', sa.String(length=80), nullable=True))
    bind = op.get_bind()
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    after = 0
    while True:
        rows = bind.execute(sa.text("SELECT attachment_id, data FROM filing_attachment_content "
                                    "WHERE attachment_id > :after ORDER BY attachment_id LIMIT :n"),
                            {"after": after, "n": BATCH}).all()
        if not rows:
            break
        for attachment_id, data in rows:
            (folder / f"{attachment_id}.bin").write_bytes(bytes(data))
            bind.execute(sa.text("UPDATE filing_attachment SET stored_as = :name WHERE id = :id"),
                         {"name": f"{attachment_id}.bin", "id": attachment_id})
        after = rows[-1][0]
    bind.execute(sa.text("UPDATE filing_attachment SET stored_as = (SELECT p.stored_as FROM filing_attachment_pending "
                         "p WHERE p.attachment_id = filing_attachment.id) WHERE stored_as IS NULL"))
    op.drop_table('filing_attachment_pending')
    op.drop_table('filing_attachment_content')
