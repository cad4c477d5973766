"""Engine, one session per request, SQLite pragmas. Operations receive the session explicitly."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

log = logging.getLogger(__name__)


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
    else:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        _ping_when_idle(engine)
    sa.event.listen(engine, "before_cursor_execute", _refuse_writes_while_reading)
    return engine


IDLE_PING_AFTER = 30.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """A connection idle for a while (a server restart, a firewall's idle cut) is pinged before use and replaced
    when dead. SQLAlchemy's pool_pre_ping did it on every checkout: a round trip more on every request. A
    connection that dies while the pool is busy fails one request, and the pool then renews all its connections."""

    @sa.event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError("idle connection lost") from exc


# A request that may write takes SQLite's write lock when its transaction begins (waiting for the other
# workers' writes, busy_timeout): a deferred transaction that read first could not write after another
# worker committed (SQLITE_BUSY_SNAPSHOT, "database is locked"). Reads stay deferred and concurrent.
_WRITES = contextvars.ContextVar("sqlite_writes", default=False)
READ_ONLY_POSTS = frozenset({"pki.ocsp_post"})
# A read request's session only reads: on PostgreSQL it runs without a transaction (autocommit), each statement
# on its own snapshot as READ COMMITTED gives anyway, and saves the BEGIN and ROLLBACK round trips (a third of
# a logged-in page's database time). These GET endpoints write (the PSC callback, the card login): a transaction.
WRITING_GETS = frozenset({"auth.psc_callback", "auth.cps"})
_READS_ONLY = contextvars.ContextVar("reads_only", default=False)


class ReadOnlyRequest(RuntimeError):
    """A read request tried to write through its session: the endpoint belongs in WRITING_GETS."""


def _refuse_writes_while_reading(_conn, _cursor, statement, _params, context, _many) -> None:
    if _READS_ONLY.get() and (context.isinsert or context.isupdate or context.isdelete
                              or statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")):
        raise ReadOnlyRequest(statement.split(None, 3)[:3])


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


@sa.event.listens_for(Session, "after_flush")
def _wrote(session, _context) -> None:
    session.info["wrote"] = True


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _ended(session) -> None:
    session.info.pop("wrote", None)


def release_if_untouched(session: Session) -> bool:
    """End ``session``'s transaction when it has written nothing yet (flushed or pending), so that nothing is held
    while the caller waits on the outside world (on SQLite, the write lock); the caller reads its rows again
    afterwards. Returns whether it did."""
    if session.info.get("wrote") or session.new or session.dirty or session.deleted:
        return False
    session.rollback()
    return True


class Database:
    """Holds the engine; ``bind`` may be swapped for a connection in tests (per-test rollback)."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.bind: sa.Engine | sa.Connection = self.engine
        self._reader = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                        if self.engine.dialect.name == "postgresql" else self.engine)

    def session(self, *, reads_only: bool = False) -> Session:
        if reads_only and self.bind is self.engine:
            return Session(self._reader, expire_on_commit=False)
        # A reading session on a test's connection opens no savepoint of its own: the touch written beside it
        # (``writing``) must not be undone when the request's session closes.
        return Session(self.bind, expire_on_commit=False,
                       join_transaction_mode="rollback_only" if reads_only else "create_savepoint")

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """A short transaction of its own beside a read request (the once-a-minute touch of a portal session);
        committed when the block ends without error."""
        reads, writes = _READS_ONLY.set(False), _WRITES.set(True)  # SQLite: the write lock at once (no stale read)
        try:
            with self.session() as db:
                yield db
                db.commit()
        finally:
            _WRITES.reset(writes)
            _READS_ONLY.reset(reads)

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

    @app.after_request
    def _commit_at_edge(response):
        """The request commits once, after its view, unless the view refused (``refuse()``) or the answer is an
        error that did not ask to keep its writes (``keep()``: a draft saved as typed beside its 422). A 5xx never
        keeps anything. The request's bookkeeping then commits on its own, whatever the answer."""
        session = g.get("db_session")
        if session is not None and not _READS_ONLY.get():
            if (g.get("refused") or response.status_code >= 500
                    or (response.status_code >= 400 and not g.get("keep_changes"))):
                session.rollback()
                session.info.pop("after_commit", None)
                session.info.pop("outbox_queued", None)
            else:
                commit()
        _bookkeep(app.extensions["db"])
        return response

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
            _WRITES.set(False)
            _READS_ONLY.set(False)


