"""Two structures, each with its technical administrator (ORG, and SERV on the first), and the PKI."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.models import DomainControl, ServDomain
from app.models.base import utcnow
from app.operations.pki import init_pki
from tests.pki.conftest import make_csr


def pem_csr(key=None, **kw) -> str:
    return make_csr(key or ec.generate_private_key(ec.SECP256R1()), **kw)[0].decode()


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture()
def pki_world(db, hsm, make_structure, make_person, make_card, make_habilitation):
    init_pki(db, hsm, "http://localhost")
    hospital = make_structure(kind="EJ", name="CHU d’essai", public=True)
    site = make_structure(kind="EG", name="Site nord", parent=hospital, public=True)
    private_ej = make_structure(kind="EJ", name="Groupe clinique", public=False)
    other = make_structure(kind="EJ", name="CH voisin", public=True)
    admin = make_person(profession_code="", family_name="ADMIN", given_name="Théo",
                        national_id=f"3{hospital.finess}/TECH0003", email="theo@chu.example")
    make_card(admin, "CPE", structure=hospital)
    make_habilitation(admin, hospital, "technical_admin", "ORG")
    make_habilitation(admin, hospital, "technical_admin", "SERV")
    make_habilitation(admin, private_ej, "technical_admin", "ORG")
    foreign = make_person(profession_code="", family_name="VOISIN", given_name="Ana",
                          national_id=f"3{other.finess}/TECH0004", email="ana@voisin.example")
    make_card(foreign, "CPE", structure=other)
    make_habilitation(foreign, other, "technical_admin", "ORG")
    db.add(ServDomain(structure_id=hospital.id, name="chu.example", source="test"))
    db.add(DomainControl(structure_id=hospital.id, name="chu.example", method="dns-01", token="t",
                         requested_by=admin.national_id, validated_at=utcnow(), validated_by=admin.national_id))
    db.flush()
    return dict(hospital=hospital, site=site, private_ej=private_ej, other=other, admin=admin, foreign=foreign)


@pytest.fixture()
def as_admin(as_person):
    return as_person


@pytest.fixture()
def make_certificate(db, hsm):
    """``make_certificate(admin, structure, usage="PSC")``: an order issued through the operation (a CERT case file
    deposited and delivered, its certificates signed in the token), as the request page makes it."""
    from app.operations.certificates import CertificateOrder, order_certificates

    def make(admin, structure, *, family: str = "ORG", usage: str = "PSC", service_name: str = "Serveur PSC",
             dns_names=(), email: str = ""):
        from app.domain.products import PRODUCTS

        order = CertificateOrder(family=family, usage=usage, structure_id=structure.id, service_name=service_name,
                                 dns_names=list(dns_names), email=email or admin.email,
                                 csrs={p: pem_csr().encode() for p in PRODUCTS[(family, usage)].profiles})
        _filing, issued = order_certificates(db, hsm, order, person_id=admin.id, actor=admin.national_id,
                                             auth_method="cps-tls", base_url="http://localhost")
        return issued[0]

    return make
