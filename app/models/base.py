from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A stored timestamp as UTC-aware: SQLite gives naive UTC back, PostgreSQL aware."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def timestamp(**kw) -> datetime:
    """A timezone-aware timestamp column defaulting to now."""
    return Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), nullable=False, **kw)


def optional_timestamp(**kw):
    return Field(default=None, sa_type=sa.DateTime(timezone=True), nullable=True, **kw)
