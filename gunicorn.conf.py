"""gunicorn settings: preflight in a subprocess, and per-process HSM state reset after fork."""

import os
import subprocess
import sys

bind = os.environ.get("BIND", "127.0.0.1:8000")
# One control socket per instance: gunicorn's default (one per user) made a second portal or the sandbox on the same
# machine take over the first one's socket, and `gunicornc` then spoke to the wrong server.
control_socket = os.path.join(os.environ.get("XDG_RUNTIME_DIR") or os.path.expanduser("~/.gunicorn"),
                              f"portail-{bind.rsplit(':', 1)[-1]}.ctl")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers, chosen from bench/pages.py (gthread measured below them here) and because the HSM session
# is per process and never shared across threads (DESIGN.md §5). GUNICORN_THREADS>1 only for measuring.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60
# One line a request on stdout (journald or the terminal): each worker writes its own lines, no shared lock.
# ACCESS_LOG= (empty) turns it off where a front proxy already logs requests.
accesslog = os.environ.get("ACCESS_LOG", "-") or None
logger_class = "app.access_log.RedactingLogger"  # the e-mail link's token and PSC's code never reach the log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = False
# Prometheus: each worker writes its counters in this directory, /metrics adds them up (app/metrics.py). Set before
# any worker imports prometheus_client; emptied at start, a dead worker's gauges dropped at its exit.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(
    os.environ.get("INSTANCE_PATH") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "instance"),
    f"metrics-{bind.rsplit(':', 1)[-1]}"))


def on_starting(server):
    import shutil

    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)
    if os.environ.get("PORTAL_SKIP_PREFLIGHT") == "1":
        return
    proc = subprocess.run([sys.executable, "-m", "app.preflight"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.strip().splitlines()[-1] + "\n" if proc.stderr.strip() else
                         "portail : vérification de démarrage en échec.\n")
        sys.stderr.flush()
        os._exit(1)


def when_ready(server):
    """Liveness on its own port (HEALTH_BIND), answered by the master whatever the workers do (app/liveness.py)."""
    health = os.environ.get("HEALTH_BIND")
    if health:
        from app import liveness

        server.liveness = liveness.start(health, server)


def post_fork(server, worker):
    from app.signing.hsm import reset_all

    if getattr(server, "liveness", None) is not None:  # the master's listener is not the worker's to hold
        server.liveness.socket.close()
    reset_all()


def post_request(worker, req, environ, resp):
    from app.signing.hsm import any_wedged

    if any_wedged():  # the PKCS#11 module did not recover by reinitialising: a new worker loads it afresh
        worker.log.warning("HSM injoignable après réinitialisation : ce worker est recyclé.")
        worker.alive = False


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR2, all_threads=True)
