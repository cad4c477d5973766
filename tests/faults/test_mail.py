"""Issue 19 (4): the outbox sends each message once. A claim lasts from its own time (a slow relay never lets a
second sender take the end of a batch); a send the server accepted is recorded even if the connection drops just
then; a message whose outcome is unknown goes again with the same Message-ID; ``flask jobs run`` sends all."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from app import mail
from app.models import OutboxMessage
from app.models.base import aware, utcnow
from app.operations import outbox


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


class Relay:
    """A transport that records what it sends, and can run something in the middle of a send."""

    def __init__(self, during=None):
        self.sent: list[tuple[str, str]] = []
        self.during = during

    def send(self, recipient, subject, body, message_id):
        self.sent.append((recipient, message_id))
        if self.during:
            self.during(len(self.sent))


def _queue(db, count: int) -> list[int]:
    outbox.queue(db, [f"p{i}@exemple.fr" for i in range(count)], "Sujet", "Corps")
    db.commit()
    return list(db.exec(select(OutboxMessage.id).order_by(OutboxMessage.id)).all())


def test_a_slow_relay_never_lets_a_second_sender_take_the_end_of_a_batch(app, db, monkeypatch):
    _queue(db, 3)
    clock = Clock()
    clock.now += timedelta(seconds=1)
    monkeypatch.setattr(mail, "utcnow", clock)
    second = Relay()

    def slow(n):
        clock.now += timedelta(minutes=4)  # each send takes four minutes; a claim lasts five
        if n == 3:  # while the third goes out, another worker runs the outbox
            mail.deliver_due(db, second)

    first = Relay(during=slow)
    assert mail.deliver_due(db, first) == {"sent": 3, "failed": 0}
    assert second.sent == []  # with the batch's start time, the third (claimed at +8 min) was already free at +5
    assert len({m for _, m in first.sent}) == 3


def test_a_send_accepted_is_recorded_even_if_the_connection_drops_then(db, monkeypatch):
    _queue(db, 1)
    real = db.execute
    dropped = []

    def flaky(statement, *args, **kwargs):
        if not dropped and "sent_at" in str(statement) and "UPDATE" in str(statement).upper() \
                and "next_attempt_at" not in str(statement):
            dropped.append(True)
            raise sa.exc.OperationalError("UPDATE outbox_message", {}, Exception("server closed the connection"))
        return real(statement, *args, **kwargs)

    monkeypatch.setattr(db, "execute", flaky)
    relay = Relay()
    assert mail.deliver_due(db, relay) == {"sent": 1, "failed": 0} and dropped
    monkeypatch.setattr(db, "execute", real)
    message = db.exec(select(OutboxMessage)).one()
    assert message.sent_at is not None and message.attempts == 1
    assert mail.deliver_due(db, relay, now=utcnow() + timedelta(hours=1)) == {"sent": 0, "failed": 0}
    assert len(relay.sent) == 1


def test_an_unknown_outcome_goes_again_with_the_same_message_id(db, monkeypatch):
    _queue(db, 1)
    relay = Relay()
    monkeypatch.setattr(mail, "_record", lambda *a, **k: None)  # the worker died right after the server said yes
    mail.deliver_due(db, relay)
    monkeypatch.undo()
    assert mail.deliver_due(db, relay, now=utcnow() + timedelta(minutes=1)) == {"sent": 0, "failed": 0}  # claimed
    assert mail.deliver_due(db, relay, now=utcnow() + mail.CLAIM_FOR + timedelta(seconds=1))["sent"] == 1
    assert len(relay.sent) == 2 and relay.sent[0][1] == relay.sent[1][1]  # one Message-ID: receivers keep one
    assert relay.sent[0][1].startswith("<") and relay.sent[0][1].endswith(">")


def test_jobs_send_everything_due_not_a_hundred(db):
    _queue(db, 230)
    relay = Relay()
    assert mail.deliver_due(db, relay) == {"sent": 230, "failed": 0}
    assert len({r for r, _ in relay.sent}) == 230


def test_a_claim_whose_transaction_fails_is_given_back_at_once(db, monkeypatch):
    """Issue 27 (14): the connection is cut while the sender claims a message (here: reading it after the claim).
    The claim is released at once, so the next run sends it, not one five minutes later."""
    _queue(db, 1)
    real, cut = db.exec, []

    def flaky(statement, *args, **kwargs):
        if not cut and "outbox_message.recipient" in str(statement):
            cut.append(True)
            raise sa.exc.OperationalError("SELECT outbox_message", {}, Exception("terminating connection"))
        return real(statement, *args, **kwargs)

    monkeypatch.setattr(db, "exec", flaky)
    relay = Relay()
    try:
        mail.deliver_due(db, relay)
        raised = False
    except sa.exc.OperationalError:
        raised = True
    monkeypatch.setattr(db, "exec", real)
    assert raised and cut and relay.sent == []
    message = db.exec(select(OutboxMessage)).one()
    assert message.sent_at is None
    assert aware(message.next_attempt_at) <= utcnow()  # given back, not claimed for five minutes
    assert mail.deliver_due(db, relay) == {"sent": 1, "failed": 0}  # now, not after the claim's five minutes
