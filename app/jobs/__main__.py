"""The job worker: ``python -m app.jobs`` (``make run`` starts it beside gunicorn; systemd in production).

Its counters go to PROMETHEUS_MULTIPROC_DIR's ``jobs`` sibling of the web processes' directory, which ``/metrics``
adds to theirs; set before anything imports prometheus_client."""

from __future__ import annotations

import logging
import os
import shutil


def main() -> None:
    from app.metrics import worker_directory

    directory = worker_directory()
    shutil.rmtree(directory, ignore_errors=True)  # a previous worker's counters: its process is gone
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory

    from app import create_app

    app = create_app()
    # huey's own lines (each task's start and end, each minute's enqueueing) would drown the jobs' one line each
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("huey.consumer").setLevel(logging.INFO)  # start, stop, a worker's death
    logging.getLogger("huey.consumer.Scheduler").setLevel(logging.WARNING)
    settings = app.config["SETTINGS"]
    consumer = app.extensions["jobs"].huey.create_consumer(
        workers=settings.job_workers, worker_type="thread", periodic=True,
        max_delay=1.0,  # a polled broker (SQLite) is looked at every second at most: a login link leaves at once
        graceful_signal="TERM", shutdown_timeout=30)  # systemd's stop lets the running tasks end
    consumer.run()


if __name__ == "__main__":
    main()
