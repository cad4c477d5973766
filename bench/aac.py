"""Compassionate-access benchmark on PostgreSQL: a million requests loaded in bulk, then in one run
- the history page (a PUI pharmacist's first and a deep page, a prescriber's) median and p95 at 10k and 1M rows;
- the automatic path, PUI transmission → conformity → sealed decision, p95 against a bare signed PDF;
- the peak RSS of a gunicorn worker streaming the CSV extract of 1M requests, against its idle RSS.

Run: BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/aac.py
(a throwaway database is created beside it and dropped; PostgreSQL is required).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import timed  # noqa: E402 - after the path is set

logging.disable(logging.WARNING)

PRESCRIBER, PHARMACIST, EVALUATOR = "899700000013", "899700000039", "899700000062"

def bulk_sql(*, pui: int, prescriber: int, others_first: int, others: int, total: int, start: int,
             stop: int) -> str:
    """One INSERT … SELECT over generate_series: the bulk load runs in the database (integers only are
    formatted in; the one text value is a bound parameter)."""
    return f"""
INSERT INTO filing (form, structure_id, filer_id, state, reference, payload, idempotency_key, created_at, updated_at,
                    deposited_at, decided_at)
SELECT 'AAC', {pui:d}, CASE WHEN g % 100 = 0 THEN {prescriber:d} ELSE {others_first:d} + (g % {others:d}) END,
       CASE WHEN g % 10 = 0 THEN 'en_evaluation' ELSE 'octroyee' END,
       'AAC-2025-' || lpad(g::text, 7, '0'),
       json_build_object(
         'patient', json_build_object('initiale_nom', chr(65 + g % 26), 'initiale_prenom', chr(65 + (g / 26) % 26),
                                      'sexe', CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END,
                                      'mois_naissance', ((g % 12) + 1)::text, 'annee_naissance', (1940 + g % 80)::text,
                                      'poids', (40 + g % 60)::text),
         'medicament', json_build_object('code', 'AAC-0001', 'indication', 'I1'),
         'prescription', json_build_object('posologie', '50 mg par jour', 'duree', '90', 'differable', 'oui',
                                           'criteres', json_build_array('critère 1', 'critère 2')),
         'engagement', json_build_object('fonction', 'Praticien hospitalier', 'information', '1',
                                         'pharmacien', CAST(:pharmacien AS text)),
         'decision', json_build_object('automatique', true, 'duree', 90, 'fin', '2026-01-01')),
       'bulk-' || g, now(), now(), now() - make_interval(secs => {total:d} - g),
       now() - make_interval(secs => {total:d} - g)
