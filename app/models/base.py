from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(**kw) -> datetime:
    """A timezone-aware timestamp column defaulting to now."""
    return Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), nullable=False, **kw)


def optional_timestamp(**kw):
    return Field(default=None, sa_type=sa.DateTime(timezone=True), nullable=True, **kw)
