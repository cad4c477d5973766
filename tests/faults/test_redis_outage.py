"""Issue 19 (3): Redis goes and comes back under a live portal. Logins and the public verification page keep
working (no 500), the same limits still hold (counted per process meanwhile), /readyz says « memoire », and the
portal goes back to Redis by itself."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.conftest import free_port
from tests.faults.proxy import Forwarder
from tests.live import portal_env, seeded_database, start_portal, stop


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture()
def portal_on_redis(app_config, fresh_database, tmp_path):
    if not _redis_answers():
        pytest.skip("needs a Redis server on 127.0.0.1:6379 (apt-get install redis-server)")
    redis = Forwarder(("127.0.0.1", 6379))
    port = free_port()
    env = portal_env(app_config, database_url=seeded_database(fresh_database, "redis"), instance=tmp_path,
                     base_url=f"http://127.0.0.1:{port}",
                     RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis.port}/15",
                     WEB_CONCURRENCY="1")
    proc = start_portal(env, port)
    yield f"http://127.0.0.1:{port}", redis
    stop(proc)
    redis.close()


def test_limits_survive_a_redis_outage_and_come_back_to_it(portal_on_redis):
    url, redis = portal_on_redis
    login = f"{url}/auth/psc/login"
    assert requests.get(login, allow_redirects=False, timeout=10).status_code == 303
    assert requests.get(f"{url}/readyz/limites", timeout=10).status_code == 200
    redis.cut()
    answers = [requests.get(login, allow_redirects=False, timeout=10).status_code for _ in range(32)]
    assert 500 not in answers and answers[0] == 303
    assert answers.count(303) == 30 and answers[-1] == 429  # the same limit (30 a minute), counted in memory
    assert requests.get(f"{url}/verification/inconnu", timeout=10).status_code == 404
    assert requests.get(f"{url}/readyz", timeout=10).json()["limites"] == "memoire"
    redis.restore()
    deadline = time.monotonic() + 60
    while requests.get(f"{url}/readyz/limites", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the portal did not go back to Redis"
        requests.get(login, allow_redirects=False, timeout=10)
        time.sleep(0.5)