FROM generate_series({start:d}, {stop:d}) AS g
"""  # noqa: S608 - integers only are formatted in (format d); the text value is a bound parameter


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from bench.databases import throwaway_database

    work = Path(tempfile.mkdtemp(prefix="bench-aac-"))
    with throwaway_database(work) as url:
        run(work, url, args)


def run(work: Path, url: str, args) -> None:
    from bench.databases import portal_environment

    env = portal_environment(work, url, "bench-aac")
    pin = env["HSM_PIN"]
    import sqlalchemy as sa
    from sqlmodel import select

    from app import create_app
    from app.config import default_pkcs11_module
    from app.db import Database
    from app.migrate import upgrade
    from app.models import Person
    from app.operations.login import open_session
    from app.operations.pki import init_pki
    from app.psc.claims import identity_from_userinfo
    from app.signing.hsm import Hsm
    from psc_sandbox.identities import find, psc_claims
    from seeds.loader import load

    upgrade(url)
    database = Database(url)
    hsm = Hsm(default_pkcs11_module(), "bench-aac", pin)
    with database.session() as db:
        load(db)
        init_pki(db, hsm, "http://127.0.0.1:8000")
        sessions = {who: open_session(db, identity_from_userinfo(psc_claims(find(who), "CARD"))).id
                    for who in (PRESCRIBER, PHARMACIST, EVALUATOR)}
        people = {p.national_id: p.id for p in db.exec(select(Person))}
        db.execute(sa.text("INSERT INTO person (national_id, civility, family_name, given_name, profession_code, "
                           "profession_category, email, created_at) SELECT '85' || lpad(g::text, 10, '0'), 'DR', "
                           "'BENCH' || g, 'Médecin', '10', 'C', '', now() FROM generate_series(1, 1000) g"))
        others_first = db.execute(sa.text("SELECT min(id) FROM person WHERE family_name LIKE 'BENCH%'")).scalar()
        db.commit()
    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    pui = next(iter(_actor_pui(app, sessions[PHARMACIST])))  # the PUI where the seeded pharmacist practises
    bind = {"pui": pui, "prescriber": people[PRESCRIBER], "others_first": others_first, "others": 1000,
            "total": args.rows}
    pharmacien = f"{people[PHARMACIST]}:{pui}"

    def load_rows(start: int, stop: int) -> float:
        began = time.perf_counter()
        with database.engine.begin() as conn:
            for low in range(start, stop + 1, 100_000):
                conn.execute(sa.text(bulk_sql(**bind, start=low, stop=min(low + 99_999, stop))),
                             {"pharmacien": pharmacien})
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE filing"))
        return time.perf_counter() - began

    def history(sid: str, query: str = ""):
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["sid"] = sid

        def page():
            response = client.get("/acces-compassionnel/" + query)
            assert response.status_code == 200, response.status_code
        return page

    results = {}
    load_small = load_rows(1, args.small)
    for size, label in ((args.small, "10k"), (None, "1M")):
        if size is None:
            loaded = load_rows(args.small + 1, args.rows)
            print(f"bulk load: {args.small} rows in {load_small:.1f} s, then {args.rows - args.small} more in "
                  f"{loaded:.1f} s")
        with database.engine.connect() as conn:
            middle = conn.execute(sa.text("SELECT id FROM filing ORDER BY id OFFSET (SELECT count(*) / 2 FROM filing) "
                                          "LIMIT 1")).scalar()
        for name, sid, query in (("PUI, 1st page", sessions[PHARMACIST], ""),
                                 ("PUI, deep page", sessions[PHARMACIST], f"?avant={middle}"),
                                 ("prescriber, 1st page", sessions[PRESCRIBER], "?vue=moi")):
            page = history(sid, query)
            page()  # warm
            results[(label, name)] = timed(page, args.pages)
    print(f"{'history page':28} {'10k median':>10} {'10k p95':>9} {'1M median':>10} {'1M p95':>9} {'p95 ratio':>9}")
    for name in ("PUI, 1st page", "PUI, deep page", "prescriber, 1st page"):
        small, big = results[("10k", name)], results[("1M", name)]
        print(f"{name:28} {small[0]:9.1f}ms {small[1]:8.1f}ms {big[0]:9.1f}ms {big[1]:8.1f}ms "
              f"{big[1] / small[1]:9.2f}  (target <= 1.5)")

    automatic_p95, bare_p95 = automatic_path(app, database, hsm, sessions, people, pui, args.decisions)
    print(f"automatic decision (transmit -> sealed PDF) p95: {automatic_p95:.1f} ms; bare signed PDF p95: "
          f"{bare_p95:.1f} ms; ratio {automatic_p95 / bare_p95:.2f} (target <= 3)")
    idle, peak, size = export_rss(work, env, app, sessions[EVALUATOR])
    print(f"CSV extract of {args.rows} requests: {size / 1e6:.0f} MB streamed; worker RSS idle {idle / 1024:.0f} MB, "
          f"peak {peak / 1024:.0f} MB, growth {(peak - idle) / 1024:.1f} MB (target <= 50 MB)")
    database.engine.dispose()


def _actor_pui(app, sid: str) -> set[int]:
    with app.test_request_context():
        from app.db import get_session
        from app.operations.login import build_actor, check_session

        db = get_session()
        return set(build_actor(db, check_session(db, sid)).pui_structure_ids)


def automatic_path(app, database, hsm, sessions, people, pui, count: int) -> tuple[float, float]:
    """Requests waiting at the PUI, transmitted one by one through the operation the page uses."""
    from datetime import date

    from app.models import Filing
    from app.operations import aac
    from app.operations.pki import seal_material
    from app.signing.tsa import HsmTimeStamper
    from bench.bare_pades import bare_sign

    today = date.today()
    payload = {"patient": {"cadre": "aac", "initiale_nom": "D", "initiale_prenom": "M", "sexe": "F",
                           "mois_naissance": "3", "annee_naissance": "1958", "poids": "64"},
               "medicament": {"code": "AAC-0001", "indication": "I1"},
               "prescription": {"posologie": "50 mg", "duree": "90", "differable": "non"},
               "engagement": {"fonction": "PH", "information": "1", "pharmacien": f"{people[PHARMACIST]}:{pui}"}}
    timings, bare = [], []
    with database.session() as db:
        from app.operations.aac import indication_of, product

        criteria = indication_of(product(db, "AAC-0001"), "I1")["criteria"]
        payload["prescription"]["criteres"] = criteria
        ids = []
        for i in range(count):
            filing = Filing(form="AAC", structure_id=pui, filer_id=people[PRESCRIBER], state="a_valider_pui",
                            reference=f"AAC-2024-{i:06d}", idempotency_key=f"bench-auto-{i}", payload=payload)
            db.add(filing)
            db.flush()
            ids.append(filing.id)
        db.commit()
        for filing_id in ids:
            start = time.perf_counter()
            filing = db.get(Filing, filing_id)
            assert aac.transmit(db, filing, hsm, actor=PHARMACIST, auth_method="psc-card",
                                base_url="http://127.0.0.1:8000", today=today)
            db.commit()
            timings.append(time.perf_counter() - start)
        material = seal_material(db)
    for _ in range(count):
        start = time.perf_counter()
        with hsm.session() as session:
            stamper = HsmTimeStamper(hsm, material.tsa)
            bare_sign(session, material.key_label, material.certificate_der, material.chain_der, material.root_der,
                      material.crls_der, timestamper=stamper, other_certs=[stamper.certificate, *stamper.chain])
        bare.append(time.perf_counter() - start)
    timings.sort()
    bare.sort()
    return timings[int(0.95 * (count - 1))] * 1000, bare[int(0.95 * (count - 1))] * 1000


def export_rss(work: Path, env: dict, app, sid: str) -> tuple[int, int, int]:
    import requests

    from bench.servers import free_port, wait_for

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=dict(os.environ, **env, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1"),
                            stdout=subprocess.DEVNULL, stderr=(work / "export.log").open("w"))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", proc)
        cookie = app.session_interface.get_signing_serializer(app).dumps({"sid": sid})
        session = requests.Session()
        session.cookies.set("portail_session", cookie)
        session.get(f"{base}/acces-compassionnel/", timeout=30)  # the worker's ordinary pages, once
        worker = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()[0])
        idle = rss_kb(worker)
        peak, done, size = [idle], threading.Event(), 0

        def sample():
            while not done.is_set():
                peak.append(rss_kb(worker))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with session.get(f"{base}/acces-compassionnel/export.csv", stream=True, timeout=600) as response:
            for chunk in response.iter_content(1 << 16):
                size += len(chunk)
        done.set()
        sampler.join()
        return idle, max(peak), size
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
