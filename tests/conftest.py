"""Shared fixtures: a throwaway SoftHSM token, a migrated database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), the app, and a per-test session rolled back at the end."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

TOKEN_LABEL = "portail-tests"
pytest_plugins = ["tests.factories"]


@pytest.fixture(scope="session")
def hsm_env(tmp_path_factory) -> dict:
    """A SoftHSM token of its own for this test session; SOFTHSM2_CONF is set before the module loads."""
    from app.signing import softhsm

    root = tmp_path_factory.mktemp("hsm")
    conf = root / "softhsm2.conf"
    softhsm.init_token(conf, root / "tokens", TOKEN_LABEL, root / "pins.json")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pins = json.loads((root / "pins.json").read_text())
    return {"SOFTHSM2_CONF": str(conf), "HSM_TOKEN_LABEL": TOKEN_LABEL, "HSM_PIN": pins["user_pin"],
            "SO_PIN": pins["so_pin"], "root": root}


def _fresh_database(tmp_path_factory, name: str, template: str | None = None):
    """A new database: a SQLite file, or a new PostgreSQL database beside TEST_DATABASE_URL; empty, or a copy of
    ``template`` (a database of this session nobody is connected to)."""
    import shutil

    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp(name) / "portail.db"
        if template:
            shutil.copyfile(make_url(template).database, path)
        return f"sqlite:///{path}", None
    url = make_url(base)
    db_name = f"portail_{name}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    copied = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"{copied}'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=db_name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory):
    """Factory of new empty databases (migration tests); dropped at the end of the session."""
    drops = []

    def make(name: str = "scratch", template: str | None = None) -> str:
        url, drop = _fresh_database(tmp_path_factory, name, template)
        if drop:
            drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:
    from app.migrate import upgrade

    url = fresh_database("suite")
    upgrade(url)
    return url


PSC_TEST_SECRET = "sandbox-test-secret"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc=None, timeout: float = 30.0) -> None:
    """Until something accepts connections on 127.0.0.1:``port`` (a loaded machine may take seconds); fails with
    the process's errors if it exits first."""
    import socket
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"port {port}: process exited: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def wait_for(url: str, proc, timeout: float = 120.0) -> None:
    """Until the process answers ``url`` (its own readiness: as soon as it is up, however loaded the machine), or
    exits. One that neither answers nor exits within ``timeout`` is stopped, its children with it, before the
    failure is raised: a start never leaves a server behind."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            if proc.poll() is not None:
                log = Path(proc.log_path).read_text() if getattr(proc, "log_path", None) else ""
                raise RuntimeError(f"{url}: process exited: {log[-3000:]}") from None
            time.sleep(0.1)
    stop_process(proc)
    raise RuntimeError(f"{url} did not answer within {timeout} s: stopped")


def stop_process(proc, grace: float = 10.0) -> None:
    """SIGTERM to the process and, when it leads its own session (``start_new_session``), to everything it started
    (gunicorn's workers); SIGKILL to what is left after ``grace`` seconds."""
    import signal
    import subprocess

    if proc is None or proc.poll() is not None:
        return

    def send(sig) -> None:
        try:
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(timeout=grace)


@pytest.fixture(scope="session")
def e2e_portal_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def psc_sandbox(tmp_path_factory, e2e_portal_port):
    """The PSC sandbox as its own process over real HTTP, with fault injection for negative tests."""
    from tests.live import start_sandbox, stop

    proc, sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox"), {
        "PSC_CLIENT_SECRET": PSC_TEST_SECRET, "PSC_SANDBOX_FAULTS": "1",
        "PSC_SANDBOX_REDIRECT_URIS": f"http://localhost/auth/psc/callback "
                                     f"http://127.0.0.1:{e2e_portal_port}/auth/psc/callback",
        "PSC_SANDBOX_POST_LOGOUT_URIS": f"http://localhost/ http://127.0.0.1:{e2e_portal_port}/",
    })
    yield sandbox
    stop(proc)


@pytest.fixture(scope="session")
def session_dns():
    """A DNS server on loopback for the whole session: names the tests set nothing for are NXDOMAIN at once (CAA at
    issuance included), whatever this machine's resolver does."""
    from tests.domains.servers import DnsServer

    server = DnsServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_config(hsm_env, database_url, tmp_path_factory, psc_sandbox, session_dns) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    return {
        "JOB_BROKER": "immediate",  # a queued task runs at once, in the process that queued it
        "DNS_RESOLVER": "127.0.0.1",
        "DNS_PORT": session_dns.port,
        "PORTAL_BASE_URL": "http://localhost",
        "PSC_DISCOVERY_URL": psc_sandbox["discovery"],
        "PSC_CLIENT_SECRET": PSC_TEST_SECRET,
        "PSC_SANDBOX_REGISTRY": psc_sandbox["registry"],  # the cards the tests activate become its identities
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "ACME_ACCOUNT_RATE_LIMIT": "1000 per minute",  # tests/acme sets the real one where it tests it
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": Path(instance),
        "SECRET_KEY": "tests-only-secret",
        "HSM_TOKEN_LABEL": hsm_env["HSM_TOKEN_LABEL"],
        "HSM_PIN": hsm_env["HSM_PIN"],
        "SOFTHSM2_CONF": hsm_env["SOFTHSM2_CONF"],
        "TESTING": True,
        "RATELIMIT_ENABLED": True,
    }


@pytest.fixture(scope="session")
def app(app_config):
    """The portal, on a database whose PKI is built once for the session (hierarchy, CRLs, seal, time-stamping and
    OCSP responders, committed): a test's own ``init_pki`` then finds it all and makes nothing, and each test's
    rolled-back transaction leaves it as it was."""
    from app import create_app
    from app.operations.pki import init_pki

    portal = create_app(dict(app_config))
    with portal.app_context():
        session = portal.extensions["db"].session()
        try:
            init_pki(session, portal.extensions["hsm"], app_config["PORTAL_BASE_URL"])
            session.commit()
        finally:
            session.close()
    return portal


@pytest.fixture()
def db(app):
    """A session whose work is rolled back after the test, shared with the app's requests."""
    from app.views.referential import listings

    listings.forget()  # each test has its own database content
    database = app.extensions["db"]
    keys = _token_labels(app)
    connection = database.engine.connect()
    outer = connection.begin()
    database.bind = connection
    session = database.session()
    try:
        yield session
    finally:
        session.close()
        database.bind = database.engine
        outer.rollback()
        connection.close()
        _forget_keys(app, keys)


def _token_labels(app) -> set[str] | None:
    try:
        return set(app.extensions["hsm"].labels())
    except Exception:  # no token in this test's world: nothing to clean
        return None


def _forget_keys(app, before: set[str] | None) -> None:
    """The keys the test made under a label of their own (OCSP responders: ``ocsp-<ca>-<8 hex>``) die with its
    rolled-back rows: a key no row names is what the token must not keep (issue 28.4), in the suite as in
    production. Keys under a fixed label (the CAs', the seal's) are found and reused by the next test's ``init_pki``,
    as by a reinstalled portal: kept, or every test would make its RSA-4096 CA keys again."""
    from app.metrics import key_name

    if before is None:
        return
    hsm = app.extensions["hsm"]
    for label in set(hsm.labels()) - before:
        if key_name(label) != label:
            hsm.destroy_key(label)


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def hsm(app):
    return app.extensions["hsm"]


@pytest.fixture()
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port, started and stopped by the test."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self):
            self.received = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
            self.received.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    port = free_port()
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    yield {"port": port, "controller": controller, "handler": handler}
    try:
        controller.stop()
    except AssertionError:
        pass  # already stopped by the test
