"""The periodic jobs' shared state: which period each has claimed and finished, across every node."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import optional_timestamp


class JobState(SQLModel, table=True):
    """One row per periodic job. A node runs a job's period only if it claims it here first (one UPDATE that
    only one node can win); a claim whose lease lapsed without a recorded end was a killed run, and is taken
    again. The counters feed ``/metrics`` for the whole cluster."""

    __tablename__ = "job_state"

    name: str = Field(primary_key=True, max_length=40)
    slot: int = Field(default=0, sa_type=sa.BigInteger)  # the period last claimed (seconds since epoch // period)
    done_slot: int = Field(default=0, sa_type=sa.BigInteger)  # the period last run to its end
    lease_until: datetime | None = optional_timestamp()
    owner: str = Field(default="", max_length=120)  # host:pid of the last claim
    started_at: datetime | None = optional_timestamp()
    succeeded_at: datetime | None = optional_timestamp()
    failed_at: datetime | None = optional_timestamp()
    last_error: str = Field(default="", max_length=300)
    last_duration: float = 0.0
    last_summary: str = Field(default="", max_length=300)
    runs: int = 0
    failures: int = 0
