"""Ordering certificates through the pages: products, INSi and SERV rules, the structure rule, every CSR
problem with its French message and nothing stored, the DMP pair in one transaction or none."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlmodel import select

from app.models import AuditEvent, Filing, IssuedCertificate, OutboxMessage
from app.operations.pki import certificate_status
from tests.certificates.conftest import pem_csr

COUNTED = (AuditEvent, Filing, IssuedCertificate, OutboxMessage)


def counts(db) -> dict:
    return {m.__name__: db.execute(sa.select(sa.func.count()).select_from(m)).scalar_one() for m in COUNTED}


def ask(browser, structure, family, usage, **fields):
    data = {"famille": family, "structure": str(structure.id), "usage": usage, "email": "theo@chu.example"} | fields
    return browser.post("/certificats/demande", data)


def test_the_stepper_walks_family_structure_usage_then_details(pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    first = browser.get("/certificats/demande").get_data(as_text=True)
    assert "Étape 1 sur 4" in first and 'value="ORG"' in first and 'value="SERV"' in first
    second = browser.get("/certificats/demande?famille=ORG").get_data(as_text=True)
    assert "CHU d’essai" in second and "Groupe clinique" in second and "CH voisin" not in second
    third = browser.get(f"/certificats/demande?famille=ORG&structure={pki_world['hospital'].id}").get_data(True)
    assert "Alimentation du DMP" in third and "Téléservice INSi" in third
    fourth = browser.get(f"/certificats/demande?famille=ORG&structure={pki_world['hospital'].id}&usage=DMP")
    html = fourth.get_data(as_text=True)
    assert "2 certificats sont nécessaires" in html and "csr_ORG_SIGN" in html and "openssl req -new" in html
    assert "/OU=1" + pki_world["hospital"].finess in html  # the assisted command carries the subject


def test_a_dmp_order_issues_the_pair_in_one_transaction(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    response = ask(browser, pki_world["hospital"], "ORG", "DMP", service_name="Proxy DMP CHU",
                   csr_ORG_AUTH_CLI=pem_csr(), csr_ORG_SIGN=pem_csr())
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    filing = db.exec(select(Filing).where(Filing.form == "CERT")).one()
    assert filing.state == "accepte" and re.fullmatch(r"CERT-\d{4}-\d{6}", filing.reference)
    issued = db.exec(select(IssuedCertificate).where(IssuedCertificate.filing_id == filing.id)).all()
    assert sorted(c.profile for c in issued) == ["ORG_AUTH_CLI", "ORG_SIGN"]
    assert {c.usage for c in issued} == {"DMP"} and {c.common_name for c in issued} == {"Proxy DMP CHU"}


def test_a_dmp_pair_whose_second_key_is_reused_issues_nothing(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    key = ec.generate_private_key(ec.SECP256R1())
    before = counts(db)
    response = ask(browser, pki_world["hospital"], "ORG", "DMP", service_name="Proxy DMP CHU",
                   csr_ORG_AUTH_CLI=pem_csr(key), csr_ORG_SIGN=pem_csr(key))
    assert response.status_code == 422
    assert "ORG_SIGN" in response.get_data(as_text=True) and "clé" in response.get_data(as_text=True)
    assert counts(db) == before


def weak_rsa() -> str:
    return pem_csr(rsa.generate_private_key(public_exponent=65537, key_size=1024))


@pytest.mark.parametrize("case, family, usage, structure_key, fields, message", [
    ("INSi name", "ORG", "INSI", "hospital", {"insi_name": "INSI-TEST"}, "INSI-AUTO ou INSI-MANU"),
    ("SERV without DNS", "SERV", "AUTRE", "hospital", {}, "au moins un nom DNS"),
    ("SERV bad DNS", "SERV", "AUTRE", "hospital", {"dns_names": "*.chu.fr"}, "Nom DNS invalide"),
    ("public site: no new certificate", "ORG", "PSC", "site", {"service_name": "PSC site"}, "plus commandé"),
    ("private EJ without attestation", "ORG", "DMP", "private_ej", {"service_name": "DPI"}, "Cochez l’attestation"),
    ("missing address", "ORG", "PSC", "hospital", {"service_name": "PSC", "email": ""},
     "Votre adresse électronique est obligatoire"),
    ("garbage CSR", "ORG", "PSC", "hospital", {"service_name": "PSC", "csr": "bonjour"}, "ni en PEM ni en DER"),
    ("weak key", "ORG", "PSC", "hospital", {"service_name": "PSC", "csr": "weak"}, "2048 bits au minimum"),
    ("no CSR", "ORG", "PSC", "hospital", {"service_name": "PSC", "csr": ""}, "Déposez une demande"),
])
def test_refused_requests_say_why_and_store_nothing(db, pki_world, as_admin, case, family, usage, structure_key,
                                                     fields, message):
    from app.domain.products import PRODUCTS

    browser = as_admin(pki_world["admin"])
    fields = dict(fields)
    csr = fields.pop("csr", None)
    csr = weak_rsa() if csr == "weak" else csr
    for profile in PRODUCTS[(family, usage)].profiles:
        fields[f"csr_{profile}"] = pem_csr() if csr is None else csr
    before = counts(db)
    response = ask(browser, pki_world[structure_key], family, usage, **fields)
    assert response.status_code == 422, (case, response.status_code)
    assert message in response.get_data(as_text=True), case
    assert counts(db) == before


def test_insi_certificate_is_named_as_chosen(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    assert ask(browser, pki_world["hospital"], "ORG", "INSI", insi_name="INSI-MANU",
               csr_ORG_AUTH_CLI=pem_csr()).status_code == 303
    issued = db.exec(select(IssuedCertificate).where(IssuedCertificate.usage == "INSI")).one()
    assert issued.common_name == "INSI-MANU"


def test_private_ej_with_attestation_and_serv_with_dns(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    assert ask(browser, pki_world["private_ej"], "ORG", "DMP", service_name="DPI clinique", attestation="1",
               csr_ORG_AUTH_CLI=pem_csr(), csr_ORG_SIGN=pem_csr()).status_code == 303
    assert ask(browser, pki_world["hospital"], "SERV", "AUTRE", dns_names="portail.chu.example www.chu.example",
               csr_SERV_SSL=pem_csr()).status_code == 303
    serv = db.exec(select(IssuedCertificate).where(IssuedCertificate.profile == "SERV_SSL")).one()
    assert serv.common_name == "portail.chu.example" and serv.dns_names == ["portail.chu.example", "www.chu.example"]


def test_csr_check_answers_at_once(pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    good = browser.post("/certificats/demande/verifier-csr", {"_champ": "csr_ORG_AUTH_CLI",
                                                              "csr_ORG_AUTH_CLI": pem_csr()},
                        headers={"HX-Request": "true"})
    assert good.status_code == 200 and "ECDSA P-256" in good.get_data(as_text=True)
    bad = browser.post("/certificats/demande/verifier-csr", {"_champ": "csr_ORG_AUTH_CLI",
                                                             "csr_ORG_AUTH_CLI": weak_rsa()},
                       headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "2048 bits" in bad.get_data(as_text=True)


def test_each_detail_is_checked_as_it_is_left_and_all_at_once_on_submit(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    pasted = browser.post("/certificats/demande/champ", {"_step": "details", "_name": "csr_ORG_AUTH_CLI",
                                                         "csr_ORG_AUTH_CLI": weak_rsa()},
                          headers={"HX-Request": "true"})
    assert pasted.status_code == 422 and "2048 bits" in pasted.get_data(as_text=True)
    assert 'id="groupe-csr_ORG_AUTH_CLI"' in pasted.get_data(as_text=True)
    email = browser.post("/certificats/demande/champ", {"_step": "details", "_name": "email", "email": "theo@chu.fr"})
    assert email.status_code == 200 and 'value="theo@chu.fr"' in email.get_data(as_text=True)
    assert browser.post("/certificats/demande/champ", {"_step": "details", "_name": "famille"}).status_code == 400
    before = counts(db)
    refused = ask(browser, pki_world["hospital"], "ORG", "PSC", service_name="", email="", copy_email="pas-une-adresse",
                  csr_ORG_AUTH_CLI=pem_csr())
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and html.count('class="fr-error-text"') == 3  # three fields, one answer
    assert {"champ-service_name", "champ-email", "champ-copy_email"} <= set(
        re.findall(r'href="#([^"]+)"', html))
    assert 'value="pas-une-adresse"' in html and counts(db) == before


def test_renewal_needs_a_new_key_and_keeps_the_old_certificate(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    key = ec.generate_private_key(ec.SECP256R1())
    assert ask(browser, pki_world["hospital"], "ORG", "PSC", service_name="Serveur PSC",
               csr_ORG_AUTH_CLI=pem_csr(key)).status_code == 303
    old = db.exec(select(IssuedCertificate).where(IssuedCertificate.usage == "PSC")).one()
    page = browser.get(f"/certificats/demande?renouvellement={old.id}").get_data(as_text=True)
    assert "Renouveler Serveur PSC" in page and 'value="Serveur PSC"' in page and "Étape 4 sur 4" in page
    reused = browser.post("/certificats/demande", {"renouvellement": str(old.id), "service_name": "Serveur PSC",
                                                   "email": "theo@chu.example", "csr_ORG_AUTH_CLI": pem_csr(key)})
    assert reused.status_code == 422 and "clé" in reused.get_data(as_text=True)
    renewed = browser.post("/certificats/demande", {"renouvellement": str(old.id), "service_name": "Serveur PSC",
                                                    "email": "theo@chu.example", "csr_ORG_AUTH_CLI": pem_csr()})
    assert renewed.status_code == 303
    new = db.exec(select(IssuedCertificate).where(IssuedCertificate.renewed_from_id == old.id)).one()
    assert new.common_name == old.common_name and new.usage == "PSC"
    db.refresh(old)
    assert old.revoked_at is None
    assert certificate_status(db, old.authority_id, int(old.serial_hex, 16)).status == "good"


def test_contacts_come_from_the_f413_that_habilitated_the_administrator(db, pki_world, as_admin):
    from app.models import Filing as F

    db.add(F(form="F413", structure_id=pki_world["hospital"].id, filer_id=pki_world["admin"].id, state="accepte",
             reference="F413-2026-999999", idempotency_key="k-f413", payload={
                 "administrateurs": [{"identifiant": pki_world["admin"].national_id,
                                      "courriel": "theo.pro@chu.example"}],
                 "contact": {"courriel": "informatique@chu.example"}}))
    db.flush()
    page = as_admin(pki_world["admin"]).get(f"/certificats/demande?famille=ORG&structure={pki_world['hospital'].id}"
                                            "&usage=PSC").get_data(as_text=True)
    assert 'value="theo.pro@chu.example"' in page and 'value="informatique@chu.example"' in page
    assert 'data-copie="commande-csr_ORG_AUTH_CLI"' in page


def test_revoking_one_of_the_dmp_pair_offers_and_revokes_the_other(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    assert ask(browser, pki_world["hospital"], "ORG", "DMP", service_name="DPI Nord", attestation="1",
               csr_ORG_AUTH_CLI=pem_csr(), csr_ORG_SIGN=pem_csr()).status_code == 303
    auth, sign = db.exec(select(IssuedCertificate).where(IssuedCertificate.common_name == "DPI Nord")
                         .order_by(IssuedCertificate.id)).all()
    page = browser.get(f"/certificats/{auth.id}").get_data(as_text=True)
    assert f'name="avec" value="{sign.id}" checked' in page and "Révoquer aussi" in page
    done = browser.post(f"/certificats/{auth.id}/revoquer", {"motif": "cessation_of_operation", "confirmation": "1",
                                                             "avec": str(sign.id)}, follow_redirects=True)
    assert "Révoqués" in done.get_data(as_text=True)
    for certificate in (auth, sign):
        db.refresh(certificate)
        assert certificate.revoked_at is not None and certificate.revocation_reason == "cessation_of_operation"
    revoked = browser.get(f"/certificats/{auth.id}").get_data(as_text=True)
    assert "Installer le certificat" not in revoked and "Motif" in revoked and "Révoquer aussi" not in revoked
