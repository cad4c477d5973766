"""Load: a bounded page generator for machines without wrk (``run_load``, used by bench/pages.py), and, run as a
script, the mixed load of issue 19 against one node or two behind nginx.

    .venv/bin/python bench/load.py [--nodes 1|2] [--users 24] [--duration 90] [--starve 0]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test  (PostgreSQL; SQLite without it)

Virtual users, each in a thread with its own keep-alive connection: directors depositing F413 forms (a sealed PDF
each) and reading their dashboard, pharmacists transmitting AAC requests (conforming: a sealed decision each),
editors ordering certificates through the API, operators reading the queue, and logins through the PSC sandbox.
Prints p50/p99 and 5xx per action, then checks the invariants from the database (bench/mix.py). ``--starve N``
runs N busy processes beside the portal (CPU starvation).
"""

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


ACTIONS = ("dépôt F413", "transmission AAC", "commande API", "tableau de bord", "file d’instruction", "connexion PSC")


def main() -> None:
    import argparse
    import json
    import logging
    import os
    import sys
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    logging.disable(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 2))
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--duration", type=float, default=90)
    parser.add_argument("--starve", type=int, default=0, help="busy processes beside the portal")
    parser.add_argument("--crl", type=int, default=0, help="revocations in the ORGANISATIONS CRL before the run")
    args = parser.parse_args()

    from bench.databases import throwaway_database

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    with throwaway_database(work) as url:
        from app.signing import softhsm

        softhsm.init_token(work / "softhsm2.conf", work / "tokens", "bench-load", work / "pins.json")
        pin = json.loads((work / "pins.json").read_text())["user_pin"]
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench-load-secret", "HSM_TOKEN_LABEL": "bench-load",
               "HSM_PIN": pin, "SOFTHSM2_CONF": str(work / "softhsm2.conf"), "PSC_CLIENT_SECRET": "bench-load",
               "WEB_CONCURRENCY": "2", "ACCESS_LOG": ""}
        os.environ.update(env)
        _run(args, work, url, env)


