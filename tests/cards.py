"""A throwaway software CA for what the portal's PKI must not issue: a rogue card CA, a TLS server
certificate for nginx, and unit-test certificates (software keys, in tmp only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PROFESSION_OID = x509.ObjectIdentifier("1.2.250.1.71.1.2.7")


class CardCA:
    def __init__(self, name: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Portail santé TEST"),
                               x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.now(UTC)
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                  key_encipherment=False, data_encipherment=False,
                                                  key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, subject: x509.Name, *, eku=ExtendedKeyUsageOID.CLIENT_AUTH, days: int = 365, expired=False,
              san: list[str] | None = None, profession: str | None = None):
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        start, end = (now - timedelta(days=30), now - timedelta(days=1)) if expired else (now - timedelta(hours=1),
                                                                                          now + timedelta(days=days))
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([eku]), critical=False))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), False)
        if profession:
            value = core.SequenceOf(spec=core.UTF8String, value=[profession]).dump()
            builder = builder.add_extension(x509.UnrecognizedExtension(PROFESSION_OID, value), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


def card_subject(national_id: str, family: str, given: str, title: str) -> x509.Name:
    from app.domain.certificates import card_subject as build

    return build(national_id=national_id, family_name=family, given_name=given, title=title)


def write_pem(path: Path, cert: x509.Certificate, key=None) -> tuple[Path, Path | None]:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = None
    if key is not None:
        key_path = path.with_suffix(".key")
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return path, key_path
