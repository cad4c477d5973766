"""Delivering the outbox (edge code, it commits): an SMTP transport, the sender that claims each message
before sending (two workers never send one twice; a message whose server is down waits for its next attempt),
and the after-commit kick that sends in the background.

Without ``MAIL_SERVER`` nothing is sent: the messages stay in the outbox and the development
« boîte de réception » page lists them.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import select

from app.models import OutboxMessage
from app.models.base import utcnow
from app.operations.outbox import backoff

log = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)  # a sender that died mid-send gives the message back after this


class Transport(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...


def deliver_due(db, transport: Transport, *, now: datetime | None = None, limit: int = 100) -> dict:
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




class SmtpTransport:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class Mailer:
    """Sends due outbox messages after a commit that queued some: in a background thread (one at a time
    per process), or inline (``MAIL_DELIVERY=inline``, tests). Never raises into the request."""

    def __init__(self, database, transport: SmtpTransport | None, mode: str = "background"):
        self.database, self.transport, self.mode = database, transport, mode
        self._running = threading.Lock()

    def deliver(self) -> dict:
        if self.transport is None:
            return {"sent": 0, "failed": 0}
        with self.database.session() as db:
            return deliver_due(db, self.transport)

    def kick(self) -> None:
        if self.transport is None or self.mode == "off":
            return
        if self.mode == "inline":
            self._safe_deliver()
            return
        if self._running.acquire(blocking=False):
            threading.Thread(target=self._run_then_release, daemon=True, name="outbox").start()

    def _run_then_release(self) -> None:
        try:
            self._safe_deliver()
        finally:
            self._running.release()

    def _safe_deliver(self) -> None:
        try:
            self.deliver()
        except Exception:  # a database hiccup: `flask jobs run` sends it later
            log.exception("outbox delivery failed")
