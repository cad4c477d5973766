"""Expiry notices with a frozen clock: exactly one per certificate and threshold, to the current
administrators of the family (not one who left by F503) and the copy address."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.models import Habilitation, IssuedCertificate, OutboxMessage
from app.models.base import utcnow
from app.operations.expiry import send_expiry_notices
from tests.certificates.conftest import pem_csr
from tests.certificates.test_requests import ask


def mails(db, certificate) -> list[OutboxMessage]:
    return [m for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id))
            if certificate.serial_hex in m.body and "expir" in m.subject]  # not the delivery mail


def aware(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_one_notice_per_threshold_to_the_current_administrators(db, pki_world, as_admin, make_person, make_card,
                                                                  make_habilitation):
    browser = as_admin(pki_world["admin"])
    assert ask(browser, pki_world["hospital"], "ORG", "PSC", service_name="Serveur PSC", copy_email="it@chu.example",
               csr_ORG_AUTH_CLI=pem_csr()).status_code == 303
    certificate = db.exec(select(IssuedCertificate).where(IssuedCertificate.usage == "PSC")).one()
    colleague = make_person(profession_code="", family_name="COLLEGUE", given_name="Lina", email="lina@chu.example")
    make_card(colleague, "CPE", structure=pki_world["hospital"])
    make_habilitation(colleague, pki_world["hospital"], "technical_admin", "ORG")
    serv_only = make_person(profession_code="", family_name="SERVEUR", given_name="Max", email="max@chu.example")
    make_habilitation(serv_only, pki_world["hospital"], "technical_admin", "SERV")
    end = aware(certificate.not_after)
    base = "http://localhost"

    assert send_expiry_notices(db, now=end - timedelta(days=45), base_url=base) == 0
    assert send_expiry_notices(db, now=end - timedelta(days=29), base_url=base) == 1
    first = mails(db, certificate)
    assert {m.recipient for m in first} == {"theo@chu.example", "lina@chu.example", "it@chu.example"}
    assert all("expire le" in m.subject and f"renouvellement={certificate.id}" in m.body for m in first)
    for days in (28, 10, 1):  # the job runs every day: nothing more until it expires
        assert send_expiry_notices(db, now=end - timedelta(days=days), base_url=base) == 0
    assert len(mails(db, certificate)) == 3

    # Théo leaves by F503 before the end: the "expired" notice no longer goes to him.
    left = db.exec(select(Habilitation).where(Habilitation.person_id == pki_world["admin"].id,
                                              Habilitation.structure_id == pki_world["hospital"].id,
                                              Habilitation.certificate_family == "ORG")).one()
    left.ended_at = utcnow()
    db.add(left)
    db.flush()
    assert send_expiry_notices(db, now=end + timedelta(hours=1), base_url=base) == 1
    assert send_expiry_notices(db, now=end + timedelta(days=2), base_url=base) == 0
    expired = mails(db, certificate)[3:]
    assert {m.recipient for m in expired} == {"lina@chu.example", "it@chu.example"}
    assert all("expiré" in m.subject for m in expired)


def test_a_revoked_certificate_gets_no_notice(db, pki_world, as_admin):
    browser = as_admin(pki_world["admin"])
    assert ask(browser, pki_world["hospital"], "ORG", "PSC", service_name="Serveur PSC",
               csr_ORG_AUTH_CLI=pem_csr()).status_code == 303
    certificate = db.exec(select(IssuedCertificate).where(IssuedCertificate.usage == "PSC")).one()
    assert browser.post(f"/certificats/{certificate.id}/revoquer", {"motif": "superseded",
                                                                    "confirmation": "1"}).status_code == 303
    assert send_expiry_notices(db, now=aware(certificate.not_after) - timedelta(days=10),
                               base_url="http://localhost") == 0
