"""Issue 27 (1): the HSM goes away under two live portal nodes (one database, one token) while the request that
fails is also the one that refreshes the login session (once a minute). The F301 deposit, the editors' API order
and the PUI's transmission of a conforming AAC request each answer 503 and leave nothing of their work: no
reference, no state moved, no order; the session's refresh alone is recorded. The invariants hold afterwards, and
the same deposit goes through once the token is back."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import free_port
from tests.faults.test_two_nodes import DIRECTOR, _cookie
from tests.live import invariants, portal_env, seeded_database, start_portal, stop

PRESCRIBER, PHARMACIST, TECHNICIAN = "899700000013", "899700000039", "581234567600017/TECH0009"
HOLDERS = [{"civilite": "MME", "nom": "AGENT", "prenom": "Zoé", "identifiant": "", "courriel": "zoe@chu.example",
            "date_naissance": "1990-01-02", "lieu_naissance": "Nantes", "fonction": "Secrétaire",
            "justification": "Accès au DPI"}]


def _world(db, hsm, base: str) -> dict:
    from sqlmodel import select

    from app.models import Person, ReferentialMedicine, Structure
    from app.models.base import utcnow
    from app.operations import aac, api_tokens, casefiles
    from app.operations.pki import init_pki

    init_pki(db, hsm, base)
    people = {p.national_id: p for p in db.exec(select(Person).where(
        Person.national_id.in_((DIRECTOR, PRESCRIBER, PHARMACIST, TECHNICIAN))))}
    chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
    north = db.exec(select(Structure).where(Structure.finess == "440000024")).one()
    f301 = casefiles.open_draft(db, form="F301", structure_id=chu.id, filer_id=people[DIRECTOR].id, actor=DIRECTOR)
    for part, data in {"titulaires": HOLDERS, "contact": {"courriel": "direction@chu.example"},
                       "livraison": {"destinataire": "Accueil", "adresse": "1 rue de la Santé", "code_postal": "44000",
                                     "ville": "Nantes"}}.items():
        casefiles.save_part(db, f301, part, data)
    product = db.exec(select(ReferentialMedicine).where(ReferentialMedicine.code == "AAC-0001")).one()
    request = aac.open_request(db, prescriber_id=people[PRESCRIBER].id, actor=PRESCRIBER, code=product.code)
    criteria = product.indications[0]["criteria"]
    for step, data in {
        "patient": {"cadre": "aac", "initiale_nom": "D", "initiale_prenom": "M", "sexe": "F", "mois_naissance": "3",
                    "annee_naissance": "1958", "poids": "64"},
        "medicament": {"code": product.code, "indication": "I1"},
        "prescription": {"posologie": "50 mg par jour", "duree": "90", "criteres": list(criteria),
                         "justification": "", "differable": "non"},
        "engagement": {"fonction": "Praticien hospitalier", "information": "1",
                       "pharmacien": f"{people[PHARMACIST].id}:{north.id}"},
    }.items():
        aac.save_step(db, request, step, data)
    aac.submit(db, request, actor=PRESCRIBER, auth_method="cps-tls", activity_ids={north.id}, today=utcnow().date(),
               link="")
    _token, raw = api_tokens.create_token(db, people[TECHNICIAN], name="DPI", structure_ids=[chu.id],
                                          families=["ORG"], days=30)
    return {"f301": f301.id, "f301_key": f301.idempotency_key, "aac": request.id, "api": raw, "chu": chu.id}


def _private_token(hsm_env, work) -> str:
    """A copy of the session's token (with the PKI just made) for the portal alone: moving it away fails only
    that portal's signatures."""
    from app.signing.softhsm import write_config

    shutil.copytree(hsm_env["root"] / "tokens", work / "tokens")
    conf = work / "softhsm2.conf"
    write_config(conf, work / "tokens")
    return str(conf)


def _csrf(browser: requests.Session, url: str) -> None:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    browser.headers["X-CSRFToken"] = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)


