"""Issue 28 (6): a rolling upgrade of two nodes under load answers no 5xx. Both nodes run the previous release
(the code before the newest migration, taken from git); the new release's migration runs while they serve; then
each node in turn leaves the balancer, restarts on the new code and comes back. Throughout, a load of public pages,
a director's dashboard and e-mail link requests (which write) goes to the nodes in rotation: every answer is
counted, and none may be a 5xx or a dropped connection."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port
from tests.faults.test_two_nodes import DIRECTOR, _cookie
from tests.live import ROOT, invariants, portal_env, start_portal, stop

pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists() or not shutil.which("git"),
                                reason="needs the git history (the previous release's code)")


def _previous_release(work: Path) -> tuple[Path, str]:
    """The code as it was before the newest migration was added, unpacked beside this checkout."""
    newest = sorted((ROOT / "app" / "migrations" / "versions").glob("0*.py"))[-1]
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "-1", "--", str(newest)], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.strip()
    old = work / "previous"
    old.mkdir()
    archive = subprocess.run(["git", "archive", f"{added}^"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    (old / "app" / "static" / "vendor").symlink_to(ROOT / "app" / "static" / "vendor")  # npm's, not in git
    return old, newest.name.split("_", 1)[0]


def _flask(root: Path, env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=root, capture_output=True,
                          text=True, timeout=300, check=False, env=dict(os.environ, **env))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def _seed(root: Path, env: dict) -> None:
    """The release's own seeding: ``python -m seeds`` since issue 30, ``flask seed`` before."""
    if not (root / "seeds" / "__main__.py").exists():
        _flask(root, env, "seed")
        return
    done = subprocess.run([sys.executable, "-m", "seeds"], cwd=root, capture_output=True, text=True, timeout=300,
                          check=False, env=dict(os.environ, **env))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


class Load:
    """Threads sending a mix of reads and writes to the nodes in rotation, counting every outcome."""

    def __init__(self, ports: list[int], cookie: str, threads: int = 6):
        self.rotation, self.cookie = list(ports), cookie
        self.outcomes: Counter = Counter()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def drain(self, port: int):
        """Take ``port`` out of rotation, as a balancer does before a node restarts, and let its requests end."""
        with self.lock:
            self.rotation.remove(port)
        time.sleep(1.5)

    def admit(self, port: int):
        with self.lock:
            self.rotation.append(port)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _run(self, n: int):
        browsers: dict[int, tuple[requests.Session, str]] = {}
        count = 0
        while not self.stopping.is_set():
            with self.lock:
                port = self.rotation[count % len(self.rotation)]
            count += 1
            base = f"http://127.0.0.1:{port}"
            try:
                kind = count % 4
                if kind == 0:
                    status = requests.get(f"{base}/", timeout=30).status_code
                elif kind == 1:
                    status = requests.get(f"{base}/tableau-de-bord", cookies={"portail_session": self.cookie},
                                          timeout=30).status_code
                elif kind == 2:
                    status = requests.get(f"{base}/referentiel/", timeout=30).status_code
                else:
                    if port not in browsers:
                        browser = requests.Session()
                        form = browser.get(f"{base}/auth/courriel", timeout=30).text
                        browsers[port] = (browser, re.search(r'name="csrf_token" value="([^"]+)"', form).group(1))
                    browser, csrf = browsers[port]
                    status = browser.post(f"{base}/auth/courriel", timeout=30, data={
                        "csrf_token": csrf, "courriel": f"charge{n}.{count}@chu.example", "nom": "CHARGE",
                        "prenom": "Test"}).status_code
                self.outcomes[status // 100 * 100 if status != 429 else 429] += 1
            except requests.RequestException as exc:
                self.outcomes[type(exc).__name__] += 1


def test_a_rolling_upgrade_of_two_nodes_under_load_answers_no_5xx(app_config, fresh_database, tmp_path):
    old, new_head = _previous_release(tmp_path)
    url = fresh_database("rolling")
    ports = [free_port(), free_port()]
    env = [portal_env(app_config, database_url=url, instance=tmp_path / f"node{i}", base_url="http://127.0.0.1",
                      WEB_CONCURRENCY="2") for i in range(2)]
    _flask(old, env[0], "db", "upgrade")  # the previous release, installed and seeded as it was
    _seed(old, env[0])
    nodes = [start_portal(env[i], ports[i], root=old) for i in range(2)]
    load = Load(ports, _cookie(app_config, url, DIRECTOR))
    try:
        load.start()
        time.sleep(3)
        said = _flask(ROOT, env[0], "db", "upgrade")  # the new release's migration, under load, old code serving
        assert "Base migrée" in said
        time.sleep(2)
        for i in (1, 0):  # one node at a time leaves the balancer, restarts on the new code, comes back
            load.drain(ports[i])
            stop(nodes[i])
            nodes[i] = start_portal(env[i], ports[i])
            load.admit(ports[i])
            time.sleep(3)  # one node new, the other old, both serving
        time.sleep(2)
    finally:
        load.stop()
        stop(*nodes)
    outcomes = dict(load.outcomes)
    assert outcomes.get(200, 0) > 200, outcomes
    assert set(outcomes) <= {200, 300, 429}, outcomes  # no 5xx, no connection refused or reset
    assert invariants(url) == []
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == new_head
    engine.dispose()
