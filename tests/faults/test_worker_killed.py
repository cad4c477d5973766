"""Issue 19: a worker killed (SIGKILL) while it seals a deposit leaves nothing half-written — no reference taken,
no file without its sealed PDF — and the deposit made again afterwards gets the next number, with no gap."""

from __future__ import annotations

import subprocess
import threading
import time

import requests
import sqlalchemy as sa

from tests.conftest import free_port, wait_for
from tests.faults.test_two_nodes import DIRECTOR, _cookie
from tests.live import invariants, portal_env, seeded_database, start_portal, stop

NURSE = "899700000054"


def _draft(database_url: str, hsm) -> tuple[int, str]:
    from sqlmodel import select

    from app.db import Database
    from app.models import Person, Structure
    from app.operations import casefiles
    from app.operations.pki import init_pki

    database = Database(database_url)
    with database.writing() as db:
        init_pki(db, hsm, "http://localhost")
        director = db.exec(select(Person).where(Person.national_id == DIRECTOR)).one()
        nurse = db.exec(select(Person).where(Person.national_id == NURSE)).one()
        chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        filing = casefiles.open_draft(db, form="F413", structure_id=chu.id, filer_id=director.id, actor=DIRECTOR)
        for part, data in {
            "famille": {"famille": "ORG"},
            "administrateurs": [{"civilite": "MME", "nom": nurse.family_name, "prenom": nurse.given_name,
                                 "identifiant": nurse.national_id, "courriel": "admin@chu.example", "usage": "DMP",
                                 "editeur": "Éditeur", "solution": "DPI"}],
            "contact": {"courriel": "informatique@chu.example"}, "engagements": {"cgu": True, "pc": True},
        }.items():
            casefiles.save_part(db, filing, part, data)
        db.commit()
        found = filing.id, filing.idempotency_key
    database.engine.dispose()
    return found


def _state(database_url: str, filing_id: int) -> dict:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state, reference FROM filing WHERE id = :i"), {"i": filing_id}).one()
        documents = conn.execute(sa.text("SELECT count(*) FROM filing_document WHERE filing_id = :i"),
                                 {"i": filing_id}).scalar_one()
        counter = conn.execute(sa.text("SELECT coalesce(max(last), 0) FROM reference_counter WHERE form = 'F413'"))
        counter = counter.scalar_one()
    engine.dispose()
    return {"state": state[0], "reference": state[1], "documents": documents, "counter": counter}


def test_a_worker_killed_mid_seal_leaves_nothing_half_written(app_config, fresh_database, tmp_path, hsm):
    database_url = seeded_database(fresh_database, "killed")
    filing_id, key = _draft(database_url, hsm)
    port = free_port()
    portal = start_portal(portal_env(app_config, database_url=database_url, instance=tmp_path,
                                     base_url=f"http://127.0.0.1:{port}", WEB_CONCURRENCY="1"), port)
    try:
        browser = requests.Session()
        browser.cookies.set("portail_session", _cookie(app_config, database_url, DIRECTOR))
        page = browser.get(f"http://127.0.0.1:{port}/demarches/{filing_id}/recapitulatif", timeout=30).text
        browser.headers["X-CSRFToken"] = page.split('"X-CSRFToken": "')[1].split('"')[0]
        kills = 0
        for delay in (0.02, 0.08, 0.15, 0.3):
            if _state(database_url, filing_id)["state"] != "brouillon":
                break
            poster = threading.Thread(target=_post, args=(browser, port, filing_id, key))
            poster.start()
            time.sleep(delay)
            workers = subprocess.run(["pgrep", "-P", str(portal.pid)], capture_output=True, text=True).stdout.split()
            subprocess.run(["kill", "-9", *workers], check=False)
            kills += 1
            poster.join(60)
            wait_for(f"http://127.0.0.1:{port}/healthz", portal, timeout=60)  # the master spawned a new worker
            seen = _state(database_url, filing_id)
            if seen["state"] == "brouillon":  # killed before the commit: nothing of the deposit remains
                assert seen == {"state": "brouillon", "reference": None, "documents": 0, "counter": 0}, seen
            else:  # the commit won the race: the whole deposit is there
                assert seen["documents"] == 1 and seen["reference"].endswith("-000001") and seen["counter"] == 1
        assert kills
        if _state(database_url, filing_id)["state"] == "brouillon":
            assert _post(browser, port, filing_id, key) == 303
        final = _state(database_url, filing_id)
        assert final["state"] == "depose" and final["documents"] == 1 and final["counter"] == 1
        assert final["reference"].endswith("-000001")  # the number the killed attempts never took
        assert invariants(database_url) == []
    finally:
        stop(portal)


def _post(browser, port: int, filing_id: int, key: str) -> int:
    try:
        return browser.post(f"http://127.0.0.1:{port}/demarches/{filing_id}/deposer", data={"cle": key},
                            allow_redirects=False, timeout=60).status_code
    except requests.RequestException:
        return 0
