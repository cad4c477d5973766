"""CPS card authentication certificate → :class:`ProfessionalIdentity`.

The subject is a multi-valued RDN ``CN=<national id> + SN=<nom> + GN=<prénom>`` with ``title`` the
profession label; staff cards carry ``<3|5><FINESS|SIRET>/<local id>`` in the CN. The profession code,
when present, is in extension 1.2.250.1.71.1.2.7.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

from asn1crypto import core
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.domain.identifiers import InvalidIdentifier, parse_national_id

from .identity import IdentityError, ProfessionalIdentity

PROFESSION_EXTENSION = x509.ObjectIdentifier("1.2.250.1.71.1.2.7")


def load_forwarded_certificate(value: str) -> x509.Certificate:
    """The certificate as a proxy forwards it: URL-escaped PEM (nginx ``$ssl_client_escaped_cert``)."""
    pem = unquote(value or "").strip()
    if "BEGIN CERTIFICATE" not in pem:
        raise IdentityError("Aucun certificat de carte n’a été transmis.")
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise IdentityError("Le certificat de la carte est illisible.") from None


def _attr(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return values[0].value.strip() if values else ""


def profession_code(cert: x509.Certificate) -> str:
    try:
        ext = cert.extensions.get_extension_for_oid(PROFESSION_EXTENSION)
    except x509.ExtensionNotFound:
        return ""
    try:
        texts = _strings(core.load(ext.value.value).native)
    except ValueError:
        texts = []
    return next((t for t in texts if re.fullmatch(r"\d{2}", t)), "")


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def identity_from_certificate(cert: x509.Certificate, now: datetime | None = None) -> ProfessionalIdentity:
    now = now or datetime.now(UTC)
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        raise IdentityError("Le certificat de la carte n’est pas en cours de validité.")
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = []
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        raise IdentityError("Ce certificat n’est pas un certificat d’authentification de carte.")
    subject = cert.subject
    cn = _attr(subject, NameOID.COMMON_NAME)
    try:
        national_id = str(parse_national_id(cn))
    except InvalidIdentifier as exc:
        raise IdentityError(f"Identifiant national de la carte invalide : {exc}") from None
    family = _attr(subject, NameOID.SURNAME)
    if not family:
        raise IdentityError("Le certificat de la carte ne porte pas le nom du titulaire.")
    return ProfessionalIdentity(
        national_id=national_id,
        family_name=family,
        given_name=_attr(subject, NameOID.GIVEN_NAME),
        auth_method="cps-tls",
        profession_code=profession_code(cert),
        profession_label=_attr(subject, NameOID.TITLE),
    )
