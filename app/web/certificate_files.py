"""A certificate as the files people and software download: the certificate, its chain up to the root, in PEM,
DER or PKCS#7 (pages, the editors' API and ACME's chain share them)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from sqlmodel import Session

from app.models import Authority, IssuedCertificate


def chain(db: Session, certificate: IssuedCertificate) -> list[x509.Certificate]:
    """The certificate, then its issuers up to the root."""
    found = [x509.load_der_x509_certificate(certificate.der)]
    authority = db.get(Authority, certificate.authority_id)
    while authority is not None:
        found.append(x509.load_der_x509_certificate(authority.certificate_der))
        authority = db.get(Authority, authority.parent_id) if authority.parent_id else None
    return found


DOWNLOADS = {
    "certificat.pem": ("application/x-pem-file", lambda chain: chain[0].public_bytes(serialization.Encoding.PEM)),
    "certificat.cer": ("application/pkix-cert", lambda chain: chain[0].public_bytes(serialization.Encoding.DER)),
    "chaine.pem": ("application/x-pem-file",
                   lambda chain: b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)),
    "chaine.p7b": ("application/x-pkcs7-certificates",
                   lambda chain: pkcs7.serialize_certificates(chain, serialization.Encoding.DER)),
}
