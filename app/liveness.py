"""Liveness on a port of its own, answered by gunicorn's master process: a load balancer's check gets its answer in
milliseconds while every worker seals a PDF or waits on the HSM (a sync worker answers one request at a time, so a
``/healthz`` sent to the portal's own port waits its turn). Alive means the master runs and has live workers;
``/readyz`` on the portal's port still says what each capability can do."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Check(BaseHTTPRequestHandler):
    server: LivenessServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.split("?", 1)[0] != "/healthz":
            self._answer(404, {"status": "inconnu"})
            return
        workers = len(self.server.arbiter.WORKERS)
        self._answer(200 if workers else 503, {"status": "ok" if workers else "down", "workers": workers})

    do_HEAD = do_GET  # noqa: N815

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, *_args) -> None:  # a check every two seconds per balancer: not worth a log line
        pass


class LivenessServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bind: str, arbiter):
        host, _, port = bind.rpartition(":")
        super().__init__((host.strip("[]") or "127.0.0.1", int(port)), _Check)
        self.arbiter = arbiter


def start(bind: str, arbiter) -> LivenessServer:
    """Serve ``GET /healthz`` on ``bind`` (« 127.0.0.1:8009 ») from a thread of the master."""
    server = LivenessServer(bind, arbiter)
    threading.Thread(target=server.serve_forever, name="liveness", daemon=True).start()
    return server
