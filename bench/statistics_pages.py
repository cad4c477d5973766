"""The statistics pages at 10,000 and 1,000,000 compassionate-access requests (issue 32), on PostgreSQL:
- the requests and their history (transmission, then an automatic grant, an evaluated grant or a refusal) loaded in
  bulk across 20 products and 24 months;
- the monthly counts made from them by ``flask stats rebuild`` (what migration 0025 runs), timed;
- the ANSM's page (all products, one product) and its CSV, the ANS's page: median and p95, and the ratio of the
  p95 at 1M to the p95 at 10k;
- for comparison, the same figures computed straight from the files (one GROUP BY over the JSON), timed.

Run: BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/statistics_pages.py
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import timed  # noqa: E402 - after the path is set

logging.disable(logging.WARNING)

EVALUATOR, OPERATOR = "899700000062", "899700000070"
PRODUCTS = 20


def bulk_sql(*, filer: int, pui: int, start: int, stop: int) -> str:
    """Requests spread over 20 products and the last 24 months, each with its transmission and, for nine in ten,
    its decision (7 automatic grants, 1 evaluated grant, 1 refusal) some days later."""
    return f"""
WITH made AS (
  INSERT INTO filing (form, structure_id, filer_id, state, reference, payload, idempotency_key, created_at,
                      updated_at, deposited_at, decided_at)
  SELECT 'AAC', {pui:d}, {filer:d},
         CASE g % 10 WHEN 0 THEN 'en_evaluation' WHEN 1 THEN 'refusee' ELSE 'octroyee' END,
         'AAC-B-' || lpad(g::text, 8, '0'),
         json_build_object('medicament',
                           json_build_object('code', 'AAC-' || lpad((1 + g % {PRODUCTS:d})::text, 4, '0')),
                           'decision', json_build_object('motif', CASE WHEN g % 10 = 1 THEN 'alternative' END)),
         'bench-' || g, now(), now(), now() - make_interval(days => g % 720), NULL
  FROM generate_series({start:d}, {stop:d}) AS g
  RETURNING id, state, deposited_at
)
INSERT INTO filing_event (filing_id, at, actor, verb, auth_method, before, after, message)
SELECT id, deposited_at, 'bench', 'transmettre', '', 'a_valider_pui', 'transmise', '' FROM made
UNION ALL
SELECT id, deposited_at + make_interval(days => (id % 40)::int), 'bench',
       CASE WHEN state = 'refusee' THEN 'refuser' WHEN id % 10 = 2 THEN 'octroyer' ELSE 'octroyer_automatiquement' END,
       '', 'transmise', state, '' FROM made WHERE state <> 'en_evaluation'
"""  # noqa: S608 - integers only are formatted in (format d)


DIRECT = """
SELECT to_char(f.deposited_at, 'YYYY-MM') AS month, e.verb, count(*),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY e.at - f.deposited_at)
FROM filing f JOIN filing_event e ON e.filing_id = f.id
WHERE f.form = 'AAC' AND f.payload -> 'medicament' ->> 'code' = 'AAC-0001'
  AND f.deposited_at >= now() - interval '12 months'
GROUP BY 1, 2
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from bench.databases import throwaway_database

    work = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    with throwaway_database(work) as url:
        run(work, url, args)


def run(work: Path, url: str, args) -> None:
    from bench.databases import portal_environment

    portal_environment(work, url, "bench-stats")
    import sqlalchemy as sa
    from sqlmodel import select

    from app import create_app
    from app.db import Database
    from app.migrate import upgrade
    from app.models import Person, Structure
    from app.operations import statistics as counts
    from app.operations.login import open_session
    from app.psc.claims import identity_from_userinfo
    from psc_sandbox.identities import find, psc_claims
    from seeds.loader import load

    upgrade(url)
    database = Database(url)
    with database.session() as db:
        load(db)
        sessions = {who: open_session(db, identity_from_userinfo(psc_claims(find(who), "CARD"))).id
                    for who in (EVALUATOR, OPERATOR)}
        filer = db.exec(select(Person.id).where(Person.national_id == "899700000013")).one()
        pui = db.exec(select(Structure.id).where(Structure.finess == "440000024")).one()
        db.commit()
    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False

    def load_rows(start: int, stop: int) -> float:
        began = time.perf_counter()
        with database.engine.begin() as conn:
            for low in range(start, stop + 1, 100_000):
                conn.execute(sa.text(bulk_sql(filer=filer, pui=pui, start=low, stop=min(low + 99_999, stop))))
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE filing"))
            conn.execute(sa.text("ANALYZE filing_event"))
        return time.perf_counter() - began

    def rebuild() -> tuple[float, int]:
        began = time.perf_counter()
        with database.engine.begin() as conn:
            written = counts.rebuild(conn)
        return time.perf_counter() - began, written

    def page(sid: str, path: str):
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["sid"] = sid

        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return get

    def direct():
        with database.engine.connect() as conn:
            conn.execute(sa.text(DIRECT)).all()

    pages = (("ANSM, all products", sessions[EVALUATOR], "/statistiques/ansm"),
             ("ANSM, one product", sessions[EVALUATOR], "/statistiques/ansm?produit=AAC-0001"),
             ("ANSM, 24 months CSV", sessions[EVALUATOR], "/statistiques/ansm.csv?periode=24"),
             ("ANS, F301", sessions[OPERATOR], "/statistiques/ans?formulaire=F301"))
    results, loads = {}, {}
    for label, start, stop in (("10k", 1, args.small), ("1M", args.small + 1, args.rows)):
        loads[label] = (stop - start + 1, load_rows(start, stop), *rebuild())
        for name, sid, path in pages:
            get = page(sid, path)
            get()  # warm
            results[(label, name)] = timed(get, args.pages)
        direct()
        results[(label, "straight from the files (SQL)")] = timed(direct, max(5, args.pages // 10))
    for label, (rows, loaded, rebuilt, written) in loads.items():
        print(f"{label}: {rows} requests loaded in {loaded:.1f} s; counts rebuilt from the history in "
              f"{rebuilt:.1f} s ({written} counts)")
    print(f"{'statistics':32} {'10k median':>10} {'10k p95':>9} {'1M median':>10} {'1M p95':>9} {'p95 ratio':>9}")
    for name in [p[0] for p in pages] + ["straight from the files (SQL)"]:
        small, big = results[("10k", name)], results[("1M", name)]
        print(f"{name:32} {small[0]:9.1f}ms {small[1]:8.1f}ms {big[0]:9.1f}ms {big[1]:8.1f}ms "
              f"{big[1] / small[1]:9.2f}")
    database.engine.dispose()


if __name__ == "__main__":
    main()
