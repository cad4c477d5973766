"""Own and foreign: an administrator of structure A sees, requests, downloads, renews and revokes only A's
certificates; every certificate route × role. Downloads checked by openssl; revocation reaches OCSP at once."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7

from app.operations.pki import certificate_status
from tests.certificates.conftest import pem_csr
from tests.matrix import wrong_answers

ROLES = ["anonymous", "admin", "foreign", "plain"]
OWN = {"anonymous": 303, "admin": 200, "foreign": 403, "plain": 403}
ROUTES = {  # (method, rule) -> expected status by role; the certificate and order are the admin's (structure A)
    ("GET", "/certificats/"): {"anonymous": 303, "admin": 200, "foreign": 200, "plain": 200},
    ("GET", "/certificats/demande"): {"anonymous": 303, "admin": 200, "foreign": 200, "plain": 403},
    ("POST", "/certificats/demande"): {"anonymous": 400, "admin": 303, "foreign": 403, "plain": 403},
    ("POST", "/certificats/demande/verifier-csr"): {"anonymous": 400, "admin": 200, "foreign": 200, "plain": 403},
    ("POST", "/certificats/demande/champ"): {"anonymous": 400, "admin": 200, "foreign": 200, "plain": 403},
    ("GET", "/certificats/<int:certificate_id>"): OWN,
    ("GET", "/certificats/<int:certificate_id>/<name>"): OWN,
    ("POST", "/certificats/<int:certificate_id>/revoquer"): {**OWN, "anonymous": 400, "admin": 303},
    ("GET", "/certificats/commandes/<int:filing_id>"): OWN,  # an order is its filer's (can(): 403 for others)
    ("GET", "/certificats/jetons"): {"anonymous": 303, "admin": 200, "foreign": 200, "plain": 403},
    ("POST", "/certificats/jetons"): {"anonymous": 400, "admin": 200, "foreign": 403, "plain": 403},
    ("POST", "/certificats/jetons/<int:token_id>/revoquer"): {"anonymous": 400, "admin": 303, "foreign": 403,
                                                              "plain": 403},
    ("GET", "/certificats/domaines"): {"anonymous": 303, "admin": 200, "foreign": 200, "plain": 403},
    ("POST", "/certificats/domaines"): {"anonymous": 400, "admin": 303, "foreign": 422, "plain": 403},
    ("POST", "/certificats/domaines/<int:control_id>/verifier"): {"anonymous": 400, "admin": 303, "foreign": 404,
                                                                  "plain": 403},
    ("GET", "/certificats/domaines/<int:control_id>"): {"anonymous": 303, "admin": 200, "foreign": 404,
                                                        "plain": 403},
    ("GET", "/certificats/acme"): {"anonymous": 303, "admin": 200, "foreign": 200, "plain": 403},
    ("POST", "/certificats/acme"): {"anonymous": 400, "admin": 200, "foreign": 403, "plain": 403},
    ("POST", "/certificats/acme/<int:credential_id>/revoquer"): {"anonymous": 400, "admin": 303, "foreign": 403,
                                                                 "plain": 403},
}


@pytest.fixture()
def scene(db, hsm, pki_world, make_person, make_certificate):
    own = make_certificate(pki_world["admin"], pki_world["hospital"])
    foreign = make_certificate(pki_world["foreign"], pki_world["other"], service_name="Serveur voisin")
    plain = make_person(family_name="SANSROLE")
    from app.operations.api_tokens import create_token

    token, _ = create_token(db, pki_world["admin"], name="Logiciel", structure_ids=[pki_world["hospital"].id],
                            families=["ORG"], days=30)
    people = {"admin": pki_world["admin"], "foreign": pki_world["foreign"], "plain": plain}
    from app.models import DomainControl
    from app.models.base import utcnow

    control = DomainControl(structure_id=pki_world["hospital"].id, name="chu.example", method="dns-01", token="t",
                            requested_by="test", validated_at=utcnow(), validated_by="test")
    db.add(control)
    db.flush()
    from app.operations import eab

    credential, _ = eab.create(db, hsm, pki_world["admin"], name="certbot", structure_ids=[pki_world["hospital"].id],
                               days=30)
    return {"token": token.id, "own": own, "foreign": foreign, "people": people, "control": control.id,
            "credential": credential.id}


@pytest.mark.parametrize("role", ROLES)
def test_certificate_routes(app, db, pki_world, scene, as_admin, role):
    own = scene["own"]

    def url_of(method, rule):
        return (rule.replace("<int:certificate_id>", str(own.id)).replace("<name>", "chaine.pem")
                .replace("<int:filing_id>", str(own.filing_id)).replace("<int:token_id>", str(scene["token"]))
                .replace("<int:control_id>", str(scene["control"]))
                .replace("<int:credential_id>", str(scene["credential"])))

    def data_of(method, rule):
        return {"famille": "ORG", "structure": str(pki_world["hospital"].id), "usage": "PSC",
                "service_name": "Autre serveur", "email": "x@chu.example", "csr_ORG_AUTH_CLI": pem_csr(),
                "_champ": "csr_ORG_AUTH_CLI", "_step": "details", "_name": "email",
                "motif": "cessation_of_operation", "confirmation": "1",
                "nom": "Logiciel", "structures": str(pki_world["hospital"].id), "familles": "ORG", "jours": "90",
                "domaine": "essai.chu.example", "methode": "dns-01"} | (
                    {"structures": str(pki_world["hospital"].id), "jours": "30"} if "/acme" in rule else {})

    browser = as_admin(scene["people"][role]) if role != "anonymous" else None
    assert not wrong_answers(app, browser, ROUTES, role, url_of=url_of, data_of=data_of)


def test_the_list_shows_only_what_the_user_administers(pki_world, scene, as_admin):
    page = as_admin(pki_world["admin"]).get("/certificats/").get_data(as_text=True)
    assert "Serveur PSC" in page and "Serveur voisin" not in page
    assert as_admin(pki_world["admin"]).get(f"/certificats/{scene['foreign'].id}/chaine.pem").status_code == 403
    filtered = as_admin(pki_world["admin"]).get("/certificats/?q=voisin").get_data(as_text=True)
    assert "Serveur PSC" not in filtered


def test_downloads_verify_with_openssl_and_revocation_is_immediate(db, pki_world, scene, as_admin, tmp_path):
    browser = as_admin(pki_world["admin"])
    own = scene["own"]
    chain = browser.get(f"/certificats/{own.id}/chaine.pem").data
    leaf = browser.get(f"/certificats/{own.id}/certificat.pem").data
    (tmp_path / "chain.pem").write_bytes(chain)
    (tmp_path / "leaf.pem").write_bytes(leaf)
    certs = x509.load_pem_x509_certificates(chain)
    (tmp_path / "root.pem").write_bytes(certs[-1].public_bytes(serialization_pem()))
    (tmp_path / "intermediate.pem").write_bytes(certs[1].public_bytes(serialization_pem()))
    verified = subprocess.run(["openssl", "verify", "-CAfile", tmp_path / "root.pem", "-untrusted",
                               tmp_path / "intermediate.pem", tmp_path / "leaf.pem"], capture_output=True, text=True)
    assert verified.returncode == 0 and ": OK" in verified.stdout, verified.stdout + verified.stderr
    p7 = pkcs7.load_der_pkcs7_certificates(browser.get(f"/certificats/{own.id}/chaine.p7b").data)
    assert {c.serial_number for c in p7} == {c.serial_number for c in certs}  # a SET: DER orders it
    der = browser.get(f"/certificats/{own.id}/certificat.cer").data
    assert x509.load_der_x509_certificate(der).serial_number == int(own.serial_hex, 16)

    unconfirmed = browser.post(f"/certificats/{own.id}/revoquer", {"motif": "key_compromise"})
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.get_data(as_text=True)
    assert browser.post(f"/certificats/{own.id}/revoquer", {"motif": "key_compromise",
                                                             "confirmation": "1"}).status_code == 303
    db.refresh(own)
    assert certificate_status(db, own.authority_id, int(own.serial_hex, 16)).status == "revoked"
    assert "Révoqué" in browser.get(f"/certificats/{own.id}").get_data(as_text=True)


def serialization_pem():
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.PEM
