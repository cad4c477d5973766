"""Delivering the outbox: an SMTP transport, and the after-commit kick that sends in the background.

Without ``MAIL_SERVER`` nothing is sent: the messages stay in the outbox and the development
« boîte de réception » page lists them.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid

log = logging.getLogger(__name__)


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
        from app.operations.outbox import deliver_due

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
