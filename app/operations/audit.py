"""The hash-chained audit trail: append an event, verify the chain."""

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
    """Append an event in the caller's transaction (it commits with the change it describes)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(727001)"))
    prev = db.execute(_LAST_HASH).scalar() or GENESIS
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_dump(before),
        after=_dump(after),
        prev_hash=prev,
        hash="",
    )
    event.hash = _digest(prev, event)
    values = {c: getattr(event, c) for c in ("at", "actor", "action", "object_type", "object_id", "before",
                                             "after", "prev_hash", "hash")}
    event.id = db.execute(_INSERT, values).scalar_one()
    return event


def verify_chain(db: Session) -> int | None:
    """Id of the first event whose hash or link does not match, or None when the chain is intact."""
    prev = GENESIS
    for event in db.exec(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev or _digest(prev, event) != event.hash:
            return event.id
        prev = event.hash
    return None
