"""A pooled PostgreSQL connection that died while idle is replaced before a request uses it."""

import pytest
import sqlalchemy as sa

from app import db as database_module
from app.db import Database


def test_an_idle_connection_killed_by_the_server_is_replaced(fresh_database, monkeypatch):
    url = fresh_database("pool")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    database = Database(url)
    with database.engine.connect() as conn:
        backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
    killer.dispose()
    monkeypatch.setattr(database_module, "IDLE_PING_AFTER", 0.0)
    with database.engine.connect() as conn:  # the dead connection is pinged, dropped, and a new one serves
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() != backend
    database.engine.dispose()


def test_only_a_connection_idle_for_a_while_is_pinged(fresh_database, monkeypatch):
    url = fresh_database("pool-busy")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    database = Database(url)
    dialect, pings = database.engine.dialect, []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    for _ in range(3):
        with database.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    assert pings == []  # reused at once: no round trip before use
    monkeypatch.setattr(database_module, "IDLE_PING_AFTER", 0.0)
    with database.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert pings == [1]
    database.engine.dispose()
