"""Start real servers for integration tests: the portal under gunicorn, nginx in front of it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]


_SEEDED: dict[int, str] = {}  # per session: the database migrated and seeded once, copied for each server


def seeded_database(fresh_database, name: str) -> str:
    """A new database, migrated and loaded with the demo data, for a server process of its own: a copy of the
    session's seeded template (PostgreSQL's CREATE DATABASE … TEMPLATE, a file copy for SQLite), not the
    migrations and the seeds again."""
    template = _SEEDED.get(id(fresh_database))
    if template is None:
        from app.db import Database
        from app.migrate import upgrade
        from seeds.loader import load

        template = fresh_database("seeded")
        upgrade(template)
        database = Database(template)
        with database.writing() as db:
            load(db)
        database.engine.dispose()  # nobody connected: PostgreSQL copies it; SQLite has folded its WAL back
        _SEEDED[id(fresh_database)] = template
    return fresh_database(name, template=template)


def invariants(database_url: str) -> list[str]:
    """What the invariant check finds half-done in a live portal's database (an empty list when all holds)."""
    from app.db import Database
    from app.operations.invariants import violations

    database = Database(database_url)
    with database.session() as db:
        found = [str(v) for v in violations(db)]
    database.engine.dispose()
    return found


def portal_env(app_config: dict, *, database_url: str, instance: Path, base_url: str, **extra) -> dict:
    """Environment of a portal process sharing the test session's HSM token and PSC sandbox."""
    env = {
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "live-tests",
        "HSM_TOKEN_LABEL": app_config["HSM_TOKEN_LABEL"], "HSM_PIN": app_config["HSM_PIN"],
        "SOFTHSM2_CONF": app_config["SOFTHSM2_CONF"], "PSC_DISCOVERY_URL": app_config["PSC_DISCOVERY_URL"],
        "PSC_CLIENT_SECRET": app_config["PSC_CLIENT_SECRET"], "PORTAL_BASE_URL": base_url,
        "PSC_SANDBOX_REGISTRY": app_config["PSC_SANDBOX_REGISTRY"],
        "DNS_RESOLVER": app_config["DNS_RESOLVER"], "DNS_PORT": str(app_config["DNS_PORT"]),
    }
    env.update(extra)
    return env


def _logged(command: list[str], env: dict, name: str, cwd: Path = ROOT) -> subprocess.Popen:
    """A server whose output (access log included) goes to a file: a pipe nobody reads fills up (64 kB of
    warnings) and then blocks the server's workers in their next log write."""
    log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # its own process group: stopped with everything it started
    proc.log_path = log.name
    log.close()
    return proc


def start_portal(env: dict, port: int, root: Path = ROOT) -> subprocess.Popen:
    """The portal under gunicorn, from this checkout or from ``root`` (another release's code, same venv)."""
    full = dict(os.environ, **{"WEB_CONCURRENCY": "2", **env}, BIND=f"127.0.0.1:{port}")
    proc = _logged([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], full, "portal",
                   cwd=root)
    wait_for(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def start_worker(env: dict) -> subprocess.Popen:
    """The job worker (``python -m app.jobs``) with a portal's environment; its log is ``proc.log_path``."""
    proc = _logged([sys.executable, "-m", "app.jobs"], dict(os.environ, **env), "worker")
    wait_until(lambda: "Huey consumer started" in Path(proc.log_path).read_text() or proc.poll() is not None,
               timeout=60)
    if proc.poll() is not None:
        raise RuntimeError(f"worker exited: {Path(proc.log_path).read_text()[-2000:]}")
    return proc


def wait_until(condition, *, timeout: float = 30.0, every: float = 0.1):
    """Poll ``condition`` until it returns something true; fails after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {getattr(condition, '__name__', condition)}")


def start_sandbox(instance: Path, env: dict) -> tuple[subprocess.Popen, dict]:
    """A PSC sandbox process on a free port; returns it with its browser URL and discovery URL."""
    from tests.conftest import free_port

    port = free_port()
    full = dict(os.environ, **env, PSC_SANDBOX_PORT=str(port), INSTANCE_PATH=str(instance))
    proc = _logged([sys.executable, "-m", "gunicorn", "-c", "gunicorn.sandbox.conf.py",
                    "psc_sandbox:create_sandbox_app()"], full, "sandbox")
    url = f"http://localhost:{port}"
    wait_for(f"{url}/healthz", proc)
    return proc, {"url": url, "port": port, "registry": str(instance / "psc-sandbox-identities.json"), "discovery":
                  f"http://127.0.0.1:{port}/auth/realms/esante-wallet/.well-known/wallet-openid-configuration"}


def start_nginx(workdir: Path, server_block: str) -> subprocess.Popen:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    (workdir / "server.conf").write_text(server_block)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (workdir / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/server.conf;
}}
""")
    command = [nginx_binary(), "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def nginx_binary() -> str:
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "nginx"


def stop(*procs) -> None:
    from tests.conftest import stop_process

    for proc in procs:
        stop_process(proc)


@contextlib.contextmanager
def pki_portal(tmp_path_factory, fresh_database, app_config: dict, name: str, prepare, **env):
    """A live portal on a seeded database of its own with the PKI initialised. ``prepare(db, hsm, base, work)``
    adds what the test needs and returns a dict; it is committed before the portal starts, and handed back with
    ``base``, ``database``, ``hsm`` and ``work``; ``env`` adds settings (DNS_RESOLVER…)."""
    from app.config import default_pkcs11_module
    from app.db import Database
    from app.operations.pki import init_pki
    from app.signing.hsm import Hsm
    from tests.conftest import free_port

    work = tmp_path_factory.mktemp(name)
    url = seeded_database(fresh_database, name)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hsm = Hsm(default_pkcs11_module(), app_config["HSM_TOKEN_LABEL"], app_config["HSM_PIN"])
    database = Database(url)
    with database.writing() as db:
        init_pki(db, hsm, base)
        prepared = prepare(db, hsm, base, work)
        db.commit()
    environment = portal_env(app_config, database_url=url, instance=work / "instance", base_url=base, **env)
    proc = start_portal(environment, port)
    worker = start_worker(environment)  # ACME's challenge checks and the mail run on the job engine
    try:
        yield {"base": base, "database": database, "hsm": hsm, "work": work, "worker": worker, **prepared}
    finally:
        stop(proc, worker)
        database.engine.dispose()
