"""Delivering the outbox (edge code, it commits): an SMTP transport, the sender that claims each message
before sending (two workers never send one twice; a message whose server is down waits for its next attempt),
run by the job engine after the commit that queued them (app/jobs).

Without ``MAIL_SERVER`` nothing is sent: the messages stay in the outbox and the development
« boîte de réception » page lists them.
"""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import select

from app import metrics
from app.models import OutboxMessage
from app.models.base import utcnow
from app.operations.outbox import backoff

log = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)  # a sender that died mid-send gives the message back after this
MSGID_DOMAIN = "portail-sante.local"  # the Message-ID's right part: unique to this portal, not a host to reach


class Transport(Protocol):
    def send(self, recipient: str, subject: str, body: str, message_id: str) -> None: ...


BATCH = 100
RECORD_TRIES = 3  # recording a send that the server accepted: a lost connection is retried on a new one


def deliver_due(db, transport: Transport, *, now: datetime | None = None, limit: int = BATCH) -> dict:
    """Send what is due in batches of ``limit`` until nothing is; edge code, it commits. Each message is claimed
    with the time of its own claim (a slow relay never lets a second sender take the rest of a batch), and no
    transaction stays open while the SMTP server talks. Returns {"sent": n, "failed": n}."""
    totals = {"sent": 0, "failed": 0}
    seen: set[int] = set()
    while True:
        due = [row for row in db.exec(select(OutboxMessage.id, OutboxMessage.next_attempt_at)
                                      .where(OutboxMessage.sent_at.is_(None),
                                             OutboxMessage.next_attempt_at <= (now or utcnow()))
                                      .order_by(OutboxMessage.id).limit(limit)).all() if row[0] not in seen]
        db.commit()  # edge code: end the read before claiming
        if not due:
            return totals
        for message_id, planned in due:
            seen.add(message_id)
            outcome = _deliver_one(db, transport, message_id, planned, now)
            if outcome:
                totals[outcome] += 1
                metrics.MAILS.labels(outcome).inc()


def _deliver_one(db, transport: Transport, message_id: int, planned: datetime, now: datetime | None) -> str | None:
    table = OutboxMessage.__table__
    claimed_at, started = now or utcnow(), utcnow()
    try:
        claimed = db.execute(sa.update(table).where(table.c.id == message_id, table.c.sent_at.is_(None),
                                                    table.c.next_attempt_at == planned)
                             .values(next_attempt_at=claimed_at + CLAIM_FOR, send_started_at=started,
                                     message_id=sa.func.coalesce(table.c.message_id,
                                                                 make_msgid(domain=MSGID_DOMAIN))))
        db.commit()
        if not claimed.rowcount:
            return None  # another sender has it
        message = db.exec(select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body,
                                 OutboxMessage.message_id, OutboxMessage.attempts)
                          .where(OutboxMessage.id == message_id)).one()
        db.commit()  # nothing held while the SMTP server answers
    except sa.exc.DBAPIError:
        # the claim's own transaction failed (a connection cut): whether it committed or not, nothing was sent;
        # give the message back now rather than when the claim would lapse (a login link waits seconds, not 5 min)
        db.rollback()
        _record(db, message_id, where=(table.c.sent_at.is_(None), table.c.send_started_at == started),
                next_attempt_at=claimed_at)
        raise
    try:
        transport.send(message.recipient, message.subject, message.body, message.message_id)
    except Exception as exc:  # any transport failure: the message waits for its next attempt
        _record(db, message_id, attempts=message.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:300],
                next_attempt_at=(now or utcnow()) + backoff(message.attempts + 1))
        return "failed"
    _record(db, message_id, attempts=message.attempts + 1, sent_at=utcnow(), last_error="")
    return "sent"


def _record(db, message_id: int, *, where: tuple = (), **values) -> None:
    """Write a send's outcome; a connection lost just then is retried on a new one before giving up (then the
    claim expires and the message goes again with the same Message-ID, which receivers take as one)."""
    table = OutboxMessage.__table__
    for attempt in range(RECORD_TRIES):
        try:
            db.execute(sa.update(table).where(table.c.id == message_id, *where).values(**values))
            db.commit()
            return
        except sa.exc.DBAPIError:
            db.rollback()
            if attempt == RECORD_TRIES - 1:
                log.exception("outbox: outcome of message %s not recorded", message_id)
                return
            time.sleep(0.2 * (attempt + 1))


class SmtpTransport:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, recipient: str, subject: str, body: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message["Message-ID"] = message_id
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class Mailer:
    """Sends the due outbox messages (the job engine's ``outbox`` task, queued after a commit that wrote some, and
    its periodic pass). Without a transport (no MAIL_SERVER) nothing is sent."""

    def __init__(self, database, transport: SmtpTransport | None):
        self.database, self.transport = database, transport

    def deliver(self) -> dict:
        if self.transport is None:
            return {"sent": 0, "failed": 0}
        with self.database.session() as db:
            return deliver_due(db, self.transport)
