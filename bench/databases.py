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


def portal_environment(work: Path, url: str, label: str) -> dict:
    """A token of its own in ``work`` and the settings a benchmarked portal reads, put in this process's
    environment (the app is created after) and returned (for the servers it starts)."""
    import json
    import os

    from app.signing import softhsm

    softhsm.init_token(work / "softhsm2.conf", work / "tokens", label, work / "pins.json")
    env = {"DATABASE_URL": url, "INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": f"{label}-secret",
           "HSM_TOKEN_LABEL": label, "HSM_PIN": json.loads((work / "pins.json").read_text())["user_pin"],
           "SOFTHSM2_CONF": str(work / "softhsm2.conf"), "PSC_CLIENT_SECRET": "bench", "ACCESS_LOG": ""}
    os.environ.update(env)
    return env


def timed(fn, n: int) -> tuple[float, float]:
    """``fn`` run ``n`` times: the median and the 95th percentile, in milliseconds."""
    import statistics
    import time

    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(0.95 * (len(samples) - 1))] * 1000
