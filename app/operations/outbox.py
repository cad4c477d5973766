"""Mail as rows: written in the transaction that caused it (``queue`` flushes, the caller commits); the
sending, retried with backoff, is edge code in :mod:`app.mail`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlmodel import Session

from app.models import OutboxMessage

MAX_BACKOFF = timedelta(hours=1)


def queue(db: Session, recipients: Iterable[str], subject: str, body: str, *, filing_id: int | None = None) -> int:
    """One row per distinct non-empty recipient; returns how many."""
    count = 0
    for recipient in dict.fromkeys(r.strip().lower() for r in recipients if r and r.strip()):
        db.add(OutboxMessage(recipient=recipient, subject=subject[:200], body=body, filing_id=filing_id))
        count += 1
    if count:
        db.flush()
        db.info["outbox_queued"] = True
    return count


def backoff(attempts: int) -> timedelta:
    """1, 2, 4… minutes after each failure, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)