def _run(args, work, url, env) -> None:
    import os
    import subprocess
    import sys

    from app import create_app
    from app.config import default_pkcs11_module
    from app.db import Database
    from app.migrate import upgrade
    from app.signing.hsm import Hsm
    from bench.mix import invariants, prepare
    from bench.servers import free_port, wait_for

    upgrade(url)
    database = Database(url)
    hsm = Hsm(default_pkcs11_module(), "bench-load", env["HSM_PIN"])
    per_user = int(args.duration * 2) + 10
    world = prepare(database, hsm, create_app(), drafts=args.users * per_user // 5,
                    requests=args.users * per_user // 5, revocations=args.crl)
    hsm.close()
    sandbox_port = free_port()
    ports = [free_port() for _ in range(args.nodes)]
    front = free_port() if args.nodes == 2 else ports[0]
    procs = [subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.sandbox.conf.py",
                               "psc_sandbox:create_sandbox_app()"],
                              env=dict(os.environ, PSC_SANDBOX_PORT=str(sandbox_port), INSTANCE_PATH=str(work / "sb"),
                                       PSC_SANDBOX_REDIRECT_URIS=f"http://127.0.0.1:{front}/auth/psc/callback"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    discovery = (f"http://127.0.0.1:{sandbox_port}/auth/realms/esante-wallet/.well-known/"
                 "wallet-openid-configuration")
    health = [free_port() for _ in ports]
    for i, port in enumerate(ports):
        node_env = dict(os.environ, BIND=f"127.0.0.1:{port}", INSTANCE_PATH=str(work / f"node{i}"),
                        PSC_DISCOVERY_URL=discovery, PORTAL_BASE_URL=f"http://127.0.0.1:{front}",
                        HEALTH_BIND=f"127.0.0.1:{health[i]}")
        procs.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                      env=node_env, stdout=subprocess.DEVNULL,
                                      stderr=(work / f"node{i}.log").open("w")))
    for port in ports:
        wait_for(f"http://127.0.0.1:{port}/healthz", procs[-1])
    if args.nodes == 2:
        procs.append(_nginx(work, ports, front))
        time.sleep(1)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.starve)]
    probe = _Liveness({"port du portail": f"http://127.0.0.1:{ports[0]}/healthz",
                       "port de vivacité (HEALTH_BIND)": f"http://127.0.0.1:{health[0]}/healthz"})
    try:
        outcomes, timings = _drive(f"http://127.0.0.1:{front}", f"http://localhost:{sandbox_port}", world, args)
    finally:
        probe.stop()
        for proc in hogs + procs:
            proc.terminate()
        for proc in hogs + procs:
            proc.wait(timeout=20)
    total = sum(len(v) for v in outcomes.values())
    errors = sum(1 for v in outcomes.values() for c in v if c >= 500 or c == 0)
    print(f"{args.nodes} nœud(s) × 2 workers, {args.users} utilisateurs, {args.duration:.0f} s, "
          f"{args.starve} processus affamants, CRL ORGANISATIONS de {args.crl} entrées, base "
          f"{database.engine.dialect.name} : {total} requêtes, {errors} 5xx")
    print(f"{'action':<22}{'n':>6}{'5xx':>6}{'4xx':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for action in ACTIONS:
        samples = sorted(timings[action])
        if samples:
            p50, p99 = samples[len(samples) // 2] * 1000, samples[min(len(samples) - 1, int(len(samples) * .99))] * 1000
            bad = sum(1 for c in outcomes[action] if c >= 500 or c == 0)
            refused = sum(1 for c in outcomes[action] if 400 <= c < 500)
            print(f"{action:<22}{len(samples):>6}{bad:>6}{refused:>6}{p50:>10.0f}{p99:>10.0f}")
    for line in invariants(database, world, outcomes):
        print(line)
    for name, samples in probe.samples.items():  # what a balancer's 2-second check saw during the load
        ordered = sorted(samples) or [0.0]
        late = sum(1 for s in samples if s >= 2.0)
        print(f"/healthz, {name} : {len(samples)} contrôles, p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, "
              f"p99 {ordered[min(len(ordered) - 1, int(len(ordered) * .99))] * 1000:.0f} ms, "
              f"max {ordered[-1] * 1000:.0f} ms, {late} au-delà de 2 s")
    database.engine.dispose()


class _Liveness:
    """A load balancer's liveness check every half second on each URL, timed (a failure counts as 2 s)."""

    def __init__(self, urls: dict[str, str]):
        import threading

        self.samples: dict[str, list[float]] = {name: [] for name in urls}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._poll, args=(name, url), daemon=True)
                         for name, url in urls.items()]
        for thread in self._threads:
            thread.start()

    def _poll(self, name: str, url: str) -> None:
        import urllib.request

        while not self._stop.wait(0.5):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - a loopback URL of the bench
                    answer.read()
                self.samples[name].append(time.perf_counter() - started)
            except OSError:
                self.samples[name].append(2.0)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)


