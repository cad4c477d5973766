"""What the benches share to run servers: a free port, waiting for one to answer."""

from __future__ import annotations

import subprocess
import time


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - our own loopback URL
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{url}: the server stopped (its log is in the bench's folder)") from None
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")
