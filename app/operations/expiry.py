"""Expiry notices: one month before a certificate ends and once when it has ended, to the structure's current
technical administrators for its family and to its copy address; through the outbox, once per threshold."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.certificates import PROFILES
from app.models import CertificateNotice, Habilitation, IssuedCertificate, Person, Structure
from app.models.base import aware
from app.operations import audit, outbox
from app.operations.rights import technical_administrators

THRESHOLDS = (("un_mois", timedelta(days=30)), ("expire", timedelta(0)))
LATE = timedelta(days=30)  # a certificate that ended longer ago than this gets no "expired" notice any more


def current_administrators(db: Session, structure: Structure, family: str) -> list[str]:
    return list(db.exec(select(Person.email).join(Habilitation, Habilitation.person_id == Person.id).where(
        technical_administrators(structure, family), Person.email != "")))


def send_expiry_notices(db: Session, *, now: datetime, base_url: str) -> int:
    """Queue the notices due at ``now``; returns how many certificates were noticed. Flushes only."""
    sent = 0
    for threshold, before in THRESHOLDS:
        already = sa.select(CertificateNotice.certificate_id).where(CertificateNotice.threshold == threshold)
        due = db.exec(select(IssuedCertificate).where(
            IssuedCertificate.revoked_at.is_(None), IssuedCertificate.structure_id.is_not(None),
            IssuedCertificate.not_after <= now + before, IssuedCertificate.not_after > now - LATE,
            IssuedCertificate.profile.in_([p for p, prof in PROFILES.items() if prof.family in ("ORG", "SERV")]),
            IssuedCertificate.id.not_in(already))).all()
        for certificate in due:
            if threshold == "un_mois" and aware(certificate.not_after) <= aware(now):
                continue  # past its end: only the "expired" notice is still useful
            structure = db.get(Structure, certificate.structure_id)
            family = PROFILES[certificate.profile].family
            recipients = current_administrators(db, structure, family) + certificate.contact_emails[1:]
            renew = f"{base_url}/certificats/demande?renouvellement={certificate.id}"
            when = f"{certificate.not_after:%d/%m/%Y}"
            subject, opening = ((f"Certificat {certificate.common_name} : expire le {when}",
                                 f"Le certificat {certificate.common_name} expire le {when}.")
                                if threshold == "un_mois" else
                                (f"Certificat {certificate.common_name} expiré",
                                 f"Le certificat {certificate.common_name} a expiré le {when}."))
            outbox.queue(db, recipients, subject,
                         f"{opening}\nStructure : {structure.name} ({structure.national_id}).\n"
                         f"Numéro de série : {certificate.serial_hex}.\n\nRenouveler (nouvelle clé, nouvelle CSR) : "
                         f"{renew}", filing_id=certificate.filing_id)
            db.add(CertificateNotice(certificate_id=certificate.id, threshold=threshold, sent_at=now))
            db.flush()
            audit.record(db, actor="portail", action="certificate.expiry_notice", object_type="certificate",
                         object_id=certificate.id, after={"threshold": threshold, "recipients": len(set(recipients))})
            sent += 1
    return sent
