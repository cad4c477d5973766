"""The hash-chained audit trail: append an event, verify the chain.

Events are chained when their transaction commits, not when they are recorded: chaining takes a lock every
login and decision needs (PostgreSQL's advisory lock 727001, the last hash read), and a transaction that then
sealed a PDF or signed a CRL in the HSM held it for seconds. Now the lock is taken at the very end, for a few
inserts, and nothing signs while it is held.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import AuditEvent
from app.models.base import utcnow

GENESIS = "0" * 64
_TABLE = AuditEvent.__table__
_LAST_HASH = sa.select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = sa.insert(_TABLE).returning(_TABLE.c.id)


def _digest(prev_hash: str, event: AuditEvent) -> str:
    at = event.at.astimezone(UTC) if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    content = json.dumps(
        [at.isoformat(), event.actor, event.action, event.object_type, event.object_id, event.before, event.after],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def _dump(state) -> str:
    if state is None:
        return ""
    return json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)


PENDING = "audit_pending"


def record(
    db: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before=None,
    after=None,
) -> AuditEvent:
    """Add an event to the caller's transaction: it is chained and written when that transaction commits (with
    the change it describes, or not at all)."""
    event = AuditEvent(at=utcnow(), actor=actor, action=action, object_type=object_type, object_id=str(object_id),
                       before=_dump(before), after=_dump(after), prev_hash="", hash="")
    db.info.setdefault(PENDING, []).append(event)
    return event


def write_pending(db: Session) -> None:
    """Chain and insert the transaction's events, under the chain's lock (held until the commit, a moment)."""
    pending = db.info.pop(PENDING, None)
    if not pending:
        return
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(727001)"))
    prev = db.execute(_LAST_HASH).scalar() or GENESIS
    for event in pending:
        event.prev_hash = prev
        event.hash = prev = _digest(prev, event)
        values = {c: getattr(event, c) for c in ("at", "actor", "action", "object_type", "object_id", "before",
                                                 "after", "prev_hash", "hash")}
        event.id = db.execute(_INSERT, values).scalar_one()


@sa.event.listens_for(Session, "before_commit")
def _chain_before_commit(session: Session) -> None:
    write_pending(session)


@sa.event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def verify_chain(db: Session) -> int | None:
    """Id of the first event whose hash or link does not match, or None when the chain is intact."""
    prev = GENESIS
    for event in db.exec(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev or _digest(prev, event) != event.hash:
            return event.id
        prev = event.hash
    return None
