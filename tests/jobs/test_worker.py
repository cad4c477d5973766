"""Issue 28 (1): the job worker beside live portals. Two nodes' workers on one database and one queue run each
periodic job once; a worker killed in the middle of a job leaves it to the other, which runs it again once the
claim's lease lapsed, and no e-mail goes twice; a login link's e-mail leaves within seconds of the request, and the
worker logs its delivery with the request's id."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from tests.conftest import free_port
from tests.live import portal_env, seeded_database, start_portal, start_worker, stop, wait_until

WANTED = {"crl", "ocsp-responders", "expiry-notices", "aac-expiry", "correction-reminders",
          "follow-up-reminders",
          "outbox"}  # card-crl-file: no CPS_CRL_FILE


def _broker(database_url: str, work: Path) -> str:
    return database_url if database_url.startswith("postgresql") else f"sqlite:///{work / 'jobs.sqlite3'}"


def _states(database_url: str) -> dict:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {row.name: row for row in conn.execute(sa.text("SELECT * FROM job_state"))}
    finally:
        engine.dispose()


def _pki(database_url: str, app_config: dict) -> None:
    from app.config import default_pkcs11_module
    from app.db import Database
    from app.operations.pki import init_pki
    from app.signing.hsm import Hsm

    database = Database(database_url)
    with database.writing() as db:
        init_pki(db, Hsm(default_pkcs11_module(), app_config["HSM_TOKEN_LABEL"], app_config["HSM_PIN"]),
                 "http://127.0.0.1")
        db.commit()
    database.engine.dispose()


def _away_from_a_period_boundary(margin: float = 30.0) -> None:
    """Periods start on the minute (and the 5 minutes, the hour): begin well inside one, so that every run the test
    counts belongs to the same period of each job."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 1)


def test_two_nodes_workers_run_each_periodic_job_once(app_config, fresh_database, tmp_path):
    url = seeded_database(fresh_database, "jobs_two")
    _pki(url, app_config)
    broker = _broker(url, tmp_path)
    envs = [portal_env(app_config, database_url=url, instance=tmp_path / f"node{n}", base_url="https://portail.test",
                       JOB_BROKER=broker) for n in (1, 2)]
    _away_from_a_period_boundary()
    workers = [start_worker(env) for env in envs]
    try:
        # each worker's scheduler queues every periodic job at its start: twelve runs asked for, six periods
        wait_until(lambda: all(s.runs >= 1 and s.lease_until is None
                               for s in (_states(url).get(n) for n in WANTED) if s) and WANTED <= set(_states(url)),
                   timeout=60)
        time.sleep(3)  # what the other worker still had in its queue
        states = _states(url)
    finally:
        stop(*workers)
    assert {name: (states[name].runs, states[name].failures) for name in WANTED} == {n: (1, 0) for n in WANTED}
    assert states["crl"].last_summary.startswith("CRL")


class SilentSmtp:
    """A mail relay that accepts connections and never greets: the outbox job waits on it."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            while True:
                self.accepted.append(self.socket.accept()[0])
        except OSError:
            return  # closed

    def close(self):
        self.socket.close()
        for connection in self.accepted:
            connection.close()


def test_a_worker_killed_mid_job_leaves_it_to_the_other_which_runs_it_again(app_config, fresh_database, tmp_path,
                                                                          smtp_server):
    from app.db import Database
    from app.operations import outbox

    url = seeded_database(fresh_database, "jobs_killed")
    database = Database(url)
    with database.writing() as db:
        outbox.queue(db, ["directeur@chu.example"], "Avis", "Corps")
        db.commit()
    database.engine.dispose()
    silent = SilentSmtp()
    common = {"JOB_BROKER": _broker(url, tmp_path), "JOB_LEASE_SECONDS": "3", "MAIL_SERVER": "127.0.0.1"}
    first = start_worker(portal_env(app_config, database_url=url, instance=tmp_path / "node1",
                                    base_url="https://portail.test", MAIL_PORT=str(silent.port), **common))
    second = None
    try:
        held = wait_until(lambda: (s := _states(url).get("outbox")) and s.lease_until and s.owner, timeout=60)
        assert held.endswith(f":{first.pid}")
        wait_until(lambda: silent.accepted, timeout=30)  # the message is claimed, its SMTP exchange under way
        first.kill()  # SIGKILL in the middle of the SMTP exchange: no end recorded, no cleanup
        first.wait()
        killed = _states(url)["outbox"]
        assert (killed.runs, killed.failures, killed.done_slot < killed.slot) == (0, 0, True)
        time.sleep(3.5)  # the lease lapses
        controller = smtp_server["controller"]
        controller.start()
        second = start_worker(portal_env(app_config, database_url=url, instance=tmp_path / "node2",
                                         base_url="https://portail.test", MAIL_PORT=str(smtp_server["port"]),
                                         **common))
        done = wait_until(lambda: (s := _states(url)["outbox"]).runs and s, timeout=60)
    finally:
        stop(first, second)
        silent.close()
    assert done.owner.endswith(f":{second.pid}") and done.slot >= killed.slot and done.failures == 0
    # the message whose sending was cut stays claimed by the dead sender until its claim lapses (then it goes again
    # with the same Message-ID): never twice at once
    assert smtp_server["handler"].received == []


def test_a_login_links_mail_leaves_within_seconds_with_the_requests_id_in_the_workers_log(
        app_config, fresh_database, tmp_path, smtp_server):
    url = seeded_database(fresh_database, "jobs_mail")
    port = free_port()
    smtp_server["controller"].start()
    env = portal_env(app_config, database_url=url, instance=tmp_path / "instance", base_url=f"http://127.0.0.1:{port}",
                     MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_server["port"]), BEHIND_PROXY="1")
    portal = start_portal(env, port)
    worker = start_worker(env)  # make run's configuration: the queue in instance/jobs.sqlite3
    try:
        # the worker's first periodic pass is over: what follows is sent by the task the request queued
        wait_until(lambda: (s := _states(url).get("outbox")) and s.runs and s.lease_until is None, timeout=60)
        browser = requests.Session()
        page = browser.get(f"http://127.0.0.1:{port}/auth/courriel", timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        started = time.monotonic()
        answer = browser.post(f"http://127.0.0.1:{port}/auth/courriel", timeout=30,
                              headers={"X-Request-Id": "demande-lien-0042", "X-Forwarded-For": "192.0.2.7"},
                              data={"csrf_token": csrf, "courriel": "nouvelle.directrice@chu.example",
                                    "nom": "MARTIN", "prenom": "Léa"})
        assert answer.status_code == 200
        wait_until(lambda: smtp_server["handler"].received, timeout=10, every=0.05)
        elapsed = time.monotonic() - started
        wait_until(lambda: "1 envoyé" in Path(worker.log_path).read_text(), timeout=10)  # the task's own line
        lines = [json.loads(line) for line in Path(worker.log_path).read_text().splitlines()
                 if line.startswith("{")]
    finally:
        stop(worker, portal)
    assert elapsed < 5, elapsed
    rcpt, content = smtp_server["handler"].received[0]
    assert rcpt == ["nouvelle.directrice@chu.example"] and "/auth/courriel/" in content
    delivered = [line for line in lines if line["message"].startswith("job outbox") and "1 envoyé" in line["message"]]
    assert [line["request_id"] for line in delivered] == ["demande-lien-0042"]
    assert not any("/auth/courriel/" in line["message"] for line in lines)  # the link never reaches the log
