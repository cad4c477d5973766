"""Issue 27 (12): a node whose only worker is busy (here: held by a client that sends its headers and not its
body, as a slow upload on a phone would) still answers its load balancer's liveness check at once, on the port the
master serves, while the portal's own port makes the check wait its turn."""

from __future__ import annotations

import socket
import time

import requests

from tests.conftest import free_port
from tests.live import portal_env, start_portal, stop


def test_liveness_answers_while_the_worker_is_busy(app_config, database_url, tmp_path):
    port, health = free_port(), free_port()
    portal = start_portal(portal_env(app_config, database_url=database_url, instance=tmp_path,
                                     base_url=f"http://127.0.0.1:{port}", WEB_CONCURRENCY="1",
                                     HEALTH_BIND=f"127.0.0.1:{health}"), port)
    slow = socket.create_connection(("127.0.0.1", port))
    try:
        slow.sendall(b"POST /auth/deconnexion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nx=")
        time.sleep(0.5)  # the worker now reads a body that does not come
        started = time.monotonic()
        answer = requests.get(f"http://127.0.0.1:{health}/healthz", timeout=2)
        took = time.monotonic() - started
        assert answer.status_code == 200 and answer.json() == {"status": "ok", "workers": 1}
        assert took < 0.5, took
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            waited = False
        except requests.Timeout:
            waited = True
        assert waited  # what the balancer saw before: the node's own port answers after the busy request
        assert requests.get(f"http://127.0.0.1:{health}/autre", timeout=2).status_code == 404
    finally:
        slow.close()
        stop(portal)
