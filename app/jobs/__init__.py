"""One job engine: huey, on Redis or PostgreSQL in production, on a SQLite file beside ``make run``.

huey queues and schedules; the portal's database says who runs what. Every node's worker enqueues each periodic
job every minute (and at its start); the job's claim in ``job_state`` (:mod:`app.jobs.claims`) lets one node run a
period, and takes a killed run's period again once its lease lapsed. One-off tasks (the outbox's delivery after a
commit, domain checks) only kick work whose state is in the database, so a task lost with a killed worker is
done by the next periodic pass. Each task runs with the request id and the actor of the request that queued it.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey, crontab

from app import logs, metrics
from app.config import ConfigurationError
from app.jobs import claims
from app.jobs.periodic import BY_NAME, JOBS, TASKS, Context, Periodic

log = logging.getLogger(__name__)


def make_huey(broker: str, instance_path: Path) -> Huey:
    """The queue named by ``JOB_BROKER``: ``redis://…``, ``postgresql://…``, ``sqlite:///file`` (default:
    instance/jobs.sqlite3), or ``immediate`` (each task runs at once in the process that queued it)."""
    name = "portail"
    if broker == "immediate":
        return MemoryHuey(name, immediate=True, results=False)
    if broker.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=broker, results=False)
    if broker.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return PostgresHuey(name, dsn=broker.replace("+psycopg", "", 1), results=False)
    if broker == "" or broker.startswith("sqlite:///"):
        path = Path(broker.removeprefix("sqlite:///")) if broker else instance_path / "jobs.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    raise ConfigurationError("JOB_BROKER\u00a0: redis://…, postgresql://…, sqlite:///fichier ou immediate attendu.")


class Jobs:
    """The portal's side of the engine (``app.extensions["jobs"]``): queues tasks, runs them in an application
    context, runs the periodic jobs through their claims."""

    def __init__(self, app, huey: Huey):
        self.app, self.huey = app, huey
        self._tasks: dict[str, Callable] = {}
        for job in JOBS:
            self._periodic(job)
        for name, run in TASKS.items():
            self.task(name)(lambda run=run, **kwargs: run(self._context(), **kwargs))

    def task(self, name: str, **options) -> Callable:
        """Register ``fn`` as the one-off task ``name`` (queued by :meth:`enqueue`)."""

        def register(fn: Callable) -> Callable:
            def run(request_id: str = "", actor: str = "", **kwargs):
                return self._in_context(name, request_id, actor, lambda: fn(**kwargs))

            self._tasks[name] = self.huey.task(name=name, **options)(run)
            return fn

        return register

    def enqueue(self, name: str, **kwargs) -> None:
        """Queue task ``name``; it carries the current request id and actor into its logs. A broker that cannot be
        reached is logged, not raised: what the task would do is in the database, and the periodic pass does it."""
        try:
            self._tasks[name](request_id=logs.REQUEST_ID.get(), actor=logs.ACTOR.get(), **kwargs)
        except Exception:  # the queue is down: the next periodic pass finds the work in the database
            log.exception("job %s not queued", name)

    def run_periodic(self, name: str, *, force: bool = False, now=None) -> str | None:
        """Run periodic job ``name`` if this process wins its period; its summary, or None when it did not run."""
        job = BY_NAME[name]
        database = self.app.extensions["db"]
        slot = claims.claim(database, name, every=job.every, lease=self._lease(job), now=now, force=force)
        if slot is None:
            log.debug("job %s: période déjà prise", name)
            return None
        started = time.monotonic()
        try:
            summary = self._in_context(name, f"job-{uuid.uuid4().hex[:16]}", "", lambda: job.run(self._context(now)))
        except Exception as exc:
            claims.record(database, name, slot, ok=False, duration=time.monotonic() - started,
                          error=f"{type(exc).__name__}: {exc}")
            raise
        claims.record(database, name, slot, ok=True, duration=time.monotonic() - started, summary=summary)
        return summary

    def wanted(self) -> list[Periodic]:
        settings = self.app.config["SETTINGS"]
        return [job for job in JOBS if job.wanted(settings)]

    def _periodic(self, job: Periodic) -> None:
        def tick():
            if job.wanted(self.app.config["SETTINGS"]):
                self.run_periodic(job.name)

        # every minute and at the worker's start; the claim decides whether the period is due
        self.huey.periodic_task(crontab(), name=f"periodic-{job.name}")(tick)

    def _lease(self, job: Periodic) -> int:
        return self.app.config["SETTINGS"].job_lease_seconds or job.lease

    def _context(self, now=None) -> Context:
        from app.db import get_session
        from app.models.base import utcnow

        extensions = self.app.extensions
        return Context(get_session(), extensions["hsm"], self.app.config["SETTINGS"], extensions["mailer"],
                       now or utcnow())

    def _in_context(self, name: str, request_id: str, actor: str, work: Callable):
        """Run ``work`` in an application context of its own (its own session, committed at the end), with the
        queuing request's id and actor on every log line, isolated from the caller's context variables."""

        def run():
            logs.REQUEST_ID.set(request_id or f"job-{uuid.uuid4().hex[:16]}")
            logs.ACTOR.set(actor)
            started = time.perf_counter()
            with self.app.app_context():
                from app.db import commit, get_session

                try:
                    result = work()
                    commit()
                except Exception:
                    get_session().rollback()
                    metrics.JOB_RUNS.labels(name, "failure").observe(time.perf_counter() - started)
                    log.exception("job %s en échec", name)
                    raise
            metrics.JOB_RUNS.labels(name, "success").observe(time.perf_counter() - started)
            log.info("job %s : %s", name, result if isinstance(result, str) else "fait")
            return result

        return contextvars.copy_context().run(run)


def init_app(app, settings) -> Jobs:
    jobs = Jobs(app, make_huey(settings.job_broker, settings.instance_path))
    app.extensions["jobs"] = jobs
    return jobs
