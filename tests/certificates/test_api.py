"""The editors' API: tokens made in the portal (shown once, hashed, scoped), the OpenAPI document against
the real routes, refusals with revoked, expired, foreign-scoped tokens and a creator who left; then a renewal
over real HTTP against a live portal."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import requests
from sqlmodel import select

from app.models import ApiToken, Habilitation, IssuedCertificate, Structure
from app.models.base import utcnow
from tests.certificates.conftest import pem_csr


def make_token(browser, structures, families=("ORG",), days=90, name="Logiciel DPI") -> str:
    page = browser.post("/certificats/jetons", {"nom": name, "structures": [str(s.id) for s in structures],
                                                "familles": list(families), "jours": str(days)})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return re.search(r'<pre class="portal-pre portal-mono" id="jeton">(pst_[\w-]+)</pre>',
                     page.get_data(as_text=True)).group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_shown_once_stored_hashed_and_scoped(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    raw = make_token(browser, [pki_world["hospital"]])
    row = db.exec(select(ApiToken)).one()
    assert row.token_sha256 == hashlib.sha256(raw.encode()).hexdigest() and raw not in str(row.model_dump())
    assert raw not in browser.get("/certificats/jetons").get_data(as_text=True)
    refused = browser.post("/certificats/jetons", {"nom": "Ailleurs", "structures": [str(pki_world["other"].id)],
                                                   "familles": ["ORG"], "jours": "90"})
    assert refused.status_code == 403 and "que vous administrez" in refused.get_data(as_text=True)


def test_the_openapi_document_matches_the_routes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    routes = {(m, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule.removeprefix("/api/v1")))
              for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert documented == routes
    assert doc["openapi"].startswith("3.1") and doc["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"


def test_api_orders_lists_fetches_and_refuses(db, pki_world, as_admin, client, make_habilitation):
    browser = as_admin(pki_world["admin"])
    raw = make_token(browser, [pki_world["hospital"]])
    anonymous = client.application.test_client()
    assert anonymous.get("/api/v1/certificats").status_code == 401
    created = anonymous.post("/api/v1/certificats", json={"structure_id": pki_world["hospital"].id, "famille": "ORG",
                                                          "usage": "PSC", "nom_service": "Serveur PSC",
                                                          "courriel": "theo@chu.example", "csr": pem_csr()},
                             headers=bearer(raw))
    assert created.status_code == 201, created.get_json()
    first = created.get_json()["certificats"][0]
    assert first["nom"] == "Serveur PSC" and "BEGIN CERTIFICATE" in first["chaine_pem"]
    listed = anonymous.get("/api/v1/certificats", headers=bearer(raw)).get_json()["certificats"]
    assert [c["id"] for c in listed] == [first["id"]]
    bad = anonymous.post("/api/v1/certificats", json={"renouvellement_de": first["id"], "csr": "pas une CSR"},
                         headers=bearer(raw))
    assert bad.status_code == 422 and "ni en PEM ni en DER" in bad.get_json()["erreur"]
    foreign = anonymous.post("/api/v1/certificats", json={"structure_id": pki_world["other"].id, "famille": "ORG",
                                                          "usage": "PSC", "nom_service": "X", "csr": pem_csr()},
                             headers=bearer(raw))
    assert foreign.status_code == 403 and "périmètre du jeton" in foreign.get_json()["erreur"]
    serv = anonymous.post("/api/v1/certificats", json={"structure_id": pki_world["hospital"].id, "famille": "SERV",
                                                       "usage": "AUTRE", "noms_dns": ["a.chu.example"],
                                                       "csr": pem_csr()}, headers=bearer(raw))
    assert serv.status_code == 403  # the token covers ORG only, though its creator administers SERV too

    browser = as_admin(pki_world["foreign"])
    other_raw = make_token(browser, [pki_world["other"]], name="Voisin")
    assert anonymous.get(f"/api/v1/certificats/{first['id']}", headers=bearer(other_raw)).status_code == 403
    assert anonymous.get("/api/v1/certificats", headers=bearer(other_raw)).get_json()["certificats"] == []

    token = db.exec(select(ApiToken).where(ApiToken.name == "Logiciel DPI")).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.add(token)
    db.flush()
    expired = anonymous.get("/api/v1/certificats", headers=bearer(raw))
    assert expired.status_code == 401 and "expiré" in expired.get_json()["erreur"]
    token.expires_at = utcnow() + timedelta(days=1)
    db.add(token)
    db.flush()
    assert anonymous.get("/api/v1/certificats", headers=bearer(raw)).status_code == 200

    habilitation = db.exec(select(Habilitation).where(Habilitation.person_id == pki_world["admin"].id,
                                                      Habilitation.structure_id == pki_world["hospital"].id,
                                                      Habilitation.certificate_family == "ORG")).one()
    habilitation.ended_at = utcnow()  # the administrator left (F503): the token opens nothing any more
    db.add(habilitation)
    db.flush()
    assert anonymous.get(f"/api/v1/certificats/{first['id']}", headers=bearer(raw)).status_code == 403
    habilitation.ended_at = None
    db.add(habilitation)
    db.flush()

    browser = as_admin(pki_world["admin"])
    assert browser.post(f"/certificats/jetons/{token.id}/revoquer").status_code == 303
    revoked = anonymous.get("/api/v1/certificats", headers=bearer(raw))
    assert revoked.status_code == 401 and "révoqué" in revoked.get_json()["erreur"]
    assert revoked.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture(scope="module")
def api_portal(tmp_path_factory, fresh_database, app_config):
    """A live portal (gunicorn) on its own database: a technical administrator, a certificate and a token."""
    from app.models import Person
    from app.operations.api_tokens import create_token
    from app.operations.pki import issue_certificate
    from tests.live import pki_portal

    def prepare(db, hsm, base, work):
        structure = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        admin = db.exec(select(Person).where(Person.national_id == "581234567600017/TECH0009")).one()
        old = issue_certificate(db, hsm, requested_by=admin.national_id, structure=structure,
                                profile_code="ORG_AUTH_CLI", csr=pem_csr().encode(), service_name="Proxy DMP",
                                product="PSC", base_url=base, emails=["admin@chu.example"])
        _, raw = create_token(db, admin, name="Logiciel", structure_ids=[structure.id], families=["ORG"], days=30)
        return {"token": raw, "old": old.id}

    with pki_portal(tmp_path_factory, fresh_database, app_config, "api", prepare) as portal:
        yield portal


def test_an_editor_renews_a_certificate_over_http(api_portal):
    base, headers = api_portal["base"] + "/api/v1", bearer(api_portal["token"])
    listed = requests.get(f"{base}/certificats", headers=headers, timeout=10)
    assert listed.status_code == 200 and [c["id"] for c in listed.json()["certificats"]] == [api_portal["old"]]
    renewed = requests.post(f"{base}/certificats", json={"renouvellement_de": api_portal["old"], "csr": pem_csr()},
                            headers=headers, timeout=30)
    assert renewed.status_code == 201, renewed.text
    new = renewed.json()["certificats"][0]
    assert new["renouvelle"] == api_portal["old"] and new["nom"] == "Proxy DMP" and new["usage"] == "PSC"
    fetched = requests.get(f"{base}{new['lien'].removeprefix('/api/v1')}", headers=headers, timeout=10)
    assert fetched.status_code == 200 and fetched.json()["pem"] in fetched.json()["chaine_pem"]
    with api_portal["database"].session() as db:
        assert db.get(IssuedCertificate, api_portal["old"]).revoked_at is None
    assert requests.get(f"{base}/certificats", headers=bearer("pst_inconnu"), timeout=10).status_code == 401
