"""What the live-portal ACME tests share: a declared SERV domain with EAB credentials for its administrator, and
a server's CSR in PEM."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def serv_domain_with_eab(domain: str, name: str = "serveur"):
    """A ``pki_portal`` prepare step: ``domain`` declared by the first SERV technical administrator's structure, one
    EAB credential of theirs handed back as ``eab`` (key id, HMAC key)."""

    def prepare(db, hsm, _base, _work) -> dict:
        from sqlmodel import select

        from app.models import Habilitation, Person, ServDomain
        from app.operations import eab

        serv = db.exec(select(Habilitation).where(Habilitation.certificate_family == "SERV",
                                                  Habilitation.role == "technical_admin")).first()
        db.add(ServDomain(structure_id=serv.structure_id, name=domain, source="test"))
        credential, secret = eab.create(db, hsm, db.get(Person, serv.person_id), name=name,
                                        structure_ids=[serv.structure_id], days=30)
        return {"eab": (credential.key_id, secret)}

    return prepare


def csr_pem(name: str, key=None) -> bytes:
    """A CSR for ``name`` (CN and SAN), with ``key`` or a new P-256 key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).add_extension(
        x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    algorithm = hashes.SHA384() if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 384 \
        else hashes.SHA256()
    return request.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)
