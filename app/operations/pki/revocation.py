"""Revocation and CRLs: no revocation is lost and no two CRLs share a number, whatever runs concurrently
(another revocation, ``flask jobs run``).

A revocation signs its CRL first, without any lock (100,000 entries take seconds), then publishes it only if the
CA's CRL number is still the one it read (compare and swap): the CA row is locked from that update to the commit,
a moment. When another publication came in between, it reads and signs again."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.certificates import AlreadyRevoked, CertificateRequestError
from app.models import Authority, IssuedCertificate
from app.models.base import aware, utcnow
from app.operations import audit
from app.signing import ca
from app.signing.keystore import KeyStore

from .hierarchy import issuer, locked_authority

CRL_REFRESH_MARGIN = timedelta(days=2)
PUBLISH_TRIES = 5
_AUTHORITY = Authority.__table__


def revoke_certificate(db: Session, keystore: KeyStore, certificate: IssuedCertificate, *, reason: str,
                       revoked_by: str) -> IssuedCertificate:
    """Revoke with an RFC 5280 reason and publish the issuing CA's new CRL in the same transaction.

    The CRL is signed before anything is written: a token failure changes nothing.
    """
    if reason not in ca.REASONS:
        raise CertificateRequestError("Motif de révocation inconnu.", field="reason")
    now = utcnow().replace(microsecond=0)
    revocation = ca.Revocation(int(certificate.serial_hex, 16), now, reason)
    for _ in range(PUBLISH_TRIES):
        db.refresh(certificate)  # a concurrent revocation of this certificate committed meanwhile
        if certificate.revoked_at is not None:
            raise AlreadyRevoked()
        row = db.exec(select(Authority).where(Authority.id == certificate.authority_id)
                      .execution_options(populate_existing=True)).one()
        if _publish(db, keystore, row, now, also=revocation):
            break
    else:
        raise CertificateRequestError("Trop de révocations simultanées sur cette autorité : réessayez.",
                                      field="reason")
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    db.add(certificate)
    audit.record(db, actor=revoked_by, action="certificate.revoked", object_type="certificate",
                 object_id=certificate.id, before={"status": "valid"}, after={"status": "revoked", "reason": reason})
    db.flush()
    return certificate


def _publish(db: Session, keystore: KeyStore, row: Authority, now: datetime, also: ca.Revocation) -> bool:
    """Sign the CRL from the revocations committed so far and ``also``, then publish it if the CA's CRL number is
    still ``row``'s; False when another CRL was published meanwhile (sign again)."""
    number, der, next_update = _signed_crl(db, keystore, row, now, also)
    done = db.execute(sa.update(_AUTHORITY).where(_AUTHORITY.c.id == row.id,
                                                   _AUTHORITY.c.crl_number == row.crl_number)
                      .values(crl_der=der, crl_number=number, crl_next_update=next_update)).rowcount
    if done:
        db.expire(row)
    return bool(done)


def _signed_crl(db: Session, keystore: KeyStore, row: Authority, now: datetime,
                also: ca.Revocation | None) -> tuple[int, bytes, datetime]:
    revoked = db.exec(select(IssuedCertificate.serial_hex, IssuedCertificate.revoked_at,
                             IssuedCertificate.revocation_reason)
                      .where(IssuedCertificate.authority_id == row.id, IssuedCertificate.revoked_at.is_not(None))).all()
    entries = [ca.Revocation(int(serial, 16), aware(at), reason) for serial, at, reason in revoked]
    if also is not None:
        entries.append(also)
    this_update = now.replace(microsecond=0)
    next_update = this_update + ca.CRL_LIFETIME
    crl = ca.certificate_revocation_list(keystore, issuer(row), number=row.crl_number + 1, this_update=this_update,
                                         next_update=next_update, revoked=entries)
    return row.crl_number + 1, crl, next_update


def sign_crl(db: Session, keystore: KeyStore, row: Authority, now: datetime, also: ca.Revocation | None = None) -> None:
    """Publish a new CRL for ``row`` (locked by the caller, or just created), with ``also`` added."""
    row.crl_number, row.crl_der, row.crl_next_update = _signed_crl(db, keystore, row, now, also)
    db.add(row)
    db.flush()


def refresh_crls(db: Session, keystore: KeyStore, now: datetime | None = None,
                 margin: timedelta = CRL_REFRESH_MARGIN) -> list[str]:
    """Re-sign every CRL whose nextUpdate is within ``margin`` (``flask jobs run``)."""
    now = now or utcnow()
    refreshed = []
    # Lock every CA first, in id order, before the audit trail's own lock: a revocation (CA, then audit)
    # running meanwhile then waits instead of deadlocking.
    rows = [locked_authority(db, i) for i in db.exec(select(Authority.id).order_by(Authority.id)).all()]
    for row in rows:
        if row.crl_next_update is None or aware(row.crl_next_update) - now < margin:
            sign_crl(db, keystore, row, now)
            audit.record(db, actor="system", action="pki.crl_refreshed", object_type="authority", object_id=row.id,
                         after={"crl_number": row.crl_number})
            refreshed.append(row.name)
    return refreshed


def certificate_status(db: Session, authority_id: int, serial: int) -> ca.OcspStatus:
    """What the CA says of a serial now: good, revoked (with time and reason) or unknown."""
    found = db.exec(select(IssuedCertificate.revoked_at, IssuedCertificate.revocation_reason).where(
        IssuedCertificate.serial_hex == format(serial, "x"), IssuedCertificate.authority_id == authority_id)).first()
    if found is None:
        return ca.OcspStatus("unknown")
    if found[0] is not None:
        return ca.OcspStatus("revoked", aware(found[0]), found[1])
    return ca.OcspStatus("good")
