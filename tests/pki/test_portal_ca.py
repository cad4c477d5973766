"""Issue 19 (6): the portal's own seal and time-stamping certificates have a CA of their own, whose CRL lists
only them: a sealed PDF embeds neither the ORGANISATIONS CRL (every structure's revoked certificates) nor waits
for it. An install whose seal came from ORGANISATIONS gets a new one at the next ``flask pki init``."""

from __future__ import annotations

from cryptography import x509

from app.operations.pki import authority, init_pki, seal_certificate, seal_material
from app.operations.pki.hierarchy import portal_certificate
from tests.pki.conftest import BASE_URL


def test_the_seal_and_the_tsa_come_from_the_services_ca_and_embed_its_small_crl(pki):
    services, root = authority(pki, "services"), authority(pki, "root")
    assert seal_certificate(pki).authority_id == services.id
    assert portal_certificate(pki, "TSA").authority_id == services.id
    material = seal_material(pki)
    assert set(material.crls_der) == {services.crl_der, root.crl_der}
    assert authority(pki, "organisations").crl_der not in material.crls_der
    issuer = x509.load_der_x509_certificate(services.certificate_der)
    assert "AC SERVICES DU PORTAIL" in issuer.subject.rfc4514_string()
    assert x509.load_der_x509_certificate(material.certificate_der).issuer == issuer.subject


def test_a_seal_from_an_earlier_install_is_replaced_under_the_services_ca(pki, hsm):
    old = seal_certificate(pki)
    old.authority_id = authority(pki, "organisations").id  # as `pki init` issued it before this CA existed
    pki.add(old)
    pki.flush()
    assert "seal" in init_pki(pki, hsm, BASE_URL)
    new = seal_certificate(pki)
    assert new.id != old.id and new.authority_id == authority(pki, "services").id
    assert new.key_label != old.key_label and hsm.has_key(new.key_label)
    assert old.revoked_at is None  # what it sealed stays valid
    assert init_pki(pki, hsm, BASE_URL) == []  # idempotent again
