"""Page benchmark: the portal under its own gunicorn.conf.py against a bare Flask app on the same settings.

Run: .venv/bin/python bench/pages.py [--rounds 7] [--duration 2] [--connections 32] [--only "connecté"]
     BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/pages.py

Both servers run in their own processes on loopback; the load comes from a separate process: wrk (installed
with apt-get when missing and run as root), else a small Python load generator with keep-alive connections.
Absolute figures drift on shared machines, so the pages are measured in short rounds, each round in a new order,
and each page is read against the floor measured in the same round: the median of the rounds' ratios, with their
spread. The portal runs as bench/floor_app.py (wsgi.py's app plus two empty pages): the floor is a logged-in page
with nothing on it; the bare layout and bare Flask are shown for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.servers import free_port, wait_for  # noqa: E402

DIRECTOR = "3440000016/DIR0001"  # legal representative of the CHU: habilitations and a structure page
OPERATOR = "899700000070"  # ANS operator: the back office's queue


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return shutil.which("wrk")


def prepare(work: Path, url: str) -> tuple[dict, dict[str, str]]:
    """Token, migrated and seeded database, and a logged-in director's cookie."""
    from app.signing import softhsm

    softhsm.init_token(work / "softhsm2.conf", work / "tokens", "bench-pages", work / "pins.json")
    pin = json.loads((work / "pins.json").read_text())["user_pin"]
    env = {"DATABASE_URL": url, "INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": "bench-pages-secret",
           "HSM_TOKEN_LABEL": "bench-pages", "HSM_PIN": pin, "SOFTHSM2_CONF": str(work / "softhsm2.conf"),
           "PSC_CLIENT_SECRET": "bench", "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2")}
    os.environ.update(env)
    from sqlmodel import select

    from app import create_app
    from app.db import Database
    from app.migrate import upgrade
    from app.models import Structure
    from app.operations.login import open_session
    from app.psc.claims import identity_from_userinfo
    from psc_sandbox.identities import find, psc_claims
    from seeds.loader import load

    upgrade(url)
    database = Database(url)
    with database.session() as db:
        load(db)
        login = open_session(db, identity_from_userinfo(psc_claims(find(DIRECTOR), "CARD")))
        operator = open_session(db, identity_from_userinfo(psc_claims(find(OPERATOR), "CARD")))
        structure = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        draft, _ = _filings(db, login.person_id, structure.id)
        db.commit()
        login_id, structure_id, operator_id = login.id, structure.id, operator.id
    database.engine.dispose()
    app = create_app()
    # The cookie a browser holds after its first page: the session id and the CSRF secret Flask-WTF stored.
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"sid": login_id, "csrf_token": secrets.token_hex(20)})
    operator_cookie = serializer.dumps({"sid": operator_id, "csrf_token": secrets.token_hex(20)})
    pages = {
        "accueil (anonyme)": ("/", ""),
        "référentiel (anonyme)": ("/referentiel/", ""),
        "référentiel filtré (anonyme)": ("/referentiel/?statut=AAC", ""),
        "tableau de bord (connecté)": ("/tableau-de-bord", cookie),
        "page structure (connecté)": (f"/structures/{structure_id}", cookie),
        "mes démarches (connecté)": ("/demarches/", cookie),
        "étape F301, 3 titulaires (connecté)": (f"/demarches/{draft}/etapes/titulaires", cookie),
        "récapitulatif F301 (connecté)": (f"/demarches/{draft}/recapitulatif", cookie),
        "file d’instruction (opérateur)": ("/instruction/?etat=tous", operator_cookie),
        # The floor: the same request path with an empty page, then the bare layout (bench/floor_app.py).
        "plancher : connecté, page vide": ("/_plancher/vide", cookie),
        "plancher : connecté, gabarit seul": ("/_plancher/gabarit", cookie),
    }
    return env, pages


def _filings(db, person_id: int, structure_id: int) -> tuple[int, int]:
    """A director's F301 draft with three holders, and 60 deposited filings in the agency's queue."""
    from app.models.base import utcnow
    from app.operations.casefiles import next_reference, open_draft

    holder = {"civilite": "MME", "nom": "AGENT", "prenom": "Zoé", "identifiant": "", "courriel": "a@chu.example",
              "date_naissance": "1990-01-01", "lieu_naissance": "Nantes", "fonction": "Accueil",
              "justification": "Accès au DPI"}
    draft = open_draft(db, form="F301", structure_id=structure_id, filer_id=person_id, actor="bench",
                       payload={"titulaires": [holder] * 3})
    for _ in range(60):
        filing = open_draft(db, form="F413", structure_id=structure_id, filer_id=person_id, actor="bench")
        filing.state, filing.deposited_at = "depose", utcnow()
        filing.reference = next_reference(db, "F413", utcnow().year)
        db.add(filing)
    db.flush()
    return draft.id, filing.id