def keep() -> None:
    """This request answers an error but keeps what it wrote (a draft saved as typed): the edge commits it."""
    from flask import g

    g.keep_changes = True


def refuse(*objects) -> None:
    """Undo this request's writes now, before a refusal is rendered, and reload ``objects`` as stored; the edge
    then commits nothing."""
    from flask import g

    session = g.get("db_session")
    if session is not None:
        session.rollback()
        session.info.pop("after_commit", None)
        for item in objects:
            session.refresh(item)
    g.refused = True


def bookkeeping(action: Callable[[Session], object]) -> None:
    """Run ``action(db)`` in a short transaction of its own once the request's work is committed or rolled back:
    the request's bookkeeping (a session's once-a-minute touch or its end, a token's last use) stays recorded
    whatever the answer, and never carries the view's writes with it. ``action`` takes plain values, never the
    request's ORM objects: reading one after a rollback would reopen the request's transaction (and, on SQLite, wait
    on its own write lock)."""
    from flask import g

    g.setdefault("bookkeeping", []).append(action)


def _bookkeep(database: Database) -> None:
    from flask import g

    for action in g.pop("bookkeeping", ()):
        try:
            with database.writing() as own:
                action(own)
        except (sa.exc.SQLAlchemyError, database.engine.dialect.loaded_dbapi.Error) as exc:  # the next request does it
            log.warning("bookkeeping not recorded: %s", type(exc).__name__)


def after_commit(action) -> None:
    """Run ``action`` once this request's work is committed, never if it rolls back: for what lives outside the
    database (the development PSC sandbox's registry of test identities)."""
    get_session().info.setdefault("after_commit", []).append(action)


def commit() -> None:
    """Commit the work once, at the edge: after each request (``init_app``), or at the end of a CLI command or job.
    Operations only flush; views never call this."""
    from flask import g

    session = g.get("db_session")
    if session is not None:
        session.commit()
        for action in session.info.pop("after_commit", []):
            action()
        if session.info.pop("outbox_queued", False):
            from flask import current_app

            if current_app.extensions["mailer"].transport is not None:
                current_app.extensions["jobs"].enqueue("outbox")  # a login link leaves within seconds


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rows(statement, **params) -> list[sa.Row]:
    """The rows of a prebuilt Core statement on the request's connection: pages that only show columns skip the
    ORM's identity map and the statement's construction (a tenth of the cost of an ORM query built per call)."""
    return get_session().connection().execute(statement, params).all()


def streamed(db: Session, statement, batch: int):
    """The rows of ``statement`` by ``batch`` from a server-side cursor (exports: memory stays flat). Such a cursor
    lives in a transaction, which a read request's session on PostgreSQL does not open (autocommit): the rows then
    come through a connection and a transaction of their own, which only read."""
    connection = db.connection()
    statement = statement.execution_options(stream_results=True, yield_per=batch)
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        yield from connection.execute(statement).partitions(batch)
        return
    with connection.engine.connect() as own:
        own = own.execution_options(isolation_level="READ COMMITTED")
        with own.begin():
            yield from own.execute(statement).partitions(batch)


def get_session() -> Session:
    """The request's session (Flask side only)."""
    from flask import current_app, g, has_request_context, request

    if "db_session" not in g:
        # CLI commands and jobs write what they read: they take the lock at once too.
        writes = not has_request_context() or (request.endpoint in WRITING_GETS if request.method in SAFE_METHODS
                                               else request.endpoint not in READ_ONLY_POSTS)
        _WRITES.set(writes)
        _READS_ONLY.set(not writes)
        g.db_session = current_app.extensions["db"].session(reads_only=not writes)
    return g.db_session


def reads_only() -> bool:
    """Whether the request's session may only read (see WRITING_GETS)."""
    return _READS_ONLY.get()
