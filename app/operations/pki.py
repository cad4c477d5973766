"""The PKI's use cases: set up the hierarchy, issue, revoke, publish CRLs, answer OCSP.

Each signs in the HSM before anything is written and commits the row, its audit event and the
regenerated CRL together: a token failure leaves no half-issued certificate and no serial reused.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from app.domain.certificates import (
    PROFILES,
    CertificateRequestError,
    card_subject,
    organisation_subject,
    validate_dns_name,
    validate_service_name,
    validity_end,
)
from app.models import Authority, IssuedCertificate, Person, Structure
from app.models.base import utcnow
from app.operations import audit
from app.signing import ca
from app.signing.csr import load_csr
from app.signing.hsm import Hsm
from app.signing.pades import SealMaterial, sign_pdf

ROOT, ORGANISATIONS, PERSONNES = "root", "organisations", "personnes"


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
)
# RSA-4096: CA keys live 10 to 20 years (ANSSI's RGS asks 3072 bits beyond 2030, and relying parties of
# IGC-Santé-style chains all accept RSA); issued certificates may use RSA >= 2048 or P-256/P-384.
CA_KEY_ALGORITHM = "rsa4096"
SEAL_KEY_LABEL = "seal-portail"
SEAL_ORGANISATION = ("Portail santé", "313000000000005")  # raison sociale, OU (3 + SIRET)
CRL_REFRESH_MARGIN = timedelta(days=2)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Portail santé"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "IGC du portail"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _serial() -> int:
    return int.from_bytes(secrets.token_bytes(16), "big") or 1


def authority(db: Session, name: str) -> Authority:
    row = db.exec(select(Authority).where(Authority.name == name)).first()
    if row is None:
        raise LookupError(f"AC « {name} » absente : lancez « flask pki init ».")
    return row


def issuer(row: Authority) -> ca.Issuer:
    return _issuer(row.name, row.key_label, row.certificate_der)


@functools.lru_cache(maxsize=32)
def _issuer(name: str, key_label: str, certificate_der: bytes) -> ca.Issuer:
    return ca.Issuer(name, key_label, x509.load_der_x509_certificate(certificate_der))


_AUTHORITY_BY_NAME = sa.select(Authority.id, Authority.key_label, Authority.certificate_der).where(
    Authority.name == sa.bindparam("name"))
_KEY_ALREADY_CERTIFIED = sa.select(IssuedCertificate.id).where(IssuedCertificate.spki_sha256 == sa.bindparam("h"))


def _issuing_authority(db: Session, name: str) -> tuple[int, ca.Issuer]:
    """Id and issuer of a CA, read without loading the ORM row (issuance's hot path)."""
    found = db.execute(_AUTHORITY_BY_NAME, {"name": name}).first()
    if found is None:
        raise LookupError(f"AC « {name} » absente : lancez « flask pki init ».")
    return found.id, _issuer(name, found.key_label, found.certificate_der)


def init_pki(db: Session, hsm: Hsm, base_url: str) -> list[str]:
    """Create what is missing of the hierarchy, the CRLs and the portal's seal certificate (idempotent)."""
    done = []
    urls = ca.Urls(base_url)
    now = utcnow()
    for spec in HIERARCHY:
        if db.exec(select(Authority).where(Authority.name == spec.name)).first():
            continue
        if not hsm.has_key(spec.key_label):
            hsm.generate_keypair(spec.key_label, CA_KEY_ALGORITHM)
        parent = authority(db, spec.parent) if spec.parent else None
        der = ca.ca_certificate(hsm, key_label=spec.key_label, subject=_name(spec.common_name), serial=_serial(),
                                not_before=now, not_after=validity_end(now, spec.years),
                                parent=issuer(parent) if parent else None, urls=urls,
                                path_length=1 if parent is None else 0)
        row = Authority(name=spec.name, key_label=spec.key_label, parent_id=parent.id if parent else None,
                        certificate_der=der)
        db.add(row)
        db.flush()
        _sign_crl(db, hsm, row, now)
        audit.record(db, actor="system", action="pki.authority_created", object_type="authority",
                     object_id=row.id, after={"name": spec.name, "key_label": spec.key_label})
        db.commit()
        done.append(spec.name)
    if seal_certificate(db) is None:
        if not hsm.has_key(SEAL_KEY_LABEL):
            hsm.generate_keypair(SEAL_KEY_LABEL, "ec-p256")
        public = serialization.load_der_public_key(hsm.public_key(SEAL_KEY_LABEL))
        subject = organisation_subject(structure_name=SEAL_ORGANISATION[0], structure_national_id=SEAL_ORGANISATION[1],
                                       departement="75", common_name="Cachet du portail santé")
        _store_issued(db, hsm, profile_code="ORG_SIGN", subject=subject, public_key=public, structure_id=None,
                      person_id=None, requested_by="system", dns_names=(), emails=[], urls=urls,
                      key_description="ECDSA P-256")
        done.append("seal")
    return done


def seal_certificate(db: Session) -> IssuedCertificate | None:
    return db.exec(select(IssuedCertificate).where(IssuedCertificate.profile == "ORG_SIGN",
                                                   IssuedCertificate.requested_by == "system",
                                                   IssuedCertificate.revoked_at.is_(None))
                   .order_by(IssuedCertificate.id.desc())).first()


def _store_issued(db: Session, hsm: Hsm, *, profile_code: str, subject: x509.Name, public_key, structure_id,
                  person_id, requested_by: str, dns_names, emails, urls: ca.Urls, key_description: str,
                  profession_code: str = "", renewed_from_id: int | None = None,
                  validity: tuple[datetime, datetime] | None = None) -> IssuedCertificate:
    profile = PROFILES[profile_code]
    authority_id, signer = _issuing_authority(db, profile.issuer)
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    spki_hash = hashlib.sha256(spki).hexdigest()
    if db.execute(_KEY_ALREADY_CERTIFIED, {"h": spki_hash}).first():
        raise CertificateRequestError("Cette clé publique est déjà certifiée : une clé par serveur. "
                                      "Générez une nouvelle paire de clés et une nouvelle CSR.")
    now = utcnow().replace(microsecond=0)
    not_before, not_after = validity or (now, validity_end(now))
    serial = _serial()
    der = ca.end_entity_certificate(hsm, signer, profile=profile, subject=subject, public_key=public_key,
                                    serial=serial, not_before=not_before, not_after=not_after, urls=urls,
                                    dns_names=tuple(dns_names), profession_code=profession_code)
    cn = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    row = IssuedCertificate(serial_hex=format(serial, "x"), authority_id=authority_id, profile=profile_code,
                            structure_id=structure_id, person_id=person_id, subject=subject.rfc4514_string(),
                            common_name=cn, dns_names=list(dns_names), spki_sha256=spki_hash,
                            key_description=key_description, der=der, not_before=not_before, not_after=not_after,
                            requested_by=requested_by, contact_emails=list(emails), renewed_from_id=renewed_from_id)
    db.add(row)
    try:
        db.flush()
        audit.record(db, actor=requested_by, action="certificate.issued", object_type="certificate", object_id=row.id,
                     after={"serial": row.serial_hex, "profile": profile_code, "subject": row.subject})
        db.commit()
    except sa.exc.IntegrityError:  # a concurrent request certified the same key first
        db.rollback()
        raise CertificateRequestError("Cette clé publique est déjà certifiée : une clé par serveur.") from None
    return row


def issue_certificate(db: Session, hsm: Hsm, *, requested_by: str, structure: Structure, profile_code: str,
                      csr: bytes, service_name: str = "", dns_names: list[str] | tuple = (),
                      emails: list[str] | tuple = (), product: str = "", base_url: str,
                      renewed_from_id: int | None = None) -> IssuedCertificate:
    """Issue an ORG or SERV certificate for ``structure`` from a CSR; the subject comes from the structure."""
    profile = PROFILES.get(profile_code)
    if profile is None or profile.family not in ("ORG", "SERV"):
        raise CertificateRequestError("Type de certificat inconnu.", field="profile")
    if not structure.contract_signed:
        raise CertificateRequestError("La structure n’a pas signé le contrat d’adhésion avec l’ANS.", field="structure")
    checked = load_csr(csr)
    names = [validate_dns_name(n) for n in (dns_names or checked.requested_dns)]
    if profile.san_dns_required and not names:
        raise CertificateRequestError("Un certificat serveur porte au moins un nom DNS.", field="dns_names")
    common_name = names[0] if profile.code == "SERV_SSL" else validate_service_name(service_name, product)
    subject = organisation_subject(structure_name=structure.name, structure_national_id=structure.national_id,
                                   departement=structure.departement, common_name=common_name)
    return _store_issued(db, hsm, profile_code=profile_code, subject=subject, public_key=checked.public_key,
                         structure_id=structure.id, person_id=None, requested_by=requested_by,
                         dns_names=tuple(dict.fromkeys(names)), emails=emails, urls=ca.Urls(base_url),
                         key_description=checked.key_description, renewed_from_id=renewed_from_id)


def issue_card_certificate(db: Session, hsm: Hsm, *, person: Person, public_key, title: str, base_url: str,
                           validity: tuple[datetime, datetime] | None = None) -> IssuedCertificate:
    """A test CPS/CPE card authentication certificate from the PERSONNES CA (development and tests).

    Like ANS's test card kits, a kit may hold an expired card: ``validity`` sets its window.
    """
    subject = card_subject(national_id=person.national_id, family_name=person.family_name,
                           given_name=person.given_name, title=title)
    return _store_issued(db, hsm, profile_code="CARD_AUTH", subject=subject, public_key=public_key, structure_id=None,
                         person_id=person.id, requested_by="system", dns_names=(), emails=[],
                         urls=ca.Urls(base_url), key_description="carte de test",
                         profession_code=person.profession_code, validity=validity)


def revoke_certificate(db: Session, hsm: Hsm, certificate: IssuedCertificate, *, reason: str,
                       revoked_by: str) -> IssuedCertificate:
    """Revoke with an RFC 5280 reason and publish the issuing CA's new CRL in the same transaction."""
    if reason not in ca.REASONS:
        raise CertificateRequestError("Motif de révocation inconnu.", field="reason")
    if certificate.revoked_at is not None:
        raise CertificateRequestError("Ce certificat est déjà révoqué.", field="reason")
    now = utcnow().replace(microsecond=0)
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    try:
        _sign_crl(db, hsm, db.get(Authority, certificate.authority_id), now)
    except Exception:
        db.rollback()
        raise
    audit.record(db, actor=revoked_by, action="certificate.revoked", object_type="certificate",
                 object_id=certificate.id, before={"status": "valid"}, after={"status": "revoked", "reason": reason})
    db.commit()
    return certificate


def _sign_crl(db: Session, hsm: Hsm, row: Authority, now: datetime) -> None:
    revoked = db.exec(select(IssuedCertificate).where(IssuedCertificate.authority_id == row.id,
                                                      IssuedCertificate.revoked_at.is_not(None))).all()
    number = row.crl_number + 1
    this_update = now.replace(microsecond=0)
    next_update = this_update + ca.CRL_LIFETIME
    row.crl_der = ca.certificate_revocation_list(
        hsm, issuer(row), number=number, this_update=this_update, next_update=next_update,
        revoked=[ca.Revocation(int(c.serial_hex, 16), _aware(c.revoked_at), c.revocation_reason) for c in revoked])
    row.crl_number = number
    row.crl_next_update = next_update
    db.add(row)
    db.flush()


def refresh_crls(db: Session, hsm: Hsm, now: datetime | None = None,
                 margin: timedelta = CRL_REFRESH_MARGIN) -> list[str]:
    """Re-sign every CRL whose nextUpdate is within ``margin`` (``flask jobs run``)."""
    now = now or utcnow()
    refreshed = []
    for row in db.exec(select(Authority)).all():
        if row.crl_next_update is None or _aware(row.crl_next_update) - now < margin:
            _sign_crl(db, hsm, row, now)
            audit.record(db, actor="system", action="pki.crl_refreshed", object_type="authority", object_id=row.id,
                         after={"crl_number": row.crl_number})
            db.commit()
            refreshed.append(row.name)
    return refreshed


def ocsp_answer(db: Session, hsm: Hsm, request_der: bytes) -> bytes:
    rows = db.exec(select(Authority)).all()
    by_name = {r.name: r for r in rows}

    def lookup(item: ca.Issuer, serial: int) -> ca.OcspStatus:
        cert = db.exec(select(IssuedCertificate).where(IssuedCertificate.serial_hex == format(serial, "x"),
                                                       IssuedCertificate.authority_id == by_name[item.name].id)).first()
        if cert is None:
            return ca.OcspStatus("unknown")
        if cert.revoked_at is not None:
            return ca.OcspStatus("revoked", _aware(cert.revoked_at), cert.revocation_reason)
        return ca.OcspStatus("good")

    return ca.ocsp_response(hsm, [issuer(r) for r in rows], request_der, lookup, utcnow())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def seal_material(db: Session) -> SealMaterial:
    """The portal's seal certificate with its chain and the CRLs a validator needs offline."""
    seal = seal_certificate(db)
    if seal is None:
        raise LookupError("Cachet du portail absent : lancez « flask pki init ».")
    issuing = db.get(Authority, seal.authority_id)
    root = db.get(Authority, issuing.parent_id)
    return SealMaterial(key_label=SEAL_KEY_LABEL, certificate_der=seal.der, chain_der=(issuing.certificate_der,),
                        root_der=root.certificate_der, crls_der=(issuing.crl_der, root.crl_der))


def seal_pdf(db: Session, hsm: Hsm, pdf: bytes, *, reason: str) -> bytes:
    """Seal a PDF with the portal's seal key (PAdES B-LT)."""
    return sign_pdf(hsm, pdf, seal_material(db), reason=reason)
