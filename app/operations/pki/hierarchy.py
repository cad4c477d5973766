"""The CA hierarchy: creating it, reading it, and the keys the portal itself holds (seal, OCSP responders)."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from app.models import Authority, IssuedCertificate
from app.models.base import utcnow
from app.signing import ca

ROOT, ORGANISATIONS, PERSONNES, SERVICES = "root", "organisations", "personnes", "services"
CARD_AUTHORITIES = (PERSONNES,)  # the CAs whose certificates open a card login


@dataclass(frozen=True)
class AuthoritySpec:
    name: str
    key_label: str
    parent: str | None
    common_name: str
    years: int


HIERARCHY = (
    AuthoritySpec(ROOT, "ca-root", None, "Portail santé – AC racine", 20),
    AuthoritySpec(ORGANISATIONS, "ca-organisations", ROOT, "Portail santé – AC ORGANISATIONS", 10),
    AuthoritySpec(PERSONNES, "ca-personnes", ROOT, "Portail santé – AC PERSONNES", 10),
    # The portal's own seal and time-stamping certificates: a CA of their own, whose CRL lists only them, so that a
    # sealed PDF does not embed (nor its seal validate) the CRL of every structure's revoked certificates.
    AuthoritySpec(SERVICES, "ca-services", ROOT, "Portail santé – AC SERVICES DU PORTAIL", 10),
)
# RSA-4096: CA keys live 10 to 20 years (ANSSI's RGS asks 3072 bits beyond 2030, and relying parties of
# IGC-Santé-style chains all accept RSA); issued certificates may use RSA >= 2048 or P-256/P-384.
CA_KEY_ALGORITHM = "rsa4096"
SEAL_KEY_LABEL = "seal-portail"
TSA_KEY_LABEL = "tsa-portail"
SEAL_ORGANISATION = ("Portail santé", "313000000000005")  # raison sociale, OU (3 + SIRET)
RESPONDER_RENEWAL_MARGIN = timedelta(days=30)
PORTAL_KEYS = (  # the portal's own certificates: profile, key label in the token, CN, name in `pki init`'s report
    ("ORG_SIGN", SEAL_KEY_LABEL, "Cachet du portail santé", "seal"),
    ("TSA", TSA_KEY_LABEL, "Horodatage du portail santé", "tsa"),
)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Portail santé"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "IGC du portail"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def new_serial() -> int:
    return int.from_bytes(secrets.token_bytes(16), "big") or 1


def authority(db: Session, name: str) -> Authority:
    row = db.exec(select(Authority).where(Authority.name == name)).first()
    if row is None:
        raise LookupError(f"AC « {name} » absente : lancez « flask pki init ».")
    return row


def locked_authority(db: Session, authority_id: int) -> Authority:
    """The CA row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite serialises writers):
    whoever publishes a CRL reads the revocations and the CRL number after the previous publisher committed."""
    return db.exec(select(Authority).where(Authority.id == authority_id).with_for_update()
                   .execution_options(populate_existing=True)).one()


def issuer(row: Authority) -> ca.Issuer:
    return _issuer(row.name, row.key_label, row.certificate_der)


@functools.lru_cache(maxsize=32)
def _issuer(name: str, key_label: str, certificate_der: bytes) -> ca.Issuer:
    return ca.Issuer(name, key_label, x509.load_der_x509_certificate(certificate_der))


_AUTHORITIES = sa.select(Authority.id, Authority.name, Authority.key_label, Authority.certificate_der)


def issuing_authority(db: Session, name: str) -> tuple[int, ca.Issuer]:
    """Id and issuer of a CA, read without loading the ORM row (issuance's hot path)."""
    found = db.execute(_AUTHORITIES.where(Authority.name == name)).first()
    if found is None:
        raise LookupError(f"AC « {name} » absente : lancez « flask pki init ».")
    return found.id, _issuer(name, found.key_label, found.certificate_der)


def all_issuers(db: Session) -> dict[int, ca.Issuer]:
    """Every CA by id, without loading CRLs."""
    return {r.id: _issuer(r.name, r.key_label, r.certificate_der) for r in db.execute(_AUTHORITIES)}


def seal_certificate(db: Session) -> IssuedCertificate | None:
    return portal_certificate(db, "ORG_SIGN")


def portal_certificate(db: Session, profile: str) -> IssuedCertificate | None:
    """The portal's own current certificate of a profile (seal ORG_SIGN, time-stamping TSA)."""
    return db.exec(select(IssuedCertificate).where(IssuedCertificate.profile == profile,
                                                   IssuedCertificate.requested_by == "system",
                                                   IssuedCertificate.revoked_at.is_(None))
                   .order_by(IssuedCertificate.id.desc())).first()


def current_responder(db: Session, authority_id: int, now=None) -> IssuedCertificate | None:
    """The newest unexpired, unrevoked delegated OCSP certificate of a CA."""
    return db.exec(select(IssuedCertificate).where(
        IssuedCertificate.authority_id == authority_id, IssuedCertificate.profile == "OCSP_SIGNING",
        IssuedCertificate.revoked_at.is_(None), IssuedCertificate.not_after > (now or utcnow()))
        .order_by(IssuedCertificate.not_after.desc())).first()