def _nginx(work, ports, front):
    import subprocess

    for sub in ("body", "proxy"):
        (work / "nginx" / sub).mkdir(parents=True, exist_ok=True)
    servers = " ".join(f"server 127.0.0.1:{p};" for p in ports)
    (work / "nginx" / "nginx.conf").write_text(f"""worker_processes 1;
pid {work}/nginx/nginx.pid;
error_log {work}/nginx/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx/body;
    proxy_temp_path {work}/nginx/proxy;
    upstream portail {{ {servers} keepalive 32; }}
    server {{
        listen 127.0.0.1:{front};
        location / {{ proxy_pass http://portail; proxy_http_version 1.1; proxy_set_header Connection "";
                     proxy_set_header Host $http_host; proxy_read_timeout 120s; }}
    }}
}}
""")
    return subprocess.Popen(["/usr/sbin/nginx", "-p", str(work / "nginx"), "-c", str(work / "nginx" / "nginx.conf"),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _drive(base: str, sandbox: str, world, args):
    """The virtual users, in threads; each action's status codes and durations."""
    import itertools
    import re
    import threading

    import requests
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    outcomes = {a: [] for a in ACTIONS}
    timings = {a: [] for a in ACTIONS}
    lock = threading.Lock()
    deposits, transmissions = iter(world.deposits), iter(world.transmissions)
    counter = itertools.count()
    stop_at = time.monotonic() + args.duration

    def timed(action, call):
        started = time.perf_counter()
        try:
            status = call()
        except (requests.RequestException, AttributeError, KeyError):  # no answer, or not the page expected
            status = 0
        with lock:
            outcomes[action].append(status)
            timings[action].append(time.perf_counter() - started)

    def browser(role):
        session = requests.Session()
        session.cookies.set("portail_session", world.cookies[role])
        page = session.get(f"{base}/tableau-de-bord", timeout=60).text
        session.headers["X-CSRFToken"] = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        return session

    def director():
        session = browser("director")
        while time.monotonic() < stop_at:
            with lock:
                filing_id, key = next(deposits, (None, None))
            if filing_id is None:
                return
            timed("dépôt F413", lambda f=filing_id, k=key: session.post(
                f"{base}/demarches/{f}/deposer", data={"cle": k}, allow_redirects=False, timeout=120).status_code)
            timed("tableau de bord", lambda: session.get(f"{base}/tableau-de-bord", timeout=60).status_code)

    def pharmacist():
        session = browser("pharmacist")
        while time.monotonic() < stop_at:
            with lock:
                filing_id = next(transmissions, None)
            if filing_id is None:
                return
            timed("transmission AAC", lambda f=filing_id: session.post(
                f"{base}/acces-compassionnel/{f}/pui/transmettre", allow_redirects=False, timeout=120).status_code)
            timed("tableau de bord", lambda: session.get(f"{base}/tableau-de-bord", timeout=60).status_code)

    def editor():
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {world.token}"
        while time.monotonic() < stop_at:
            key = ec.generate_private_key(ec.SECP256R1())
            csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, "charge")])).sign(key, hashes.SHA256()).public_bytes(
                serialization.Encoding.PEM).decode()
            body = {"structure_id": world.structure_id, "famille": "ORG", "usage": "PSC",
                    "nom_service": f"Service {next(counter)}", "courriel": "dsi@chu.example", "csr": csr}
            timed("commande API", lambda b=body: session.post(f"{base}/api/v1/certificats", json=b,
                                                              timeout=120).status_code)

    def operator():
        session = browser("operator")
        while time.monotonic() < stop_at:
            timed("file d’instruction", lambda: session.get(f"{base}/instruction/?etat=tous", timeout=60).status_code)
            time.sleep(0.2)

    def login():
        while time.monotonic() < stop_at:
            timed("connexion PSC", lambda: _psc_login(base, sandbox))
            time.sleep(0.5)

    kinds = [director, pharmacist, editor, operator, login]
    threads = [threading.Thread(target=kinds[i % len(kinds)]) for i in range(args.users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes, timings


def _psc_login(base: str, sandbox: str) -> int:
    """The whole card login through the sandbox: portal → authorize → identity and PIN → callback → dashboard."""
    import re

    import requests

    session = requests.Session()
    start = session.get(f"{base}/auth/psc/login", allow_redirects=False, timeout=60)
    if start.status_code != 303:
        return start.status_code
    page = session.get(start.headers["Location"], timeout=60)
    req_id = re.search(r'action="/auth/([^/"]+)/choose"', page.text).group(1)
    session.post(f"{sandbox}/auth/{req_id}/choose", data={"national_id": "899700000013", "method": "card"},
                 allow_redirects=False, timeout=60)
    answer = session.post(f"{sandbox}/auth/{req_id}/pin", data={"pin": "1234"}, allow_redirects=False, timeout=60)
    back = session.get(answer.headers["Location"], allow_redirects=False, timeout=60)
    return back.status_code


if __name__ == "__main__":
    main()
