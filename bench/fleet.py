"""Card fleet benchmark: the fleet page's first and last page for a hospital of 5,000 cards against a structure of
50, in one run (the page goes by key: its cost should not grow with the fleet — target: under 2×).

Run: .venv/bin/python bench/fleet.py [--cards 5000] [--small 50] [--runs 30]
     BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/fleet.py
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)

BIG, SMALL = ("440000016", "3440000016/DIR0001"), ("690000013", "3690000013/DIR0008")  # CHU, clinique: directors


def main() -> None:
    from bench.databases import throwaway_database

    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    with throwaway_database(work) as url:
        run(work, url, args)


def _load(db, finess: str, count: int) -> int:
    from sqlmodel import select

    from app.models import Card, Person, Structure
    from app.models.base import utcnow

    structure = db.exec(select(Structure).where(Structure.finess == finess)).one()
    people = [Person(national_id=f"3{finess}/B{i:05d}", family_name=f"AGENT{i:05d}", given_name="Camille",
                     profession_code="") for i in range(count)]
    db.add_all(people)
    db.flush()
    db.add_all([Card(person_id=p.id, card_type="CPE", serial=f"{finess[:2]}{i:08d}", structure_id=structure.id,
                     status="active", expires_at=utcnow() + timedelta(days=30 + i % 700))
                for i, p in enumerate(people)])
    return structure.id


def run(work: Path, url: str, args) -> None:
    os.environ.update({"DATABASE_URL": url, "INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": "bench-fleet",
                       "HSM_PIN": "unused", "PSC_CLIENT_SECRET": "bench"})
    from sqlmodel import select

    from app import create_app
    from app.db import Database
    from app.migrate import upgrade
    from app.models import Person
    from app.operations.login import open_session
    from app.psc.claims import identity_from_userinfo
    from psc_sandbox.identities import find, psc_claims
    from seeds.loader import load

    upgrade(url)
    database = Database(url)
    with database.session() as db:
        load(db)
        big, small = _load(db, BIG[0], args.cards), _load(db, SMALL[0], args.small)
        logins = {}
        for structure_id, (_finess, director) in ((big, BIG), (small, SMALL)):
            assert db.exec(select(Person).where(Person.national_id == director)).one()
            logins[structure_id] = open_session(db, identity_from_userinfo(psc_claims(find(director), "CARD"))).id
        db.commit()
    database.engine.dispose()
    app = create_app()
    serializer = app.session_interface.get_signing_serializer(app)
    figures = {}
    for structure_id, label in ((small, f"{args.small} cartes"), (big, f"{args.cards} cartes")):
        client = app.test_client()
        client.set_cookie("portail_session", serializer.dumps({"sid": logins[structure_id], "csrf_token": "x"}))
        first = f"/structures/{structure_id}/cartes"
        html = client.get(first).get_data(as_text=True)
        assert "AGENT" in html, html[:500]
        last = first
        while (following := re.search(r'href="([^"]+apres=\d+)"', html)) is not None:
            last = following.group(1).replace("&amp;", "&")
            html = client.get(last).get_data(as_text=True)
        for name, path in (("première page", first), ("dernière page", last)):
            times = []
            client.get(path)  # warm: the first request of a path pays for its templates and statements
            for _ in range(args.runs):
                start = time.perf_counter()
                assert client.get(path).status_code == 200
                times.append(time.perf_counter() - start)
            figures[(label, name)] = statistics.median(times) * 1000
    print(f"backend: {database.engine.dialect.name}; {args.runs} requests each, median, in process (Flask test client)")
    for name in ("première page", "dernière page"):
        small_ms, big_ms = figures[(f"{args.small} cartes", name)], figures[(f"{args.cards} cartes", name)]
        print(f"{name:14}: {args.small:>5} cartes {small_ms:6.1f} ms   {args.cards:>5} cartes {big_ms:6.1f} ms   "
              f"ratio {big_ms / small_ms:4.2f} (target < 2)")


if __name__ == "__main__":
    main()
