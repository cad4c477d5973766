"""Issue 16 §1: a SERV SSL certificate names only hosts inside the domains the structure declared (accepted
F413/F503, SERV family); names are never taken from the CSR; ORG certificates carry none. Pages and API."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from app.models import AuditEvent, Filing, IssuedCertificate, OutboxMessage, ServDomain
from tests.certificates.conftest import pem_csr
from tests.certificates.test_api import bearer, make_token
from tests.forms.test_walks import decide, deposit, fill, person_row, rows, start
from tests.pki.conftest import make_csr

COUNTED = (AuditEvent, Filing, IssuedCertificate, OutboxMessage)


def counts(db) -> dict:
    return {m.__name__: db.execute(sa.select(sa.func.count()).select_from(m)).scalar_one() for m in COUNTED}


def csr_naming(*names: str) -> str:
    return make_csr(ec.generate_private_key(ec.SECP256R1()), dns=names)[0].decode()


def serv(browser, structure, **fields):
    return browser.post("/certificats/demande", {"famille": "SERV", "structure": str(structure.id), "usage": "AUTRE",
                                                 "email": "theo@chu.example"} | fields)


def test_empty_dns_field_with_a_csr_naming_other_domains_is_refused(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    before = counts(db)
    response = serv(browser, pki_world["hospital"], dns_names="",
                    csr_SERV_SSL=csr_naming("esante.gouv.fr", "www.ameli.fr"))
    assert response.status_code == 422
    assert "au moins un nom DNS" in response.get_data(as_text=True)
    assert counts(db) == before


def test_a_typed_name_outside_the_declared_domains_is_refused_by_name(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    page = browser.get(f"/certificats/demande?famille=SERV&structure={pki_world['hospital'].id}&usage=AUTRE")
    assert "chu.example" in page.get_data(as_text=True)  # the declared domains are shown where the names are typed
    before = counts(db)
    response = serv(browser, pki_world["hospital"], dns_names="portail.chu.example esante.gouv.fr",
                    csr_SERV_SSL=pem_csr())
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "« esante.gouv.fr » n’est dans aucun domaine déclaré" in html
    assert counts(db) == before
    good = serv(browser, pki_world["hospital"], dns_names="portail.chu.example", csr_SERV_SSL=csr_naming("x.fr"))
    assert good.status_code == 303
    cert = db.exec(select(IssuedCertificate).where(IssuedCertificate.profile == "SERV_SSL")).one()
    san = x509.load_der_x509_certificate(cert.der).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == ["portail.chu.example"]


def test_the_api_refuses_undeclared_names_and_org_names(db, pki_world, as_admin, client):
    browser = as_admin(pki_world["admin"])
    raw = make_token(browser, [pki_world["hospital"]], families=("ORG", "SERV"))
    api = client.application.test_client()
    before = counts(db)
    outside = api.post("/api/v1/certificats", json={"structure_id": pki_world["hospital"].id, "famille": "SERV",
                                                    "usage": "AUTRE", "noms_dns": ["www.ameli.fr"],
                                                    "courriel": "theo@chu.example", "csr": pem_csr()},
                       headers=bearer(raw))
    assert outside.status_code == 422 and outside.get_json()["champ"] == "dns_names"
    assert "www.ameli.fr" in outside.get_json()["erreur"]
    org = api.post("/api/v1/certificats", json={"structure_id": pki_world["hospital"].id, "famille": "ORG",
                                                "usage": "PSC", "nom_service": "Serveur PSC",
                                                "noms_dns": ["psc.chu.example"], "courriel": "theo@chu.example",
                                                "csr": pem_csr()}, headers=bearer(raw))
    assert org.status_code == 422 and "ORG ne porte aucun nom DNS" in org.get_json()["erreur"]
    assert counts(db) == before
    ok = api.post("/api/v1/certificats", json={"structure_id": pki_world["hospital"].id, "famille": "SERV",
                                               "usage": "AUTRE", "noms_dns": ["api.chu.example"],
                                               "courriel": "theo@chu.example", "csr": csr_naming("esante.gouv.fr")},
                  headers=bearer(raw))
    assert ok.status_code == 201 and ok.get_json()["certificats"][0]["noms_dns"] == ["api.chu.example"]


def test_a_serv_f413_declares_its_domains_and_the_operator_sees_them(db, world, as_person):
    browser = as_person(world["mandataire"])
    filing_id = start(browser, "F413", world["hospital"])
    refused = fill(browser, filing_id, "famille", {"famille": "SERV", "domaines": "*.chu.fr"}, expect=422)
    assert "Nom DNS invalide" in refused.get_data(as_text=True)
    fill(browser, filing_id, "famille", {"famille": "SERV", "domaines": ""})
    fill(browser, filing_id, "administrateurs",
         rows([person_row(world["admin"], usage="Portail", editeur="Éditeur", solution="Web")]))
    fill(browser, filing_id, "contact", {"courriel": "informatique@chu.example"})
    fill(browser, filing_id, "engagements", {"cgu": "1", "pc": "1"})
    summary = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert "Déclarez les domaines DNS des serveurs" in summary  # SERV without a domain cannot be deposited
    fill(browser, filing_id, "famille", {"famille": "SERV", "domaines": "CHU-Essai.example, portail.chu-essai.fr"})
    deposit(browser, db, filing_id)
    operator = as_person(world["operator"])
    assert "chu-essai.example portail.chu-essai.fr" in operator.get(f"/instruction/{filing_id}").get_data(True)
    assert db.exec(select(ServDomain).where(ServDomain.structure_id == world["hospital"].id)).all() == []
    decide(as_person, world, filing_id)
    names = set(db.exec(select(ServDomain.name).where(ServDomain.structure_id == world["hospital"].id)).all())
    assert names == {"chu-essai.example", "portail.chu-essai.fr"}


def test_an_f503_adds_domains_only_with_a_serv_administrator(db, world, as_person):
    browser = as_person(world["director"])
    filing_id = start(browser, "F503", world["hospital"])
    fill(browser, filing_id, "administrateurs",
         rows([person_row(world["admin"], action="ajouter", famille="ORG", domaines="chu-essai.example")]))
    summary = browser.get(f"/demarches/{filing_id}/recapitulatif").get_data(as_text=True)
    assert "seulement en ajoutant un administrateur de la famille SERV" in summary
    fill(browser, filing_id, "administrateurs",
         rows([person_row(world["admin"], action="ajouter", famille="SERV", domaines="chu-essai.example")]))
    deposit(browser, db, filing_id)
    decide(as_person, world, filing_id)
    assert db.exec(select(ServDomain.name).where(ServDomain.structure_id == world["hospital"].id)).all() == [
        "chu-essai.example"]
