"""Backup and restore benchmark (issue 28.5): a portal with 10,000 deposited filings, each with its sealed PDF
(one real seal, its bytes stored 10,000 times: the size of a real year's worth of deposits), backed up with the
same code as ``flask backup`` and restored into a new database and token directory as ``flask restore`` does.

Run: .venv/bin/python bench/backup.py [--filings 10000]
     BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/backup.py
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)
DIRECTOR = "3440000016/DIR0001"


def main() -> None:
    from bench.databases import throwaway_database

    parser = argparse.ArgumentParser()
    parser.add_argument("--filings", type=int, default=10000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    (work / "a").mkdir()
    (work / "b").mkdir()
    with throwaway_database(work / "a") as source, throwaway_database(work / "b") as target:
        run(work, source, target, args.filings)


def _world(work: Path, url: str, count: int):
    from sqlmodel import select

    from app.config import default_pkcs11_module
    from app.db import Database
    from app.migrate import upgrade
    from app.models import Filing, FilingDocument, Person, Structure
    from app.models.base import utcnow
    from app.operations import casefiles
    from app.operations.forms import workflow
    from app.operations.pki import init_pki
    from app.signing import softhsm
    from app.signing.hsm import Hsm
    from seeds.loader import load
    from tests.faults.test_half_done import HOLDERS

    conf, pins = work / "hsm" / "softhsm2.conf", work / "hsm" / "pins.json"
    softhsm.init_token(conf, work / "hsm" / "tokens", "bench-sauvegarde", pins)
    os.environ["SOFTHSM2_CONF"] = str(conf)
    import json

    pin = json.loads(pins.read_text())["user_pin"]
    hsm = Hsm(default_pkcs11_module(), "bench-sauvegarde", pin)
    upgrade(url)
    database = Database(url)
    with database.session() as db:
        load(db)
        init_pki(db, hsm, "https://portail.example")
        director = db.exec(select(Person).where(Person.national_id == DIRECTOR)).one()
        chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        filing = casefiles.open_draft(db, form="F301", structure_id=chu.id, filer_id=director.id, actor=DIRECTOR)
        for part, data in {"titulaires": HOLDERS, "contact": {"courriel": "direction@chu.example"},
                           "livraison": {"destinataire": "Accueil", "adresse": "1 rue de la Santé",
                                         "code_postal": "44000", "ville": "Nantes"}}.items():
            casefiles.save_part(db, filing, part, data)
        casefiles.deposit(db, filing, workflow(hsm), actor=DIRECTOR, auth_method="cps-tls",
                          idempotency_key=filing.idempotency_key)
        db.commit()
        pdf = db.exec(select(FilingDocument.pdf).where(FilingDocument.filing_id == filing.id)).one()
        now = utcnow()
        for start in range(1, count, 1000):
            batch = [Filing(form="F301", structure_id=chu.id, filer_id=director.id, state="depose",
                            reference=f"F301-2026-{i + 1:06d}X", payload=filing.payload,
                            idempotency_key=uuid.uuid4().hex, deposited_at=now) for i in range(start, min(start + 1000,
                                                                                                         count))]
            db.add_all(batch)
            db.flush()
            db.add_all([FilingDocument(filing_id=f.id, version=1, pdf=pdf, sha256="") for f in batch])
            db.commit()
    database.engine.dispose()
    return conf, hsm, len(pdf)


def run(work: Path, source: str, target: str, count: int) -> None:
    from app.db import Database
    from app.migrate import upgrade
    from app.operations.backup import Token, backup, required_keys, restore

    started = time.perf_counter()
    conf, hsm, pdf_size = _world(work, source, count)
    print(f"{count} dossiers déposés, PDF scellé de {pdf_size / 1024:.0f} kio chacun "
          f"({time.perf_counter() - started:.0f} s de préparation), base {source.split(':', 1)[0]}")
    archive = work / "portail.tar"
    started = time.perf_counter()
    manifest = backup(source, Token(conf, "bench-sauvegarde"), hsm.labels, archive)
    took = time.perf_counter() - started
    print(f"sauvegarde : {took:.1f} s, archive {archive.stat().st_size / 2**20:.1f} Mio "
          f"({manifest['filings']} dossiers, {len(manifest['keys'])} clés)")
    restored_conf = work / "restored" / "hsm" / "softhsm2.conf"
    started = time.perf_counter()
    restore(archive, target, Token(restored_conf, "bench-sauvegarde"))
    upgrade(target)
    database = Database(target)
    with database.session() as db:
        needed = required_keys(db)
    database.engine.dispose()
    print(f"restauration : {time.perf_counter() - started:.1f} s (base, jeton, migration), "
          f"{len(needed)} clés attendues par les lignes")


if __name__ == "__main__":
    main()
