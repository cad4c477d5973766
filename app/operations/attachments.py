"""Proofs attached to a filing: PDF, PNG or JPEG told from their content, size-limited, stored in the database
with their row (never under the web root); the row records the name the filer gave, shown only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import filetype
import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.exceptions import NotFound

from app.domain.refusals import Refusal
from app.models import Filing, FilingAttachment, FilingAttachmentContent, FilingAttachmentPending
from app.operations import audit

ACCEPTED = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
MAX_PER_FILING = 10  # proofs of the form
MAX_IN_THREAD = 20  # documents sent with messages, both sides together


class AttachmentError(Refusal):
    """A French message for the filer, about the file field; nothing was stored."""

    def __init__(self, message: str):
        super().__init__(message, field="piece")


def attach(db: Session, filing: Filing, upload, *, max_bytes: int, actor: str, event_id: int | None = None
           ) -> FilingAttachment:
    """Store a proof of the form, or the document of the message ``event_id``; refused with a French message."""
    if upload is None or not upload.filename:
        raise AttachmentError("Choisissez un fichier à joindre.")
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AttachmentError(f"Le fichier dépasse {max_bytes // (1024 * 1024)} Mo : réduisez-le ou numérisez-le "
                              "en moins haute résolution.")
    if not data:
        raise AttachmentError("Le fichier est vide.")
    kind = filetype.guess_mime(data)
    if kind not in ACCEPTED:
        raise AttachmentError("Seuls les fichiers PDF, PNG et JPEG sont acceptés (le contenu du fichier a été "
                              "vérifié, pas seulement son nom).")
    kind_of_row = FilingAttachment.event_id.is_(None) if event_id is None else FilingAttachment.event_id.is_not(None)
    existing = db.exec(select(FilingAttachment.id).where(FilingAttachment.filing_id == filing.id, kind_of_row)).all()
    most = MAX_PER_FILING if event_id is None else MAX_IN_THREAD
    if len(existing) >= most:
        raise AttachmentError(f"Au plus {most} pièces jointes par dossier" + (" dans les échanges." if event_id
                                                                                 else "."))
    name = Path(upload.filename).name[:120] or f"piece-jointe.{ACCEPTED[kind]}"
    row = FilingAttachment(filing_id=filing.id, name=name, content_type=kind, size=len(data),
                           sha256=hashlib.sha256(data).hexdigest(), event_id=event_id)
    db.add(row)
    db.flush()
    db.add(FilingAttachmentContent(attachment_id=row.id, data=data))
    db.flush()
    audit.record(db, actor=actor, action="filing.attachment_added", object_type="filing", object_id=filing.id,
                 after={"name": name, "sha256": row.sha256, "size": row.size})
    return row


def download_name(row: FilingAttachment) -> str:
    """The filer's name with the extension of the type the content was checked to be (``justificatif.html``
    holding a PDF is served as ``justificatif.pdf``)."""
    stem = Path(row.name).stem.strip(". ") or "piece-jointe"
    return f"{stem}.{ACCEPTED.get(row.content_type, 'bin')}"


def find(db: Session, filing_id: int, attachment_id: int) -> tuple[FilingAttachment, bytes]:
    """The attachment of this filing and its bytes; 404 otherwise."""
    row = db.get(FilingAttachment, attachment_id)
    if row is None or row.filing_id != filing_id:
        raise NotFound()
    data = db.exec(select(FilingAttachmentContent.data)
                   .where(FilingAttachmentContent.attachment_id == attachment_id)).first()
    if data is None:
        raise NotFound()
    return row, data


def import_pending(db: Session, folder: Path, batch: int = 100) -> tuple[int, int]:
    """Copy into the database the attachments migration 0012 left on this node's ``folder``, a batch at a time (each
    flushed, then let go of: the bytes of a whole table never sit in memory); the caller commits. Returns (copied,
    still elsewhere)."""
    copied, after = 0, 0
    while True:
        rows = db.exec(select(FilingAttachmentPending).where(FilingAttachmentPending.attachment_id > after)
                       .order_by(FilingAttachmentPending.attachment_id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            path = folder / row.stored_as
            if row.stored_as and path.is_file():
                db.add(FilingAttachmentContent(attachment_id=row.attachment_id, data=path.read_bytes()))
                db.delete(row)
                copied += 1
        after = rows[-1].attachment_id
        db.flush()
        db.expunge_all()
    left = db.exec(select(sa.func.count()).select_from(FilingAttachmentPending)).one()
    return copied, left
