"""Engine, one session per request, SQLite pragmas. Operations receive the session explicitly."""

from __future__ import annotations

import contextvars
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session


def make_engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own implicit BEGIN breaks SAVEPOINTs (a RELEASE would commit the whole transaction):
        # let SQLAlchemy open transactions itself, as its documentation recommends.
        sa.event.listen(engine, "begin", _begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


# A request that may write takes SQLite's write lock when its transaction begins (waiting for the other
# workers' writes, busy_timeout): a deferred transaction that read first could not write after another
# worker committed (SQLITE_BUSY_SNAPSHOT, "database is locked"). Reads stay deferred and concurrent.
_WRITES = contextvars.ContextVar("sqlite_writes", default=False)
READ_ONLY_POSTS = frozenset({"pki.ocsp_post"})


def _begin(conn: sa.Connection) -> None:
    # SQLAlchemy's recipe runs exec_driver_sql("BEGIN"); straight on the DBAPI connection it costs a tenth.
    conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if _WRITES.get() else "BEGIN")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit survives an application crash; only a power loss may undo the last ones.
    # SQLite is the embedded development default; production runs on PostgreSQL.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Database:
    """Holds the engine; ``bind`` may be swapped for a connection in tests (per-test rollback)."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.bind: sa.Engine | sa.Connection = self.engine

    def session(self) -> Session:
        return Session(self.bind, expire_on_commit=False, join_transaction_mode="create_savepoint")

    def ping(self) -> dict:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
                version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            return {"ok": True, "backend": self.engine.dialect.name, "revision": version}
        except Exception as exc:  # any driver error means "down" for the health check
            return {"ok": False, "backend": self.engine.dialect.name, "error": type(exc).__name__}


def init_app(app, url: str) -> None:
    from flask import g

    app.extensions["db"] = Database(url)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
            _WRITES.set(False)


def commit() -> None:
    """Commit the request's work once, at the edge (views, CLI commands, jobs): operations only flush."""
    from flask import g

    session = g.get("db_session")
    if session is not None:
        session.commit()
        if session.info.pop("outbox_queued", False):
            from flask import current_app

            current_app.extensions["mailer"].kick()


def rows(statement, **params) -> list[sa.Row]:
    """The rows of a prebuilt Core statement on the request's connection: pages that only show columns skip the
    ORM's identity map and the statement's construction (a tenth of the cost of an ORM query built per call)."""
    return get_session().connection().execute(statement, params).all()


def get_session() -> Session:
    """The request's session (Flask side only)."""
    from flask import current_app, g, has_request_context, request

    if "db_session" not in g:
        # CLI commands and jobs write what they read: they take the lock at once too.
        _WRITES.set(not has_request_context() or (request.method not in ("GET", "HEAD", "OPTIONS")
                                                  and request.endpoint not in READ_ONLY_POSTS))
        g.db_session = current_app.extensions["db"].session()
    return g.db_session
