"""A bounded Python load generator, for machines without wrk: keep-alive connections over processes."""

from __future__ import annotations

import http.client
import multiprocessing
import time
from urllib.parse import urlsplit


def _worker(url: str, headers: dict, duration: float, connections: int, queue) -> None:
    import threading

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies, errors = [], 0
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def loop():
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            except OSError:
                ok = False
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            mine.append(time.perf_counter() - start)
            if not ok:
                with lock:
                    errors += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((latencies, errors))


def run_load(url: str, headers: dict, duration: float, connections: int, processes: int = 2) -> dict:
    queue = multiprocessing.Queue()
    per = max(1, connections // processes)
    workers = [multiprocessing.Process(target=_worker, args=(url, headers, duration, per, queue))
               for _ in range(processes)]
    for w in workers:
        w.start()
    latencies, errors = [], 0
    for _ in workers:
        got, errs = queue.get()
        latencies += got
        errors += errs
    for w in workers:
        w.join()
    latencies.sort()
    n = len(latencies) or 1
    return {"rps": len(latencies) / duration, "p50": latencies[n // 2] * 1000 if latencies else 0.0,
            "p99": latencies[min(n - 1, int(n * 0.99))] * 1000 if latencies else 0.0, "errors": errors}
