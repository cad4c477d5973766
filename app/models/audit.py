"""Append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .base import timestamp


class AuditEvent(SQLModel, table=True):
    """Who did what on which object, with the state before and after.

    ``hash`` is SHA-256 over the previous event's hash and this event's canonical content; the unique
    ``prev_hash`` makes a fork of the chain impossible. Database triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp()
    actor: str = Field(max_length=40)
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=60)
    before: str = Field(default="")
    after: str = Field(default="")
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)