def start(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    full = dict(os.environ, **env, BIND=f"127.0.0.1:{port}")
    return subprocess.Popen(command, cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)


def measure(wrk: str | None, url: str, cookie: str, duration: int, connections: int) -> dict:
    import urllib.request

    headers = {"Cookie": f"portail_session={cookie}"} if cookie else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as check:  # noqa: S310
        if check.status != 200 or check.url != url:  # a logged-in page must not bounce to the login page
            raise SystemExit(f"{url}: answered {check.status} at {check.url}, not the page itself")
    if wrk:
        args = [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
        for name, value in headers.items():
            args[1:1] = ["-H", f"{name}: {value}"]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"rps": rps, "p50": latency["50"], "p99": latency["99"], "errors": int(errors.group(1)) if errors else 0}
    from bench.load import run_load

    return run_load(url, headers, duration, connections)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


FLOOR = "plancher\u00a0: connecté, page vide"  # the key prepare() gives the empty logged-in page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7, help="rounds: every page once a round, in a new order")
    parser.add_argument("--duration", type=int, default=2, help="seconds of load per page and round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="", help="measure only the pages whose name holds this text")
    args = parser.parse_args()
    from bench.databases import throwaway_database

    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    with throwaway_database(work) as url:
        env, pages = prepare(work, url)
        portal_port, bare_port = free_port(), free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        portal_log = work / "portal.log"
        portal = start([*gunicorn, "bench.floor_app:app"], env, portal_port, portal_log)
        bare = start([*gunicorn, "bench.bare_app:app"], {**env, "PORTAL_SKIP_PREFLIGHT": "1"}, bare_port,
                     work / "bare.log")
        try:
            wait_for(f"http://127.0.0.1:{portal_port}/healthz", portal)
            wait_for(f"http://127.0.0.1:{bare_port}/", bare)
            backend = url.split(":", 1)[0]
            print(f"database: {backend}; gunicorn.conf.py, {env['WEB_CONCURRENCY']} workers; load: "
                  f"{'wrk' if wrk else 'Python generator'}, {args.connections} connections; {args.rounds} rounds "
                  f"of {args.duration} s a page, the pages in a new order each round")
            chosen = {name: page for name, page in pages.items() if args.only in name or name == FLOOR}
            targets = {"Flask nu (bonjour)": f"http://127.0.0.1:{bare_port}/"} | {
                name: f"http://127.0.0.1:{portal_port}{path}" for name, (path, _) in chosen.items()}
            cookies = {name: cookie for name, (_, cookie) in chosen.items()}
            print_rounds(rounds(wrk, targets, cookies, args), portal_log)
        finally:
            for proc in (portal, bare):
                proc.terminate()
                proc.wait(timeout=20)


def rounds(wrk, targets: dict[str, str], cookies: dict[str, str], args) -> dict[str, list[dict]]:
    """Issue 30 (9): every page once per round, in a shuffled order, so that the machine's noise falls on every
    page alike; each figure is then read against the floor measured in the same round."""
    import random

    results: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        order = list(targets)
        random.shuffle(order)
        for name in order:
            results[name].append(measure(wrk, targets[name], cookies.get(name, ""), args.duration,
                                         args.connections))
    return results


def print_rounds(results: dict[str, list[dict]], portal_log: Path) -> None:
    import statistics

    floor = results[FLOOR]
    print(f"{'page':38} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'× plancher':>10} {'(min–max)':>12}")
    weak = []
    for name, runs in results.items():
        ratios = [run["rps"] / base["rps"] for run, base in zip(runs, floor, strict=True)]
        errors = sum(run["errors"] for run in runs)
        median = statistics.median(ratios)
        print(f"{name:38} {statistics.median(r['rps'] for r in runs):7.0f} "
              f"{statistics.median(r['p50'] for r in runs):7.1f} {statistics.median(r['p99'] for r in runs):7.1f} "
              f"{median:10.2f} {min(ratios):6.2f}–{max(ratios):4.2f}"
              + (f"  ({errors} non-2xx: see {portal_log})" if errors else ""))
        if "connecté" in name or "opérateur" in name:
            weak += [name] if median < 0.5 else []
    print("every logged-in page at least 0.5 × the empty logged-in page (median of the rounds): "
          + ("yes" if not weak else "no: " + ", ".join(weak)))


if __name__ == "__main__":
    main()
