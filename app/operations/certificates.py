"""Ordering software certificates: the request checked against the products table and the structure rule,
every certificate of the product issued at once, recorded as a CERT case file, all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from app.domain.casefiles import FILER, PORTAL
from app.domain.certificates import CertificateRequestError
from app.domain.forms.schema import EMAIL
from app.domain.permissions import structure_and_its_ej
from app.domain.products import PRODUCTS, USAGES, StructureFacts, structure_decision
from app.models import Filing, Habilitation, IssuedCertificate, Structure
from app.models.base import utcnow
from app.operations import outbox
from app.operations.casefiles import next_reference, open_draft, transition
from app.operations.pki import issue_certificate
from app.operations.rights import technical_administrators


@dataclass
class CertificateOrder:
    """What the administrator asked for (from the request page or the API)."""

    family: str
    usage: str
    structure_id: int
    service_name: str = ""
    dns_names: list[str] = field(default_factory=list)
    email: str = ""  # the actor's, mandatory
    copy_email: str = ""
    csrs: dict[str, bytes] = field(default_factory=dict)  # profile -> CSR
    attestation: bool = False  # private EJ: the software sends the FINESS géographique in DMP metadata
    renewal_of: int | None = None


def administers(db: Session, person_id: int, structure: Structure, family: str) -> bool:
    """A current technical-administrator habilitation for this family, on the structure or on its EJ."""
    return db.exec(select(Habilitation.id).where(
        Habilitation.person_id == person_id, technical_administrators(structure, family))).first() is not None


def contacts_from_f413(db: Session, structure: Structure, national_id: str) -> tuple[str, str]:
    """The administrator's address and the structure's contact as the accepted F413 that habilitated them gave."""
    scope = structure_and_its_ej(structure)
    for payload in db.exec(select(Filing.payload).where(Filing.form == "F413", Filing.state == "accepte",
                                                        Filing.structure_id.in_(scope)).order_by(Filing.id.desc())):
        for row in payload.get("administrateurs") or []:
            if row.get("identifiant") == national_id:
                return row.get("courriel", ""), (payload.get("contact") or {}).get("courriel", "")
    return "", ""


def check_order(db: Session, order: CertificateOrder, *, person_id: int, today: date | None = None
                ) -> tuple[Structure, IssuedCertificate | None]:
    """Everything but the CSRs' own checks (the PKI core makes those): French message and field on refusal."""
    product = PRODUCTS.get((order.family, order.usage))
    if product is None:
        raise CertificateRequestError("Choisissez un usage proposé pour cette famille.", field="usage")
    structure = db.get(Structure, order.structure_id)
    if structure is None or not administers(db, person_id, structure, order.family):
        raise CertificateRequestError("Vous n’êtes pas administrateur technique de cette structure pour cette "
                                      "famille de certificats (formulaire F413).", field="structure")
    previous = None
    if order.renewal_of is not None:
        previous = db.get(IssuedCertificate, order.renewal_of)
        if previous is None or previous.structure_id != structure.id or previous.revoked_at is not None:
            raise CertificateRequestError("Seul un certificat valide de cette structure se renouvelle.",
                                          field="structure")
    decision = structure_decision(StructureFacts(structure.kind, structure.public, structure.dialysis),
                                  renewal=previous is not None, attestation=order.attestation,
                                  today=today or utcnow().date())
    if not decision.allowed:
        raise CertificateRequestError(decision.message, field=decision.field)
    if not EMAIL.match(order.email or ""):
        raise CertificateRequestError("Votre adresse électronique est obligatoire : les avis d’expiration y "
                                      "seront envoyés.", field="email")
    if order.copy_email and not EMAIL.match(order.copy_email):
        raise CertificateRequestError("Adresse en copie invalide.", field="copy_email")
    missing = [p for p in product.profiles if not order.csrs.get(p)]
    if missing:
        raise CertificateRequestError(
            "Déposez une CSR pour chaque certificat (" + ", ".join(missing) + ")." if len(product.profiles) > 1
            else "Déposez une demande de certificat (CSR) au format PEM ou DER.", field=f"csr_{missing[0]}")
    return structure, previous


def order_certificates(db: Session, keystore, order: CertificateOrder, *, person_id: int, actor: str, auth_method: str,
                       base_url: str, today: date | None = None) -> tuple[Filing, list[IssuedCertificate]]:
    """Issue the product's certificates and record the order; flushes, the caller commits (or rolls back:
    a DMP pair whose second certificate fails leaves neither)."""
    structure, previous = check_order(db, order, person_id=person_id, today=today)
    product = PRODUCTS[(order.family, order.usage)]
    now = utcnow()
    filing = open_draft(db, form="CERT", structure_id=structure.id, filer_id=person_id, actor=actor,
                        payload={"family": order.family, "usage": order.usage, "service_name": order.service_name,
                                 "dns_names": order.dns_names, "email": order.email, "copy_email": order.copy_email,
                                 "renewal_of": order.renewal_of, "attestation": order.attestation})
    filing.reference, filing.deposited_at = next_reference(db, "CERT", now.year), now
    transition(db, filing, "deposer", by=FILER, actor=actor, auth_method=auth_method)
    issued: list[IssuedCertificate] = []

    def deliver(_event) -> None:
        for profile in product.profiles:
            try:
                issued.append(issue_certificate(
                    db, keystore, requested_by=actor, structure=structure, profile_code=profile,
                    csr=order.csrs[profile], service_name=order.service_name, dns_names=order.dns_names,
                    emails=[e for e in (order.email, order.copy_email) if e], product=order.usage, base_url=base_url,
                    renewed_from_id=previous.id if previous else None, filing_id=filing.id))
            except CertificateRequestError as exc:
                if exc.field == "csr" and len(product.profiles) > 1:
                    exc.field = f"csr_{profile}"
                    exc.args = (f"{profile} : {exc}",)
                elif exc.field == "csr":
                    exc.field = f"csr_{profile}"
                raise

    transition(db, filing, "delivrer", by=PORTAL, actor="portail", message="Délivrance immédiate.", after=deliver,
               audit_extra={"usage": order.usage, "ordered_by": actor})
    names = ", ".join(f"{c.profile} n° {c.serial_hex}" for c in issued)
    outbox.queue(db, [order.email, order.copy_email], f"Certificat délivré : {filing.reference}",
                 f"Commande {filing.reference} ({USAGES[order.usage]}) pour {structure.name} : {names}.\n"
                 f"Valable jusqu’au {issued[0].not_after:%d/%m/%Y}.", filing_id=filing.id)
    return filing, issued
