"""Who runs a periodic job's period: one conditional UPDATE on ``job_state`` that a single node wins.

A job's period is ``int(epoch seconds) // every``. A node claims the current period if the job's last claim is
older and finished, or if that claim's lease lapsed without an end recorded (its runner was killed): then the
period is run again. A run records its end (success or failure) only if the claim is still its own. Plain SQL on
a :class:`app.db.Database`; no Flask."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.models.base import utcnow
from app.models.jobs import JobState

TABLE = JobState.__table__


def owner() -> str:
    """This process, as recorded on its claims (the pid is read again: a forked worker is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def slot_of(now: datetime, every: int) -> int:
    return int(now.timestamp()) // every


def claim(database, name: str, *, every: int, lease: int, now: datetime | None = None,
          force: bool = False) -> int | None:
    """Claim ``name``'s current period for this process; its number, or None when another run has it or it is
    done. ``force`` (an operator's ``flask jobs run``) runs it again unless a live run holds it."""
    now = now or utcnow()
    slot = slot_of(now, every)
    with database.writing() as db:
        _ensure_row(db, name)
        free = sa.or_(TABLE.c.lease_until.is_(None), TABLE.c.lease_until < now)
        due = sa.true() if force else sa.or_(TABLE.c.slot < slot, TABLE.c.done_slot < TABLE.c.slot)
        won = db.execute(sa.update(TABLE).where(TABLE.c.name == name, free, due)
                         .values(slot=sa.func.greatest(TABLE.c.slot, slot) if db.get_bind().dialect.name == "postgresql"
                                 else sa.func.max(TABLE.c.slot, slot),
                                 lease_until=now + timedelta(seconds=lease), owner=owner(), started_at=now))
    return slot if won.rowcount else None


def record(database, name: str, slot: int, *, ok: bool, duration: float, summary: str = "", error: str = "",
           now: datetime | None = None) -> bool:
    """Record the end of this process's run of ``slot``; False if the claim was no longer its own (its lease
    lapsed and another node took the period)."""
    now = now or utcnow()
    values = ({"done_slot": slot, "succeeded_at": now, "runs": TABLE.c.runs + 1, "last_summary": summary[:300]}
              if ok else {"failed_at": now, "failures": TABLE.c.failures + 1, "last_error": error[:300]})
    with database.writing() as db:
        done = db.execute(sa.update(TABLE).where(TABLE.c.name == name, TABLE.c.slot == slot,
                                                 TABLE.c.owner == owner())
                          .values(lease_until=None, last_duration=duration, **values))
    return bool(done.rowcount)


def states(db) -> list[sa.Row]:
    """Every job's row, for ``flask jobs status`` and ``/metrics``."""
    return db.execute(sa.select(TABLE).order_by(TABLE.c.name)).all()


def _ensure_row(db, name: str) -> None:
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.execute(insert(TABLE).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
