"""Issuing certificates from a CSR (ORG, SERV), test card certificates, and the portal's own ones."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlmodel import Session

from app.domain.certificates import (
    PROFILES,
    CertificateRequestError,
    KeyRefused,
    card_subject,
    organisation_subject,
    validate_dns_name,
    validate_service_name,
    validity_end,
)
from app.domain.domain_control import policy_on
from app.models import Card, IssuedCertificate, Person, Structure
from app.models.base import utcnow
from app.operations import audit, domains
from app.signing import ca
from app.signing.csr import CheckedRequest, load_csr
from app.signing.keystore import KeyStore

from .hierarchy import issuing_authority, new_serial

_SAME_KEY = sa.select(IssuedCertificate.profile, IssuedCertificate.structure_id, IssuedCertificate.dns_names,
                      IssuedCertificate.revocation_reason).where(IssuedCertificate.spki_sha256 == sa.bindparam("h"))
_REUSED_KEY = "Cette clé publique est déjà certifiée : une clé par serveur (seul le renouvellement d’un certificat " \
              "SERV SSL pour les mêmes noms peut la garder). Générez une nouvelle paire de clés et une nouvelle CSR."
_COMPROMISED_KEY = "Cette clé a été déclarée compromise lors d’une révocation : elle ne sera plus jamais certifiée. " \
                   "Générez une nouvelle paire de clés et une nouvelle CSR."


def _key_refusal(db: Session, spki_hash: str, profile_code: str, structure_id, dns_names) -> str | None:
    """Why this key may not be certified again, or None. A TLS server keeps its key across renewals (key pinning,
    DANE/TLSA, ``certbot --reuse-key``): the same key for the same names of the same structure. Never across
    structures or certificate types, and never a key revoked for compromise (as Boulder blocks them)."""
    if db.get_bind().dialect.name == "postgresql":  # two requests for one key (two nodes) decide one after the other
        db.execute(sa.select(sa.func.pg_advisory_xact_lock(int.from_bytes(bytes.fromhex(spki_hash[:16]), "big",
                                                                         signed=True))))
    earlier = db.execute(_SAME_KEY, {"h": spki_hash}).all()
    if any(row.revocation_reason == "key_compromise" for row in earlier):
        return _COMPROMISED_KEY
    renewal = profile_code == "SERV_SSL" and all(
        row.profile == "SERV_SSL" and row.structure_id == structure_id and set(row.dns_names) == set(dns_names)
        for row in earlier)
    return None if not earlier or renewal else _REUSED_KEY


def store_issued(db: Session, keystore: KeyStore, *, profile_code: str, subject: x509.Name, public_key, structure_id,
                 person_id, requested_by: str, dns_names, emails, urls: ca.Urls, key_description: str,
                 profession_code: str = "", renewed_from_id: int | None = None,
                 validity: tuple[datetime, datetime] | None = None, key_label: str | None = None,
                 authority_name: str | None = None, usage: str = "", filing_id: int | None = None
                 ) -> IssuedCertificate:
    """Sign in the token, then add the row and its audit event (flushed, committed by the caller)."""
    profile = PROFILES[profile_code]
    authority_id, signer = issuing_authority(db, authority_name or profile.issuer)
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    spki_hash = hashlib.sha256(spki).hexdigest()
    refusal = _key_refusal(db, spki_hash, profile_code, structure_id, dns_names)
    if refusal:
        raise KeyRefused(refusal)
    now = utcnow().replace(microsecond=0)
    default_end = now + timedelta(days=profile.validity_days) if profile.validity_days else validity_end(now)
    if profile.code == "SERV_SSL":  # a TLS server certificate: the CA/Browser Forum's schedule in force (SC-081)
        default_end = min(default_end, now + timedelta(days=policy_on(now.date()).max_validity_days))
    not_before, not_after = validity or (now, default_end)
    serial = new_serial()
    der = ca.end_entity_certificate(keystore, signer, profile=profile, subject=subject, public_key=public_key,
                                    serial=serial, not_before=not_before, not_after=not_after, urls=urls,
                                    dns_names=tuple(dns_names), profession_code=profession_code)
    cn = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    row = IssuedCertificate(serial_hex=format(serial, "x"), authority_id=authority_id, profile=profile_code,
                            structure_id=structure_id, person_id=person_id, subject=subject.rfc4514_string(),
                            common_name=cn, dns_names=list(dns_names), spki_sha256=spki_hash,
                            key_description=key_description, der=der, not_before=not_before, not_after=not_after,
                            requested_by=requested_by, contact_emails=list(emails), renewed_from_id=renewed_from_id,
                            key_label=key_label, usage=usage, filing_id=filing_id)
    db.add(row)
    db.flush()
    audit.record(db, actor=requested_by, action="certificate.issued", object_type="certificate", object_id=row.id,
                 after={"serial": row.serial_hex, "profile": profile_code, "subject": row.subject})
    return row


def issue_certificate(db: Session, keystore: KeyStore, *, requested_by: str, structure: Structure, profile_code: str,
                      csr: bytes, service_name: str = "", dns_names: list[str] | tuple = (),
                      emails: list[str] | tuple = (), product: str = "", base_url: str,
                      renewed_from_id: int | None = None, filing_id: int | None = None) -> IssuedCertificate:
    """Issue an ORG or SERV certificate for ``structure`` from a CSR, the names checked against the structure's
    declared and proved domains and their CAA records; the subject comes from the structure."""
    profile = PROFILES.get(profile_code)
    if profile is None or profile.family not in ("ORG", "SERV"):
        raise CertificateRequestError("Type de certificat inconnu.", field="profile")
    require_contract(structure)
    # The names are only those the administrator typed and the rules accepted: never the CSR's own SAN.
    names = list(dict.fromkeys(validate_dns_name(n) for n in dns_names))
    if not profile.san_dns_required and names:
        raise CertificateRequestError("Un certificat ORG ne porte aucun nom DNS.", field="dns_names")
    if profile.san_dns_required and not names:
        raise CertificateRequestError("Un certificat serveur porte au moins un nom DNS\u00a0: indiquez-le.",
                                      field="dns_names")
    if names:
        domains.check_names(db, structure, names)
    checked = load_csr(csr)
    common_name = names[0] if profile.code == "SERV_SSL" else validate_service_name(service_name, product)
    return issue_checked(db, keystore, requested_by=requested_by, structure=structure, profile_code=profile_code,
                         request=checked, names=names, common_name=common_name, emails=emails, usage=product,
                         base_url=base_url, renewed_from_id=renewed_from_id, filing_id=filing_id)


def require_contract(structure: Structure) -> None:
    """Only a structure that signed the ANS membership contract gets certificates."""
    if not structure.contract_signed:
        raise CertificateRequestError("La structure n’a pas signé le contrat d’adhésion avec l’ANS.", field="structure")


def issue_checked(db: Session, keystore: KeyStore, *, requested_by: str, structure: Structure, profile_code: str,
                  request: CheckedRequest, names: list[str], common_name: str, emails: list[str] | tuple = (),
                  usage: str = "", base_url: str, renewed_from_id: int | None = None,
                  filing_id: int | None = None) -> IssuedCertificate:
    """Sign a request whose structure, names and key the caller already checked (the order's rules, or ACME's
    authorizations and CAA): only whether this key may be certified again is decided here."""
    subject = organisation_subject(structure_name=structure.name, structure_national_id=structure.national_id,
                                   departement=structure.departement, common_name=common_name)
    return store_issued(db, keystore, profile_code=profile_code, subject=subject, public_key=request.public_key,
                        structure_id=structure.id, person_id=None, requested_by=requested_by,
                        dns_names=tuple(names), emails=emails, urls=ca.Urls(base_url),
                        key_description=request.key_description, renewed_from_id=renewed_from_id,
                        usage=usage.upper(), filing_id=filing_id)


def issue_card_certificate(db: Session, keystore: KeyStore, *, person: Person, public_key, title: str, base_url: str,
                           validity: tuple[datetime, datetime] | None = None, card: Card | None = None
                           ) -> IssuedCertificate:
    """A test CPS/CPE card authentication certificate from the PERSONNES CA (development and tests).

    Like ANS's test card kits, a kit may hold an expired card: ``validity`` sets its window.
    """
    subject = card_subject(national_id=person.national_id, family_name=person.family_name,
                           given_name=person.given_name, title=title)
    row = store_issued(db, keystore, profile_code="CARD_AUTH", subject=subject, public_key=public_key,
                       structure_id=None, person_id=person.id, requested_by="system", dns_names=(), emails=[],
                       urls=ca.Urls(base_url), key_description="carte de test",
                       profession_code=person.profession_code, validity=validity)
    if card is not None:  # opposing or revoking the card revokes this certificate
        row.card_id = card.id
        db.add(row)
        db.flush()
    return row
