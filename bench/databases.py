"""A throwaway database for a benchmark: SQLite in a temporary folder, or a new PostgreSQL database beside
``BENCH_DATABASE_URL`` (created, then dropped), so a bench never reuses a previous run's rows."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def throwaway_database(work: Path) -> Iterator[str]:
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        yield f"sqlite:///{work / 'bench.db'}"
        return
    url = make_url(base)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
