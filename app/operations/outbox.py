"""Mail as rows: written in the transaction that caused it, delivered after commit, retried with backoff.

``queue`` is an operation (it flushes, the caller commits). ``deliver_due`` is edge code run after commit
or by ``flask jobs run``: it claims each message before sending, so two workers never send one twice, and
a message whose server is down waits for its next attempt instead of failing anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import OutboxMessage
from app.models.base import utcnow

CLAIM_FOR = timedelta(minutes=5)  # a sender that died mid-send gives the message back after this
MAX_BACKOFF = timedelta(hours=1)


class Transport(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...


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


def deliver_due(db: Session, transport: Transport, *, now: datetime | None = None, limit: int = 100) -> dict:
    """Send what is due; commits after each message (edge code). Returns {"sent": n, "failed": n}."""
    now = now or utcnow()
    table = OutboxMessage.__table__
    due = db.exec(select(OutboxMessage.id, OutboxMessage.next_attempt_at)
                  .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
                  .order_by(OutboxMessage.id).limit(limit)).all()
    db.commit()  # edge code: end the read before claiming
    sent = failed = 0
    for message_id, planned in due:
        claimed = db.execute(sa.update(table).where(table.c.id == message_id, table.c.sent_at.is_(None),
                                                    table.c.next_attempt_at == planned)
                             .values(next_attempt_at=now + CLAIM_FOR)).rowcount
        db.commit()
        if not claimed:
            continue  # another sender has it
        message = db.get(OutboxMessage, message_id)
        try:
            transport.send(message.recipient, message.subject, message.body)
        except Exception as exc:  # any transport failure: the message waits for its next attempt
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:300]
            message.next_attempt_at = now + backoff(message.attempts)
            failed += 1
        else:
            message.attempts += 1
            message.sent_at = utcnow()
            message.last_error = ""
            sent += 1
        db.commit()
    return {"sent": sent, "failed": failed}


def pending_count(db: Session) -> int:
    return db.exec(select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).one()
