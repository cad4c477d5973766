"""ACME Renewal Information (RFC 9773): when each certificate should be renewed, the agency moving that moment
earlier for a set of certificates (a CA key to retire, a mass revocation ahead), and the new orders that say which
certificate they replace."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from cryptography import x509
from sqlmodel import Session, select

from app.domain.acme import Problem, ari_id, parse_ari_id, suggested_window
from app.models import AcmeAccount, AcmeOrder, Authority, IssuedCertificate
from app.models.base import aware, utcnow
from app.operations import audit


def certificate_of(db: Session, cert_id: str) -> IssuedCertificate | None:
    """The certificate an ARI identifier names: its serial, issued under the key its AKI names."""
    parsed = parse_ari_id(cert_id)
    if parsed is None or parsed[1] <= 0:
        return None
    key_id, serial = parsed
    row = db.exec(select(IssuedCertificate).where(IssuedCertificate.serial_hex == format(serial, "x"))).first()
    if row is None:
        return None
    try:
        aki = x509.load_der_x509_certificate(row.der).extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return None
    return row if aki == key_id else None


def ari_of(row: IssuedCertificate) -> str:
    """The ARI identifier of an issued certificate."""
    aki = x509.load_der_x509_certificate(row.der).extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    return ari_id(aki, int(row.serial_hex, 16))


def window(row: IssuedCertificate) -> tuple[datetime, datetime, str]:
    """The suggested window (start, end) and its explanation: the agency's if it moved it, else the default."""
    if row.renewal_window_start and row.renewal_window_end:
        return aware(row.renewal_window_start), aware(row.renewal_window_end), row.renewal_explanation
    start, end = suggested_window(aware(row.not_before), aware(row.not_after))
    return start, end, ""


def move_windows(db: Session, *, authority_name: str, issued_from: datetime, issued_to: datetime, start: datetime,
                 end: datetime, explanation: str, actor: str) -> int:
    """Ask every certificate the CA ``authority_name`` issued between the two dates, still valid and not revoked,
    to be renewed within [start, end]: ARI clients see it at their next look. Returns how many; flushes."""
    if end <= start:
        raise ValueError("La fin de la fenêtre doit suivre son début.")
    authority = db.exec(select(Authority).where(Authority.name == authority_name)).first()
    if authority is None:
        raise LookupError(f"Autorité inconnue\u00a0: {authority_name}.")
    table = IssuedCertificate.__table__
    moved = db.execute(sa.update(table).where(
        table.c.authority_id == authority.id, table.c.not_before >= issued_from, table.c.not_before < issued_to,
        table.c.revoked_at.is_(None), table.c.not_after > utcnow(),
        table.c.key_label.is_(None),  # subscribers' certificates, not the portal's own (OCSP responders…)
    ).values(renewal_window_start=start, renewal_window_end=end, renewal_explanation=explanation[:300])).rowcount
    audit.record(db, actor=actor, action="acme.renewal_window_moved", object_type="authority",
                 object_id=authority.id, after={"issued_from": issued_from.isoformat(),
                                                "issued_to": issued_to.isoformat(), "start": start.isoformat(),
                                                "end": end.isoformat(), "certificates": moved})
    db.flush()
    return moved


def replaced(db: Session, account: AcmeAccount, cert_id) -> IssuedCertificate | None:
    """The certificate a new order's ``replaces`` names (RFC 9773 § 5): one this account obtained, not already
    replaced by another order."""
    if cert_id is None:
        return None
    row = certificate_of(db, cert_id) if isinstance(cert_id, str) else None
    if row is None:
        raise Problem("malformed", "« replaces » ne désigne aucun certificat de ce serveur.")
    obtained = db.exec(select(AcmeOrder.id).where(AcmeOrder.certificate_id == row.id,
                                                  AcmeOrder.account_id == account.id)).first()
    if obtained is None:
        raise Problem("unauthorized", "« replaces » désigne un certificat que ce compte n’a pas obtenu.")
    if db.exec(select(AcmeOrder.id).where(AcmeOrder.replaces_id == row.id,
                                          AcmeOrder.status.in_(("pending", "ready", "processing", "valid")))).first():
        raise Problem("alreadyReplaced", "Ce certificat est déjà remplacé par une autre commande.")
    return row