def _stored(engine, world: dict) -> dict:
    with engine.connect() as conn:
        one = conn.execute(sa.text("SELECT state, reference FROM filing WHERE id = :i"), {"i": world["f301"]}).one()
        request = conn.execute(sa.text("SELECT state FROM filing WHERE id = :i"), {"i": world["aac"]}).scalar_one()
        return {
            "f301": tuple(one), "aac": request,
            "documents": conn.execute(sa.text("SELECT count(*) FROM filing_document")).scalar_one(),
            "orders": conn.execute(sa.text("SELECT count(*) FROM filing WHERE form = 'CERT'")).scalar_one(),
            "certificates": conn.execute(sa.text("SELECT count(*) FROM issued_certificate WHERE filing_id IS NOT NULL"))
            .scalar_one(),
            "card_orders": conn.execute(sa.text("SELECT count(*) FROM card_order")).scalar_one(),
        }


@pytest.mark.hsm
def test_a_503_during_the_session_refresh_keeps_nothing_of_the_request(app_config, hsm_env, fresh_database,
                                                                        tmp_path, hsm):
    from app.db import Database
    from app.models import ApiToken, LoginSession
    from app.models.base import aware, utcnow

    database_url = seeded_database(fresh_database, "half_done")
    port, other_port = free_port(), free_port()
    base, other = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{other_port}"
    database = Database(database_url)
    with database.writing() as db:
        world = _world(db, hsm, base)
        db.commit()
    database.engine.dispose()
    conf = _private_token(hsm_env, tmp_path)
    nodes = [start_portal(portal_env(app_config, database_url=database_url, instance=tmp_path / f"node{n}",
                                     base_url=base, WEB_CONCURRENCY="1", SOFTHSM2_CONF=conf), node_port)
             for n, node_port in enumerate((port, other_port))]
    engine = sa.create_engine(database_url)
    try:
        director, pharmacist = requests.Session(), requests.Session()
        director.cookies.set("portail_session", _cookie(app_config, database_url, DIRECTOR))
        pharmacist.cookies.set("portail_session", _cookie(app_config, database_url, PHARMACIST))
        _csrf(director, f"{base}/demarches/{world['f301']}/recapitulatif")
        _csrf(pharmacist, f"{other}/acces-compassionnel/{world['aac']}")
        before = _stored(engine, world)
        assert before["f301"] == ("brouillon", None) and before["aac"] == "a_valider_pui"
        stale = utcnow() - timedelta(minutes=2)
        with engine.begin() as conn:  # a minute and more since each session's last page: this request refreshes it
            conn.execute(sa.update(LoginSession.__table__).values(last_seen_at=stale))

        shutil.move(tmp_path / "tokens", tmp_path / "ailleurs")
        from tests.certificates.conftest import pem_csr

        ordered = requests.post(f"{base}/api/v1/certificats", timeout=60, headers={
            "Authorization": f"Bearer {world['api']}"}, json={
            "structure_id": world["chu"], "famille": "ORG", "usage": "PSC", "nom_service": "Serveur PSC",
            "courriel": "dsi@chu.example", "csr": pem_csr()})
        deposit = director.post(f"{base}/demarches/{world['f301']}/deposer", data={"cle": world["f301_key"]},
                                allow_redirects=False, timeout=60)
        transmitted = pharmacist.post(f"{other}/acces-compassionnel/{world['aac']}/pui/transmettre",
                                      allow_redirects=False, timeout=60)
        assert (deposit.status_code, transmitted.status_code, ordered.status_code) == (503, 503, 503), \
            (deposit.text[:300], transmitted.text[:300], ordered.text[:300])
        assert _stored(engine, world) == before  # nothing of the three requests' work
        assert invariants(database_url) == []
        with engine.connect() as conn:  # the request's own bookkeeping is recorded all the same
            touched = conn.execute(sa.select(LoginSession.last_seen_at)).scalars().all()
            used = conn.execute(sa.select(ApiToken.last_used_at)).scalar_one()
        assert len(touched) == 2 and all(aware(t) > stale for t in touched) and used is not None

        shutil.move(tmp_path / "ailleurs", tmp_path / "tokens")
        again = director.post(f"{base}/demarches/{world['f301']}/deposer", data={"cle": world["f301_key"]},
                              allow_redirects=False, timeout=60)
        assert again.status_code == 303, again.text[:500]
        after = _stored(engine, world)
        assert after["f301"][0] == "depose" and after["f301"][1].endswith("-000001")
        assert after["documents"] == before["documents"] + 1
        assert invariants(database_url) == []
    finally:
        stop(*nodes)
        engine.dispose()
