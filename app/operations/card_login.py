"""Card certificates at login: issued by a card CA of ours, with the card profile, and not revoked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, select

from app.domain.certificates import CARD_PROFILE
from app.models import Authority, Card, IssuedCertificate
from app.psc.identity import IdentityError

from .pki import CARD_AUTHORITIES, certificate_status
from .pki.hierarchy import all_issuers


def check_card_certificate(db: Session, cert: x509.Certificate) -> None:
    """Refuse, with a French message, a certificate that is not a live card authentication certificate."""
    card_cas = {i: item for i, item in all_issuers(db).items() if item.name in CARD_AUTHORITIES}
    authority_id = next((i for i, item in card_cas.items() if _issued_by(cert, item.certificate)), None)
    if authority_id is None:
        raise IdentityError("Ce certificat n’a pas été émis par une autorité de cartes CPS : utilisez votre carte "
                            "CPS, CPF, CPE ou CDE.")
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        policies = []
    if CARD_PROFILE.policy not in {p.policy_identifier.dotted_string for p in policies}:
        raise IdentityError("Ce certificat n’est pas un certificat d’authentification de carte.")
    status = certificate_status(db, authority_id, cert.serial_number)
    if status.status == "revoked":
        raise IdentityError("Cette carte a été révoquée (opposition ou remplacement) : elle ne permet plus de "
                            "se connecter. Connectez-vous avec e-CPS ou contactez votre gestionnaire de cartes.")
    if status.status != "good":
        raise IdentityError("Cette carte est inconnue de son autorité de certification.")
    card_status = db.exec(select(Card.status).join(IssuedCertificate, IssuedCertificate.card_id == Card.id).where(
        IssuedCertificate.authority_id == authority_id,
        IssuedCertificate.serial_hex == format(cert.serial_number, "x"))).first()
    if card_status is not None and card_status != "active":
        raise IdentityError("Cette carte fait l’objet d’une opposition ou d’une révocation : elle ne permet plus de "
                            "se connecter. Connectez-vous avec e-CPS ou contactez votre gestionnaire de cartes.")


def _issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def write_card_crls(db: Session, path: str | Path) -> bool:
    """Write the CRLs nginx needs to check cards (each card CA and the CAs above it), atomically.

    Returns whether the file changed (then nginx must reload to read it).
    """
    rows = {r.id: r for r in db.exec(select(Authority)).all()}
    wanted: dict[int, Authority] = {}
    for row in rows.values():
        if row.name in CARD_AUTHORITIES:
            current = row
            while current is not None:
                wanted[current.id] = current
                current = rows.get(current.parent_id)
    pem = b"".join(x509.load_der_x509_crl(r.crl_der).public_bytes(serialization.Encoding.PEM)
                   for _, r in sorted(wanted.items()) if r.crl_der)
    target = Path(path)
    if target.exists() and target.read_bytes() == pem:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".crl-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return True
